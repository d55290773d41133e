// BPF_PROG_LOAD: the stage order of bpf_prog_load() in v6.18, the check stage, ids, audit and the
// LSM hooks. spec: LOAD-1..20, CAP-1..4, DIG-1..4, EXCL-4, OBS-LOAD-1..5, OBS-EXCL-1..5.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatAuditd } from '../../src/audit/format.js';
import { policyModule } from '../../src/lsm/policy.js';
import { Errno } from '../../src/syscall/errno.js';
import { ProgFlag, ProgType } from '../../src/syscall/uapi/consts.js';
import { encodeInsns, insn, type BpfInsn } from '../../src/vm/insn.js';
import { arrayMap, setup } from '../support/kernel.js';

const bytes = (...i: BpfInsn[]) => encodeInsns(i);
const MOV_R0_0 = insn(0xb7, 0, 0, 0, 0);
const EXIT = insn(0x95);
const RET0 = bytes(MOV_R0_0, EXIT);
/** lddw r1, map (BPF_PSEUDO_MAP_FD = 1) */
const ldMapFd = (fd: number): BpfInsn[] => [insn(0x18, 1, 1, 0, fd), insn(0, 0, 0, 0, 0)];
const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
const SOCKET_FILTER = ProgType.BPF_PROG_TYPE_SOCKET_FILTER;
const SYSCALL = ProgType.BPF_PROG_TYPE_SYSCALL;

const stageIds = (k: ReturnType<typeof setup>['k']) => k.trace.events.filter((e) => e.kind === 'stage').map((e) => (e.kind === 'stage' ? e.id : ''));

describe('bpf_prog_load: a successful load', () => {
  it('[LOAD-15][LOAD-17][LOAD-18] id, AUDIT_BPF LOAD, security_bpf_prog, fd; [AUD-BPF-2] UNLOAD at the last close', () => {
    const { k, p, c } = setup();
    const r = c.progLoad({ progType: SOCKET_FILTER, insns: RET0, name: 'ret0' });
    expect(r.res.ret).toBe(3);
    expect(p.fds.get(3)?.kind).toBe('bpf-prog');
    expect(k.trace.hooks('bpf_prog_load')).toMatchObject([{ ret: 0, args: { prog: 'ret0', kernel: false } }]);
    expect(k.trace.hooks('bpf_prog')).toHaveLength(1);
    expect(formatAuditd(k.audit.records).filter((l) => l.startsWith('type=BPF'))).toEqual([expect.stringMatching(/prog-id=1 op=LOAD$/)]);
    expect(p.close(3).ret).toBe(0);
    expect(formatAuditd(k.audit.records).filter((l) => l.startsWith('type=BPF'))).toEqual([
      expect.stringMatching(/prog-id=1 op=LOAD$/),
      expect.stringMatching(/prog-id=1 op=UNLOAD$/),
    ]);
    expect(k.progIdr.size).toBe(0);
  });

  it('[LOAD-15] ids are cyclic: a freed id is not reused before the range wraps', () => {
    const { p, c } = setup();
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const fd = c.progLoad({ progType: SOCKET_FILTER, insns: RET0 }).res.ret;
      ids.push(Number(c.progGetInfo(fd).info.id));
      p.close(fd);
    }
    expect(ids).toEqual([1, 2, 3]);
  });

  it('[LOAD-11] prog_name is validated like map names: a bad character gives EINVAL', () => {
    const { c } = setup();
    expect(c.progLoad({ progType: SOCKET_FILTER, insns: RET0, name: 'bad-name' }).res.errno).toBe('EINVAL');
    expect(c.progLoad({ progType: SOCKET_FILTER, insns: RET0, name: 'good_name.1' }).res.ret).toBeGreaterThan(0);
  });
});

