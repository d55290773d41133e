// Issue K: the LSM hooks' program view holds its program in a private field instead of a WeakMap
// entry per hook call (src/syscall/security.ts). What an LSM sees must not change: the same
// enumerable fields in the same order, plain data for JSON and spread, and a copy of a view
// shows no program to LsmKernel.
// spec: LSM-HOOK-1, HN-HOOK-2

import { describe, expect, it } from 'vitest';
import { BpfProg } from '../../src/syscall/objects/prog.js';
import { progOfView, progView } from '../../src/syscall/security.js';

describe('ProgView [LSM-HOOK-1] (issue K)', () => {
  it('fields, JSON and spread as a plain object; progOfView finds the program only for the view itself', () => {
    const prog = new BpfProg({ type: 1, expectedAttachType: 0, progFlags: 0, sleepable: false, insns: new Uint8Array(16) });
    prog.name = 'p';
    prog.digest = new Uint8Array(32).fill(0xab);
    const v = progView(prog);
    expect(Object.keys(v)).toEqual(['id', 'name', 'progType', 'insnCnt', 'sleepable', 'digest', 'usedMapIds', 'sig', 'security']);
    expect(v.digest).toBe('ab'.repeat(32));
    expect(v.insnCnt).toBe(2);
    expect(JSON.parse(JSON.stringify(v))).toEqual({ id: 0, name: 'p', progType: 1, insnCnt: 2, sleepable: false, digest: 'ab'.repeat(32), usedMapIds: [], sig: null, security: {} });
    expect(progOfView(v)).toBe(prog);
    expect(progOfView({ ...v })).toBeUndefined();
    expect(progOfView(progView(prog))).toBe(prog);
  });
});
