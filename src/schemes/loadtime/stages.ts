// The stages of Linux 7.3's load-time signature scheme (Daniel Borkmann, "Verify BPF signed loader
// at load time", kernel commits d5a85392 and b707068e, released in 7.3: LT-HIST-1). They run inside
// bpf_check, in this order (the 7.3 order of checks, note 2026-12-07 in spec 02 §6):
//
//   LT-LOAD-4  signature_size bound and zero size, then the keyring lookup (the key is held until
//              the signature is verified: scope `bpf_prog_sig`);
//   LT-LOAD-1  the program digest over the unmodified instructions, then process_fd_array — the
//              fd_array resolved once into used_maps — with, for a signed program, the array-type,
//              frozen and exclusive checks on every map and no BTF;
//   LT-SIG-2   the signature over insns ‖ value(used_maps[0]) ‖ … (fd_array_cnt == 0: insns alone),
//              the verifier-log line, prog->aux->sig (LT-VERD-1..3), and for a signed program the
//              binding rule of the resolve walk (LT-LOAD-3);
//
// then the shared LOAD-12 stage (security_bpf_prog_load), which 7.3 calls from inside bpf_check
// (LT-LOAD-2), and the rest of bpf_check. v7.3's list (profiles.ts) places them.
//
// spec: LT-SIG-1..4, LT-LOAD-1..5, LT-VERD-1..3, LT-LSM-1, LT-ERR-1..20, DIG-4, EXCL-4, OBS-DEB-10,
// OBS-DEB-30/31, OBS-DEB-42/44/47, SELFTEST-1 (B rows).

import { concat } from '../../keys/der.js';
import { bpf_key_put, bpf_lookup_system_key, bpf_lookup_user_key, bpf_sig_keyring_classify, bpf_verify_pkcs7_signature, system_keyring_id_check, type BpfKey } from '../../keys/bpf-key.js';
import { Errno } from '../../syscall/errno.js';
import { bpfProgCalcDigest, checkState, registerLoadStage, type BindingPolicy, type Check, type LoadCtx, type LoadStage } from '../../syscall/prog-load/index.js';
import { progSignatureRules } from '../../syscall/profiles/index.js';
import { MapType } from '../../syscall/uapi/consts.js';
import { kvmemdupBpfptr } from '../../syscall/prog-load/signature.js';

/** The scope the held keyring reference lives in: opened by LT-LOAD-4, closed by LT-SIG-2. */
const SIG_SCOPE = 'bpf_prog_sig';
const SIG_KEY = 'loadtime.sig';

/** The largest dynptr the signature kfunc takes (DYNPTR_MAX_SIZE, (1 << 24) - 1): LT-SIG-4. */
export const DYNPTR_MAX_SIZE = (1 << 24) - 1;

/** What LT-LOAD-4 found, for the stages after it. */
interface SigState {
  readonly signed: boolean;
  readonly keyringId: number;
  bkey: BpfKey | null;
}

function sigState(l: LoadCtx): SigState {
  const s = l.scratch.get(SIG_KEY) as SigState | undefined;
  if (!s) throw new RangeError('load-time signature state requested before LT-LOAD-4 ran');
  return s;
}

/** Drop the keyring reference LT-LOAD-4 took (bpf_key_put), once. */
function putKey(l: LoadCtx): void {
  const s = l.scratch.get(SIG_KEY) as SigState | undefined;
  if (s?.bkey) {
    bpf_key_put(l.ctx.kernel.keys, s.bkey);
    s.bkey = null;
  }
}

/**
 * LT-LOAD-4: the size checks, then the keyring lookup, before fd_array is looked at (note
 * 2026-12-07; selftests signature_too_large, signature_zero_size, signature_bad_keyring). A zero
 * size is refused here (LT-ERR-9, OBS-DEB-42/44: EINVAL on 7.3.4 where 6.18.15/7.2.12 reach the
 * parser). No signature: nothing to check (the verdict stays UNSIGNED).
 */
