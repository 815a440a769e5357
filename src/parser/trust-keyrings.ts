/**
 * The kernel's own keyrings of certificates (issue 23), and what the kernel says each one links. /proc/keys lists
 * the keyrings and their keys but never which key a keyring holds: that is asked of the kernel (KEYCTL_READ), as
 * the parse asks it to describe each record, or taken from a capture that stored the answer.
 *
 * Which keyrings: those the kernel made (owned by uid 0, a name starting with "." that userspace cannot give, or
 * allocated outside any quota; classify/keyring-class.ts), and `_ima` and `_evm` owned by uid 0, which userspace
 * makes where the kernel has no trusted IMA keyring (security/integrity/digsig.c integrity_init_keyring()). The
 * registers of user keyrings hold no certificate and are left out.
 */
import type { KernelAnswers, KeyAnswer, KeyringMembers } from './key-answer.js';
import type { KeyRecord } from './key-record.js';

/** Kernel keyrings that only ever link other keyrings (security/keys/process_keys.c, persistent.c). */
const REGISTERS: ReadonlySet<string> = new Set(['.user_reg', '.persistent_register']);
/** Made by userspace, as root, for IMA and EVM where the kernel makes no `.ima` or `.evm`. */
const USERSPACE_TRUST_KEYRINGS: ReadonlySet<string> = new Set(['_ima', '_evm']);

/** The kernel's answers about the trust store's keyrings in one read. */
export interface KeyringLists {
  from: KernelAnswers['from'];
  /** What each keyring links, or why the kernel would not say; in the order of the records. */
  keyrings: KeyringMembers[];
  /** Members that /proc/keys did not list (created after the read, or not viewable), as the kernel described them. */
  described: KeyAnswer[];
}

/** Whether the trust store reads what `r` links. Only a record the kernel described is taken at its word. */
export function isTrustStoreKeyring(r: Pick<KeyRecord, 'type' | 'uid' | 'description' | 'flags' | 'confirmation'>): boolean {
  if (r.type.name !== 'keyring' || r.uid !== 0 || r.confirmation !== 'described') return false;
  const d = r.description;
  if (REGISTERS.has(d)) return false;
  return d.startsWith('.') || USERSPACE_TRUST_KEYRINGS.has(d) || !r.flags.inQuota;
}

/**
 * A lookup of records by serial: a binary search, the records being in the kernel's ascending order (a merge of
 * reads is sorted so too). Records out of order (a forged copy's) may hide one: it is then asked of the kernel.
 * No pass over the records: at 100,000 keys one costs milliseconds in cache misses alone.
 */
export function recordsBySerial(records: readonly KeyRecord[]): (serial: number) => KeyRecord | undefined {
  return (serial) => {
    let lo = 0;
    let hi = records.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const r = records[mid] as KeyRecord;
      if (r.serialNumber === serial) return r;
      if (r.serialNumber < serial) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  };
}

/**
 * Ask what each of the trust store's keyrings (the parse picked them: ProcKeysParseResult.trustKeyrings) links,
 * and describe the members `records` do not hold. Null when `answers` knows nothing of keyrings (a capture made
 * before it stored them).
 */
export function listTrustKeyrings(trustKeyrings: readonly KeyRecord[], records: readonly KeyRecord[], answers: KernelAnswers): KeyringLists | null {
  let find: ((serial: number) => KeyRecord | undefined) | null = null;
  const keyrings: KeyringMembers[] = [];
  const described = new Map<number, KeyAnswer>();
  for (const r of trustKeyrings) {
    const listed = answers.members(r.serialNumber);
    if (listed === undefined) return null;
    keyrings.push(listed);
    if (listed.errno !== null) continue;
    find ??= recordsBySerial(records);
    for (const m of listed.members) {
      if (find(m) !== undefined || described.has(m)) continue;
      const a = answers.answer(m);
      if (a !== undefined) described.set(m, a);
    }
  }
  return { from: answers.from, keyrings, described: [...described.values()] };
}
