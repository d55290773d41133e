// The Hornet LSM (security/hornet/hornet_lsm.c), in the two revisions the scheme models.
//
//   bpf_prog_load_integrity   both: hornet_check_program computes a verdict and hands it to the
//                             policy LSMs with security_bpf_prog_load_post_integrity; Hornet returns
//                             their answer and never denies because of the verdict itself.
//   bpf_prog                  v7-toctou-fix: every signed hash must be the hash of a frozen map the
//                             program uses (-EPERM otherwise), at bpf_prog_new_fd.
//   bpf                       v7-posted: at a userspace BPF_PROG_RUN, every frozen, hashable used map
//                             must match a signed hash and all signed hashes must be covered.
//
// Everything goes through the kernel internals an LSM reaches (LsmKernel): copy_from_bpfptr, the
// keys subsystem's pkcs7_parse_message / verify_pkcs7_message_sig / pkcs7_get_authattr,
// lookup_user_key, fds of the calling process, used_maps and map_get_hash. Each decision leaves a
// note in the trace naming the HN-CHK row that made it (Hornet itself logs nothing, HN-LIM-2).
//
// spec: HN-CHK-1..10, HN-MAP-1..4, HN-LIM-1..3, HN-REV-1, HN-HOOK-1, HN-HOOK-2, HN-KP-2, LSM-STACK-6

import { system_keyring_id_check, keyringIdToU64 } from '../../keys/bpf-key.js';
import type { TrustedKeys } from '../../keys/key-service.js';
import type { Key } from '../../keys/keyring.js';
import { KLog } from '../../keys/klog.js';
import { pkcs7_get_authattr } from '../../keys/pkcs7-authattr.js';
import { pkcs7_parse_message } from '../../keys/pkcs7-parse.js';
import { KeyNeedPerm } from '../../keys/process-keyrings.js';
import { asn1_ber_decoder } from '../../keys/asn1-decoder.js';
import type {
  BpfArgs,
  BpfProgArgs,
  BpfProgLoadIntegrityArgs,
  IntegrityVerdict,
  IntHooks,
  LsmContext,
  LsmId,
  LsmKernel,
  LsmModule,
  ProgView,
} from '../../lsm/hooks.js';
import { LsmConfigError, registerLsm, type LsmOptions } from '../../lsm/registry.js';
import { Errno, errnoName } from '../../syscall/errno.js';
import type { Kernel } from '../../syscall/kernel.js';
import type { KernelProfile } from '../../syscall/profiles/profile.js';
import { BpfCmd } from '../../syscall/uapi/consts.js';
import {
  HORNET_DATA_GRAMMAR_POSTED,
  HORNET_DATA_GRAMMAR_TOCTOU_FIX,
  newHornetParseContext,
  newHornetProgSecurity,
  SHA256_DIGEST_SIZE,
  signedHash,
  type HornetParseContext,
  type HornetProgSecurity,
} from './hornet-data.js';
import { DEFAULT_HORNET_REVISION, HORNET_PROFILE_REVISION, HORNET_REVISIONS, isHornetRevision, type HornetRevision } from './revisions.js';

/** LSM_ID_HORNET (include/uapi/linux/lsm.h as patched). spec: HN-LIM-3 */
export const LSM_ID_HORNET = 114;
/** hornet_lsmid: what Hornet passes to security_bpf_prog_load_post_integrity. spec: HN-CHK-10 */
export const HORNET_LSMID: LsmId = Object.freeze({ name: 'hornet', id: LSM_ID_HORNET });

/** kzalloc refuses sizes above KMALLOC_MAX_SIZE (4 MiB with 4 KiB pages and MAX_PAGE_ORDER 10). */
const KMALLOC_MAX_SIZE = 4 * 1024 * 1024;

/** prog->aux->security + hornet_blob_sizes.lbs_bpf_prog: allocated (zeroed) with the program's LSM blob. */
export function hornetProgSecurity(prog: ProgView): HornetProgSecurity | undefined {
  return prog.security.get(HORNET_LSMID.name) as HornetProgSecurity | undefined;
}

function blobFor(prog: ProgView): HornetProgSecurity {
  let s = hornetProgSecurity(prog);
  if (!s) {
    s = newHornetProgSecurity();
    prog.security.set(HORNET_LSMID.name, s);
  }
  return s;
}

/** A verdict and the HN-CHK row that chose it, or a hard error (HN-CHK-3). */
type Check = { readonly verdict: IntegrityVerdict; readonly rule: string; readonly detail: string } | { readonly err: number; readonly rule: string; readonly detail: string };

