/**
 * Shell functions for a held session's script (held-session.ts) that make X.509 certificates with openssl, as
 * the kernel's trusted keyrings hold them (DER, for keyctl padd asymmetric), in a folder removed when the script
 * ends: `cert NAME SUBJECT` writes "$d/NAME"; `skid NAME` prints its Subject Key Identifier as the kernel's hex.
 */
export const CERTIFICATE_FUNCTIONS = [
  'd=$(mktemp -d) && trap \'rm -rf "$d"\' EXIT',
  'cert() { openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/k" -outform DER -out "$d/$1" -subj "$2" -days 2 2>/dev/null; }',
  'skid() { openssl x509 -inform DER -in "$d/$1" -noout -ext subjectKeyIdentifier | tail -1 | tr -d " :" | tr A-F a-f; }',
].join('\n');
