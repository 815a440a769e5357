import { describe, expect, it } from 'vitest';
import { upcallFailedEntries as check } from '../../../src/audit/checks/upcall-failed-entries.js';
import { configWith, fixture, inventory, run, wellFormed, type LineFields } from './support.js';

const negative = (serial: number, name: string): LineFields => ({ serial, type: 'dns_resolver', uid: 0, gid: 0, perm: '3b010000', expiry: '1m', flags: 'I--Q-N-', text: name });

describe('upcall_failed_entries', () => {
  it('fires from failed_min entries of one type caching a failure, naming what breaks and where the helper is', () => {
    const keys = [negative(0x10, 'a.invalid'), negative(0x11, 'b.invalid'), { ...negative(0x12, 'c.example: -3'), flags: 'I--Q---', expiry: '5m' }, { ...negative(0x13, 'ok.example: 9'), flags: 'I--Q---' }];
    const findings = run(inventory(keys), check, configWith({ upcall: { failedMin: 3 } }));
    wellFormed(findings, check);
    expect(findings.map((f) => [f.severity, f.message])).toEqual([
      [
        'warning',
        '3 of the 4 dns_resolver entries cache a failed lookup ("a.invalid", "b.invalid", "c.example"): NFS, CIFS and AFS mounts that look those names up fail at once, without asking DNS again (CIFS: mount error(126)) until they expire',
      ],
    ]);
    expect(findings[0]?.remediation).toContain('keyctl clear %:.dns_resolver');
  });

  it('stays quiet below the threshold (default 20), and for allowed keys', async () => {
    expect(run(await fixture('key-types'), check)).toEqual([]);
    const keys = [negative(0x10, 'a.invalid'), negative(0x11, 'b.invalid')];
    expect(run(inventory(keys), check, configWith({ upcall: { failedMin: 3 } }))).toEqual([]);
    expect(run(inventory(keys), check, configWith({ upcall: { failedMin: 2 }, allow: { descriptions: ['*.invalid'] } }))).toEqual([]);
  });
});
