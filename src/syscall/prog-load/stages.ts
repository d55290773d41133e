// The stages of bpf_prog_load() every profile shares, each with its spec id and contract. The
// signature stages belong to the schemes (src/schemes/<name>/); bpf_check's stages are in check.ts.
// spec: LOAD-1..20, CAP-1..3, OBS-LOAD-1..5.

import { checkAttrFails } from '../attr.js';
import { Errno } from '../errno.js';
import { BpfProg } from '../objects/prog.js';
import { NotEmulated } from '../result.js';
import { bpfTokenCapable, securityBpfProgLoad } from '../security.js';
import { copyFromBpfPtr, strncpyFromBpfPtr } from '../uaccess.js';
import { BpfCmd, Limits, ProgFlag, ProgType, progTypeName } from '../uapi/consts.js';
import { bpfObjNameCpy } from '../commands/map_create.js';
import { btfGetByFd } from '../commands/fdget.js';
import { registerLoadStage } from './load.js';
import { bpfAuditProg, bpfProgNewFd } from './prog-fd.js';
import { NET_ADMIN_TYPES, PERFMON_TYPES, UNPRIVILEGED_TYPES, progTypeExists } from './prog-types.js';


/** Program types that attach by a BTF id (bpf_prog_load_check_attach). */
const BTF_ID_TYPES: ReadonlySet<number> = new Set([
  ProgType.BPF_PROG_TYPE_TRACING,
  ProgType.BPF_PROG_TYPE_LSM,
  ProgType.BPF_PROG_TYPE_STRUCT_OPS,
  ProgType.BPF_PROG_TYPE_EXT,
]);

/** The prog_flags bits bpf_prog_load accepts (everything else → EINVAL, LOAD-2). */
const PROG_FLAGS_MASK =
  ProgFlag.BPF_F_STRICT_ALIGNMENT |
  ProgFlag.BPF_F_ANY_ALIGNMENT |
  ProgFlag.BPF_F_TEST_STATE_FREQ |
  ProgFlag.BPF_F_SLEEPABLE |
  ProgFlag.BPF_F_TEST_RND_HI32 |
  ProgFlag.BPF_F_XDP_HAS_FRAGS |
  ProgFlag.BPF_F_XDP_DEV_BOUND_ONLY |
  ProgFlag.BPF_F_TEST_REG_INVARIANTS |
  ProgFlag.BPF_F_TOKEN_FD;

/** license_is_gpl_compatible (include/linux/license.h). */
const GPL_COMPATIBLE = new Set(['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL']);

registerLoadStage({
  id: 'LOAD-1',
  needs: [],
  provides: [],
  phase: 'before',
  name: 'CHECK_ATTR(BPF_PROG_LOAD)',
  run: (l) => (checkAttrFails(BpfCmd.BPF_PROG_LOAD, l.attrBytes, l.ctx.kernel.profile) ? l.ctx.fail('LOAD-1', 'CHECK_ATTR(BPF_PROG_LOAD)', -Errno.EINVAL) : 0),
});

registerLoadStage({
  id: 'LOAD-2',
  needs: [],
  provides: [],
  phase: 'before',
  name: 'prog_flags',
  run: (l) => (l.attr.prog_flags & ~PROG_FLAGS_MASK ? l.ctx.fail('LOAD-2', 'unknown prog_flags bit', -Errno.EINVAL) : 0),
});

// bpf_prog_load_fixup_attach_type: only CGROUP_SOCK without an expected attach type changes; no error.
registerLoadStage({ id: 'LOAD-3', needs: [], provides: [], phase: 'before', name: 'bpf_prog_load_fixup_attach_type', run: () => 0 });

registerLoadStage({
  id: 'LOAD-4',
  needs: [],
  provides: [],
  phase: 'before',
  name: 'token',
  run: (l) => {
    if (!(l.attr.prog_flags & ProgFlag.BPF_F_TOKEN_FD)) return 0;
    // No BPF token exists in the emulated system: the fd is never one.
    const f = l.ctx.proc.fds.get(l.attr.prog_token_fd);
    return l.ctx.fail('LOAD-4', 'bpf_token_get_from_fd', f ? -Errno.EINVAL : -Errno.EBADF);
  },
});