const verdict = (v: IntegrityVerdict, rule: string, detail: string): Check => ({ verdict: v, rule, detail });

const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

const hex8 = (b: Uint8Array): string => Buffer.from(b.subarray(0, 8)).toString('hex');

/**
 * v7-posted hornet_verify_hashes: each signed (not skipped) entry's map, read from fd_array[index]
 * now, must be a frozen map with map_get_hash whose hash equals the signed one; matches are stashed
 * in the program's blob. spec: HN-CHK-9 (v7-posted), HN-MAP-4 (the fd_array read is Hornet's own)
 */
function hornetVerifyHashes(k: LsmKernel, fdArray: bigint, c: HornetParseContext, s: HornetProgSecurity): Check {
  for (let i = 0; i < c.hashCount; i++) {
    if (c.skips[i]) continue;
    const at = `entry ${i} (fd_array[${c.indexes[i]}])`;
    const fdBytes = k.copyFromBpfptr(fdArray, 4, c.indexes[i]! * 4);
    if (!fdBytes) return verdict('FAULT', 'HN-CHK-9', `${at}: fd_array unreadable`);
    const fd = new DataView(fdBytes.buffer, fdBytes.byteOffset, 4).getInt32(0, true);
    const map = k.mapByFd(fd);
    if (typeof map === 'number') return verdict('FAULT', 'HN-CHK-9', `${at}: fd ${fd} ${map === -Errno.EBADF ? 'is not open' : 'is not a map'}`);
    if (!map.view.frozen) return verdict('FAULT', 'HN-CHK-9', `${at}: map ${map.view.id} '${map.view.name}' is not frozen`);
    const hash = map.hash();
    if (typeof hash === 'number') return verdict('FAULT', 'HN-CHK-9', `${at}: map ${map.view.id} '${map.view.name}' has no map_get_hash (${errnoName(hash) ?? hash})`);
    const want = c.hashes.subarray(i * SHA256_DIGEST_SIZE, (i + 1) * SHA256_DIGEST_SIZE);
    if (!equal(hash, want)) {
      return verdict('UNEXPECTED', 'HN-CHK-9', `${at}: map ${map.view.id} '${map.view.name}' hashes to ${hex8(hash)}…, the signature says ${hex8(want)}…`);
    }
    s.signedHashes.set(want, s.signedHashCount * SHA256_DIGEST_SIZE);
    s.signedHashCount++;
  }
  return verdict('OK', 'HN-CHK-9', `${c.hashCount} map entr${c.hashCount === 1 ? 'y' : 'ies'} checked, every signed map matches`);
}

