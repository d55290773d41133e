// The guest's initramfs: our runner (tools/realkernel/runner.c, built with the host's
// `gcc -static -O2`) as /init, busybox-static as /bin/busybox (for a debug shell), and the request
// as /req. Archives are cpio "newc", written here; the base part (runner + busybox) is gzipped once
// and cached, and each batch appends a small uncompressed archive holding /req — the kernel
// unpacks a sequence of archives, compressed or not, each starting on a 4-byte boundary.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PACKAGE_ROOT } from '../shared-dir.js';
import { cacheDir, fetchBusybox, type FetchOptions } from './cache.js';
import { RealKernelError } from './errors.js';

export const RUNNER_SOURCE = join(PACKAGE_ROOT, 'tools', 'realkernel', 'runner.c');

interface CpioEntry {
  readonly name: string;
  /** S_IFREG | perm, S_IFDIR | perm, S_IFLNK | perm. */
  readonly mode: number;
  readonly data: Uint8Array;
}

const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

/** A cpio archive in the "newc" format (magic 070701), with its TRAILER!!! entry. */
export function cpioNewc(entries: readonly CpioEntry[]): Uint8Array {
  const parts: Buffer[] = [];
  let ino = 1;
  const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
  const push = (e: CpioEntry) => {
    const name = Buffer.from(e.name + '\0', 'utf8');
    const header =
      '070701' + hex(ino++) + hex(e.mode) + hex(0) + hex(0) + hex(e.mode & S_IFDIR ? 2 : 1) + hex(0) + hex(e.data.length) +
      hex(0) + hex(0) + hex(0) + hex(0) + hex(name.length) + hex(0);
    parts.push(Buffer.from(header, 'ascii'), name, Buffer.alloc(pad4(110 + name.length)));
    parts.push(Buffer.from(e.data), Buffer.alloc(pad4(e.data.length)));
  };
  for (const e of entries) push(e);
  push({ name: 'TRAILER!!!', mode: 0, data: new Uint8Array(0) });
  return new Uint8Array(Buffer.concat(parts));
}

/** Build the runner once per source version; the path of the static binary. */
export function buildRunner(): string {
  let src: Buffer;
  try {
    src = readFileSync(RUNNER_SOURCE);
  } catch {
    throw new RealKernelError('no-gcc', `the runner source ${RUNNER_SOURCE} is missing (tools/realkernel/runner.c ships with bpfsig)`);
  }
  const sha = createHash('sha256').update(src).digest('hex').slice(0, 16);
  const dir = join(cacheDir(), 'runner');
  const out = join(dir, `runner-${sha}`);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const tmp = `${out}.tmp${process.pid}`;
  const r = spawnSync('gcc', ['-static', '-O2', '-Wall', '-o', tmp, RUNNER_SOURCE], { encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') throw new RealKernelError('no-gcc', 'gcc not found: the guest runner is built with the host\'s gcc -static (apt-get install gcc libc6-dev)');
  if (r.status !== 0) {
    const first = (r.stderr ?? '').split('\n').find((l) => /error|cannot find/.test(l)) ?? (r.stderr ?? '').split('\n')[0];
    throw new RealKernelError('no-gcc', `gcc -static could not build the runner (a static libc, libc6-dev, is needed): ${first?.trim()}`);
  }
  renameSync(tmp, out);
  return out;
}

/** The gzipped base archive (runner as /init, busybox), cached; its path. */
export function baseInitramfs(opts: FetchOptions = {}): string {
  const runner = buildRunner();
  const busybox = fetchBusybox(opts);
  const runnerBytes = readFileSync(runner);
  const bbBytes = readFileSync(busybox);
  const sha = createHash('sha256').update(runnerBytes).update(bbBytes).digest('hex').slice(0, 16);
  const out = join(cacheDir(), 'initramfs', `base-${sha}.cpio.gz`);
  if (existsSync(out)) return out;
  mkdirSync(join(cacheDir(), 'initramfs'), { recursive: true });
  const dir = (name: string) => ({ name, mode: S_IFDIR | 0o755, data: new Uint8Array(0) });
  const cpio = cpioNewc([
    dir('bin'),
    dir('dev'),
    dir('proc'),
    dir('sys'),
    dir('tmp'),
    { name: 'init', mode: S_IFREG | 0o755, data: runnerBytes },
    { name: 'bin/busybox', mode: S_IFREG | 0o755, data: bbBytes },
    { name: 'bin/sh', mode: S_IFLNK | 0o777, data: new Uint8Array(Buffer.from('busybox')) },
  ]);
  const gz = gzipSync(cpio, { level: 6 });
  const padded = Buffer.concat([gz, Buffer.alloc(pad4(gz.length))]);
  writeFileSync(`${out}.tmp${process.pid}`, padded);
  renameSync(`${out}.tmp${process.pid}`, out);
  return out;
}

/** base + an archive holding /req: the bytes to pass as -initrd. */
export function initramfsWithRequest(base: string, request: string): Uint8Array {
  const req = cpioNewc([{ name: 'req', mode: S_IFREG | 0o644, data: new Uint8Array(Buffer.from(request, 'utf8')) }]);
  return new Uint8Array(Buffer.concat([readFileSync(base), Buffer.from(req)]));
}