describe('bpf_prog_load: the early checks (LOAD-1..8)', () => {
  it('[OBS-LOAD-1][SYS-1] a non-zero byte past the union gives E2BIG before anything else', () => {
    const { c } = setup();
    expect(c.progLoad({ progType: 0x7fff, insns: RET0, attrSize: 176 }).res.errno).toBe('EINVAL'); // zero tail: the bad type decides
    const { p: p2 } = setup();
    const attr = new Uint8Array(176);
    attr[170] = 1;
    expect(p2.bpf(5, p2.alloc(attr), 176).errno).toBe('E2BIG');
  });

  it('[LOAD-2] an unknown prog_flags bit gives EINVAL', () => {
    const { c } = setup();
    expect(c.progLoad({ progType: SOCKET_FILTER, insns: RET0, progFlags: 1 << 20 }).res.errno).toBe('EINVAL');
  });

  it('[CAP-2] insn_cnt 0 gives E2BIG', () => {
    const { c } = setup();
    expect(c.progLoad({ progType: SOCKET_FILTER, insns: new Uint8Array(0) }).res.errno).toBe('E2BIG');
  });

  it('[CAP-3] a SYSCALL program needs CAP_BPF; SOCKET_FILTER does not when unprivileged BPF is enabled', () => {
    const { c } = setup('v6.18', { uid: 1000, unprivilegedBpfDisabled: 0 });
    expect(c.progLoad({ progType: SYSCALL, insns: RET0, progFlags: ProgFlag.BPF_F_SLEEPABLE }).res.errno).toBe('EPERM');
    expect(c.progLoad({ progType: SOCKET_FILTER, insns: RET0 }).res.ret).toBeGreaterThan(0);
    const strict = setup('v6.18', { uid: 1000 });
    expect(strict.c.progLoad({ progType: SOCKET_FILTER, insns: RET0 }).res.errno).toBe('EPERM');
  });

  it('[LOAD-8] an unreadable insns or license pointer gives EFAULT', () => {
    const { c } = setup();
    expect(c.progLoad({ progType: SOCKET_FILTER, insns: RET0, extra: { insns: 0x10n } }).res.errno).toBe('EFAULT');
    expect(c.progLoad({ progType: SOCKET_FILTER, insns: RET0, extra: { license: 0x10n } }).res.errno).toBe('EFAULT');
  });

  it('[LOAD-11] an unknown program type gives EINVAL (after the copies, before the LSM hook)', () => {
    const { k, c } = setup();
    expect(c.progLoad({ progType: 0x7fff, insns: RET0 }).res.errno).toBe('EINVAL');
    expect(k.trace.hooks('bpf_prog_load')).toHaveLength(0);
  });
});

describe('bpf_prog_load: the LSM hook and what comes after it', () => {
  it('[LOAD-12][LOAD-20] an LSM that denies: its errno, no id, no audit record, the hook saw kernel=false', () => {
    const deny = policyModule({ bpf_prog_load: () => -Errno.EPERM }, 'deny');
    const { k, c } = setup('v6.18', { lsm: [deny] });
    const r = c.progLoad({ progType: SOCKET_FILTER, insns: RET0 });
    expect(r.res.errno).toBe('EPERM');
    expect(k.trace.hooks('bpf_prog_load')).toMatchObject([{ lsm: 'deny', ret: -Errno.EPERM, args: { kernel: false } }]);
    expect(k.progIdr.size).toBe(0);
    expect(formatAuditd(k.audit.records).some((l) => l.startsWith('type=BPF'))).toBe(false);
  });

  it('[LOAD-20] a check-stage failure after the hook: the hook ran, no id, no audit, the LSM blob is freed', () => {
    const { k, c } = setup();
    const bad = bytes(insn(0xff), EXIT); // not an opcode
    const r = c.progLoad({ progType: SOCKET_FILTER, insns: bad, logLevel: 1, logSize: 4096 });
    expect(r.res.errno).toBe('EINVAL');
    expect(r.log).toContain('unknown opcode ff');
    expect(k.trace.hooks('bpf_prog_load')).toHaveLength(1);
    expect(k.trace.hooks('bpf_prog_free')).toHaveLength(1);
    expect(k.progIdr.size).toBe(0);
    expect(formatAuditd(k.audit.records).some((l) => l.startsWith('type=BPF'))).toBe(false);
  });

  it('[LOAD-0..18] the stages run in the order of spec 01 §5', () => {
    const { k, c } = setup();
    c.progLoad({ progType: SOCKET_FILTER, insns: RET0 });
    const order = stageIds(k).filter((id) => id.startsWith('LOAD-'));
    const nums = order.map((id) => Number(id.slice(5)));
    expect(nums).toEqual([...nums].sort((a, b) => a - b));
    expect(order).toEqual(expect.arrayContaining(['LOAD-12', 'LOAD-13', 'LOAD-15', 'LOAD-17', 'LOAD-18']));
  });
});