registerLoadStage({
  id: 'LOAD-5',
  needs: [],
  provides: [],
  phase: 'before',
  name: 'capabilities and insn_cnt',
  run: (l) => {
    const { ctx } = l;
    const type = l.attr.prog_type;
    l.bpfCap = bpfTokenCapable(ctx, 'CAP_BPF');
    // CAP-1: x86-64 has efficient unaligned access, so BPF_F_ANY_ALIGNMENT needs no capability here.
    if (ctx.kernel.sysctl.unprivileged_bpf_disabled && !l.bpfCap) return ctx.fail('CAP-1', 'unprivileged_bpf_disabled and no CAP_BPF', -Errno.EPERM);
    const cnt = l.attr.insn_cnt;
    const limit = l.bpfCap ? Limits.BPF_COMPLEXITY_LIMIT_INSNS : Limits.BPF_MAXINSNS;
    if (cnt === 0 || cnt > limit) return ctx.fail('CAP-2', `insn_cnt ${cnt} (0 or above ${limit})`, -Errno.E2BIG);
    if (!UNPRIVILEGED_TYPES.has(type) && !l.bpfCap) return ctx.fail('CAP-3', `${progTypeName(type)} needs CAP_BPF`, -Errno.EPERM);
    if (NET_ADMIN_TYPES.has(type) && !bpfTokenCapable(ctx, 'CAP_NET_ADMIN')) return ctx.fail('CAP-3', `${progTypeName(type)} needs CAP_NET_ADMIN`, -Errno.EPERM);
    if (PERFMON_TYPES.has(type) && !bpfTokenCapable(ctx, 'CAP_PERFMON')) return ctx.fail('CAP-3', `${progTypeName(type)} needs CAP_PERFMON`, -Errno.EPERM);
    return 0;
  },
});

registerLoadStage({
  id: 'LOAD-6',
  needs: [],
  provides: [],
  phase: 'before',
  name: 'attach target and bpf_prog_load_check_attach',
  run: (l) => {
    const { ctx } = l;
    const k = ctx.kernel;
    const type = l.attr.prog_type;
    const btfId = l.attr.attach_btf_id;
    if (l.attr.attach_prog_fd) {
      const f = ctx.proc.fds.get(l.attr.attach_prog_fd);
      if (f?.kind === 'bpf-prog') throw new NotEmulated('loading against attach_prog_fd (freplace / fentry on a program)');
      // Not a program: the same field names a kernel (module) BTF.
      const btf = btfGetByFd(ctx, l.attr.attach_prog_fd);
      if (typeof btf === 'number') return ctx.fail('LOAD-6', 'attach_btf_obj_fd', -Errno.EINVAL);
      if (!btf.kernel) return ctx.fail('LOAD-6', 'attach_btf_obj_fd is not a kernel BTF', -Errno.ENOTSUPP);
      btf.refcnt++;
      l.attachBtf = btf;
    } else if (btfId) {
      // Fall back to vmlinux BTF when only a BTF type id is given.
      const vmlinux = k.vmlinuxBtf();
      if (!vmlinux) return ctx.fail('LOAD-6', 'no vmlinux BTF', -Errno.EINVAL);
      vmlinux.refcnt++;
      l.attachBtf = vmlinux;
    }
    // bpf_prog_load_check_attach
    if (btfId) {
      if (btfId > 0xfffff) return ctx.fail('LOAD-6', 'attach_btf_id above BTF_MAX_TYPE', -Errno.EINVAL);
      if (!l.attachBtf) return ctx.fail('LOAD-6', 'attach_btf_id without a BTF', -Errno.EINVAL);
      if (!BTF_ID_TYPES.has(type)) {
        return ctx.fail('LOAD-6', `attach_btf_id on ${progTypeName(type)}`, -Errno.EINVAL);
      }
    }
    if (l.attachBtf && !btfId) return ctx.fail('LOAD-6', 'attach BTF without attach_btf_id', -Errno.EINVAL);
    if (type === ProgType.BPF_PROG_TYPE_EXT && l.attr.expected_attach_type) return ctx.fail('LOAD-6', 'EXT with an expected_attach_type', -Errno.EINVAL);
    return 0;
  },
});

registerLoadStage({
  id: 'LOAD-7',
  needs: [],
  provides: ['prog'],
  phase: 'before',
  name: 'bpf_prog_alloc',
  run: (l) => {
    if (l.attr.prog_ifindex) throw new NotEmulated('device-bound / offloaded programs (prog_ifindex)');
    const cnt = l.attr.insn_cnt;
    const prog = new BpfProg({
      type: l.attr.prog_type,
      expectedAttachType: l.attr.expected_attach_type,
      progFlags: l.attr.prog_flags,
      sleepable: (l.attr.prog_flags & ProgFlag.BPF_F_SLEEPABLE) !== 0,
      len: cnt,
    });
    prog.attachBtf = l.attachBtf;
    l.attachBtf = null; // the program holds the reference now
    prog.attachBtfId = l.attr.attach_btf_id;
    prog.createdByUid = l.ctx.proc.cred.uid;
    prog.loadedByKernel = l.ctx.isKernel;
    l.prog = prog;
    return 0;
  },
});