/** hornet_check_program. spec: HN-CHK-1..9 */
function hornetCheckProgram(a: BpfProgLoadIntegrityArgs, k: LsmKernel, rev: HornetRevision): Check {
  // ctx->security = hornet_bpf_prog_security(prog): the blob exists whatever the verdict.
  const security = blobFor(a.prog);
  const sigPtr = a.attr.signature;
  // spec: HN-CHK-1
  if (!sigPtr) return verdict('UNSIGNED', 'HN-CHK-1', 'no signature (attr->signature is 0)');
  const size = a.attr.signature_size;
  // spec: HN-CHK-2
  if (!size) return verdict('BADSIG', 'HN-CHK-2', 'attr->signature_size is 0');
  // spec: HN-CHK-3 — kzalloc(signature_size), then copy_from_bpfptr: hard errors, no verdict.
  if (size > KMALLOC_MAX_SIZE) return { err: -Errno.ENOMEM, rule: 'HN-CHK-3', detail: `kzalloc(${size}) failed (above KMALLOC_MAX_SIZE)` };
  const sig = k.copyFromBpfptr(sigPtr, size);
  if (!sig) return { err: -Errno.EFAULT, rule: 'HN-CHK-3', detail: `copy_from_bpfptr(signature, ${size}) faulted` };

  const log = new KLog();
  const ks = k.keys;
  // spec: HN-CHK-4
  const msg = pkcs7_parse_message(sig, { cfg: ks.config, isTbsBlacklisted: ks.isTbsBlacklisted, failslab: ks.failslab }, log);
  if (typeof msg === 'number') return verdict('BADSIG', 'HN-CHK-4', `pkcs7_parse_message: ${errnoName(msg) ?? msg} (${log.rule}: ${log.detail})`);

  // spec: HN-CHK-5 — a system id is the selector itself; anything else is looked up for the caller.
  const keyringId = a.attr.keyring_id;
  let trusted: TrustedKeys;
  let userKey: Key | undefined;
  if (system_keyring_id_check(keyringId) === 0) {
    trusted = Number(keyringIdToU64(keyringId)) as 0 | 1 | 2;
  } else {
    const r = k.keyrings.lookup_user_key(keyringId | 0, 0, KeyNeedPerm.KEY_DEFER_PERM_CHECK);
    if (typeof r === 'number') return verdict('UNKNOWNKEY', 'HN-CHK-5', `lookup_user_key(${keyringId}): ${errnoName(r) ?? r}`);
    userKey = ks.key_get(r);
    trusted = userKey;
  }
  try {
    // spec: HN-CHK-6 — over prog->insnsi, which at security_bpf_prog_load still holds the caller's bytes.
    const ret = ks.verify_pkcs7_message_sig(k.progInsns(a.prog), msg, trusted, 'VERIFYING_BPF_SIGNATURE', log);
    if (ret) return verdict('BADSIG', 'HN-CHK-6', `verify_pkcs7_message_sig: ${errnoName(ret) ?? ret} (${log.rule}: ${log.detail})`);
    // spec: HN-CHK-7
    const attr = pkcs7_get_authattr(msg, 'hornet_data');
    if (typeof attr === 'number') return verdict('PARTIALSIG', 'HN-CHK-7', 'the signature verified but carries no Hornet map-hash attribute');
    // spec: HN-CHK-8, HN-CHK-9
    if (rev === 'v7-toctou-fix') {
      const r = asn1_ber_decoder(HORNET_DATA_GRAMMAR_TOCTOU_FIX, security, attr);
      if (r < 0) return verdict('BADSIG', 'HN-CHK-8', `the Hornet attribute does not decode (${errnoName(r) ?? r} after ${security.signedHashCount} map entries)`);
      return verdict('OK', 'HN-CHK-9', `${security.signedHashCount} signed map hash${security.signedHashCount === 1 ? '' : 'es'} stashed for security_bpf_prog`);
    }
    const c = newHornetParseContext();
    const r = asn1_ber_decoder(HORNET_DATA_GRAMMAR_POSTED, c, attr);
    if (r < 0) return verdict('BADSIG', 'HN-CHK-8', `the Hornet attribute does not decode (${errnoName(r) ?? r} at map entry ${c.hashCount})`);
    return hornetVerifyHashes(k, a.attr.fd_array, c, security);
  } finally {
    if (userKey) ks.key_put(userKey);
  }
}

/** hornet_check_prog_maps of v7-toctou-fix (hook bpf_prog). spec: HN-MAP-1, HN-MAP-2 */
function hornetCheckProgMapsSubset(prog: ProgView, k: LsmKernel): number {
  const s = hornetProgSecurity(prog);
  if (!s || !s.signedHashCount) return 0;
  const used = k.usedMaps(prog);
  for (let i = 0; i < s.signedHashCount; i++) {
    const want = signedHash(s, i);
    const found = used.some((m) => {
      if (!m.view.frozen) return false;
      const h = m.hash();
      return typeof h !== 'number' && equal(h, want);
    });
    if (!found) {
      k.note(`hornet: signed map hash ${i} (${hex8(want)}…) is not the hash of any frozen map prog '${prog.name}' uses → -EPERM (HN-MAP-1)`);
      return -Errno.EPERM;
    }
  }
  return 0;
}

/** hornet_check_prog_maps of v7-posted (hook bpf, userspace BPF_PROG_RUN). spec: HN-MAP-3 */
function hornetCheckProgMapsRun(progFd: number, k: LsmKernel): number {
  const p = k.progByFd(progFd);
  if (typeof p === 'number') return p; // -EBADF (empty fd) or -EINVAL (not a program)
  const s = hornetProgSecurity(p.view);
  if (!s || !s.signedHashCount) return 0;
  let covered = 0;
  for (const m of p.usedMaps()) {
    if (!m.view.frozen) continue;
    const h = m.hash();
    if (typeof h === 'number') continue;
    let found = false;
    for (let i = 0; i < s.signedHashCount && !found; i++) found = equal(h, signedHash(s, i));
    if (!found) {
      k.note(`hornet: used map ${m.view.id} '${m.view.name}' (frozen) hashes to ${hex8(h)}…, which no signed hash matches → -EPERM (HN-MAP-3)`);
      return -Errno.EPERM;
    }
    covered++;
  }
  if (covered !== s.signedHashCount) {
    k.note(`hornet: ${covered} used map(s) matched, ${s.signedHashCount} hash(es) were signed → -EPERM (HN-MAP-3)`);
    return -Errno.EPERM;
  }
  return 0;
}

