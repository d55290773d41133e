// LOAD-9 as Blaise Boscaccy's "BPF signature hash chains" series patched bpf_prog_verify_signature
// (v2 2025-09-29, 1/3; v1 2025-09-26, 1/2). Still only `if (attr->signature)`, still before
// security_bpf_prog_load and bpf_check (HC-LSM-1). With signature_maps_size == 0 it is KP's check
// over the instructions (HC-SIG-5, HC-ERR-1). Otherwise, after KP's keyring lookup and signature
// copy (HC-CHK-1):
//   maps = kvmemdup_bpfptr(signature_maps, k * sizeof(int))        HC-CHK-2 (v1: `if (!maps)`, HC-Q-2)
//   for n = k-1 … 0:
//     copy_from_bpfptr_offset(&fd, fd_array, maps[n] * 4, 4)        HC-CHK-3 (no bounds check; HC-Q-1)
//     bpf_map_get_hash(fd, …)                                       HC-CHK-4, HC-CHK-6 (map->sha overwritten)
//     h_{k-1} = H(M_{k-1});  h_n = SHA256(h_{n+1} ‖ H(M_n))           HC-SIG-1, HC-SIG-2
//   f = SHA256(SHA256(insns) ‖ h_0)                                 HC-SIG-3
//   bpf_verify_pkcs7_signature(f, sig, key)                         HC-SIG-4, HC-CHK-5
// and what it does not check: frozen (HC-NOT-1), exclusivity (HC-NOT-2), the fd's later binding
// (HC-NOT-3: the map fds are resolved here, each read a step of its own in the trace, and again by
// bpf_check), an upper bound on k (HC-NOT-4), coverage of every map the program uses (HC-NOT-5).
// spec: HC-CHK-1..6, HC-NOT-1..5, HC-SIG-1..5, HC-Q-1..3, HC-ERR-1..10, HC-LSM-1/2, KP-LOAD-2.

import { createHash } from 'node:crypto';
import type { SignedContentFailure } from '../../keys/bpf-prog-signature.js';
import { bpfMapGet } from '../../syscall/commands/fdget.js';
import { errnoName } from '../../syscall/errno.js';
import type { LoadCtx, LoadStage } from '../../syscall/prog-load/index.js';
import { kvmemdupBpfptr, signatureSlotStage, verdictDetail, verifyProgSignature } from '../../syscall/prog-load/signature.js';
import { copyFromBpfPtrOffset } from '../../syscall/uaccess.js';
import { mapTypeName } from '../../syscall/uapi/consts.js';

/** How a revision of the series checks kvmemdup_bpfptr's result for `maps`. */
export type MapsCopyCheck =
  /** v2: `if (IS_ERR(maps)) { err = PTR_ERR(maps); goto out; }` — -EFAULT / -ENOMEM (HC-CHK-2, HC-Q-3). */
  | 'IS_ERR'
  /** v1: `if (!maps)` — never true for an ERR_PTR, which is then read as the array: an oops (HC-Q-2). */
  | 'NULL';

const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const fail = (ret: number, rule: string, detail: string): SignedContentFailure => ({ ret, rule, detail });

/**
 * The hash chain and f (HC-SIG-1..3), built where the series builds it: after the keyring lookup and
 * the signature copy, before the kfunc. Returns f, or the failure the function returns.
 */
