// Policy LSMs by name (deny-unsigned, signature-audit) on v6.18: the LSM step of the false positive
// made real — the tampered skeleton passes a deciding LSM, which records a verified signature that
// the loader contradicts one syscall later.
// spec: LSM-BPF-6, CLAIM-13, LSM-KERN-2, AUD-FP-1, AUD-FP-2, KP-LSM-3, KP-META-2, LSM-STACK-1.

import { describe, expect, it } from 'vitest';
import { parseFields } from '../../src/audit/format.js';
import { makeSigningIdentity } from '../../src/keys/make-cert.js';
import { readExampleObject } from '../../src/loader/examples.js';
import { createLsms, LsmConfigError, lsmFactories } from '../../src/lsm/registry.js';
import { makeSkeleton, openObjectBytes } from '../../src/scenarios/make-skeleton.js';
import { runSkeleton } from '../../src/scenarios/skel-run.js';
import { defaultLsmFor } from '../../src/schemes/registry.js';
import { Errno } from '../../src/syscall/errno.js';
import type { HookEvent } from '../../src/syscall/trace.js';
import { ProgType } from '../../src/syscall/uapi/consts.js';
import { setup } from '../support/kernel.js';

const RET0 = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
const obj = openObjectBytes(readExampleObject('hello')!, 'hello.bpf.o');
const id = makeSigningIdentity({ cn: 'policies test' });
const signed = makeSkeleton(obj, { toolchain: 'bpftool-7.7', identity: id, name: obj.name }).skeleton;
const unsigned = makeSkeleton(obj, { toolchain: 'bpftool-7.7', name: obj.name }).skeleton;
const STACK = ['deny-unsigned', 'signature-audit'];
const run = (skel: typeof signed, extra: Parameters<typeof runSkeleton>[1] = {}) =>
  runSkeleton(skel, { profile: 'v6.18', lsm: STACK, certDer: id.certDer, keyring: 'session', ...extra });
const hooks = (r: ReturnType<typeof run>, hook: string) =>
  r.kernel.trace.events.filter((e): e is HookEvent => e.kind === 'hook' && e.hook === hook);
const beliefs = (r: ReturnType<typeof run>) => r.kernel.audit.records.filter((x) => x.type === 'BPF_LSM_ACCESS').map((x) => parseFields(x.body));

