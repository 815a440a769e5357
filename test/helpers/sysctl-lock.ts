/**
 * Held (flock) by every test that lowers kernel.keys.persistent_keyring_expiry, for as long as it is lowered:
 * tests run in parallel, and one that saved the value while another had it lowered would restore the lowered one.
 */
export const PERSISTENT_EXPIRY_LOCK = '/tmp/keyring-exporter-tests-persistent-expiry.lock';
