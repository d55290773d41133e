// Time and key serial numbers, both injectable so that runs are deterministic.

import { DEFAULT_EPOCH_SEC } from '../abi/clock.js';

/** Wall-clock seconds since the epoch (the kernel's ktime_get_real_seconds), used for key expiry. */
export interface KeyClock {
  now(): number;
}

/** 2025-11-30T00:00:00Z, the day v6.18 was released: the emulated clock's start, shared with the syscall layer. */
export const DEFAULT_EPOCH = DEFAULT_EPOCH_SEC;

/** A clock that only moves when told to: a settable seconds clock for a KeyService used on its own (inside a Kernel the kernel's clock is used). */
export class KeyVirtualClock implements KeyClock {
  private t: number;
  constructor(start = DEFAULT_EPOCH) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  advance(seconds: number): void {
    this.t += seconds;
  }
  set(seconds: number): void {
    this.t = seconds;
  }
}

/** The host's clock, for interactive use. */
export const systemClock: KeyClock = { now: () => Math.floor(Date.now() / 1000) };

/**
 * A source of raw 32-bit values for key serials. The kernel draws random numbers (key_alloc_serial):
 * serial = value >> 1, redrawn while < 3, incremented past collisions. The default here is a
 * seeded xorshift32 generator, so serials look like the kernel's but repeat from run to run.
 */
export type SerialSource = () => number;

export const DEFAULT_SERIAL_SEED = 0x6b657973; // "keys"

export function xorshiftSerials(seed = DEFAULT_SERIAL_SEED): SerialSource {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** Serials 3, 4, 5, ... (raw values 6, 8, 10, ...), handy in hand-written expectations. */
export function sequentialSerials(first = 3): SerialSource {
  let n = first;
  return () => (n++ * 2) >>> 0;
}
