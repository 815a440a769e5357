/**
 * Hand-built /proc/keys lines with the kernel's answers about them, KEYCTL_READ of keyrings included: the
 * records and snapshot of a host whose keyrings the tests lay out. (Not a test file.)
 */
import type { KeyAnswer, KeyringMembers } from '../../src/parser/key-answer.js';
import { storedAnswers } from '../../src/parser/key-answer.js';
import { parseProcKeys } from '../../src/parser/proc-keys.js';
import type { Snapshot } from '../../src/parser/snapshot.js';
import { listTrustKeyrings } from '../../src/parser/trust-keyrings.js';
import { renderKeys, type LineFields } from './render-key-line.js';

/** A line and what the kernel answers about it; `members` for a keyring the kernel lists. */
export interface HeldKey extends LineFields {
  /** The description as the kernel holds it (the line's text without its summary). */
  description: string;
  members?: number[];
}

/** The answer KEYCTL_DESCRIBE gives about a key of the line. */
export function describedAs(k: HeldKey): KeyAnswer {
  return { serial: k.serial, errno: null, type: k.type ?? 'user', uid: k.uid ?? 1000, gid: k.gid ?? 1000, perm: Number.parseInt(k.perm ?? '3f010000', 16), description: k.description };
}

/** The snapshot parts the trust store is built from: records confirmed by the kernel, and its keyring lists. */
export function heldSnapshot(
  keys: HeldKey[],
  more: { answers?: KeyAnswer[]; lists?: KeyringMembers[] } = {},
): Pick<Snapshot, 'keys' | 'trustKeyrings' | 'confirmedBy'> {
  const lists: KeyringMembers[] = [...keys.filter((k) => k.members !== undefined).map((k) => ({ serial: k.serial, errno: null, members: k.members as number[] })), ...(more.lists ?? [])];
  const answers = storedAnswers('kernel', [...keys.map(describedAs), ...(more.answers ?? [])], lists);
  const { records, trustKeyrings: picked } = parseProcKeys(renderKeys(keys), answers);
  const trustKeyrings = listTrustKeyrings(picked, records, answers);
  return { keys: records, confirmedBy: 'kernel', ...(trustKeyrings !== null ? { trustKeyrings } : {}) };
}

/** A kernel keyring as certs/system_keyring.c makes one: not in quota, uid 0, perm 1f0b0000. */
export function kernelKeyring(serial: number, name: string, members: number[]): HeldKey {
  return { serial, flags: 'I------', perm: '1f0b0000', uid: 0, gid: 0, type: 'keyring', text: `${name}: ${members.length === 0 ? 'empty' : members.length}`, description: name, members };
}

/** An X.509 certificate the kernel holds as an asymmetric key named "<subject>: <key id>". */
export function certificate(serial: number, subject: string, keyId: string, uid = 0): HeldKey {
  const description = `${subject}: ${keyId}`;
  return { serial, flags: 'I------', perm: '1f010000', uid, gid: 0, type: 'asymmetric', text: `${description}: X509.rsa ${keyId.slice(-8)} []`, description };
}
