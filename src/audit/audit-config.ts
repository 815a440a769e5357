import type { Severity } from './finding.js';
import type { TrustStoreBaseline } from './trust-store-baseline.js';

/** A certificate the kernel should not trust (expired, revoked): by key id, subject, or both. */
export interface DistrustedCertificate {
  keyId: string | null;
  subject: string | null;
  reason: string;
  severity: Severity;
}

/**
 * What the audit can be told: thresholds, checks switched off, allow-lists. Every default here is what a
 * clean, ordinary host passes without a warning (issue 3); `--config.file` overrides them (cli/).
 */
export interface AuditConfig {
  /** Check ids switched off. */
  disabled: string[];
  quota: {
    /** qnkeys/maxkeys or qnbytes/maxbytes at or above this ratio: warning. */
    warningRatio: number;
    /** ... at or above this: critical. */
    criticalRatio: number;
  };
  limits: {
    /** What container hosts set (Docker's daemon/keys.go, kubelet): root_maxkeys, root_maxbytes. */
    rootMaxkeys: number;
    rootMaxbytes: number;
    /** Rootless and user-namespaced runtimes need the per-user limits raised too (kind, podman docs). */
    maxkeys: number;
    maxbytes: number;
  };
  sessions: {
    /** Session keyrings of one uid above this share of its key quota: a leak. */
    quotaShare: number;
    /** ... or above this count, whatever the quota. */
    maxCount: number;
  };
  persistent: {
    /** A persistent keyring holding keys that expires within this many seconds. */
    expiringWithinSeconds: number;
  };
  allow: {
    /** Uids whose keys no check reports. */
    uids: number[];
    /** Key types no check reports (full names, e.g. "asymmetric"). */
    types: string[];
    /** Descriptions no check reports, as globs (* any run of characters, ? one character). */
    descriptions: string[];
  };
  kerberos: {
    /** A TGT that ends within this many seconds: a warning. */
    tgtExpiringWithinSeconds: number;
    /** More Kerberos caches than this held by one uid: a warning. */
    maxCaches: number;
    /** Kerberos keys holding this share of a uid's byte quota or more: a warning. */
    quotaShare: number;
  };
  secrets: {
    /** A disk passphrase systemd caches for longer than this many seconds (its own timeout is 150): a warning. */
    passphraseMaxSeconds: number;
  };
  upcall: {
    /** Entries of one upcall cache type that cache a failure, from this many on: a warning. */
    failedMin: number;
  };
  trustStore: {
    /** The trust store saved by `trust-store --save`, read from the file the configuration names; null: none. */
    baseline: { path: string; saved: TrustStoreBaseline } | null;
    distrusted: DistrustedCertificate[];
  };
}

export const DEFAULT_AUDIT_CONFIG: AuditConfig = {
  disabled: [],
  quota: { warningRatio: 0.8, criticalRatio: 0.95 },
  limits: { rootMaxkeys: 1_000_000, rootMaxbytes: 25_000_000, maxkeys: 20_000, maxbytes: 500_000 },
  sessions: { quotaShare: 0.25, maxCount: 10_000 },
  persistent: { expiringWithinSeconds: 12 * 3600 },
  allow: { uids: [], types: [], descriptions: [] },
  kerberos: { tgtExpiringWithinSeconds: 3600, maxCaches: 5, quotaShare: 0.5 },
  secrets: { passphraseMaxSeconds: 150 },
  upcall: { failedMin: 20 },
  trustStore: { baseline: null, distrusted: [] },
};
