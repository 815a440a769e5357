import type { Check } from '../check.js';
import type { Finding } from '../finding.js';
import { byUid, examples } from './key-groups.js';

export const upcallKeyNotKernelOwned: Check = {
  id: 'upcall_key_not_kernel_owned',
  severity: 'warning',
  rationale:
    'The NFS and SMB clients request id_resolver, id_legacy, cifs.spnego and cifs.idmap keys with credentials of their own, owned by root ' +
    '(fs/nfs/nfs4idmap.c, fs/smb/client/cifs_spnego.c): one owned by another uid was made by that uid with add_key or request_key, ' +
    'a forged answer or a misconfigured helper.',
  fix: 'Find what made them as that uid (`keyctl show @s`, `keyctl show @u`) and stop it; a kernel-made entry is owned by root.',
  run(ctx) {
    const findings: Finding[] = [];
    for (const c of ctx.inventory.upcall)
      for (const [uid, list] of byUid(c.notKernelOwned.filter((k) => !ctx.allowed(k))))
        findings.push({
          check: 'upcall_key_not_kernel_owned',
          severity: 'warning',
          uid,
          message: `uid ${uid} owns ${list.length} ${c.type} key${list.length === 1 ? '' : 's'} (${examples(list)}), a type the kernel makes for itself, owned by root`,
          remediation: `As uid ${uid}, \`keyctl show @s\` and \`keyctl show @u\` show where they are linked; find and stop what adds them (add_key or request_key of ${c.type}).`,
        });
    return findings;
  },
};
