#!/usr/bin/env node
// `npm run fuzz [-- --seconds N --seed S --target T … --out DIR]`: seeded fuzzing of bpfsig's
// syscall, signature, ELF, light-skeleton and loader-context layers (tools/fuzz/targets.mjs),
// against the built package (dist/). Each target runs in its own child process with a watchdog;
// input #i of seed S is rebuilt from (target, S, i) alone.
//
// A result is valid only if it is a success, a kernel errno (errno.ts), a named parse error or a
// named not-emulated outcome. An exception, an invalid value, a false accept (pkcs7) or an input
// that runs longer than --hang seconds is a failure: its input is written to DIR/<target>-<seed>-<i>.json
// and `npm run fuzz -- --replay FILE` runs it again (regenerated from the seed, compared with the
// stored input). Exit status 0 when no target failed, 1 otherwise, 2 bad usage.

import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mix, rng } from './rng.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ALL = ['attr', 'pkcs7', 'elf', 'lskel', 'loader-ctx', 'sweep'];

let args;
try {
  args = parseArgs({
    options: {
      seconds: { type: 'string', default: '10' },
      seed: { type: 'string' },
      target: { type: 'string', multiple: true },
      out: { type: 'string', default: join(here, '..', '..', 'fuzz-failures') },
      hang: { type: 'string', default: '30' },
      'require-complete': { type: 'boolean' },
      replay: { type: 'string' },
      worker: { type: 'boolean' },
      progress: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }).values;
} catch (e) {
  console.error(`fuzz: ${e.message}`);
  process.exit(2);
}
if (args.help) {
  console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n'));
  process.exit(0);
}
const targets = args.target ?? ALL;
for (const t of targets) if (!ALL.includes(t)) {
  console.error(`fuzz: unknown target '${t}' (one of ${ALL.join(', ')})`);
  process.exit(2);
}
const seconds = Number(args.seconds);
const seed = args.seed !== undefined ? Number(args.seed) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
if (!Number.isFinite(seconds) || seconds <= 0 || (args.seed !== undefined && !/^\d+$/.test(args.seed))) {
  console.error('fuzz: --seconds wants a positive number and --seed an unsigned integer');
  process.exit(2);
}

async function loadTarget(name) {
  if (name === 'sweep') return (await import('./sweep.mjs')).SWEEP;
  return (await import('./targets.mjs')).TARGETS[name];
}

/** Run one input; the outcome, or the failure (message and stack). */
function runOne(target, input, state) {
  try {
    const o = target.run(input, state);
    if (!o || !['ok', 'errno', 'parse-error', 'not-emulated'].includes(o.kind)) return { failure: `invalid outcome ${JSON.stringify(o)}` };
    if (o.kind === 'parse-error' && !o.name) return { failure: 'parse error without a name' };
    if (o.kind === 'not-emulated' && !o.reason) return { failure: 'not emulated without a reason' };
    const bad = target.check?.(o);
    if (bad) return { failure: bad, outcome: o };
    return { outcome: o };
  } catch (e) {
    return { failure: `${e?.name ?? 'Error'}: ${e?.message ?? String(e)}`, stack: String(e?.stack ?? '') };
  }
}

function writeFailure(name, s, i, input, failure, stack, state) {
  mkdirSync(args.out, { recursive: true });
  const file = join(args.out, `${name}-${s}-${i}.json`);
  writeFileSync(file, JSON.stringify({ target: name, seed: s, iteration: i, failure, stack, ...(state ? { state } : {}), input }, null, 1));
  return file;
}

if (args.replay) {
  const f = JSON.parse(readFileSync(args.replay, 'utf8'));
  const target = await loadTarget(f.target);
  const state = await target.setup(f.state);
  const input = target.gen(rng(mix(f.seed, f.iteration)), state, f.iteration);
  const same = JSON.stringify(input) === JSON.stringify(f.input);
  console.log(`replay ${f.target} seed ${f.seed} input #${f.iteration}: regenerated input ${same ? 'identical to' : 'DIFFERS from'} the stored one`);
  const r = runOne(target, same ? input : f.input, state);
  if (r.failure) {
    console.log(`FAIL: ${r.failure}\n${r.stack ?? ''}`);
    process.exit(1);
  }
  console.log(`outcome: ${JSON.stringify(r.outcome)}`);
  process.exit(0);
}

if (args.worker) {
  // One target, in this process; the parent watches the "at" lines.
  const name = targets[0];
  const target = await loadTarget(name);
  const state = await target.setup();
  const deadline = performance.now() + seconds * 1000;
  const counts = {};
  let failures = 0;
  let i = 0;
  // A target with a finite plan (the sweep) stops when every planned input ran.
  const limit = state.plan?.length ?? Infinity;
  // Progress for the parent's watchdog: the index of the input being run, in a 4-byte file
  // (one pwrite per input; a line per input on the pipe would slow both processes down).
  const pfd = openSync(args.progress, 'w');
  const cur = Buffer.alloc(4);
  for (; i < limit && performance.now() < deadline; i++) {
    const input = target.gen(rng(mix(seed, i)), state, i);
    cur.writeUInt32LE(i);
    writeSync(pfd, cur, 0, 4, 0);
    const r = runOne(target, input, state);
    if (r.failure) {
      failures++;
      const file = writeFailure(name, seed, i, input, r.failure, r.stack, target.snapshot?.(state));
      process.stdout.write(`fail ${i} ${JSON.stringify({ failure: r.failure, file })}\n`);
    } else {
      const k = (r.outcome.kind === 'parse-error' ? `parse-error:${r.outcome.name}` : r.outcome.kind === 'errno' ? `errno:${r.outcome.errno}` : r.outcome.kind) + (r.outcome.unchecked ? ' (unchecked sig byte)' : '');
      counts[k] = (counts[k] ?? 0) + 1;
    }
  }
  // Let stdout drain before exiting: a pipe the parent is slow to read is written asynchronously.
  process.stdout.write(`done ${JSON.stringify({ inputs: i, failures, counts, complete: i >= limit })}\n`, () => process.exit(0));
  await new Promise(() => {}); // the write callback ends the process; nothing below is for workers
}

// Parent: one child per target, in turn.
console.log(`fuzz: seed ${seed}, ${seconds} s per target, targets ${targets.join(', ')}`);
let anyFail = false;
for (const name of targets) {
  const progress = join(tmpdir(), `bpfsig-fuzz-${process.pid}-${name}`);
  writeFileSync(progress, Buffer.alloc(4, 0xff));
  const res = await new Promise((done) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--worker', '--target', name, '--seed', String(seed), '--seconds', String(seconds), '--out', resolve(args.out), '--progress', progress], { stdio: ['ignore', 'pipe', 'inherit'] });
    let last = -1;
    let buf = '';
    let summary;
    const fails = [];
    // Watchdog: the input index in the progress file must move within --hang seconds.
    let changed = performance.now();
    const readProgress = () => {
      const b = Buffer.alloc(4);
      const fd = openSync(progress, 'r');
      try {
        readSync(fd, b, 0, 4, 0);
      } finally {
        closeSync(fd);
      }
      const v = b.readUInt32LE(0);
      return v === 0xffffffff ? -1 : v;
    };
    const timer = setInterval(() => {
      const now = readProgress();
      if (now !== last) {
        last = now;
        changed = performance.now();
      } else if (performance.now() - changed > Number(args.hang) * 1000 && !summary) {
        fails.push({ i: last, failure: `hang: input #${last} ran longer than ${args.hang} s` });
        child.kill('SIGKILL');
      }
    }, 250);
    child.stdout.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('fail ')) {
          const sp = line.indexOf(' ', 5);
          fails.push({ i: Number(line.slice(5, sp)), ...JSON.parse(line.slice(sp + 1)) });
        } else if (line.startsWith('done ')) summary = JSON.parse(line.slice(5));
      }
    });
    // 'close': the process ended and its stdout was read to the end.
    child.on('close', async (code, signal) => {
      clearInterval(timer);
      last = readProgress();
      rmSync(progress, { force: true });
      if (!summary) {
        // Killed (hang) or crashed outright: rebuild the input it was on and keep it.
        // (A target with a random key regenerates a different one here: the file records the input as rebuilt.)
        const target = await loadTarget(name);
        const state = await target.setup();
        const input = target.gen(rng(mix(seed, last)), state, last);
        const why = fails.find((f) => f.i === last)?.failure ?? `worker died (${signal ?? `exit ${code}`}) on input #${last}`;
        const file = writeFailure(name, seed, last, input, why);
        if (!fails.some((f) => f.i === last)) fails.push({ i: last, failure: why });
        fails.at(-1).file = file;
        summary = { inputs: last + 1, failures: fails.length, counts: {} };
      }
      done({ summary, fails });
    });
  });
  const { summary, fails } = res;
  const kinds = Object.entries(summary.counts).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`${name.padEnd(10)} ${String(summary.inputs).padStart(7)} inputs, ${fails.length} failures${summary.complete ? ' (complete)' : ''}${kinds ? `  [${kinds}]` : ''}`);
  for (const f of fails.slice(0, 10)) console.log(`  FAIL #${f.i}: ${f.failure}${f.file ? `\n    input: ${f.file}\n    replay: npm run fuzz -- --replay ${f.file}` : ''}`);
  if (fails.length) anyFail = true;
  if (args['require-complete'] && !summary.complete) {
    console.log(`  FAIL: ${name} did not finish its plan in ${seconds} s (--require-complete)`);
    anyFail = true;
  }
}
console.log(anyFail ? 'fuzz: FAILURES (see above)' : `fuzz: 0 failures (seed ${seed})`);
process.exit(anyFail ? 1 : 0);
