/**
 * Every metric family the exporter exports: the contract dashboards and alerts rely on. The gauges are created
 * from this list and docs/metrics.md is written from it (test/collector/metrics-doc.test.ts keeps them equal).
 * Label values are bounded: no serial or description of a key is ever a label value, and `uid` is capped
 * (--collector.users.max-uids; the rest are folded into uid="other"). The one exception is the trust store's
 * (collector trust_store): the names of the kernel's own keyrings and the subjects of the certificates in them,
 * which only the kernel and root can write, escaped and capped.
 */
import { KEY_CLASSES } from '../classify/keyring-class.js';
import { KEY_STATES } from '../classify/key-state.js';
import { SEVERITIES } from '../audit/finding.js';
import { KNOWN_KEY_TYPES } from '../parser/key-type.js';
import { UPCALL_TYPES } from '../classify/upcall-cache.js';

export const COLLECTORS = ['keys', 'key_users', 'sysctl', 'audit', 'trust_store'] as const;
export type CollectorName = (typeof COLLECTORS)[number];

export interface MetricFamily {
  name: string;
  help: string;
  labels: readonly string[];
  /** The values each label can take, for the docs (and the cardinality bound). */
  labelValues: Record<string, string>;
  /** The collector that sets it; `exporter` for the exporter's own metrics. */
  collector: CollectorName | 'exporter';
}

/**
 * The one counter, kept by `serve` across scrapes (the families below are gauges reset and set again by each scrape): how
 * often the keys files were read. Concurrent scrapes share a read in flight; this shows it.
 */
export const READS_COUNTER = {
  name: 'keyring_exporter_reads_total',
  help:
    'Reads of the keys files (/proc/keys, /proc/key-users, the keys sysctls) since the exporter started. Scrapes that ' +
    'arrive while a read is in flight share it, so under concurrent scrapes this grows more slowly than the scrape count.',
} as const;

/** Certificates of one trust store keyring that get an info series each; the count covers them all. */
export const MAX_CERTIFICATE_SERIES = 64;

const TRUST_KEYRING =
  'a keyring of certificates the kernel made (.builtin_trusted_keys, .secondary_trusted_keys, .machine, .platform, .blacklist, .ima, .evm, ...) or _ima/_evm owned by root; "other" for a name outside [._a-z0-9-]{1,64}';

const UID = 'a uid, or "other" for the uids beyond --collector.users.max-uids (default 100: those nearest their quota are kept)';

