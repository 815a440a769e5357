/** What a failure cached by each upcall type breaks, and where its helper is set up: shared by the upcall checks. */
import type { UpcallType } from '../../classify/upcall-cache.js';

export const UPCALL_TEXT: Record<UpcallType, { breaks: string; helper: string; timeout: string }> = {
  dns_resolver: {
    breaks: 'NFS, CIFS and AFS mounts that look those names up fail at once, without asking DNS again (CIFS: mount error(126))',
    helper: 'the host\'s resolver, and key.dns_resolver (/etc/request-key.conf or /etc/request-key.d); root clears the kernel\'s cache with `keyctl clear %:.dns_resolver`',
    timeout:
      'key.dns_resolver sets an entry\'s expiry from the DNS record\'s TTL, or from default_ttl in /etc/keyutils/key.dns_resolver.conf: a handler that sets none ' +
      '(an old keyutils, or another handler in /etc/request-key.conf or /etc/request-key.d) keeps entries forever. Give it one, then clear the cache: `keyctl clear %:.dns_resolver` (root)',
  },
  id_resolver: {
    breaks: 'NFSv4 owners of those names show as nobody (4294967295 or 65534)',
    helper: 'nfsidmap (/etc/request-key.d/id_resolver.conf) and the NFSv4 domain in /etc/idmapd.conf; `nfsidmap -c` clears the cache',
    timeout: 'nfsidmap sets an entry\'s timeout with -t (`nfsidmap -t 600 %k %d` in /etc/request-key.d/id_resolver.conf); give it one, then `nfsidmap -c` clears the cache',
  },
  id_legacy: {
    breaks: 'NFSv4 owners of those names show as nobody (4294967295 or 65534)',
    helper: 'rpc.idmapd and the NFSv4 domain in /etc/idmapd.conf',
    timeout: 'the legacy idmapper\'s entries live fs.nfs.idmap_cache_timeout seconds: set it above 0 (`sysctl fs.nfs.idmap_cache_timeout=600`)',
  },
  'cifs.spnego': {
    breaks: 'Kerberos SMB mounts fail (mount error(126): Required key not available)',
    helper: 'cifs.upcall (/etc/request-key.d/cifs.spnego.conf) and the Kerberos tickets of the user who mounts (klist)',
    timeout: 'give its handler in /etc/request-key.d a timeout',
  },
  'cifs.idmap': {
    breaks: 'SMB owners and ACLs of those ids map to nobody',
    helper: 'cifs.idmap (/etc/request-key.d/cifs.idmap.conf) and the winbind or sssd plugin it uses',
    timeout: 'give its handler in /etc/request-key.d a timeout',
  },
  '.request_key_auth': {
    breaks: 'the lookups those helpers run for wait or fail',
    helper: 'the handlers in /etc/request-key.conf and /etc/request-key.d',
    timeout: 'an authorisation key lives only while its helper runs',
  },
};