describe('the check stage (LOAD-13)', () => {
  it('[LOAD-13] structural checks: jump out of range, falling off the end, a split ld_imm64', () => {
    const { c } = setup();
    const load = (...i: BpfInsn[]) => c.progLoad({ progType: SOCKET_FILTER, insns: bytes(...i), logLevel: 1, logSize: 4096 });
    expect(load(insn(0x05, 0, 0, 5), MOV_R0_0, EXIT).res.errno).toBe('EINVAL');
    expect(load(MOV_R0_0).res.errno).toBe('EINVAL');
    expect(load(insn(0x18, 0, 0, 0, 1), EXIT).res.errno).toBe('EINVAL');
  });

  it('[LOAD-13] a helper the program type may not call: bpf_sys_bpf from a SOCKET_FILTER program', () => {
    const { c } = setup();
    const r = c.progLoad({ progType: SOCKET_FILTER, insns: bytes(insn(0x85, 0, 0, 0, 166), EXIT), logLevel: 1, logSize: 4096 });
    expect(r.res.errno).toBe('EINVAL');
    expect(r.log).toContain('program of this type cannot use helper bpf_sys_bpf#166');
  });

  it('[LOAD-13] an fd that is not a map in an ld_imm64 gives EBADF', () => {
    const { c } = setup();
    const r = c.progLoad({ progType: SOCKET_FILTER, insns: bytes(...ldMapFd(99), MOV_R0_0, EXIT), logLevel: 1, logSize: 4096 });
    expect(r.res.errno).toBe('EBADF');
    expect(r.log).toContain('fd 99 is not pointing to valid bpf_map');
  });

  it('[LOAD-13] the verifier log: ENOSPC when the buffer is too small (even over the verifier error), log_true_size says what was needed', () => {
    const { c } = setup();
    const bad = bytes(insn(0x85, 0, 0, 0, 166), EXIT);
    const full = c.progLoad({ progType: SOCKET_FILTER, insns: bad, logLevel: 1, logSize: 4096 });
    const small = c.progLoad({ progType: SOCKET_FILTER, insns: bad, logLevel: 1, logSize: 8 });
    // OBSERVED on 6.18.44 (log_size_16_bad_opcode): a log that did not fit replaces the verifier's own error.
    expect(full.res.errno).toBe('EINVAL');
    expect(small.res.errno).toBe('ENOSPC');
    expect(small.logTrueSize).toBe(full.logTrueSize);
    expect(full.logTrueSize).toBe(full.log.length + 1);
    // log_level 1 is a rotating log: what fits of the end is kept (BPF_LOG_FIXED keeps the start).
    expect(small.log).toBe(full.log.slice(-7));
    const fixed = c.progLoad({ progType: SOCKET_FILTER, insns: bad, logLevel: 1 | 8, logSize: 8 });
    expect(fixed.log).toBe(full.log.slice(0, 7));
  });

  it('[CAP-4] reading struct bpf_map needs CAP_PERFMON or CAP_SYS_ADMIN', () => {
    const prog = (fd: number) => bytes(...ldMapFd(fd), insn(0x79, 0, 1, 0, 0), EXIT); // r0 = *(u64 *)(r1 + 0)
    const withPerfmon = setup('v6.18', { caps: ['CAP_BPF', 'CAP_PERFMON'] });
    const fd1 = arrayMap(withPerfmon.c);
    expect(withPerfmon.c.progLoad({ progType: SYSCALL, insns: prog(fd1), progFlags: ProgFlag.BPF_F_SLEEPABLE }).res.ret).toBeGreaterThan(0);
    const bpfOnly = setup('v6.18', { caps: ['CAP_BPF'] });
    const fd2 = arrayMap(bpfOnly.c);
    const r = bpfOnly.c.progLoad({ progType: SYSCALL, insns: prog(fd2), progFlags: ProgFlag.BPF_F_SLEEPABLE, logLevel: 1, logSize: 4096 });
    expect(r.res.errno).toBe('EACCES');
    expect(r.log).toContain("'struct bpf_map' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN");
  });
});

