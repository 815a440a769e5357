/**
 * A saved trust store (`keyring-exporter trust-store --save FILE`): which certificates each of the kernel's
 * keyrings held, and how many keys its blacklist held, so that a later audit can say what changed since
 * (checks/trust-store-drift.ts). Serials are not kept: they change with every boot. A certificate is known by
 * the description the kernel gave it ("<subject>: <key id>"). Pure: text in, a baseline or an error out.
 *
 * Descriptions are latin1 byte strings; JSON writes each character as itself or an escape and the file is UTF-8,
 * so every byte comes back as it was (as procfs/kernel-answers-file.ts keeps them).
 */
import type { TrustRole, TrustStore } from '../classify/trust-store.js';
import { isObject, showValue } from '../parser/json-value.js';

const FORMAT = 1;

export interface BaselineCertificate {
  description: string;
  subject: string | null;
  keyId: string | null;
  algorithm: string | null;
}

export interface BaselineKeyring {
  name: string;
  role: TrustRole;
  certificates: BaselineCertificate[];
  /** Keys of every type it linked (a blacklist's hashes, its certificates). */
  keys: number;
}

export interface TrustStoreBaseline {
  host: string;
  kernelRelease: string;
  /** ISO 8601. */
  time: string;
  toolVersion: string;
  keyrings: BaselineKeyring[];
}

/** The baseline of a known trust store; keyrings of one name (two `_ima`, say) are one. */
export function baselineOf(store: Extract<TrustStore, { known: true }>, meta: Omit<TrustStoreBaseline, 'keyrings'>): TrustStoreBaseline {
  const byName = new Map<string, BaselineKeyring>();
  for (const k of store.keyrings) {
    const entry = byName.get(k.name) ?? { name: k.name, role: k.role, certificates: [], keys: 0 };
    byName.set(k.name, entry);
    entry.keys += k.keys.length;
    for (const key of k.keys)
      if (key.type === 'asymmetric' && !entry.certificates.some((c) => c.description === key.description))
        entry.certificates.push({ description: key.description, subject: key.subject, keyId: key.keyId, algorithm: key.algorithm });
  }
  return { ...meta, keyrings: [...byName.values()] };
}

export function formatTrustStoreBaseline(b: TrustStoreBaseline): string {
  return `${JSON.stringify({ format: FORMAT, ...b }, null, 2)}\n`;
}

/** The baseline in `text`, or what is wrong with it, naming `path` and the first field at fault. */
export function parseTrustStoreBaseline(text: string, path: string): TrustStoreBaseline | { error: string } {
  const problem = (what: string): { error: string } => ({ error: `${path}: ${what}` });
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return problem(`not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isObject(doc)) return problem('expected a JSON object (made by keyring-exporter trust-store --save)');
  if (doc['format'] !== FORMAT) return problem(`format: expected ${FORMAT}, got ${showValue(doc['format'])}`);
  for (const field of ['host', 'kernelRelease', 'time', 'toolVersion'] as const)
    if (typeof doc[field] !== 'string') return problem(`${field}: expected a string, got ${showValue(doc[field])}`);
  const list = doc['keyrings'];
  if (!Array.isArray(list)) return problem(`keyrings: expected an array, got ${showValue(list)}`);
  const keyrings: BaselineKeyring[] = [];
  for (let i = 0; i < list.length; i++) {
    const k: unknown = list[i];
    const at = `keyrings[${i}]`;
    if (!isObject(k)) return problem(`${at}: expected an object, got ${showValue(k)}`);
    if (typeof k['name'] !== 'string' || k['name'] === '') return problem(`${at}.name: expected a keyring name, got ${showValue(k['name'])}`);
    const role = k['role'];
    if (role !== 'code' && role !== 'files' && role !== 'blacklist' && role !== 'other') return problem(`${at}.role: expected code, files, blacklist or other, got ${showValue(role)}`);
    const keys = k['keys'];
    if (typeof keys !== 'number' || !Number.isInteger(keys) || keys < 0) return problem(`${at}.keys: expected a count, got ${showValue(keys)}`);
    const certs = k['certificates'];
    if (!Array.isArray(certs)) return problem(`${at}.certificates: expected an array, got ${showValue(certs)}`);
    const certificates: BaselineCertificate[] = [];
    for (let j = 0; j < certs.length; j++) {
      const c: unknown = certs[j];
      const cat = `${at}.certificates[${j}]`;
      if (!isObject(c) || typeof c['description'] !== 'string') return problem(`${cat}.description: expected a string, got ${showValue(isObject(c) ? c['description'] : c)}`);
      for (const f of ['subject', 'keyId', 'algorithm'] as const)
        if (c[f] !== null && typeof c[f] !== 'string') return problem(`${cat}.${f}: expected a string or null, got ${showValue(c[f])}`);
      certificates.push({ description: c['description'], subject: c['subject'] as string | null, keyId: c['keyId'] as string | null, algorithm: c['algorithm'] as string | null });
    }
    keyrings.push({ name: k['name'], role, certificates, keys });
  }
  return { host: doc['host'] as string, kernelRelease: doc['kernelRelease'] as string, time: doc['time'] as string, toolVersion: doc['toolVersion'] as string, keyrings };
}