export const METRIC_FAMILIES: readonly MetricFamily[] = [
  {
    name: 'keyring_keys',
    help: 'Keys listed in /proc/keys and trusted (suspect records are not counted), by type, class and state. /proc/keys lists only the keys the exporter may view.',
    labels: ['type', 'class', 'state'],
    labelValues: {
      type: `a kernel key type (${KNOWN_KEY_TYPES.filter((t) => !t.startsWith('.d') && t !== 'dead').slice(0, 8).join(', ')}, ...): key types are defined by the kernel, not by users`,
      class: KEY_CLASSES.join(', '),
      state: KEY_STATES.join(', '),
    },
    collector: 'keys',
  },
  { name: 'keyring_session_keyrings', help: 'Session keyrings (anonymous and named) listed in /proc/keys, by owner uid.', labels: ['uid'], labelValues: { uid: UID }, collector: 'keys' },
  {
    name: 'keyring_persistent_keyring_expiry_seconds',
    help: 'Seconds until the persistent keyring of a uid expires, a lower bound (the kernel prints one truncated unit); 0 once expired. The smallest for uid="other".',
    labels: ['uid'],
    labelValues: { uid: UID },
    collector: 'keys',
  },
  { name: 'keyring_persistent_keyring_keys', help: 'Keys linked in the persistent keyring of a uid.', labels: ['uid'], labelValues: { uid: UID }, collector: 'keys' },
  { name: 'keyring_user_visible_keys', help: 'Keys of a uid that /proc/keys showed the exporter (compare with keyring_user_keys).', labels: ['uid'], labelValues: { uid: UID }, collector: 'keys' },
  {
    name: 'keyring_user_unseen_keys',
    help:
      'Keys /proc/key-users counts for a uid (without the 2 the kernel counts for root that never existed) that no read of /proc/keys showed the exporter: ' +
      'what it could not look at, 0 where it saw them all (never negative: a key made between the two reads is not a negative gap).',
    labels: ['uid'],
    labelValues: { uid: UID },
    collector: 'keys',
  },
  {
    name: 'keyring_view_uids',
    help:
      'Uids whose reads of /proc/keys the scrape merged (result="read": the exporter itself, and in the all-users view every other uid /proc/key-users lists) ' +
      'and uids whose read failed (result="failed"; logged at debug level with why). view is the view the exporter reads with (what --view auto chose).',
    labels: ['view', 'result'],
    labelValues: { view: 'self, all-users', result: 'read, failed' },
    collector: 'keys',
  },
  {
    name: 'keyring_view_failed_uids',
    help:
      'Uids with keys the exporter cannot see that the scrape did not read as, by why: max_uids (beyond --collector.users.max-uids), ' +
      'credentials (the reader thread could not take the uid\'s: no CAP_SETUID and CAP_SETGID, or a system call filter), read (the read or the questions failed). 0 in the self view.',
    labels: ['reason'],
    labelValues: { reason: 'max_uids, credentials, read' },
    collector: 'keys',
  },
  {
    name: 'keyring_upcall_cache_keys',
    help:
      'Entries of the kernel\'s caches of upcall answers listed in /proc/keys, by type: dns_resolver (NFS, CIFS and AFS name lookups), id_resolver and id_legacy (NFSv4 ids), ' +
      'cifs.spnego and cifs.idmap (SMB), .request_key_auth (helpers running); 0 where none is listed.',
    labels: ['type'],
    labelValues: { type: UPCALL_TYPES.join(', ') },
    collector: 'keys',
  },
  {
    name: 'keyring_upcall_cache_failed_keys',
    help: 'Entries of an upcall cache that cache a failed lookup (negative keys, and dns_resolver keys holding a DNS error): lookups of those names fail at once until they expire.',
    labels: ['type'],
    labelValues: { type: UPCALL_TYPES.join(', ') },
    collector: 'keys',
  },
  {
    name: 'keyring_upcall_cache_permanent_keys',
    help: 'Entries of an upcall cache whose type should expire (dns_resolver, id_resolver, id_legacy, cifs.idmap) that never do: they never follow a change of what they cache.',
    labels: ['type'],
    labelValues: { type: UPCALL_TYPES.join(', ') },
    collector: 'keys',
  },
  {
    name: 'keyring_upcall_cache_oldest_seen_seconds',
    help:
      'serve: seconds since the exporter first saw the oldest entry of an upcall cache still listed (the kernel shows no creation time), for the types that have entries. ' +
      'Not exported by the metrics command, which sees each entry once.',
    labels: ['type'],
    labelValues: { type: UPCALL_TYPES.join(', ') },
    collector: 'keys',
  },
  {
    name: 'keyring_user_processless_keys',
    help:
      'Keys /proc/key-users counts for a uid that runs no process (left behind after logout), but for its user and user-session keyrings, which the kernel keeps after every logout; ' +
      '0 for a uid that runs one or left nothing else; root and the exporter\'s own uid are not asked about. ' +
      'No series where processes cannot be seen (a captured folder).',
    labels: ['uid'],
    labelValues: { uid: UID },
    collector: 'keys',
  },
  {
    name: 'keyring_kerberos_caches',
    help: 'MIT Kerberos credential caches kept in keyrings (KEYRING: caches; one __krb5_princ__ key a cache) of a uid, from /proc/keys.',
    labels: ['uid'],
    labelValues: { uid: UID },
    collector: 'keys',
  },
  {
    name: 'keyring_kerberos_tgt_expiry_seconds',
    help: 'Seconds until the first of a uid\'s live Kerberos TGTs (krbtgt/REALM@REALM keys) ends, a lower bound (the kernel prints one truncated unit); the smallest for uid="other". No series for a uid without one.',
    labels: ['uid'],
    labelValues: { uid: UID },
    collector: 'keys',
  },
  {
    name: 'keyring_kerberos_expired_tickets',
    help: 'Kerberos tickets of a uid whose end passed that are still listed (dead keys, unlinked after kernel.keys.gc_delay).',
    labels: ['uid'],
    labelValues: { uid: UID },
    collector: 'keys',
  },
  {
    name: 'keyring_kerberos_bytes',
    help: 'Bytes a uid\'s Kerberos caches hold against its byte quota (the keys\' payloads and the collections\' links); compare with keyring_user_quota_bytes_limit.',
    labels: ['uid'],
    labelValues: { uid: UID },
    collector: 'keys',
  },
  { name: 'keyring_suspect_records', help: 'Records of /proc/keys that cannot be trusted as printed (forged lines, records /proc/key-users contradicts).', labels: [], labelValues: {}, collector: 'keys' },
  {
    name: 'keyring_records_confirmed',
    help: 'Whether the kernel confirmed the records of /proc/keys (KEYCTL_DESCRIBE of every serial): 1, or 0 when they were read from text alone (the keyctl bridge could not load or the kernel refused it).',
    labels: [],
    labelValues: {},
    collector: 'keys',
  },
  { name: 'keyring_unconfirmed_records', help: 'Records of /proc/keys the kernel did not confirm: keys that vanished or changed after the read, not counted.', labels: [], labelValues: {}, collector: 'keys' },
  { name: 'keyring_user_keys', help: 'Keys owned by a uid in any state, from /proc/key-users (nkeys).', labels: ['uid'], labelValues: { uid: UID }, collector: 'key_users' },
  { name: 'keyring_user_instantiated_keys', help: 'Instantiated keys owned by a uid, from /proc/key-users (nikeys).', labels: ['uid'], labelValues: { uid: UID }, collector: 'key_users' },
  { name: 'keyring_user_quota_keys', help: 'Keys charged to the key quota of a uid, from /proc/key-users (qnkeys).', labels: ['uid'], labelValues: { uid: UID }, collector: 'key_users' },
  {
    name: 'keyring_user_quota_keys_limit',
    help: 'The key quota that applies to a uid (root_maxkeys for global root, else maxkeys); the sum of the folded uids\' quotas for uid="other".',
    labels: ['uid'],
    labelValues: { uid: UID },
    collector: 'key_users',
  },
  { name: 'keyring_user_quota_bytes', help: 'Bytes charged to the byte quota of a uid, from /proc/key-users (qnbytes).', labels: ['uid'], labelValues: { uid: UID }, collector: 'key_users' },
  {
    name: 'keyring_user_quota_bytes_limit',
    help: 'The byte quota that applies to a uid (root_maxbytes for global root, else maxbytes); the sum of the folded uids\' quotas for uid="other".',
    labels: ['uid'],
    labelValues: { uid: UID },
    collector: 'key_users',
  },
  { name: 'keyring_users', help: 'Uids listed in /proc/key-users, before the uid label is capped.', labels: [], labelValues: {}, collector: 'key_users' },
  { name: 'keyring_sysctl_maxkeys', help: 'kernel.keys.maxkeys: the key quota of each non-root uid.', labels: [], labelValues: {}, collector: 'sysctl' },
  { name: 'keyring_sysctl_maxbytes', help: 'kernel.keys.maxbytes: the byte quota of each non-root uid.', labels: [], labelValues: {}, collector: 'sysctl' },
  { name: 'keyring_sysctl_root_maxkeys', help: 'kernel.keys.root_maxkeys: the key quota of global root.', labels: [], labelValues: {}, collector: 'sysctl' },
  { name: 'keyring_sysctl_root_maxbytes', help: 'kernel.keys.root_maxbytes: the byte quota of global root.', labels: [], labelValues: {}, collector: 'sysctl' },
  { name: 'keyring_sysctl_gc_delay_seconds', help: 'kernel.keys.gc_delay: seconds dead keys stay linked before the garbage collector unlinks them.', labels: [], labelValues: {}, collector: 'sysctl' },
  {
    name: 'keyring_sysctl_persistent_keyring_expiry_seconds',
    help: 'kernel.keys.persistent_keyring_expiry: the timeout set on a persistent keyring by each KEYCTL_GET_PERSISTENT.',
    labels: [],
    labelValues: {},
    collector: 'sysctl',
  },
  {
    name: 'keyring_audit_findings',
    help: 'Findings of the audit checks (docs/checks.md), by check and severity; 0 for every enabled check and severity without one.',
    labels: ['check', 'severity'],
    labelValues: { check: 'the id of an audit check (docs/checks.md)', severity: SEVERITIES.join(', ') },
    collector: 'audit',
  },
  {
    name: 'keyring_trust_store_keys',
    help:
      "Keys a keyring of the kernel's trust store links directly (a blacklist's hashes and certificates included), by keyring and what it admits: " +
      'code (modules, kexec), files (IMA/EVM), blacklist (refused), other (another kernel keyring holding certificates). From KEYCTL_READ; the exporter must run as root to see them.',
    labels: ['keyring', 'role'],
    labelValues: { keyring: TRUST_KEYRING, role: 'code, files, blacklist, other' },
    collector: 'trust_store',
  },
  {
    name: 'keyring_trust_store_certificates',
    help: 'Asymmetric keys (X.509 certificates) a keyring of the kernel\'s trust store links directly, by keyring and what it admits.',
    labels: ['keyring', 'role'],
    labelValues: { keyring: TRUST_KEYRING, role: 'code, files, blacklist, other' },
    collector: 'trust_store',
  },
  {
    name: 'keyring_trust_store_certificate_info',
    help:
      `A constant 1 for each certificate in a keyring of the kernel's trust store, with the subject, key id (Subject Key Identifier) and algorithm the kernel gives it; ` +
      `at most ${MAX_CERTIFICATE_SERIES} a keyring (keyring_trust_store_certificates counts them all).`,
    labels: ['keyring', 'subject', 'key_id', 'algorithm'],
    labelValues: {
      keyring: TRUST_KEYRING,
      subject: 'the certificate\'s subject as the kernel describes it ("<O>: <CN>"), control characters escaped, at most 128 characters',
      key_id: 'lower-case hex, at most 128 digits, or "" when the kernel gave none',
      algorithm: 'the subtype /proc/keys prints (X509.rsa, X509.ecdsa-nist-p384, ...), or ""',
    },
    collector: 'trust_store',
  },
  { name: 'keyring_parse_issues', help: 'Problems found parsing the keys files (lines that could not be parsed, records the kernel did not confirm), by file.', labels: ['file'], labelValues: { file: 'keys, key-users, sys/kernel/keys' }, collector: 'exporter' },
  {
    name: 'keyring_scrape_collector_success',
    help: 'Whether a collector succeeded: 1, or 0 when its source could not be read or it failed.',
    labels: ['collector'],
    labelValues: { collector: COLLECTORS.join(', ') },
    collector: 'exporter',
  },
  { name: 'keyring_scrape_collector_duration_seconds', help: 'Seconds a collector took.', labels: ['collector'], labelValues: { collector: COLLECTORS.join(', ') }, collector: 'exporter' },
  {
    name: 'keyring_exporter_config_last_reload_successful',
    help: 'Whether the last (re)load of --config.file succeeded: 1, or 0 when the file was invalid and the previous configuration was kept.',
    labels: [],
    labelValues: {},
    collector: 'exporter',
  },
  {
    name: 'keyring_exporter_config_last_reload_success_timestamp_seconds',
    help: 'Unix time of the last successful (re)load of --config.file.',
    labels: [],
    labelValues: {},
    collector: 'exporter',
  },
  {
    name: 'keyring_exporter_web_config_last_reload_successful',
    help: 'serve: whether the last (re)load of --web.config.file (and the certificate and key it names) succeeded: 1, or 0 when it was invalid and the previous one was kept.',
    labels: [],
    labelValues: {},
    collector: 'exporter',
  },
  {
    name: 'keyring_exporter_web_config_last_reload_success_timestamp_seconds',
    help: 'serve: Unix time of the last successful (re)load of --web.config.file.',
    labels: [],
    labelValues: {},
    collector: 'exporter',
  },
  {
    name: 'keyring_exporter_build_info',
    help: 'A constant 1, with the version, revision and Node.js version of keyring-exporter.',
    labels: ['version', 'revision', 'nodejs_version'],
    labelValues: { version: 'the package version', revision: 'the git commit it was built from (recorded by npm run build; a container build takes it as --build-arg REVISION), or "unknown"', nodejs_version: 'process.version' },
    collector: 'exporter',
  },
];