describe('program digest and exclusive maps', () => {
  it('[DIG-2][OBS-EXCL-4][OBS-EXCL-5] the tag is SHA-256 of the insns with the map fd immediate zeroed (the real 6.18.44 kernel gave 0bd0168676c7c779)', () => {
    const { c } = setup();
    const fd = arrayMap(c, 8, 2, 'm1');
    const insns = bytes(...ldMapFd(fd), MOV_R0_0, EXIT);
    const pfd = c.progLoad({ progType: SOCKET_FILTER, insns }).res.ret;
    const tag = c.progGetInfo(pfd).info.tag as string;
    const zeroed = bytes(...ldMapFd(0), MOV_R0_0, EXIT);
    expect(Buffer.from(sha256(zeroed).subarray(0, 8)).toString('hex')).toBe('0bd0168676c7c779');
    expect(tag).toBe('0bd0168676c7c779');
  });

  it('[V617-4] v6.17: the tag is the first 8 bytes of SHA-1', () => {
    const { c } = setup('v6.17');
    const pfd = c.progLoad({ progType: SOCKET_FILTER, insns: RET0 }).res.ret;
    const sha1 = createHash('sha1').update(RET0).digest().subarray(0, 8).toString('hex');
    expect(c.progGetInfo(pfd).info.tag).toBe(sha1);
  });

  it('[EXCL-4][OBS-EXCL-1] an exclusive map accepts the program whose digest it holds (twice) and refuses another with EACCES and the log line', () => {
    const { c } = setup();
    const prog = (fd: number, r0: number) => bytes(...ldMapFd(fd), insn(0xb7, 0, 0, 0, r0), EXIT);
    const digest = sha256(prog(0, 1));
    const fd = c.mapCreate({ mapType: 2, keySize: 4, valueSize: 8, maxEntries: 1, exclProgHash: digest }).ret;
    expect(c.progLoad({ progType: SOCKET_FILTER, insns: prog(fd, 1) }).res.ret).toBeGreaterThan(0);
    expect(c.progLoad({ progType: SOCKET_FILTER, insns: prog(fd, 1) }).res.ret).toBeGreaterThan(0);
    const other = c.progLoad({ progType: SOCKET_FILTER, insns: prog(fd, 2), logLevel: 1, logSize: 4096 });
    expect(other.res.errno).toBe('EACCES');
    expect(other.log).toContain("program's hash doesn't match map's excl_prog_hash");
  });

  it('[OBS-EXCL-4] hashing the insns as sent (fd immediate not zeroed) does not match: EACCES', () => {
    const { c } = setup();
    const fd = c.mapCreate({ mapType: 2, keySize: 4, valueSize: 8, maxEntries: 1, exclProgHash: new Uint8Array(32) }).ret;
    const insns = bytes(...ldMapFd(fd), MOV_R0_0, EXIT);
    const fd2 = c.mapCreate({ mapType: 2, keySize: 4, valueSize: 8, maxEntries: 1, exclProgHash: sha256(insns) }).ret;
    const asSent = bytes(...ldMapFd(fd2), MOV_R0_0, EXIT);
    expect(c.progLoad({ progType: SOCKET_FILTER, insns: asSent }).res.errno).toBe('EACCES');
    expect(fd).toBeGreaterThan(0);
  });
});

