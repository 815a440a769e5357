/** The buffer a large file is read into (procfs/seq-file-reader.ts FileBytes). */
import { describe, expect, it } from 'vitest';
import { FileBytes } from '../../src/procfs/seq-file-reader.js';

describe('FileBytes', () => {
  it('holds the parts appended, and grows past the size expected, keeping the bytes read', () => {
    const bytes = new FileBytes(4);
    const big = Buffer.alloc(40 * 1024 * 1024, 0x61);
    bytes.append(Buffer.from('head', 'latin1'));
    const first = bytes.view();
    bytes.append(big);
    const view = bytes.view();
    expect(first.toString('latin1')).toBe('head');
    expect(view.length).toBe(4 + big.length);
    expect(view.subarray(0, 5).toString('latin1')).toBe('heada');
    expect(view.buffer).not.toBe(first.buffer);
  });
});