describe('named LSMs', () => {
  it('the registry knows the built-in policies; an unknown name is a configuration error naming the known ones', () => {
    expect(lsmFactories().map((f) => f.name)).toEqual(expect.arrayContaining(STACK));
    expect(() => createLsms(['nope'])).toThrow(LsmConfigError);
    expect(() => createLsms(['nope'])).toThrow(/unknown LSM 'nope' \(known: .*deny-unsigned/);
  });

  it('KP\'s scheme names its default stack; v6.17 (no signature field) only audits', () => {
    expect(defaultLsmFor('v6.18')).toEqual(STACK);
    expect(defaultLsmFor('v6.17')).toEqual(['signature-audit']);
  });

  it('[LSM-BPF-6][CLAIM-13] deny-unsigned: an unsigned userspace load is denied (EPERM from the hook); LSM-STACK-1 stops the chain there', () => {
    const { k, c } = setup('v6.18', { lsm: STACK });
    const r = c.progLoad({ progType: ProgType.BPF_PROG_TYPE_SOCKET_FILTER, insns: RET0 });
    expect(r.res.ret).toBe(-1);
    expect(r.res.errno).toBe('EPERM');
    const calls = k.trace.events.filter((e): e is HookEvent => e.kind === 'hook' && e.hook === 'bpf_prog_load');
    expect(calls.map((h) => [h.lsm, h.ret])).toEqual([['deny-unsigned', -Errno.EPERM]]);
    expect(k.audit.records.filter((x) => x.type === 'BPF')).toEqual([]);
  });

  it('[LSM-BPF-6] the unsigned skeleton is refused at its loader\'s BPF_PROG_LOAD', () => {
    const r = run(unsigned, { certDer: undefined, keyring: undefined });
    expect(r.result.err).toBe(-Errno.EPERM);
    expect(r.result.errstr).toBe('failed to load loader prog');
  });

  it('[LSM-KERN-2] the signed skeleton loads: its loader carries a signature, its inner load comes from the kernel', () => {
    const r = run(signed);
    expect(r.result.err).toBe(0);
    const inner = hooks(r, 'bpf_prog_load').filter((h) => h.args.kernel === true);
    expect(inner.length).toBeGreaterThan(0);
    expect(inner.every((h) => h.ret === 0)).toBe(true);
    expect(beliefs(r).map((b) => [b.prog, b.kernel, b.signature])).toEqual([
      ['__loader.prog', '0', 'verified'],
      ...inner.filter((h) => h.lsm === 'signature-audit').map((h) => [String(h.args.prog), '1', 'none']),
    ]);
  });

  it('[AUD-FP-1][AUD-FP-2][KP-META-2] the tampered skeleton passes the hook, signature-audit records a verified signature, the loader then contradicts it', () => {
    const r = run(signed, { tampers: [{ blob: 'data', offset: 100 }] });
    // (1)+(2) the signature passed and BPF_PROG_LOAD returned an fd
    const pl = r.result.calls.find((c) => c.step === 'prog_load')!;
    expect(pl.res.ret).toBeGreaterThan(0);
    // (3) the LSMs that decided allowed it
    const loaderHooks = hooks(r, 'bpf_prog_load').filter((h) => h.args.prog === '__loader.prog');
    expect(loaderHooks.map((h) => [h.lsm, h.ret])).toEqual([['deny-unsigned', 0], ['signature-audit', 0]]);
    // (4) the audit log says the signature was verified, in the PROG_LOAD event
    const belief = r.kernel.audit.records.find((x) => x.type === 'BPF_LSM_ACCESS' && parseFields(x.body).prog === '__loader.prog')!;
    expect(parseFields(belief.body)).toMatchObject({ signature: 'verified', kernel: '0', decision: 'allow' });
    const sc = r.kernel.audit.records.find((x) => x.type === 'SYSCALL' && x.serial === belief.serial)!;
    expect(parseFields(sc.body)).toMatchObject({ syscall: '321', a0: '5', success: 'yes' });
    // (5) one syscall later the loader rejects its metadata
    expect(r.result.loaderRetval).toBe(-Errno.EINVAL);
    expect(r.result.err).toBe(-Errno.EINVAL);
    expect(r.result.errstr).toBe('error returned by loader prog');
  });

  it('[LSM-BPF-7] modules of one\'s own mix with named ones, in lsm= order after capability', () => {
    const seen: string[] = [];
    const mine = { name: 'mine', hooks: { bpf_prog_load: () => (seen.push('mine'), 0) } };
    const { k, c } = setup('v6.18', { lsm: ['signature-audit', mine] });
    expect(k.lsm.order).toEqual(['capability', 'signature-audit', 'mine']);
    c.progLoad({ progType: ProgType.BPF_PROG_TYPE_SOCKET_FILTER, insns: RET0 });
    expect(seen).toEqual(['mine']);
  });
});

describe('verdict policies (signing.rst, Linux 7.3)', () => {
  it('[LT-LSM-3][LT-VERD-1] verdict-verified admits the loadtime skeleton and denies the unsigned one; signature-audit records the kernel\'s verdict', () => {
    const lt = makeSkeleton(obj, { toolchain: 'loadtime', identity: id, name: obj.name }).skeleton;
    const ltUnsigned = makeSkeleton(obj, { toolchain: 'loadtime', name: obj.name }).skeleton;
    const ok = runSkeleton(lt, { profile: 'v7.3', lsm: 'default', certDer: id.certDer, keyring: 'session' });
    expect(ok.lsm).toEqual(['verdict-verified', 'signature-audit']);
    expect(ok.result.err).toBe(0);
    const belief = beliefs(ok as ReturnType<typeof run>).find((b) => b.prog === '__loader.prog')!;
    expect(belief).toMatchObject({ signature: 'verified', basis: 'prog-aux-sig', verdict: 'BPF_SIG_VERIFIED', keyring_type: 'BPF_SIG_KEYRING_USER' });
    const denied = runSkeleton(ltUnsigned, { profile: 'v7.3', lsm: 'default' });
    expect(denied.result.err).toBe(-Errno.EPERM);
  });

  it('[LT-LSM-3] the verdict policies refuse to boot on a kernel without prog->aux->sig', () => {
    expect(() => setup('v6.18', { lsm: ['verdict-verified'] })).toThrow(/does not keep/);
  });
});