describe("the verifier log text (OBSERVED on this machine's 6.18.44 kernel at log_level 1)", () => {
  const STATS = (n: number) => `processed ${n} insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n`;
  const cases: [string, BpfInsn[], string | null, string][] = [
    ['r0 = 0; exit', [MOV_R0_0, EXIT], null, STATS(2)],
    ['a branch on r1, both ways walked', [MOV_R0_0, insn(0x15, 1, 0, 1, 0), insn(0xb7, 0, 0, 0, 1), EXIT], null, STATS(5)],
    ['an unknown opcode', [insn(0xff), EXIT], 'EINVAL', 'unknown opcode ff\n' + STATS(0)],
    ['falling off the end', [MOV_R0_0], 'EINVAL', 'last insn is not an exit or jmp\n' + STATS(0)],
    ['a jump out of range', [insn(0x05, 0, 0, 5), MOV_R0_0, EXIT], 'EINVAL', 'jump out of range from insn 0 to 6\n' + STATS(0)],
  ];
  it.each(cases)('[LOAD-13][PINFO-5] %s', (_name, prog, errno, log) => {
    const { c } = setup();
    const r = c.progLoad({ progType: SOCKET_FILTER, insns: bytes(...prog), logLevel: 1, logSize: 4096 });
    expect(r.res.errno).toBe(errno);
    expect(r.log).toBe(log);
  });

  it('[LOAD-13] exit with R0 never written: EACCES "R0 !read_ok" (the kernel also prints the path it walked)', () => {
    const { c } = setup();
    const r = c.progLoad({ progType: SOCKET_FILTER, insns: bytes(EXIT), logLevel: 1, logSize: 4096 });
    expect(r.res.errno).toBe('EACCES');
    expect(r.log).toContain('R0 !read_ok\n' + STATS(1));
  });
});

describe('struct bpf_map as a program reads it', () => {
  // r1 = map (the fd is patched in); r0 = *(u32 *)(r1 + 32); exit — a SYSCALL program, as the loader reads map->sha.
  const prog = (fd: number) => bytes(...ldMapFd(fd), insn(0x61, 0, 1, 32, 0), EXIT);
  const run = (profile: string) => {
    const { c } = setup(profile);
    const fd = c.mapCreate({ mapType: 2, keySize: 4, valueSize: 8, maxEntries: 1, exclProgHash: sha256(prog(0)) }).ret;
    const pfd = c.progLoad({ progType: SYSCALL, insns: prog(fd), progFlags: ProgFlag.BPF_F_SLEEPABLE }).res.ret;
    expect(pfd).toBeGreaterThan(0);
    return c.progTestRun(pfd).retval;
  };
  it('[MHASH-9] v6.18.44 (observed kernel BTF): u32 excl at 32 is 1 for an exclusive map', () => {
    expect(run('v6.18.44')).toBe(1);
  });
  // Was: "offset 32 is the low half of the ops pointer" (the read ran and returned pointer bits). The real
  // 6.18.15 verifier refuses that read (OBS-DEB-32): btf_struct_access does not allow half a pointer member.
  it('[MHASH-8][OBS-DEB-32] v6.18 as released: offset 32 is inside the ops pointer, so the verifier refuses the u32 read (EACCES)', () => {
    const { c } = setup('v6.18');
    const fd = c.mapCreate({ mapType: 2, keySize: 4, valueSize: 8, maxEntries: 1, exclProgHash: sha256(prog(0)) }).ret;
    const r = c.progLoad({ progType: SYSCALL, insns: prog(fd), progFlags: ProgFlag.BPF_F_SLEEPABLE, logLevel: 1, logSize: 4096 });
    expect(r.res.errno).toBe('EACCES');
    expect(r.log).toContain('cannot access ptr member ops with moff 32 in struct bpf_map with off 32 size 4\n');
  });
});