export const LT_SIG_PREPARE: LoadStage = registerLoadStage({
  id: 'LT-LOAD-4',
  name: 'bpf_prog_verify_signature: size and keyring',
  needs: ['prog', 'verifier-log'],
  provides: [],
  phase: 'before',
  within: 'bpf_check',
  opens: SIG_SCOPE,
  run: (l) => {
    const { ctx } = l;
    const keyringId = l.attr.keyring_id;
    if (!l.attr.signature) {
      l.scratch.set(SIG_KEY, { signed: false, keyringId, bkey: null } satisfies SigState);
      return 0;
    }
    const size = l.attr.signature_size;
    const rules = progSignatureRules(ctx.kernel.profile, ctx.kernel.config);
    if (rules.signatureSizeLimit !== undefined && size > rules.signatureSizeLimit)
      return ctx.fail('LT-ERR-10', `signature_size ${size} > ${rules.signatureSizeLimit}`, -Errno.EINVAL);
    if (rules.rejectZeroSize && size === 0) return ctx.fail('LT-ERR-9', 'signature_size is 0', -Errno.EINVAL);
    const ks = ctx.kernel.keys;
    // KP-SIG-2/3 as 7.3 keeps them: system ids 0..2, else a user/session key of the caller.
    const bkey = system_keyring_id_check(keyringId) === 0 ? bpf_lookup_system_key(ks, keyringId) : bpf_lookup_user_key(ks, ctx.proc.keyrings, keyringId, 0);
    if (!bkey) return ctx.fail('LT-ERR-11', `keyring_id ${keyringId} does not resolve to a key`, -Errno.EINVAL);
    l.scratch.set(SIG_KEY, { signed: true, keyringId, bkey } satisfies SigState);
    ctx.step('LT-LOAD-4', 'keyring resolved', `keyring_id ${keyringId}`);
    return 0;
  },
  unwind: (l, err) => {
    putKey(l);
    return err;
  },
});

/** A signed program's metadata-map rule, with its verifier-log line (the name in single quotes). */
function refuseMap(c: Check, id: string, name: string, what: string, err: number): number {
  return c.fail(id, `signed program metadata map '${name}' must ${what}`, err);
}

/**
 * LT-LOAD-1: the digest first, over the instructions as sent (DIG-4 for 7.3; `signing.rst` says
 * "for any signed load"). We compute it for every load: on 7.3.4 an unsigned load with a counted
 * fd_array and an exclusive map loads (OBS-DEB-31, "no signature → loads"), where 6.18.15 and 7.2.12
 * compare against a zero digest (OBS-DEB-33). Then process_fd_array, once: every entry taken into
 * used_maps (EXCL-4 with the real digest), and for a signed program every map a plain single-value
 * ARRAY (else EINVAL, LT-ERR-5), frozen (EPERM, LT-ERR-4) and exclusive (EPERM, LT-ERR-20), in that
 * order — the 7.3 selftests pin the type check before the frozen check (an unfrozen exclusive HASH
 * map gives EINVAL) and the frozen check before the exclusivity check — and no BTF (EACCES, from
 * __add_used_btf, LT-ERR-6). All of this before the signature is examined (OBS-DEB-31: a flipped
 * insn byte gives EACCES from the exclusive-map check, not EKEYREJECTED).
 */
