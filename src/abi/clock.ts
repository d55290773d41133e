// The kernel's clock. Deterministic by default: a virtual clock that starts at a fixed instant and
// moves forward a fixed step on every syscall, so traces and audit logs are byte-identical across
// runs (DESIGN principle 5). Inject a different clock for other timings.

export interface Clock {
  /** Current time as seconds and nanoseconds since the epoch. */
  now(): { sec: number; nsec: number };
  /** Called at every syscall entry; a virtual clock advances here. */
  tick(): void;
}

/** 2025-11-30T00:00:00Z, the day v6.18 was released. */
export const DEFAULT_EPOCH_SEC = 1_764_460_800;

export class VirtualClock implements Clock {
  // Seconds and nanoseconds as two numbers (issue K: no BigInt made per tick or per read); the
  // step split the same way, so a tick is two additions and a carry.
  private sec: number;
  private nsec: number;
  private readonly stepSec: number;
  private readonly stepNsec: number;
  constructor(startSec = DEFAULT_EPOCH_SEC, stepNs = 1_000_000n, startNsec = 0) {
    const ns = BigInt(startSec) * 1_000_000_000n + BigInt(startNsec);
    if (ns < 0n || stepNs < 0n) throw new RangeError('VirtualClock: the start and the step must not be negative');
    this.sec = Number(ns / 1_000_000_000n);
    this.nsec = Number(ns % 1_000_000_000n);
    this.stepSec = Number(stepNs / 1_000_000_000n);
    this.stepNsec = Number(stepNs % 1_000_000_000n);
  }
  now() {
    return { sec: this.sec, nsec: this.nsec };
  }
  tick() {
    this.sec += this.stepSec;
    this.nsec += this.stepNsec;
    if (this.nsec >= 1_000_000_000) {
      this.nsec -= 1_000_000_000;
      this.sec++;
    }
  }
}

/** Wall-clock time (for interactive use where determinism does not matter). */
export class RealClock implements Clock {
  now() {
    const ms = Date.now();
    return { sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1_000_000 };
  }
  tick() {}
}
