// Stage contracts of BPF_PROG_LOAD: each stage says what it needs, what it provides and whether it
// runs before or after the program is published; registering a profile checks the order; the runner
// owns cleanup (unwinding bpf_check's exit path, freeing or putting the program). A signature stage
// moved behind CO-RE still verifies the bytes the caller sent.
// spec: LOAD-19, LOAD-20, KP-LOAD-1..5, PROF-3, LT-LOAD-1.

import { describe, expect, it } from 'vitest';
import { Btf, BTF_INT_SIGNED } from '../../src/btf/btf.js';
import { BtfBuilder } from '../../src/btf/builder.js';
import { makeSigningIdentity } from '../../src/keys/make-cert.js';
import { KEY_SPEC_SESSION_KEYRING } from '../../src/keys/process-keyrings.js';
import { signPkcs7 } from '../../src/keys/sign.js';
import { BpfClient } from '../../src/loader/bpf.js';
import { Errno } from '../../src/syscall/errno.js';
import { Kernel } from '../../src/syscall/kernel.js';
import { loadStage, StageOrderError, validateStageOrder, type LoadStage } from '../../src/syscall/prog-load/index.js';
import { allProfiles, getProfile, registerProfile, withStages, type KernelProfile } from '../../src/syscall/profiles/index.js';
import { ProgType } from '../../src/syscall/uapi/consts.js';
import { setup } from '../support/kernel.js';

const V618 = getProfile('v6.18')!;
const ids = (p: KernelProfile) => p.progLoadStages.map((s) => s.id);

/** A copy of v6.18 with LOAD-9 taken out and put back after the stage `after`. */
function moveSignature(after: string, name: string): KernelProfile {
  return {
    ...withStages(V618, (st) => {
      const sig = st.find((s) => s.id === 'LOAD-9')!;
      const rest = st.filter((s) => s !== sig);
      rest.splice(rest.findIndex((s) => s.id === after) + 1, 0, sig);
      return rest;
    }),
    name,
  };
}

describe('stage contracts: the order is checked when a profile is registered', () => {
  it('every registered profile has a stage list that can run', () => {
    expect(allProfiles().length).toBeGreaterThanOrEqual(6);
    for (const p of allProfiles()) expect(() => validateStageOrder(p.name, p.progLoadStages), p.name).not.toThrow();
  });

  it('[LOAD-9][KP-LOAD-1] v6.18 runs the signature slot right after the copy (LOAD-8) and before security_bpf_prog_load', () => {
    const order = ids(V618);
    expect(order.indexOf('LOAD-9')).toBe(order.indexOf('LOAD-8') + 1);
    expect(order.indexOf('LOAD-9')).toBeLessThan(order.indexOf('LOAD-12'));
    expect(ids(getProfile('v6.17')!)).not.toContain('LOAD-9');
  });

  const broken: Array<[string, (st: LoadStage[]) => LoadStage[], RegExp]> = [
    ['a need nobody provided yet (signature before the copy)', (st) => [st[0]!, loadStage('LOAD-9'), ...st.slice(1).filter((s) => s.id !== 'LOAD-9')], /LOAD-9 needs 'prog'/],
    ['a before-publication stage after bpf_prog_alloc_id (the JIT after the id)', (st) => {
      const jit = st.find((s) => s.id === 'LOAD-14')!;
      const rest = st.filter((s) => s !== jit);
      rest.splice(rest.findIndex((s) => s.id === 'LOAD-15') + 1, 0, jit);
      return rest;
    }, /LOAD-14 must run before the program is published/],
    ['security_bpf_prog_load missing before publication', (st) => st.filter((s) => s.id !== 'LOAD-12'), /LOAD-15 needs 'lsm-blob'/],
    ['an after-publication stage before it (the LOAD audit record before the id exists)', (st) => {
      const audit = st.find((s) => s.id === 'LOAD-17')!;
      const rest = st.filter((s) => s !== audit);
      rest.splice(rest.findIndex((s) => s.id === 'LOAD-14'), 0, audit);
      return rest;
    }, /LOAD-17 needs 'id'/],
    ['bpf_check closed twice', (st) => [...st, st.find((s) => s.id === 'LOAD-13.exit')!], /appears twice/],
    ['bpf_check never closed', (st) => st.filter((s) => s.id !== 'LOAD-13.exit'), /LOAD-14 needs 'checked'/],
    ['a stage twice', (st) => [...st.slice(0, 9), st[8]!, ...st.slice(9)], /appears twice/],
    ['no publish stage', (st) => st.filter((s) => s.phase !== 'publish' && s.phase !== 'after'), /no stage that publishes/],
  ];
  it.each(broken)('refuses %s', (_what, edit, msg) => {
    const p = { ...withStages(V618, edit), name: 'broken-test-profile' };
    expect(() => registerProfile(p)).toThrow(StageOrderError);
    expect(() => registerProfile(p)).toThrow(msg);
    expect(getProfile('broken-test-profile')).toBeUndefined();
  });

  it('a bpf_check step outside bpf_check is refused', () => {
    const p = withStages(V618, (st) => {
      const cfg = st.find((s) => s.id === 'LOAD-13.cfg')!;
      const rest = st.filter((s) => s !== cfg);
      rest.splice(rest.findIndex((s) => s.id === 'LOAD-13.exit') + 1, 0, cfg);
      return rest;
    });
    expect(() => validateStageOrder('x', p.progLoadStages)).toThrow(/LOAD-13.cfg must run inside 'bpf_check'/);
  });
});

