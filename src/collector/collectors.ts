/**
 * The collectors (one per source, node_exporter style): each turns the one inventory read for this scrape into
 * gauges. Every update resets the gauges first, so a uid or label set that vanished is no longer exported; each
 * collector is timed and reports its own success, and one that fails costs only its own metrics.
 */
import type { Registry } from 'prom-client';
import type { AuditConfig } from '../audit/audit-config.js';
import { SEVERITIES } from '../audit/finding.js';
import { CHECKS, runAudit } from '../audit/run-audit.js';
import { countByUid, ownedKeys, type Inventory } from '../classify/inventory.js';
import type { KeyRecord } from '../parser/key-record.js';
import { PROC_FILES } from '../parser/parse-issue.js';
import { VIEW_FAILURES } from '../parser/snapshot.js';
import { GaugeFamily } from './gauge-family.js';
import { COLLECTORS, MAX_CERTIFICATE_SERIES, METRIC_FAMILIES, type CollectorName } from './metric-families.js';
import { escapeByteString } from '../parser/byte-string.js';
import type { FirstSeen } from './first-seen.js';

export interface CollectorOptions {
  enabled: ReadonlySet<CollectorName>;
  /** At most this many distinct uid label values; the rest are summed into uid="other". */
  maxUids: number;
  auditConfig: AuditConfig;
  version: string;
  revision: string;
  nodejsVersion: string;
  /** A monotonic clock in seconds, for collector durations. */
  clock: () => number;
  /** The state of --config.file: whether its last (re)load succeeded, and when one last did (Unix seconds). */
  configReload: { successful: boolean; lastSuccess: number };
  /** The same of --web.config.file (serve only: none for `metrics`). */
  webConfigReload?: { successful: boolean; lastSuccess: number };
  /** serve: when it first saw each upcall cache entry (first-seen.ts); none for `metrics`. */
  firstSeen?: FirstSeen;
}

export type Gauges = Record<string, GaugeFamily>;

/**
 * One family per METRIC_FAMILIES entry, in its order. Made once and updated by every scrape (`serve` keeps
 * them; updateGauges resets each first). With a registry, they are registered in it too.
 */
export function createGauges(registry?: Registry): Gauges {
  const gauges: Gauges = {};
  for (const f of METRIC_FAMILIES) {
    const family = new GaugeFamily(f.name, f.help, f.labels);
    if (registry !== undefined) family.registerIn(registry);
    gauges[f.name] = family;
  }
  return gauges;
}

/**
 * A key type as a label value: the kernel's type name when the kernel described the key or the name is one of
 * the kernel's types, `other` for anything else (a type column is text a forged line can hold).
 */
function typeLabel(t: KeyRecord['type']): string {
  return t.known && /^[a-z0-9_.-]{1,32}$/.test(t.name) ? t.name : 'other';
}

/** The uids that keep their own label: the ones nearest to their key or byte quota, then the lowest uids. */
export function keptUids(inv: Inventory, maxUids: number): Set<number> {
  const users = [...(inv.users ?? [])];
  const ratio = (u: { qnkeys: number; maxkeys: number; qnbytes: number; maxbytes: number }): number =>
    Math.max(u.maxkeys > 0 ? u.qnkeys / u.maxkeys : 0, u.maxbytes > 0 ? u.qnbytes / u.maxbytes : 0);
  users.sort((a, b) => ratio(b) - ratio(a) || a.uid - b.uid);
  return new Set(users.slice(0, Math.max(0, maxUids)).map((u) => u.uid));
}

type Update = (inv: Inventory, g: Gauges, o: CollectorOptions, uidLabel: (uid: number) => string) => void;

const add = (gauge: GaugeFamily, labels: Record<string, string>, value: number): void => gauge.inc(labels, value);

/** Counts by uid, summed into their labels once (a gauge update per key would hash a label set per key). */
function addByUid(gauge: GaugeFamily, counts: Map<number, number>, uidLabel: (uid: number) => string): void {
  for (const [uid, n] of counts) add(gauge, { uid: uidLabel(uid) }, n);
}

