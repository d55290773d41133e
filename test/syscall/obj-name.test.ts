// bpf_obj_name_cpy (MC-*, LOAD-11): the table lookup gives what a per-character check gives, for
// every byte value at the first, a middle and the last position, with and without a NUL.

import { describe, expect, it } from 'vitest';
import { bpfObjNameCpy } from '../../src/syscall/commands/map_create.js';
import { Errno } from '../../src/syscall/errno.js';

/** The rule spelled out one character at a time. */
function reference(raw: Uint8Array): string | number {
  let name = '';
  for (let i = 0; i < 16; i++) {
    const c = raw[i]!;
    if (c === 0) return name;
    const ch = String.fromCharCode(c);
    if (!/[A-Za-z0-9_.]/.test(ch)) return -Errno.EINVAL;
    name += ch;
  }
  return -Errno.EINVAL;
}

describe('bpf_obj_name_cpy [LOAD-11] (issue K)', () => {
  it('agrees with the per-character rule for every byte at positions 0, 7 and 15', () => {
    for (const at of [0, 7, 15]) {
      for (let b = 0; b < 256; b++) {
        const raw = new Uint8Array(16).fill(0x61, 0, 15); // 'a' × 15, then NUL
        raw[at] = b;
        expect(bpfObjNameCpy(raw), `byte ${b} at ${at}`).toEqual(reference(raw));
        const full = raw.slice();
        full[15] = at === 15 ? b : 0x62; // no NUL unless b is one
        expect(bpfObjNameCpy(full), `byte ${b} at ${at}, no NUL`).toEqual(reference(full));
      }
    }
    expect(bpfObjNameCpy(new Uint8Array(16))).toBe('');
    expect(bpfObjNameCpy(Uint8Array.from([0x6d, 0x2e, 0x5f, 0x39, 0]))).toBe('m._9');
    expect(bpfObjNameCpy(new Uint8Array(4).fill(0x61))).toBe(-Errno.EINVAL); // shorter than 16, no NUL
  });
});
