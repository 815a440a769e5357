/**
 * The type column is printed `%-9.9s`: padded AND truncated to nine characters (security/keys/proc.c).
 * Known kernel key types whose names are longer than nine characters are restored here; the defining
 * source of each type is in kernel-format.md §1.9.
 */
export const KNOWN_KEY_TYPES = [
  'keyring', // security/keys/keyring.c
  'user', // security/keys/user_defined.c
  'logon', // security/keys/user_defined.c
  'big_key', // security/keys/big_key.c
  'asymmetric', // crypto/asymmetric_keys/asymmetric_type.c
  'encrypted', // security/keys/encrypted-keys/encrypted.c
  'trusted', // security/keys/trusted-keys/trusted_core.c
  '.request_key_auth', // security/keys/request_key_auth.c
  '.dead', // security/keys/gc.c (key_type_dead)
  'dead', // the same before CVE-2017-6951 renamed it
  'dns_resolver', // net/dns_resolver/dns_key.c
  'id_resolver', // fs/nfs/nfs4idmap.c
  'id_legacy', // fs/nfs/nfs4idmap.c
  'cifs.spnego', // fs/smb/client/cifs_spnego.c
  'cifs.idmap', // fs/smb/client/cifsacl.c
  'blacklist', // certs/blacklist.c
  '.fscrypt', // fs/crypto/keyring.c (per-user claim keys)
  'fscrypt', // fs/crypto/keyring.c (master keys, ~5.4-6.0)
  'fscrypt-provisioning', // fs/crypto/keyring.c
  'rxrpc', // net/rxrpc/key.c
  'rxrpc_s', // net/rxrpc/server_key.c
  'ceph', // net/ceph/crypto.c
  'psk', // drivers/nvme/common/keyring.c
  'dhchap', // drivers/nvme/common/auth.c
] as const;
export type KnownKeyType = (typeof KNOWN_KEY_TYPES)[number];

const BY_PRINTED = new Map<string, string>();
for (const t of KNOWN_KEY_TYPES) {
  const printed = t.slice(0, 9);
  if (!BY_PRINTED.has(printed)) BY_PRINTED.set(printed, t);
}

export interface DecodedKeyType {
  /** The nine characters as printed, trailing padding removed. */
  raw: string;
  /** The full type name when known (truncation undone), else `raw`. */
  name: string;
  known: boolean;
  /** True when `raw` fills all nine characters and the type is not known: the real name may be longer. */
  maybeTruncated: boolean;
}

/** `column` is exactly the nine characters of the type column. */
export function decodeKeyType(column: string): DecodedKeyType {
  let end = column.length;
  while (end > 0 && column.charCodeAt(end - 1) === 0x20) end--;
  const raw = column.slice(0, end);
  const name = BY_PRINTED.get(raw);
  if (name !== undefined) return { raw, name, known: true, maybeTruncated: false };
  return { raw, name: raw, known: false, maybeTruncated: raw.length === 9 };
}
