// A small seeded PRNG (mulberry32) and the per-input seed derivation: input #i of a run with seed S
// is generated from rng(mix(S, i)) alone, so any one input is rebuilt from (target, S, i) without
// replaying the ones before it.

export function mix(seed, i) {
  let h = (seed ^ Math.imul(i + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r = {
    next,
    /** integer in [0, n) */
    int: (n) => Math.floor(next() * n),
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    bool: (p = 0.5) => next() < p,
    bytes: (n) => {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = Math.floor(next() * 256);
      return b;
    },
    /** An "interesting" 32-bit value. */
    u32: () => r.pick([0, 1, 2, 3, 4, 7, 8, 16, 64, 255, 256, 4095, 4096, 65535, 65536, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, Math.floor(next() * 2 ** 32)]),
  };
  return r;
}

/** Apply 1..k random mutations (flip, set, insert, delete, truncate, duplicate a run) to bytes. */
export function mutate(r, input, k = 4) {
  let b = input.slice();
  const n = 1 + r.int(k);
  for (let m = 0; m < n; m++) {
    const len = b.length;
    switch (r.int(7)) {
      case 0:
        if (len) b[r.int(len)] ^= 1 << r.int(8);
        break;
      case 1:
        if (len) b[r.int(len)] = r.pick([0, 0xff, 0x7f, 0x80, 1, r.int(256)]);
        break;
      case 2: {
        const at = r.int(len + 1);
        const ins = r.bytes(1 + r.int(8));
        const c = new Uint8Array(len + ins.length);
        c.set(b.subarray(0, at));
        c.set(ins, at);
        c.set(b.subarray(at), at + ins.length);
        b = c;
        break;
      }
      case 3: {
        if (!len) break;
        const at = r.int(len);
        const cnt = 1 + r.int(Math.min(16, len - at));
        const c = new Uint8Array(len - cnt);
        c.set(b.subarray(0, at));
        c.set(b.subarray(at + cnt), at);
        b = c;
        break;
      }
      case 4:
        b = b.slice(0, r.int(len + 1));
        break;
      case 5:
        if (len >= 4) new DataView(b.buffer).setUint32(r.int(len - 3), r.u32(), true);
        break;
      case 6: {
        if (!len) break;
        const at = r.int(len);
        const cnt = 1 + r.int(Math.min(32, len - at));
        const c = new Uint8Array(len + cnt);
        c.set(b.subarray(0, at + cnt));
        c.set(b.subarray(at, at + cnt), at + cnt);
        c.set(b.subarray(at + cnt), at + 2 * cnt);
        b = c;
        break;
      }
    }
  }
  return b;
}
