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
  private ns: bigint;
  constructor(
    startSec = DEFAULT_EPOCH_SEC,
    private readonly stepNs = 1_000_000n,
    startNsec = 0,
  ) {
    this.ns = BigInt(startSec) * 1_000_000_000n + BigInt(startNsec);
  }
  now() {
    return { sec: Number(this.ns / 1_000_000_000n), nsec: Number(this.ns % 1_000_000_000n) };
  }
  tick() {
    this.ns += this.stepNs;
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
