/** Kerberos caches per uid for people (the keys table and the audit text) and machines (the documents' JSON). */
import type { KerberosHoldings } from '../classify/kerberos.js';
import { within } from '../audit/checks/persistent-keyring-expiring.js';

/** One line per uid holding Kerberos caches; none when no uid does. */
export function formatKerberosLines(holdings: readonly KerberosHoldings[]): string[] {
  return holdings.map((h) => {
    const live = h.tickets.filter((t) => t.tgtRealm !== null && !t.expired && t.secondsLeft !== null);
    const first = live.reduce<(typeof live)[number] | null>((a, b) => (a === null || (b.secondsLeft ?? 0) < (a.secondsLeft ?? 0) ? b : a), null);
    const ends = first === null ? 'no live TGT' : `the first TGT ends ${within(first.secondsLeft ?? 0, first.maxSecondsLeft ?? first.secondsLeft ?? 0)}`;
    const expired = h.tickets.filter((t) => t.expired).length;
    return (
      `uid ${h.uid}: ${h.caches} cache${h.caches === 1 ? '' : 's'} in ${h.collections} collection${h.collections === 1 ? '' : 's'}, ` +
      `${h.tickets.length} ticket${h.tickets.length === 1 ? '' : 's'} (${live.length} live TGT${live.length === 1 ? '' : 's'}; ${ends}), ` +
      `${expired} expired, ${h.bytes} bytes of its quota`
    );
  });
}

/** The holdings as JSON: service principals are what the kernel lists as descriptions, so they are not repeated here. */
export function kerberosJson(holdings: readonly KerberosHoldings[]): object[] {
  return holdings.map((h) => ({
    uid: h.uid,
    collections: h.collections,
    caches: h.caches,
    bytes: h.bytes,
    tickets: h.tickets.map((t) => ({ serial: t.serial, tgtRealm: t.tgtRealm, secondsLeft: t.secondsLeft, maxSecondsLeft: t.maxSecondsLeft, expired: t.expired })),
  }));
}
