/**
 * What a keyring holds, as the kernel says (issue 23: the trust store is the kernel's keyrings of certificates):
 * its members (KEYCTL_READ), each described (KEYCTL_DESCRIBE), a certificate with the identity the kernel gave
 * it. /proc/keys does not say which keyring links a key; only the kernel can.
 */
import type { KeyAnswer, KeyRefused } from '../parser/key-answer.js';
import { x509Identity, type X509Identity } from '../parser/x509-identity.js';
import type { Keyctl } from './keyctl.js';

export interface KeyringMember {
  serial: number;
  /** The kernel's description of the member, or why it gave none (EACCES: linked, but not viewable by the reader). */
  answer: KeyAnswer;
  /** An asymmetric key the kernel made from an X.509 certificate: its subject and key id; null otherwise. */
  x509: X509Identity | null;
}

export type KeyringContents = { serial: number; errno: null; members: KeyringMember[] } | KeyRefused;

export function keyringContents(keyctl: Pick<Keyctl, 'describe' | 'members'>, serial: number): KeyringContents {
  const listed = keyctl.members(serial);
  if (listed.errno !== null) return listed;
  const members = listed.members.map((m): KeyringMember => {
    const answer = keyctl.describe(m);
    return { serial: m, answer, x509: answer.errno === null && answer.type === 'asymmetric' ? x509Identity(answer.description) : null };
  });
  return { serial, errno: null, members };
}
