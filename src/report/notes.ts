/**
 * The sentences every output carries about what was read: how far the kernel confirmed the records, and which
 * keys the reader could see. Apart from the documents, so that `serve` can say them without loading the writers.
 */
import type { Inventory } from '../classify/inventory.js';
import { escapeByteString } from '../parser/byte-string.js';
import type { DocumentMeta } from './keys-document.js';

export const VISIBILITY_NOTE =
  '/proc/keys lists only the keys the reading process may view (view permission as possessor, owner, group or other); ' +
  'root has no exception, so other users\' session and user keyrings are usually missing. /proc/key-users counts every key of every uid.';

/** The same for --view all-users: every uid's view merged, which still leaves some keys out (measured, docs/user-guide.md). */
export const ALL_USERS_VISIBILITY_NOTE =
  '/proc/keys was read as every uid /proc/key-users lists (each with its primary group) and the reads merged: a key shows ' +
  'if one of them may view it as owner, group or other; keys only their possessor may view are still missing. /proc/key-users counts every key of every uid.';

/** The note that fits the view the files were read with. */
export function visibilityNote(coverage: DocumentMeta['coverage'] | undefined): string {
  return coverage?.view === 'all-users' ? ALL_USERS_VISIBILITY_NOTE : VISIBILITY_NOTE;
}

/** How far the kernel confirmed the records, in a sentence every output carries. */
export function confirmationNote(inv: Pick<Inventory, 'confirmedBy' | 'answersError' | 'unconfirmed'>): string {
  const vanished = inv.unconfirmed.length > 0 ? ` ${inv.unconfirmed.length} listed key${inv.unconfirmed.length > 1 ? 's' : ''} vanished or changed before the kernel was asked: not counted.` : '';
  if (inv.confirmedBy === 'kernel')
    return `Records confirmed by the kernel (KEYCTL_DESCRIBE of every serial): types, owners, perms and descriptions are as the kernel holds them; expired and revoked keys, which it does not describe, are as printed.${vanished}`;
  if (inv.confirmedBy === 'capture')
    return `Records confirmed by the kernel's answers stored in the capture when it was made.${vanished}`;
  const why = inv.answersError !== undefined ? ` (the kernel could not be asked: ${escapeByteString(inv.answersError)})` : ' (no kernel answers: a paste, or a capture made without them)';
  return `Records UNCONFIRMED: read from text alone${why}; a key description can forge records that text cannot tell apart, and suspect records are marked as far as text allows.`;
}
