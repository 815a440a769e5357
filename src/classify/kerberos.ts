/**
 * MIT Kerberos credential caches kept in keyrings (krb5 src/lib/krb5/ccache/cc_keyring.c), per owner: a
 * collection keyring (`_krb` in a persistent keyring, `_krb_<name>` elsewhere) holding a `krb_ccache:primary`
 * key and one keyring per cache; each cache holds a `__krb5_princ__` key (the client principal, as payload), a
 * `__krb5_time_offsets__` key, `krb5_ccache_conf_data/...` keys, and one key per ticket named after its service
 * principal (`krbtgt/REALM@REALM` for a TGT), whose timeout, like the cache keyring's, is the ticket's end.
 *
 * Which keyring links which key is the possessor's to read (KEYCTL_READ needs read permission, which neither root
 * nor the owner has without possession): the keys are counted by owner, by name. A cache is its
 * `__krb5_princ__` key; a ticket is a user key named like a principal that holds a ticket's payload. Pure.
 */
import type { KeyRecord } from '../parser/key-record.js';
import type { InventoryKey } from './inventory.js';

/** A ticket's payload (an encoded krb5_creds, some 500 bytes and more); smaller user keys named like principals are not tickets. */
const MIN_TICKET_BYTES = 200;
const PRINCIPAL = /^[^\s@]+@[^\s@]+$/;
const TGT = /^krbtgt\/([^\s@/]+)@\1$/;

/** Whether a record is part of a Kerberos cache, decided from the record in hand (the record pass asks of each). */
export function isKerberosKey(k: Pick<KeyRecord, 'type' | 'description' | 'summary'>): boolean {
  const d = k.description;
  const c = d.charCodeAt(0);
  if (k.type.name === 'keyring') return c === 0x5f && (d === '_krb' || d.startsWith('_krb_'));
  if (k.type.name !== 'user') return false;
  if (c === 0x5f) return d === '__krb5_princ__' || d === '__krb5_time_offsets__';
  if (c === 0x6b && (d === 'krb_ccache:primary' || d.startsWith('krb5_ccache_conf_data/'))) return true;
  return k.summary?.kind === 'length' && k.summary.bytes >= MIN_TICKET_BYTES && PRINCIPAL.test(d);
}

export interface KerberosTicket {
  serial: string;
  /** The service principal the ticket is for. */
  principal: string;
  /** The realm of a TGT (`krbtgt/REALM@REALM`); null for a service ticket. */
  tgtRealm: string | null;
  /** Seconds until it ends, at least and at most (/proc/keys prints one truncated unit); null without a timeout. */
  secondsLeft: number | null;
  maxSecondsLeft: number | null;
  expired: boolean;
}

export interface KerberosHoldings {
  uid: number;
  collections: number;
  /** One `__krb5_princ__` key a cache. */
  caches: number;
  tickets: KerberosTicket[];
  /**
   * Bytes the keys hold against the uid's byte quota, as key_alloc() charges them: each key's description and its
   * NUL, and its payload (4 bytes a link for a keyring). Cache keyrings, named as their clients like, are not told.
   */
  bytes: number;
}

/** Kerberos keys by owner, uids in ascending order. */
export function kerberosHoldings(keys: readonly InventoryKey[]): KerberosHoldings[] {
  const byUid = new Map<number, KerberosHoldings>();
  for (const k of keys) {
    let h = byUid.get(k.uid);
    if (h === undefined) byUid.set(k.uid, (h = { uid: k.uid, collections: 0, caches: 0, tickets: [], bytes: 0 }));
    const s = k.summary;
    h.bytes += k.description.length + 1;
    if (k.type.name === 'keyring') {
      h.collections++;
      if (s?.kind === 'keyring') h.bytes += 4 * s.links;
      continue;
    }
    if (s?.kind === 'length') h.bytes += s.bytes;
    if (k.description === '__krb5_princ__') h.caches++;
    else if (PRINCIPAL.test(k.description) && !k.description.startsWith('krb5_ccache_conf_data/')) {
      const expired = k.state === 'expired' || k.expiry.kind === 'expd';
      h.tickets.push({
        serial: k.serial,
        principal: k.description,
        tgtRealm: TGT.exec(k.description)?.[1] ?? null,
        secondsLeft: expired ? 0 : k.expiry.seconds,
        maxSecondsLeft: expired ? 0 : k.expiry.maxSeconds,
        expired,
      });
    }
  }
  return [...byUid.values()].sort((a, b) => a.uid - b.uid);
}