const UPDATES: Record<CollectorName, Update> = {
  keys(inv, g, o, uidLabel) {
    if (inv.files.keys.status !== 'ok') throw new Error(`${inv.files.keys.path}: ${inv.files.keys.status}`);
    const groups = inv.trustedGroups;
    const sessions = countByUid(groups.byClass.session);
    const persistentKeys = new Map<number, number>();
    const expiry = new Map<string, number>();
    for (const k of groups.byClass.persistent) {
      persistentKeys.set(k.uid, (persistentKeys.get(k.uid) ?? 0) + (k.summary?.kind === 'keyring' ? k.summary.links : 0));
      const label = uidLabel(k.uid);
      if (k.expiry.seconds !== null) expiry.set(label, Math.min(expiry.get(label) ?? Number.POSITIVE_INFINITY, k.expiry.seconds));
    }
    // Counted once per inventory, shared with the audit's visibility_gap; 0 for a uid /proc/key-users counts keys
    // of and /proc/keys showed none of (the largest gaps).
    const visible = g['keyring_user_visible_keys'] as GaugeFamily;
    addByUid(visible, inv.visibleByUid, uidLabel);
    for (const u of inv.users ?? []) if (!inv.visibleByUid.has(u.uid)) add(visible, { uid: uidLabel(u.uid) }, 0);
    const unseen = g['keyring_user_unseen_keys'] as GaugeFamily;
    for (const u of inv.users ?? []) add(unseen, { uid: uidLabel(u.uid) }, Math.max(0, ownedKeys(u) - (inv.visibleByUid.get(u.uid) ?? 0)));
    const view = inv.coverage?.view ?? 'self';
    (g['keyring_view_uids'] as GaugeFamily).set({ view, result: 'read' }, inv.coverage?.readers.length ?? 1);
    (g['keyring_view_uids'] as GaugeFamily).set({ view, result: 'failed' }, inv.coverage?.failed.length ?? 0);
    for (const reason of VIEW_FAILURES) (g['keyring_view_failed_uids'] as GaugeFamily).set({ reason }, inv.coverage?.failed.filter((f) => f.reason === reason).length ?? 0);
    addByUid(g['keyring_session_keyrings'] as GaugeFamily, sessions, uidLabel);
    addByUid(g['keyring_persistent_keyring_keys'] as GaugeFamily, persistentKeys, uidLabel);
    // Counted by decoded type (shared objects, so a label is checked once per type), then class and state.
    for (const [t, byClass] of groups.counts) {
      const type = typeLabel(t);
      for (const [cls, byState] of byClass) for (const [state, n] of byState) add(g['keyring_keys'] as GaugeFamily, { type, class: cls, state }, n);
    }
    for (const [uid, seconds] of expiry) (g['keyring_persistent_keyring_expiry_seconds'] as GaugeFamily).set({ uid }, seconds);
    if (inv.processless !== null) {
      const gauge = g['keyring_user_processless_keys'] as GaugeFamily;
      const processless = new Map(inv.processless.map((p) => [p.uid, p.owned]));
      const own = inv.users?.filter((u) => u.uid !== 0) ?? [];
      for (const u of own) add(gauge, { uid: uidLabel(u.uid) }, processless.get(u.uid) ?? 0);
    }
    const tgtExpiry = new Map<string, number>();
    for (const h of inv.kerberos) {
      const uid = uidLabel(h.uid);
      add(g['keyring_kerberos_caches'] as GaugeFamily, { uid }, h.caches);
      add(g['keyring_kerberos_expired_tickets'] as GaugeFamily, { uid }, h.tickets.filter((t) => t.expired).length);
      add(g['keyring_kerberos_bytes'] as GaugeFamily, { uid }, h.bytes);
      for (const t of h.tickets)
        if (t.tgtRealm !== null && !t.expired && t.secondsLeft !== null) tgtExpiry.set(uid, Math.min(tgtExpiry.get(uid) ?? Number.POSITIVE_INFINITY, t.secondsLeft));
    }
    for (const [uid, seconds] of tgtExpiry) (g['keyring_kerberos_tgt_expiry_seconds'] as GaugeFamily).set({ uid }, seconds);
    for (const c of inv.upcall) {
      (g['keyring_upcall_cache_keys'] as GaugeFamily).set({ type: c.type }, c.keys.length);
      (g['keyring_upcall_cache_failed_keys'] as GaugeFamily).set({ type: c.type }, c.failed.length);
      (g['keyring_upcall_cache_permanent_keys'] as GaugeFamily).set({ type: c.type }, c.permanent.length);
    }
    for (const [type, seconds] of o.firstSeen?.oldest(inv.upcall, inv.now) ?? []) (g['keyring_upcall_cache_oldest_seen_seconds'] as GaugeFamily).set({ type }, seconds);
    (g['keyring_suspect_records'] as GaugeFamily).set(inv.keys.length - inv.trusted.length);
    (g['keyring_records_confirmed'] as GaugeFamily).set(inv.confirmedBy === null ? 0 : 1);
    (g['keyring_unconfirmed_records'] as GaugeFamily).set(inv.unconfirmed.length);
  },
  key_users(inv, g, _o, uidLabel) {
    if (inv.users === null) throw new Error(`${inv.files.keyUsers.path}: ${inv.files.keyUsers.status}`);
    for (const u of inv.users) {
      const uid = uidLabel(u.uid);
      add(g['keyring_user_keys'] as GaugeFamily, { uid }, u.nkeys);
      add(g['keyring_user_instantiated_keys'] as GaugeFamily, { uid }, u.nikeys);
      add(g['keyring_user_quota_keys'] as GaugeFamily, { uid }, u.qnkeys);
      add(g['keyring_user_quota_keys_limit'] as GaugeFamily, { uid }, u.maxkeys);
      add(g['keyring_user_quota_bytes'] as GaugeFamily, { uid }, u.qnbytes);
      add(g['keyring_user_quota_bytes_limit'] as GaugeFamily, { uid }, u.maxbytes);
    }
    (g['keyring_users'] as GaugeFamily).set(inv.users.length);
  },
  sysctl(inv, g) {
    // A sysctl the kernel does not have (persistent_keyring_expiry without CONFIG_PERSISTENT_KEYRINGS) is left
    // out; one that could not be read, or none at all, fails the collector.
    const files = Object.values(inv.files.sysctls);
    const unread = files.filter((f) => f.status !== 'ok' && f.status !== 'absent');
    if (unread.length > 0 || files.every((f) => f.status === 'absent')) throw new Error((unread.length > 0 ? unread : files).map((f) => `${f.path}: ${f.status}`).join('; '));
    const l = inv.limits;
    const set = (name: string, v: number | null): void => {
      if (v !== null) (g[name] as GaugeFamily).set(v);
    };
    set('keyring_sysctl_maxkeys', l.maxkeys);
    set('keyring_sysctl_maxbytes', l.maxbytes);
    set('keyring_sysctl_root_maxkeys', l.root_maxkeys);
    set('keyring_sysctl_root_maxbytes', l.root_maxbytes);
    set('keyring_sysctl_gc_delay_seconds', l.gc_delay);
    set('keyring_sysctl_persistent_keyring_expiry_seconds', l.persistent_keyring_expiry);
  },
  audit(inv, g, o) {
    if (inv.files.keys.status !== 'ok' && inv.files.keyUsers.status !== 'ok') throw new Error('neither /proc/keys nor /proc/key-users could be read');
    const report = runAudit(inv, o.auditConfig);
    const gauge = g['keyring_audit_findings'] as GaugeFamily;
    // Every enabled check and severity is exported, 0 when it found nothing: absent series break alerts.
    for (const c of CHECKS) if (!o.auditConfig.disabled.includes(c.id)) for (const severity of SEVERITIES) gauge.set({ check: c.id, severity }, 0);
    for (const f of report.findings) gauge.inc({ check: f.check, severity: f.severity });
  },
  trust_store(inv, g) {
    if (inv.files.keys.status !== 'ok') throw new Error(`${inv.files.keys.path}: ${inv.files.keys.status}`);
    const store = inv.trustStore;
    if (!store.known) throw new Error(`the trust store is not known: ${store.why}`);
    const info = g['keyring_trust_store_certificate_info'] as GaugeFamily;
    const shown = new Map<string, number>();
    for (const k of store.keyrings) {
      // A keyring the kernel would not list has no count to export: not a zero.
      if (k.error !== null) continue;
      const labels = { keyring: keyringLabel(k.name), role: k.role };
      const certificates = k.keys.filter((key) => key.type === 'asymmetric');
      add(g['keyring_trust_store_keys'] as GaugeFamily, labels, k.keys.length);
      add(g['keyring_trust_store_certificates'] as GaugeFamily, labels, certificates.length);
      for (const c of certificates) {
        const n = shown.get(labels.keyring) ?? 0;
        if (n >= MAX_CERTIFICATE_SERIES) break;
        shown.set(labels.keyring, n + 1);
        info.set(
          {
            keyring: labels.keyring,
            subject: escapeByteString(c.subject ?? c.description).slice(0, 128),
            key_id: c.keyId !== null && c.keyId.length <= 128 ? c.keyId : '',
            algorithm: c.algorithm !== null && /^[A-Za-z0-9._-]{1,64}$/.test(c.algorithm) ? c.algorithm : '',
          },
          1,
        );
      }
    }
  },
};