function hashChainContent(l: LoadCtx, check: MapsCopyCheck): Uint8Array | SignedContentFailure {
  const { ctx, attr } = l;
  const k = attr.signature_maps_size;
  // HC-CHK-2: size_t arithmetic (u32 count × sizeof(int)): no overflow, no upper bound (HC-NOT-4).
  const size = k * 4;
  const maps = kvmemdupBpfptr(l, attr.signature_maps, size);
  if (typeof maps === 'number') {
    if (check === 'NULL') {
      // HC-Q-2: `if (!maps)` lets ERR_PTR(err) through; the first iteration reads maps[k-1].
      const n = k - 1;
      const addr = BigInt.asUintN(64, BigInt(maps) + 4n * BigInt(n));
      ctx.step('HC-CHK-2', 'kvmemdup_bpfptr(signature_maps)', `returned ERR_PTR(-${errnoName(maps)}), which 'if (!maps)' does not catch`, maps);
      return ctx.oops({
        text: 'general protection fault in bpf_prog_verify_signature',
        where: 'bpf_prog_verify_signature',
        rule: 'HC-Q-2',
        detail: `maps = ERR_PTR(-${errnoName(maps)}) read as maps[${n}] (0x${n.toString(16)}) at 0x${addr.toString(16)} (${maps} + 4·n)`,
      });
    }
    const why = size > 0x7fff_ffff ? `kvmalloc(${size}) refused (> INT_MAX)` : `copy of ${size} bytes faulted`;
    ctx.fail('HC-CHK-2', 'kvmemdup_bpfptr(signature_maps)', maps, why);
    return fail(maps, maps === -12 ? 'HC-ERR-4' : 'HC-ERR-3', `kvmemdup_bpfptr(signature_maps, ${k} × 4): ${why}`);
  }
  const dv = new DataView(maps.buffer, maps.byteOffset, maps.byteLength);
  const index = (n: number): number => dv.getInt32(4 * n, true);
  ctx.step('HC-CHK-2', 'kvmemdup_bpfptr(signature_maps)', `${k} fd_array ${k === 1 ? 'index' : 'indexes'}: [${Array.from({ length: Math.min(k, 8) }, (_, n) => index(n)).join(', ')}${k > 8 ? ', …' : ''}]`);

  const fdArray = ctx.ptr(attr.fd_array);
  let chain: Uint8Array | undefined;
  for (let n = k - 1; n >= 0; n--) {
    // HC-CHK-3: the fd is read from the caller's fd_array here, once, with no check of the index
    // against fd_array_cnt. This read is its own trace step: bpf_check reads the slot again later
    // (HC-NOT-3), and anything that changes the fd table in between changes what the program binds.
    const idx = index(n);
    const off = BigInt(idx) * 4n;
    const slot = copyFromBpfPtrOffset(ctx.proc.mem, fdArray, off, 4);
    if (slot.ret !== 0) {
      const what = `fd_array[maps[${n}] = ${idx}] at 0x${BigInt.asUintN(64, fdArray.addr + off).toString(16)}`;
      if (slot.ret > 0) {
        // HC-Q-1: copy_from_user's count of bytes not copied, returned as is.
        ctx.step('HC-CHK-3', 'copy_from_bpfptr_offset(fd_array)', `${what}: ${slot.ret} bytes not copied — returned as is (HC-Q-1)`, slot.ret);
        return fail(slot.ret, 'HC-Q-1', `copy_from_bpfptr_offset(${what}) returned ${slot.ret} (bytes not copied), not an errno`);
      }
      ctx.fail('HC-CHK-3', 'copy_from_bpfptr_offset(fd_array)', slot.ret, `${what}: kernel pointer not readable`);
      return fail(slot.ret, 'HC-ERR-6', `copy_from_bpfptr_offset(${what}): copy_from_kernel_nofault failed`);
    }
    const fd = new DataView(slot.bytes.buffer, slot.bytes.byteOffset).getInt32(0, true);
    ctx.step('HC-CHK-3', 'copy_from_bpfptr_offset(fd_array): map fd resolved before bpf_check', `maps[${n}] = ${idx} → fd_array[${idx}] = fd ${fd}`);

    // HC-CHK-4: bpf_map_get_hash(fd): __bpf_map_get, then map_get_hash (array maps only).
    const got = bpfMapGet(ctx, fd);
    if (typeof got === 'number') {
      const why = got === -9 ? 'no open file' : 'not a map';
      ctx.fail('HC-CHK-4', 'bpf_map_get_hash: __bpf_map_get', got, `fd ${fd}: ${why}`);
      return fail(got, 'HC-ERR-7', `bpf_map_get_hash(fd ${fd}): ${why}`);
    }
    const map = got.map;
    const label = `map id ${map.id} '${map.name}' (${mapTypeName(map.mapType)})`;
    if (!map.getHash) {
      ctx.fail('HC-CHK-4', 'bpf_map_get_hash: no map_get_hash', -22, `fd ${fd}: ${label}`);
      return fail(-22, 'HC-ERR-8', `bpf_map_get_hash(fd ${fd}): ${label} has no map_get_hash`);
    }
    // HC-CHK-6: array_map_get_hash writes map->sha, whatever the map's state (no frozen check, HC-NOT-1;
    // no exclusivity check, HC-NOT-2).
    const err = map.getHash();
    if (err) {
      ctx.fail('HC-CHK-4', 'bpf_map_get_hash: map_get_hash', err, `fd ${fd}: ${label}`);
      return fail(err, 'HC-CHK-4', `bpf_map_get_hash(fd ${fd}): map_get_hash failed`);
    }
    const h = map.sha!.slice();
    ctx.step('HC-CHK-4', 'bpf_map_get_hash: map->sha overwritten (HC-CHK-6)', `fd ${fd} → ${label}${map.frozen ? '' : ', not frozen'}${map.exclProgSha ? '' : ', not exclusive'}: H = ${hex(h)}`);
    // HC-SIG-1 / HC-SIG-2
    chain = chain === undefined ? h : sha256(chain, h);
    ctx.step(n === k - 1 ? 'HC-SIG-1' : 'HC-SIG-2', n === k - 1 ? `h_${n} = H(M_${n})` : `h_${n} = SHA256(h_${n + 1} ‖ H(M_${n}))`, hex(chain));
  }
  // HC-SIG-3: the instructions as the caller sent them (prog->insnsi before any rewrite).
  const f = sha256(sha256(l.origInsns!), chain!);
  ctx.step('HC-SIG-3', 'f = SHA256(SHA256(insns) ‖ h_0): the 32 bytes the signature must cover', hex(f));
  return f;
}