describe('do_check stand-in: rules and the failing path in the log (OBSERVED on 6.18.44, prog_load_basic.json)', () => {
  const STATS = (n: number) => `processed ${n} insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n`;
  const load = (prog: BpfInsn[], o: { type?: number; license?: string; flags?: number } = {}) =>
    setup().c.progLoad({ progType: o.type ?? SOCKET_FILTER, insns: bytes(...prog), license: o.license ?? 'GPL', progFlags: o.flags ?? 0, logLevel: 1, logSize: 4096 });

  it('[LOAD-13] the path to the failing instruction, with a state note, then the message', () => {
    const r = load([insn(0xb7, 0, 0, 0, 1), insn(0x37, 0, 0, 0, 0), EXIT]); // r0 = 1; r0 /= 0; exit
    expect(r.res.errno).toBe('EINVAL');
    expect(r.log).toBe('0: R1=ctx() R10=fp0\n0: (b7) r0 = 1                        ; R0=1\n1: (37) r0 /= 0\ndiv by zero\n' + STATS(2));
  });

  it('[LOAD-13] reading a register never written: EACCES "R2 !read_ok"; writing the frame pointer: EACCES', () => {
    expect(load([insn(0xbf, 0, 2, 0, 0), EXIT]).log).toBe('0: R1=ctx() R10=fp0\n0: (bf) r0 = r2\nR2 !read_ok\n' + STATS(1));
    const fp = load([insn(0xb7, 10, 0, 0, 0), EXIT]);
    expect(fp.res.errno).toBe('EACCES');
    expect(fp.log).toContain('frame pointer is read only\n');
  });

  it('[LOAD-13] a GPL-only helper from a non-GPL program', () => {
    const r = load([insn(0x85, 0, 0, 0, 6), EXIT], { license: 'Proprietary' });
    expect(r.res.errno).toBe('EINVAL');
    expect(r.log).toBe('0: R1=ctx() R10=fp0\n0: (85) call bpf_trace_printk#6\ncannot call GPL-restricted function from non-GPL compatible program\n' + STATS(1));
  });

  it('[LOAD-13] a networking helper from a SYSCALL program', () => {
    const r = load([insn(0x85, 0, 0, 0, 26), EXIT], { type: SYSCALL, flags: ProgFlag.BPF_F_SLEEPABLE });
    expect(r.log).toContain('program of this type cannot use helper bpf_skb_load_bytes#26\n');
  });

  it('[LOAD-13] check_attach_btf_id: a SYSCALL program must be sleepable; check_cfg: unreachable instructions', () => {
    expect(load([MOV_R0_0, EXIT], { type: SYSCALL }).log).toBe('Syscall programs can only be sleepable\n' + STATS(0));
    expect(load([MOV_R0_0, EXIT, EXIT]).log).toBe('unreachable insn 2\n' + STATS(0));
  });

  it('[OBS-EXCL-1] the exclusive-map check comes before an unknown opcode later in the program', () => {
    const { c } = setup();
    const fd = c.mapCreate({ mapType: 2, keySize: 4, valueSize: 8, maxEntries: 1, exclProgHash: new Uint8Array(32) }).ret;
    const r = c.progLoad({ progType: SOCKET_FILTER, insns: bytes(...ldMapFd(fd), insn(0xff), EXIT), logLevel: 1, logSize: 4096 });
    expect(r.res.errno).toBe('EACCES');
    expect(r.log).toBe("program's hash doesn't match map's excl_prog_hash\n" + STATS(0));
  });
});