export const LT_PROCESS_FD_ARRAY: LoadStage = registerLoadStage({
  id: 'LT-LOAD-1',
  name: 'process_fd_array (resolved once, digest up front)',
  needs: ['prog', 'insns', 'verifier-log'],
  provides: ['digest', 'fd-array'],
  phase: 'before',
  within: 'bpf_check',
  run: (l) => {
    const c = checkState(l);
    const { prog, ctx } = c;
    prog.digest = bpfProgCalcDigest(prog.insns, ctx.kernel.profile.digest);
    ctx.step('DIG-4', 'program digest, computed up front', Buffer.from(prog.digest).toString('hex'));
    const signed = sigState(l).signed;
    const cnt = l.attr.fd_array_cnt;
    if (cnt >= Math.floor(0xffff_ffff / 4)) return c.fail('LOAD-13', `fd_array_cnt is too big (${cnt})`, -Errno.EINVAL);
    for (let i = 0; i < cnt; i++) {
      const fd = c.fdArrayEntry(i);
      if (typeof fd !== 'number') return c.fail('LOAD-13', fd.msg, fd.err);
      if (ctx.proc.fds.get(fd)?.kind === 'btf') {
        // __add_used_btf: a signed program binds no BTF (LT-LOAD-3); unsigned, a kfunc module BTF (not modelled beyond accepting it).
        if (signed) return c.fail('LT-ERR-6', `signed program cannot use BTF fd ${fd} in fd_array`, -Errno.EACCES);
        continue;
      }
      const map = c.resolveMap(fd);
      if (!('kaddr' in map)) return map.errno ?? -Errno.EINVAL;
      if (!signed) continue;
      if (map.mapType !== MapType.BPF_MAP_TYPE_ARRAY) return refuseMap(c, 'LT-ERR-5', map.name, 'be an array map', -Errno.EINVAL);
      if (!map.frozen) return refuseMap(c, 'LT-ERR-4', map.name, 'be frozen', -Errno.EPERM);
      if (!map.exclProgSha) return refuseMap(c, 'LT-ERR-20', map.name, 'be exclusive', -Errno.EPERM);
      ctx.step('LT-SIG-3', 'metadata map accepted', `fd_array[${i}] = map ${map.id} '${map.name}' (array, frozen, exclusive)`);
    }
    return 0;
  },
});

/**
 * LT-LOAD-3: what a signed program may still bind in the resolve walk. Every map must be one
 * process_fd_array already took (and the signature folded): a raw map fd is refused (EINVAL,
 * LT-ERR-17, selftest signed_map_by_fd_rejected), a map by fd_array index with fd_array_cnt 0 — the
 * sparse path — or outside the counted entries is refused (EACCES, LT-ERR-7/19, OBS-DEB-10), and so
 * is a kfunc's module BTF (EACCES, LT-ERR-18). The LT-ERR-19 line is the one OBSERVED on 7.3.4; the
 * other lines are our wording (docs/fidelity.md).
 */
export const SIGNED_BINDING_POLICY: BindingPolicy = {
  name: 'LT-LOAD-3',
  bind: (c, b) => {
    if (b.kind === 'kfunc-btf') return c.fail('LT-ERR-18', `signed program cannot bind module BTF for kfunc call at insn ${b.pc} (fd_array[${b.off}])`, -Errno.EACCES);
    if (b.via === 'fd') return c.fail('LT-ERR-17', `signed program must reference maps via fd_array, not map fd (insn ${b.pc})`, -Errno.EINVAL);
    if (b.bound) return 0;
    const cnt = c.l.attr.fd_array_cnt;
    return c.fail(cnt ? 'LT-LOAD-3' : 'LT-ERR-19', 'signed program must bind maps via a continuous fd_array (fd_array_cnt)', -Errno.EACCES);
  },
};