registerLoadStage({
  id: 'LOAD-8',
  needs: ['prog'],
  provides: ['insns', 'orig-insns'],
  phase: 'before',
  name: 'copy insns and license',
  run: (l) => {
    const { ctx } = l;
    const prog = l.prog!;
    const insns = copyFromBpfPtr(ctx.proc.mem, ctx.ptr(l.attr.insns), prog.len * 8);
    if (!insns) return ctx.fail('LOAD-8', 'copy insns', -Errno.EFAULT);
    // prog->insnsi gets a buffer of its own (the copy may lie in a slab: it lives as long as the program).
    prog.insns = insns.slice();
    // The bytes as sent, kept apart from prog->insnsi (which CO-RE and the verifier rewrite): a
    // signature stage placed anywhere in the list verifies exactly what the caller sent.
    l.origInsns = insns;
    const lic = strncpyFromBpfPtr(ctx.proc.mem, ctx.ptr(l.attr.license), 127);
    if (!lic) return ctx.fail('LOAD-8', 'copy license', -Errno.EFAULT);
    prog.license = lic.str;
    prog.gplCompatible = GPL_COMPATIBLE.has(lic.str);
    return 0;
  },
});

// LOAD-10: refcount, dev-bound init (prog_ifindex is refused at LOAD-7), EXT bookkeeping.
registerLoadStage({ id: 'LOAD-10', needs: ['prog'], provides: [], phase: 'before', name: 'prog init', run: () => 0 });

registerLoadStage({
  id: 'LOAD-11',
  needs: ['prog'],
  provides: ['prog-type'],
  phase: 'before',
  name: 'find_prog_type and bpf_obj_name_cpy',
  run: (l) => {
    const { ctx } = l;
    const prog = l.prog!;
    if (!progTypeExists(prog.type)) return ctx.fail('LOAD-11', `find_prog_type(${prog.type})`, -Errno.EINVAL);
    prog.loadTime = ctx.kernel.bootTimeNs();
    const name = bpfObjNameCpy(l.attrBytes.subarray(48, 64));
    if (typeof name === 'number') return ctx.fail('LOAD-11', 'bpf_obj_name_cpy(prog_name)', name);
    prog.name = name;
    return 0;
  },
});

registerLoadStage({
  id: 'LOAD-12',
  needs: ['prog', 'prog-type'],
  provides: ['lsm-blob'],
  phase: 'before',
  role: 'admission',
  name: 'security_bpf_prog_load',
  run: (l) => {
    const prog = l.prog!;
    prog.lsmBlob = true;
    const err = securityBpfProgLoad(l.ctx, prog, l.attr);
    return err ? l.ctx.fail('LOAD-12', 'security_bpf_prog_load', err) : 0;
  },
});

// LOAD-14: bpf_prog_select_runtime (JIT) — nothing observable to model.
registerLoadStage({ id: 'LOAD-14', needs: ['checked'], provides: [], phase: 'before', name: 'bpf_prog_select_runtime', run: () => 0 });

registerLoadStage({
  id: 'LOAD-15',
  needs: ['checked', 'lsm-blob'],
  provides: ['id'],
  phase: 'publish',
  name: 'bpf_prog_alloc_id',
  run: (l) => {
    const k = l.ctx.kernel;
    const prog = l.prog!;
    const id = k.progIdr.allocCyclic(prog);
    if (id < 0) return l.ctx.fail('LOAD-15', 'bpf_prog_alloc_id', id);
    prog.id = id;
    // The program is public once it has an id: from here a failure is a bpf_prog_put (LOAD-19).
    l.published = true;
    k.trace.emit({ kind: 'object', sys: l.ctx.sys, action: 'alloc_id', type: 'prog', id, name: prog.name });
    return 0;
  },
});

// LOAD-16: bpf_prog_kallsyms_add, perf_event_bpf_event — nothing observable to model.
registerLoadStage({ id: 'LOAD-16', needs: ['id'], provides: [], phase: 'after', name: 'bpf_prog_kallsyms_add', run: () => 0 });

registerLoadStage({
  id: 'LOAD-17',
  needs: ['id'],
  provides: [],
  phase: 'after',
  name: 'bpf_audit_prog(LOAD)',
  run: (l) => {
    bpfAuditProg(l.ctx.kernel, l.prog!, 'LOAD');
    return 0;
  },
});

registerLoadStage({
  id: 'LOAD-18',
  needs: ['id'],
  provides: ['fd'],
  phase: 'after',
  name: 'bpf_prog_new_fd',
  run: (l) => {
    // A failure here is a failure after publication: the runner puts the program (LOAD-19).
    const fd = bpfProgNewFd(l.ctx, l.prog!);
    if (fd < 0) return fd;
    l.fd = fd;
    return 0;
  },
});
