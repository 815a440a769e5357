/**
 * The identity the kernel gives an X.509 certificate it adds as an asymmetric key without a description of its
 * own, as every certificate in its trusted keyrings is (crypto/asymmetric_keys/x509_public_key.c
 * x509_key_preparse()): "<subject>: <id in hex>", the id being the Subject Key Identifier, or the serial number
 * of a certificate without one. The subject is "<O>: <CN>", the CN alone when it begins with the O's first 7
 * characters, or whichever of them the certificate has (x509_cert_parser.c x509_fabricate_name()), so it may hold
 * ": " itself: the id is what follows the last one.
 */
export interface X509Identity {
  subject: string;
  /** Lower-case hex, two digits a byte. */
  keyId: string;
}

/** The identity in an asymmetric key's description, or null when the description is not one the kernel made. */
export function x509Identity(description: string): X509Identity | null {
  const m = /^([^\n]+): ((?:[0-9a-f]{2})+)$/.exec(description);
  return m === null ? null : { subject: m[1] as string, keyId: m[2] as string };
}
