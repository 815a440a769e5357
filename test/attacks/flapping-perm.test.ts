/**
 * An attack beyond the briefed list: the flapping perm. Between the exporter's read of /proc/keys and its
 * KEYCTL_DESCRIBE of a key, the key's owner may have changed its perm: the line and the kernel's answer then
 * disagree. An owner who flips a world-readable secret between two world-readable perms (3f3f3f3f and
 * 3f3f3f3b), as fast as keyctl goes, makes that happen on most reads. The key is world-readable all along: it
 * must be listed, and reported critical, on every read.
 *
 * Uids 41780-41799.
 */
import { afterEach, describe, expect } from 'vitest';
import { auditJson, findingsOf, kernelKey, keysJson, lineSerials, show, startAttacker, stopAllAttackers } from '../helpers/attacker.js';
import { hasCommand, isRoot, itWith } from '../helpers/prerequisites.js';

const live = itWith([isRoot(), hasCommand('keyctl'), hasCommand('setpriv'), hasCommand('base64')]);
const UID = 41780 + (process.pid % 20);
const READS = 8;

afterEach(stopAllAttackers);

describe('attack: a world-readable key whose perm flaps between two world-readable values', () => {
  live(`the key is listed, with a critical permissive_key finding, on each of ${READS} reads`, async () => {
    const secret = `kre-flap-secret-${process.pid}`;
    const atk = await startAttacker(UID, [{ desc: secret, perm: 0x3f3f3f3f, flapPerm: 0x3f3f3f3b, payload: 'hunter2' }]);
    try {
      const key = atk.serials[0] as string;
      const k = kernelKey(key);
      expect([k.type, k.uid, show(k.description)]).toEqual(['user', UID, show(secret)]);
      expect(['3f3f3f3f', '3f3f3f3b']).toContain(k.perm);
      expect(lineSerials()).toContain(key);

      const misses: string[] = [];
      for (let i = 0; i < READS; i++) {
        const listed = keysJson().keys.filter((x) => x.serial === key).length;
        const doc = auditJson();
        const critical = findingsOf(doc).filter((f) => f.check === 'permissive_key' && f.serial === key && f.severity === 'critical').length;
        if (listed !== 1 || critical !== 1) {
          const issues = JSON.stringify((doc['issues'] as unknown[] | undefined)?.filter((x) => JSON.stringify(x).includes(key)) ?? []);
          misses.push(`read ${i + 1}: listed ${listed} times, ${critical} critical permissive_key findings; issues: ${issues.slice(0, 300)}`);
        }
      }
      expect(misses, `reads that missed the world-readable key ${key}`).toEqual([]);
    } finally {
      await atk.stop();
    }
  });
});