/** A trust store keyring's name as a label value (metric-families.ts): the kernel's names pass, anything else is "other". */
function keyringLabel(name: string): string {
  return /^[._a-z0-9-]{1,64}$/.test(name) ? name : 'other';
}

/** The families each collector sets. */
const FAMILIES_OF = new Map<CollectorName, string[]>(COLLECTORS.map((c) => [c, METRIC_FAMILIES.filter((f) => f.collector === c).map((f) => f.name)]));

/**
 * Set every gauge from one inventory. Collectors that are switched off export nothing, not even their
 * success; one that failed exports its success, 0, and none of its values (not even those it set before it
 * failed). Returns the error of each collector that failed, for the caller to log.
 */
export function updateGauges(g: Gauges, inv: Inventory, o: CollectorOptions): Map<CollectorName, string> {
  for (const gauge of Object.values(g)) gauge.reset();
  const kept = keptUids(inv, o.maxUids);
  const uidLabel = (uid: number): string => (kept.has(uid) ? String(uid) : 'other');
  const errors = new Map<CollectorName, string>();
  for (const name of COLLECTORS) {
    if (!o.enabled.has(name)) continue;
    const t0 = o.clock();
    let ok = 1;
    try {
      UPDATES[name](inv, g, o, uidLabel);
    } catch (err) {
      ok = 0;
      errors.set(name, err instanceof Error ? err.message : String(err));
      for (const family of FAMILIES_OF.get(name) ?? []) g[family]?.reset();
    }
    (g['keyring_scrape_collector_success'] as GaugeFamily).set({ collector: name }, ok);
    (g['keyring_scrape_collector_duration_seconds'] as GaugeFamily).set({ collector: name }, Math.max(0, o.clock() - t0));
  }
  const issues = g['keyring_parse_issues'] as GaugeFamily;
  // Counted for the files that were read (0 when their parse found nothing wrong), none for the others.
  const read: Record<(typeof PROC_FILES)[number], boolean> = {
    keys: inv.files.keys.status === 'ok',
    'key-users': inv.files.keyUsers.status === 'ok',
    'sys/kernel/keys': Object.values(inv.files.sysctls).some((f) => f.status === 'ok'),
  };
  for (const file of PROC_FILES) if (read[file]) issues.set({ file }, 0);
  for (const [file, n] of Object.entries(inv.issueCounts)) issues.set({ file }, n);
  (g['keyring_exporter_config_last_reload_successful'] as GaugeFamily).set(o.configReload.successful ? 1 : 0);
  (g['keyring_exporter_config_last_reload_success_timestamp_seconds'] as GaugeFamily).set(o.configReload.lastSuccess);
  if (o.webConfigReload !== undefined) {
    (g['keyring_exporter_web_config_last_reload_successful'] as GaugeFamily).set(o.webConfigReload.successful ? 1 : 0);
    (g['keyring_exporter_web_config_last_reload_success_timestamp_seconds'] as GaugeFamily).set(o.webConfigReload.lastSuccess);
  }
  (g['keyring_exporter_build_info'] as GaugeFamily).set({ version: o.version, revision: o.revision, nodejs_version: o.nodejsVersion }, 1);
  return errors;
}
