// Paul Moore's integrity-hook framework on a kernel that has it: bpf_prog_load_integrity runs inside
// security_bpf_prog_load before the bpf_prog_load hooks; an integrity LSM hands a verdict to the
// policy LSMs through security_bpf_prog_load_post_integrity; their answer propagates; on any error
// security_bpf_prog_free runs. spec: HN-HOOK-1, HN-HOOK-2, HN-VERD-1, LSM-STACK-6, LSM-HOOK-2.

import { describe, expect, it } from 'vitest';
import type { IntegrityVerdict, LsmModule } from '../../src/lsm/hooks.js';
import { LsmIntegrityVerdict } from '../../src/lsm/hooks.js';
import { getProfile, registerProfile, type KernelProfile } from '../../src/syscall/profiles/index.js';
import { Errno } from '../../src/syscall/errno.js';
import type { HookEvent } from '../../src/syscall/trace.js';
import { ProgType } from '../../src/syscall/uapi/consts.js';
import { setup } from '../support/kernel.js';

const RET0 = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
const WITH_HOOKS: KernelProfile = { ...getProfile('v6.18-stable')!, name: 'test-integrity-hooks', lsmIntegrityHooks: true };
registerProfile(WITH_HOOKS);

/** An integrity LSM that hands `verdict` on, and returns whatever the policy LSMs said. */
const integrity = (verdict: IntegrityVerdict): LsmModule => ({
  name: 'toy-integrity',
  hooks: { bpf_prog_load_integrity: (a) => a.postIntegrity({ name: 'toy-integrity', id: 999 }, verdict) },
});
/** A policy LSM that allows only OK verdicts and kernel loads (like IPE-4). */
const policy = (seen: string[]): LsmModule => ({
  name: 'toy-policy',
  hooks: {
    bpf_prog_load_post_integrity: (a) => (seen.push(`${a.lsmid.name}:${a.verdict}`), a.verdict === 'OK' || a.kernel ? 0 : -Errno.EACCES),
    bpf_prog_load: () => (seen.push('bpf_prog_load'), 0),
    bpf_prog_free: () => void seen.push('free'),
  },
});

const hookEvents = (k: ReturnType<typeof setup>['k']) =>
  k.trace.events.filter((e): e is HookEvent => e.kind === 'hook' && e.hook.startsWith('bpf_prog_load')).map((e) => [e.hook, e.lsm, e.ret, e.args.verdict ?? null]);

describe('integrity hooks (Paul Moore\'s framework)', () => {
  it('[HN-VERD-1] the verdict enum has the final values', () => {
    expect(LsmIntegrityVerdict).toEqual({ NONE: 0, OK: 1, UNSIGNED: 2, PARTIALSIG: 3, UNKNOWNKEY: 4, UNEXPECTED: 5, FAULT: 6, BADSIG: 7 });
  });

  it('[HN-HOOK-1][HN-HOOK-2] OK: the policy LSM sees the verdict, then the bpf_prog_load hooks run; the verdict is in the trace', () => {
    const seen: string[] = [];
    const { k, c } = setup('test-integrity-hooks', { lsm: [integrity('OK'), policy(seen)] });
    expect(c.progLoad({ progType: ProgType.BPF_PROG_TYPE_SOCKET_FILTER, insns: RET0 }).res.ret).toBeGreaterThan(0);
    expect(seen).toEqual(['toy-integrity:OK', 'bpf_prog_load']);
    expect(hookEvents(k)).toEqual([
      ['bpf_prog_load_post_integrity', 'toy-policy', 0, 'OK'],
      ['bpf_prog_load_integrity', 'toy-integrity', 0, null],
      ['bpf_prog_load', 'toy-policy', 0, null],
    ]);
  });

  it('[LSM-STACK-6][HN-HOOK-1] a policy LSM\'s refusal propagates out of the integrity hook: no bpf_prog_load hook, no id, security_bpf_prog_free', () => {
    const seen: string[] = [];
    const { k, c } = setup('test-integrity-hooks', { lsm: [integrity('UNSIGNED'), policy(seen)] });
    const r = c.progLoad({ progType: ProgType.BPF_PROG_TYPE_SOCKET_FILTER, insns: RET0 });
    expect(r.res.errno).toBe('EACCES');
    expect(seen).toEqual(['toy-integrity:UNSIGNED', 'free']);
    expect(hookEvents(k).map((h) => h[0])).not.toContain('bpf_prog_load');
    expect(k.audit.records.filter((x) => x.type === 'BPF')).toEqual([]);
  });

  it('[LSM-HOOK-2] a kernel without the framework never calls the integrity hooks', () => {
    const seen: string[] = [];
    const { c } = setup('v6.18-stable', { lsm: [integrity('UNSIGNED'), policy(seen)] });
    expect(c.progLoad({ progType: ProgType.BPF_PROG_TYPE_SOCKET_FILTER, insns: RET0 }).res.ret).toBeGreaterThan(0);
    expect(seen).toEqual(['bpf_prog_load']);
  });
});