// A socket filter `r0 = 4; exit` whose immediate is a CO-RE field offset (task_struct.tgid): the
// check stage rewrites prog->insnsi in place (check_btf_info), so the bytes after it differ from the
// bytes the caller sent.
function coreProgram() {
  const b = new BtfBuilder();
  const int = b.int('int', 4, BTF_INT_SIGNED);
  const mainF = b.func('main', b.funcProto(int, []), 1);
  const task = b.struct('task_struct', 8, [{ name: 'pid', type: int, bitOffset: 0 }, { name: 'tgid', type: int, bitOffset: 32 }]);
  const acc = b.addStr('0:1');
  const btf = b.build();
  Btf.parse(btf);
  const insns = new Uint8Array(16);
  const dv = new DataView(insns.buffer);
  insns[0] = 0xb7; // r0 = imm
  dv.setInt32(4, 4, true);
  insns[8] = 0x95; // exit
  const func = new Uint8Array(8);
  new DataView(func.buffer).setUint32(4, mainF, true);
  const core = new Uint8Array(16);
  const cdv = new DataView(core.buffer);
  cdv.setUint32(4, task, true);
  cdv.setUint32(8, acc, true);
  cdv.setUint32(12, 0); // BPF_CORE_FIELD_BYTE_OFFSET
  return { btf, insns, func, core };
}

describe('a signature stage moved behind CO-RE still verifies the bytes the caller sent', () => {
  const LATE = moveSignature('LOAD-13.btf_info', 'v6.18-signature-after-core');
  registerProfile(LATE);

  it('the reordered profile runs the signature stage inside bpf_check, after check_btf_info', () => {
    const order = ids(LATE);
    expect(order.indexOf('LOAD-9')).toBe(order.indexOf('LOAD-13.btf_info') + 1);
  });

  it('[KP-ERR-9] the moved stage still runs: a signature by a key not in the keyring gives ENOKEY', () => {
    const other = makeSigningIdentity({ cn: 'not in any keyring' });
    const run = loadCoreWith(LATE, (_sig, orig) => signPkcs7(orig, { key: other.privateKey, cert: other.certDer }));
    expect(run.r.res.errno).toBe('ENOKEY');
  });

  it('[KP-LOAD-5] a signature over the original instructions verifies, although CO-RE rewrote prog->insnsi first', () => {
    const run = loadCoreWith(LATE, (sig, orig) => sig(orig));
    expect(run.r.res.ret, JSON.stringify(run.r.res)).toBeGreaterThan(0);
    const info = run.client.progGetInfo(run.r.res.ret, { fields: { xlated_prog_len: 16 }, bufs: { xlated_prog_insns: 16 } });
    expect(new DataView(info.out.xlated_prog_insns!.buffer, info.out.xlated_prog_insns!.byteOffset).getInt32(4, true)).toBe(1268);
    const verdict = run.kernel.trace.events.find((e) => e.kind === 'stage' && e.id === 'LOAD-9' && !e.enter && e.ret === 0);
    expect(verdict).toBeDefined();
  });

  it('[KP-LOAD-5] a signature over the CO-RE-relocated bytes is refused (EKEYREJECTED): the stage does not read the rewritten copy', () => {
    const run = loadCoreWith(LATE, (sig, _orig, relocated) => sig(relocated));
    expect(run.r.res.errno).toBe('EKEYREJECTED');
    // Refused inside bpf_check: its exit path ran (the program was freed, no id, no audit record).
    expect(run.kernel.audit.records.filter((x) => x.type === 'BPF')).toEqual([]);
    expect(run.kernel.progIdr.size).toBe(0);
  });

  it('[LOAD-19] a failure after publication is a put: the LOAD record is followed by an UNLOAD', () => {
    const { k, c } = setup('v6.18', { lsm: [{ name: 'deny-fd', hooks: { bpf_prog: () => -Errno.EPERM } }] });
    const res = c.progLoad({ progType: ProgType.BPF_PROG_TYPE_SOCKET_FILTER, insns: new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]) });
    expect(res.res.errno).toBe('EPERM');
    expect(k.audit.records.filter((x) => x.type === 'BPF').map((x) => x.body)).toEqual(['prog-id=1 op=LOAD', 'prog-id=1 op=UNLOAD']);
  });
});

/** Load the CO-RE program under `profile` with a fresh key in the session keyring; `sign` picks what to sign. */
function loadCoreWith(profile: KernelProfile, sign: (sig: (c: Uint8Array) => Uint8Array, orig: Uint8Array, relocated: Uint8Array) => Uint8Array) {
  const kernel = new Kernel({ profile });
  const proc = kernel.spawn({ comm: 'core_test' });
  const client = new BpfClient(proc);
  const id = makeSigningIdentity();
  expect(proc.addKey('asymmetric', 'core test key', id.certDer, KEY_SPEC_SESSION_KEYRING).ret).toBeGreaterThan(0);
  const prog = coreProgram();
  const btfFd = client.btfLoad(prog.btf).res.ret;
  expect(btfFd).toBeGreaterThan(0);
  // What CO-RE writes: tgid's offset in the built-in vmlinux task_struct (1268, as in btf-info.test.ts).
  const relocated = prog.insns.slice();
  new DataView(relocated.buffer).setInt32(4, 1268, true);
  const signature = sign((content) => signPkcs7(content, { key: id.privateKey, cert: id.certDer }), prog.insns, relocated);
  const r = client.progLoad({
    progType: ProgType.BPF_PROG_TYPE_SOCKET_FILTER,
    insns: prog.insns,
    name: 'core_signed',
    signature,
    keyringId: KEY_SPEC_SESSION_KEYRING,
    extra: {
      prog_btf_fd: btfFd,
      func_info: client.buf(prog.func, 'func_info'),
      func_info_cnt: 1,
      func_info_rec_size: 8,
      core_relos: client.buf(prog.core, 'core_relos'),
      core_relo_cnt: 1,
      core_relo_rec_size: 16,
    },
  });
  return { r, kernel, proc, client };
}