/** The Hornet LSM module; `revision()` tells which code it runs (known once the kernel booted it). */
export interface HornetModule extends LsmModule {
  revision(): HornetRevision | null;
}

/** The hooks of one revision: bpf_prog_load_integrity, and bpf_prog (v7-toctou-fix) or bpf (v7-posted). */
function hornetHooks(revision: HornetRevision): Partial<IntHooks> {
  const integrity = (a: BpfProgLoadIntegrityArgs, ctx: LsmContext): number => {
    const k = ctx.kernel;
    if (!k) return 0; // the hook runs inside BPF_PROG_LOAD, where the kernel's internals always exist
    const c = hornetCheckProgram(a, k, revision);
    if ('err' in c) {
      // spec: HN-CHK-3 — the load fails; no verdict is passed on.
      k.note(`hornet (${revision}): ${errnoName(c.err) ?? c.err}: ${c.rule}: ${c.detail}`);
      return c.err;
    }
    k.note(`hornet (${revision}): verdict ${c.verdict}: ${c.rule}: ${c.detail}`);
    // spec: HN-CHK-10 — whatever the policy LSMs answer is Hornet's answer.
    return a.postIntegrity(HORNET_LSMID, c.verdict);
  };
  if (revision === 'v7-toctou-fix') {
    return {
      bpf_prog_load_integrity: integrity,
      bpf_prog: (a: BpfProgArgs, ctx: LsmContext) => (ctx.kernel ? hornetCheckProgMapsSubset(a.prog, ctx.kernel) : 0),
    };
  }
  return {
    bpf_prog_load_integrity: integrity,
    // spec: HN-MAP-3 — only userspace BPF_PROG_RUN; loads from the kernel are assumed checked.
    bpf: (a: BpfArgs, ctx: LsmContext) => {
      if (a.attr?.cmd !== BpfCmd.BPF_PROG_TEST_RUN || a.kernel || !ctx.kernel) return 0;
      return hornetCheckProgMapsRun(a.attr.attr.prog_fd, ctx.kernel);
    },
  };
}

/**
 * The revision a kernel runs: the one asked for (LSM option `extra.hornetRevision`), else the one
 * built into its profile (HORNET_PROFILE_REVISION), else the newest. A kernel without Paul Moore's
 * integrity hooks cannot have Hornet (its Kconfig needs the framework). spec: HN-REV-1, HN-HOOK-1
 */
export function hornetRevisionFor(profile: KernelProfile, asked?: HornetRevision): HornetRevision {
  if (!profile.lsmIntegrityHooks) {
    throw new LsmConfigError(
      `hornet needs Paul Moore's integrity hooks (bpf_prog_load_integrity, HN-HOOK-1), which kernel profile '${profile.name}' does not have; use a hornet profile (${Object.keys(HORNET_PROFILE_REVISION).join(', ')})`,
    );
  }
  return asked ?? HORNET_PROFILE_REVISION[profile.name] ?? DEFAULT_HORNET_REVISION;
}

/**
 * The Hornet LSM. Its hooks are installed when the kernel boots it (security_add_hooks in
 * hornet_init), in the shape of the revision that kernel runs; `revision` forces one.
 */
export function hornetModule(revision?: HornetRevision): HornetModule {
  let running: HornetRevision | null = null;
  const module: HornetModule = {
    name: HORNET_LSMID.name,
    hooks: {},
    revision: () => running,
    boot(kernel: Kernel) {
      running = hornetRevisionFor(kernel.profile, revision);
      Object.assign(module.hooks, hornetHooks(running));
    },
  };
  return module;
}

/** The LSM option `extra.hornetRevision`, checked. */
function askedRevision(opts: LsmOptions): HornetRevision | undefined {
  const asked = opts.extra?.hornetRevision;
  if (asked === undefined) return undefined;
  if (!isHornetRevision(asked)) throw new LsmConfigError(`hornet: unknown revision '${String(asked)}' (one of ${HORNET_REVISIONS.join(', ')})`);
  return asked;
}

registerLsm({
  name: HORNET_LSMID.name,
  summary: "Hornet v7 (integrity LSM, id 114): PKCS#7 over the insns + signed map hashes → a verdict for the policy LSMs (needs a hornet profile)",
  spec: ['HN-CHK-1..10', 'HN-MAP-1..4', 'HN-LIM-1..3', 'HN-REV-1', 'HN-HOOK-2'],
  create: (opts) => hornetModule(askedRevision(opts)),
});
