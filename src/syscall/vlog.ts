// The verifier log buffer (struct bpf_verifier_log) shared by BPF_BTF_LOAD and BPF_PROG_LOAD:
// attribute validation, rotating (default) or fixed (BPF_LOG_FIXED) truncation, the true size, and
// -ENOSPC when the buffer was too small. Rotation OBSERVED on this machine's 6.18.44 kernel: a
// 10-byte buffer kept the last 9 bytes of the log and the load failed with ENOSPC.

import { Errno } from './errno.js';

export const BPF_LOG_LEVEL1 = 1;
export const BPF_LOG_LEVEL2 = 2;
export const BPF_LOG_STATS = 4;
export const BPF_LOG_FIXED = 8;
const BPF_LOG_MASK = BPF_LOG_LEVEL1 | BPF_LOG_LEVEL2 | BPF_LOG_STATS | BPF_LOG_FIXED;

export class VerifierLog {
  private text = '';

  private constructor(
    readonly level: number,
    readonly ubuf: bigint,
    readonly lenTotal: number,
  ) {}

  /** bpf_vlog_init: -EINVAL when the attributes are not sane. */
  static init(level: number, ubuf: bigint, size: number): VerifierLog | number {
    if ((ubuf !== 0n) !== (size !== 0)) return -Errno.EINVAL;
    if (ubuf !== 0n && level === 0) return -Errno.EINVAL;
    if (level & ~BPF_LOG_MASK) return -Errno.EINVAL;
    if (size > 0xffff_ffff >>> 2) return -Errno.EINVAL;
    return new VerifierLog(level, ubuf, size);
  }

  /** Is anything being logged (bpf_verifier_log_needed)? */
  get needed(): boolean {
    return this.level !== 0 && this.ubuf !== 0n;
  }

  write(s: string): void {
    if (this.level) this.text += s;
  }

  /** Everything written, untruncated. */
  get full(): string {
    return this.text;
  }

  /** log_true_size: the bytes the whole log needs, NUL included (0 when nothing was logged). */
  get trueSize(): number {
    return this.needed && this.text.length ? Buffer.byteLength(this.text) + 1 : 0;
  }

  /**
   * bpf_vlog_finalize: the bytes to place in the user buffer (NUL-terminated, at most len_total),
   * and -ENOSPC if the log did not fit.
   */
  finalize(): { bytes: Uint8Array; err: number } {
    if (!this.needed) return { bytes: new Uint8Array(0), err: 0 };
    const all = Buffer.from(this.text, 'utf8');
    const room = this.lenTotal - 1;
    const fits = all.length <= room;
    const kept = fits ? all : this.level & BPF_LOG_FIXED ? all.subarray(0, room) : all.subarray(all.length - room);
    const bytes = new Uint8Array(kept.length + 1);
    bytes.set(kept);
    return { bytes, err: fits ? 0 : -Errno.ENOSPC };
  }
}