/** bpf_prog_verify_signature of one revision of the series, as the stage in the signature slot. */
export function hashChainSignatureStage(id: string, check: MapsCopyCheck): LoadStage {
  // KP-LOAD-2 (signatureSlotStage): the whole function runs only for a load that carries a signature
  // pointer; the hash-chain fields of an unsigned load are ignored.
  return signatureSlotStage(id, (l) => {
    const k = l.attr.signature_maps_size;
    // HC-SIG-5 / HC-ERR-1: no maps → KP's check over the instructions, unchanged.
    const res = k === 0 ? verifyProgSignature(l, l.origInsns!) : verifyProgSignature(l, () => hashChainContent(l, check));
    const ctx = l.ctx;
    if (res.ret < 0) return ctx.fail(id, `bpf_prog_verify_signature (${res.stage})`, res.ret, verdictDetail(res));
    if (res.ret > 0) {
      // HC-Q-1: `if (err) goto free_maps; … return err;` — bpf_prog_load returns it as is.
      ctx.step(id, 'bpf_prog_verify_signature: positive return, passed up as is (HC-Q-1)', verdictDetail(res), res.ret);
      return res.ret;
    }
    ctx.step(id, k === 0 ? 'bpf_prog_verify_signature: signature verified' : `bpf_prog_verify_signature: hash chain over ${k} ${k === 1 ? 'map' : 'maps'} verified`, verdictDetail(res), 0);
    return 0;
  });
}

/** v2 (2025-09-29, "Fix regression found by syzkaller"): IS_ERR/PTR_ERR on the maps copy. */
export const HASHCHAIN_V2_STAGE = hashChainSignatureStage('LOAD-9.hashchain-v2', 'IS_ERR');

/** v1 (2025-09-26): `if (!maps)` — the syzbot oops (HC-Q-2). */
export const HASHCHAIN_V1_STAGE = hashChainSignatureStage('LOAD-9.hashchain-v1', 'NULL');