/** The bytes 7.3 verifies: the instructions as sent, then each resolved map's value (LT-SIG-2), or -errno. */
function signedPayload(c: Check, insns: Uint8Array): Uint8Array | number {
  const parts: Uint8Array[] = [insns];
  for (const m of c.used) {
    // map_direct_value_addr(map, &addr, 0) over value_size bytes; array_map_direct_value_addr wants a single element.
    const region = m.valueRegion?.();
    if (!region) return c.fail('LT-SIG-2', `metadata map '${m.name}' has no direct value access`, -Errno.EINVAL);
    if (m.maxEntries !== 1) return c.fail('LT-SIG-2', `metadata map '${m.name}' must have a single element`, -Errno.ENOTSUPP);
    parts.push(region.bytes.subarray(0, m.valueSize));
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  if (total > DYNPTR_MAX_SIZE) return c.fail('LT-SIG-4', `signed payload of ${total} bytes exceeds the dynptr limit`, -Errno.E2BIG);
  return concat(parts);
}

/**
 * LT-SIG-2: inside bpf_check, after fd_array resolution, before security_bpf_prog_load (LT-LOAD-1/2):
 * copy the signature (EFAULT for a bad pointer, as 7.2.12/7.3.4 do, OBS-DEB-43), verify it over
 * insns ‖ metadata with the key LT-LOAD-4 resolved, log the outcome in the verifier log (LT-LOAD-5,
 * OBS-DEB-30: `signature verification passed` / `signature verification failed: -129`), and record
 * prog->aux->sig for every load (LT-VERD-1/2: UNSIGNED/NONE/0 without a signature). A signed program
 * then gets the binding rule of LT-LOAD-3 for the rest of bpf_check.
 */
export const LT_SIGNATURE_STAGE: LoadStage = registerLoadStage({
  id: 'LT-SIG-2',
  name: 'bpf_prog_verify_signature (insns ‖ metadata)',
  needs: ['prog', 'orig-insns', 'fd-array', 'verifier-log'],
  provides: ['sig-verdict'],
  phase: 'before',
  within: 'bpf_check',
  closes: SIG_SCOPE,
  role: 'signature',
  run: (l) => {
    const c = checkState(l);
    const { ctx, prog } = c;
    const st = sigState(l);
    if (!st.signed) {
      prog.signature = { verdict: 'BPF_SIG_UNSIGNED', keyringType: 'BPF_SIG_KEYRING_NONE', keyringSerial: 0 };
      ctx.step('LT-VERD-1', 'unsigned program', 'prog->aux->sig = { BPF_SIG_UNSIGNED, BPF_SIG_KEYRING_NONE, 0 }');
      return 0;
    }
    const bkey = st.bkey!;
    const done = (err: number, rule: string, detail: string): number => {
      putKey(l);
      c.verbose(`signature verification failed: ${err}\n`);
      return ctx.fail('LT-SIG-2', `signature verification failed (${rule})`, err, detail);
    };
    const size = l.attr.signature_size;
    const sig = kvmemdupBpfptr(l, l.attr.signature, size);
    if (typeof sig === 'number') {
      const rules = progSignatureRules(ctx.kernel.profile, ctx.kernel.config);
      return done(rules.copyErrorsAsEnomem ? -Errno.ENOMEM : sig, rules.copyErrorsAsEnomem ? 'KP-Q-1' : 'STB-3', `kvmemdup_bpfptr(signature, ${size}) failed`);
    }
    const payload = signedPayload(c, l.origInsns!);
    if (typeof payload === 'number') {
      putKey(l);
      return payload;
    }
    const v = bpf_verify_pkcs7_signature(ctx.kernel.keys, payload, sig, bkey, { systemDataVerification: ctx.kernel.config.CONFIG_SYSTEM_DATA_VERIFICATION });
    const k = bpf_sig_keyring_classify(true, st.keyringId, bkey, v.ret === 0);
    const what = `${payload.length}-byte payload: ${l.origInsns!.length} insn bytes${c.used.length ? ` ‖ ${c.used.map((m) => `${m.valueSize} value bytes of '${m.name}'`).join(' ‖ ')}` : ''}`;
    if (v.ret) return done(v.ret, v.ret === -Errno.EOPNOTSUPP ? 'LT-ERR-16' : v.ret === -Errno.EBADMSG ? 'LT-ERR-1' : 'LT-ERR-2', `${v.rule}: ${v.detail} (${what})`);
    putKey(l);
    c.verbose('signature verification passed\n');
    prog.signature = { verdict: 'BPF_SIG_VERIFIED', keyringType: k.keyringType, keyringSerial: k.keyringSerial };
    c.binding = SIGNED_BINDING_POLICY;
    ctx.step('LT-SIG-2', 'signature verification passed', `${v.rule}: ${v.detail} [keyring ${k.keyringType}${k.keyringSerial ? ` ${k.keyringSerial}` : ''}] (${what}); prog->aux->sig = { BPF_SIG_VERIFIED, ${k.keyringType}, ${k.keyringSerial} }`);
    return 0;
  },
});
