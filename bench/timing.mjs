// Timing helpers shared by the benchmarks (not a benchmark itself: bench/run.mjs runs only
// *.bench.mjs files).

/**
 * Median µs per call of a synchronous `fn`: `warmup` calls first (at most `n`), then `rounds` rounds
 * of `n` calls each, timed per round.
 */
export function timeMedian(fn, n, { rounds = 7, warmup = 50 } = {}) {
  for (let i = 0; i < Math.min(n, warmup); i++) fn();
  const per = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    per.push(Number(process.hrtime.bigint() - t0) / 1000 / n);
  }
  per.sort((a, b) => a - b);
  return per[rounds >> 1];
}

/** µs per call of a synchronous `fn`, calling it for at least `minMs` ms after `warmup` calls. */
export function timeFor(fn, { minMs = 300, warmup = 0 } = {}) {
  for (let i = 0; i < warmup; i++) fn();
  let n = 0;
  const t0 = process.hrtime.bigint();
  let el = 0;
  while (el < minMs * 1e6) {
    fn();
    n++;
    el = Number(process.hrtime.bigint() - t0);
  }
  return el / n / 1e3;
}
