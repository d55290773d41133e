// The package cache of the real-kernel backend: Debian's kernel builds and busybox-static, fetched
// once through apt-get with a private configuration and unpacked with dpkg-deb (spec: OBS-DEB-1).
// Nothing is installed on the host. Where: $BPFSIG_CACHE, else $XDG_CACHE_HOME/bpfsig, else
// ~/.cache/bpfsig.
//
//   <cache>/apt/            sources.list (sid + trixie-backports), lists/, archives/
//   <cache>/debian/<abi>/   vmlinuz, config, package.json (what was fetched, from which packages);
//                           vmlinux.btf + btf.json once the build's BTF was asked for (btf.ts)
//   <cache>/busybox/        busybox (static), package.json

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { RealKernelError } from './errors.js';
import { BUSYBOX_PACKAGE, debianKernel, debianKernels, type DebianKernel } from './kernels.js';

export const DEBIAN_MIRROR = 'http://deb.debian.org/debian';
const SOURCES = `deb ${DEBIAN_MIRROR} sid main\ndeb ${DEBIAN_MIRROR} trixie-backports main\n`;
/** Re-read the package lists when they are older than this. */
const LISTS_MAX_AGE_MS = 24 * 3600 * 1000;

export function cacheDir(): string {
  if (process.env.BPFSIG_CACHE) return process.env.BPFSIG_CACHE;
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.length ? xdg : join(homedir(), '.cache'), 'bpfsig');
}

export interface CachedKernel {
  readonly kernel: DebianKernel;
  readonly vmlinuz: string;
  readonly config: string;
}

export interface FetchOptions {
  /** Progress lines (default: stderr). */
  readonly progress?: (line: string) => void;
}

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export function kernelDir(k: DebianKernel): string {
  return join(cacheDir(), 'debian', k.abi);
}

/** The cached files of a build, or undefined when it has not been fetched. */
export function cachedKernel(kver: string): CachedKernel | undefined {
  const k = debianKernel(kver);
  const dir = kernelDir(k);
  const vmlinuz = join(dir, 'vmlinuz');
  const config = join(dir, 'config');
  return existsSync(join(dir, 'package.json')) && existsSync(vmlinuz) && existsSync(config) ? { kernel: k, vmlinuz, config } : undefined;
}

export function cachedBusybox(): string | undefined {
  const p = join(cacheDir(), 'busybox', 'busybox');
  return existsSync(join(cacheDir(), 'busybox', 'package.json')) && existsSync(p) ? p : undefined;
}

/** What is cached, for `bpfsig real kernels`. */
export function cacheListing(): { kver: string; cached: boolean; bytes: number }[] {
  return debianKernels().map((k) => {
    const c = cachedKernel(k.kver);
    return { kver: k.kver, cached: !!c, bytes: c ? statSync(c.vmlinuz).size + statSync(c.config).size : 0 };
  });
}

class Apt {
  readonly root = join(cacheDir(), 'apt');
  constructor(private readonly progress: (line: string) => void) {}

  private opts(): string[] {
    return [
      '-o', `Dir::Etc::sourcelist=${join(this.root, 'sources.list')}`,
      '-o', 'Dir::Etc::sourceparts=-',
      '-o', `Dir::State::Lists=${join(this.root, 'lists')}`,
      '-o', `Dir::Cache=${join(this.root, 'cache')}`,
      '-o', 'Dir::State::status=/dev/null',
      '-o', 'APT::Architecture=amd64',
      '-o', 'Debug::NoLocking=1',
      '-o', 'APT::Sandbox::User=root',
      '-o', 'Acquire::Retries=2',
      '-q',
    ];
  }

  private run(args: string[], cwd?: string): { ok: boolean; text: string } {
    const r = spawnSync('apt-get', [...this.opts(), ...args], { cwd, encoding: 'utf8', timeout: 600_000 });
    return { ok: r.status === 0, text: `${r.stdout ?? ''}${r.stderr ?? ''}` };
  }

  /** Write the private configuration and read the package lists (again when a day old). */
  update(force = false): void {
    if (!which('apt-get') || !which('dpkg-deb')) throw new RealKernelError('no-apt', 'apt-get and dpkg-deb are needed to fetch Debian kernels (a Debian or Ubuntu host)');
    for (const d of ['lists/partial', 'cache/archives/partial']) mkdirSync(join(this.root, d), { recursive: true });
    writeFileSync(join(this.root, 'sources.list'), SOURCES);
    const stamp = join(this.root, 'lists', '.bpfsig-updated');
    if (!force && existsSync(stamp) && Date.now() - statSync(stamp).mtimeMs < LISTS_MAX_AGE_MS) return;
    this.progress(`bpfsig: reading Debian's package lists (sid, trixie-backports) into ${this.root}`);
    const r = this.run(['update']);
    const failed = /^(E:|W: Failed to fetch|Err:)/m.exec(r.text);
    if (!r.ok || failed) throw new RealKernelError('registry', `Debian's registry did not answer (apt-get update): ${firstLine(r.text, /^(E:|Err:|W: Failed)/m)}`);
    writeFileSync(stamp, new Date().toISOString() + '\n');
  }

  /** apt-get download into a fresh folder; the .deb paths. */
  download(pkgs: readonly string[], into: string): string[] {
    let r = this.run(['download', ...pkgs], into);
    if (!r.ok && /Unable to locate|has no installation candidate|Couldn't find/.test(r.text)) {
      this.update(true); // the lists may predate the package
      r = this.run(['download', ...pkgs], into);
    }
    if (!r.ok) throw new RealKernelError('registry', `apt-get download ${pkgs.join(' ')} failed: ${firstLine(r.text, /^(E:|Err:)/m)}`);
    return readdirSync(into).filter((f) => f.endsWith('.deb')).map((f) => join(into, f));
  }
}

function firstLine(text: string, prefer: RegExp): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const hit = lines.find((l) => prefer.test(l));
  return (hit ?? lines[lines.length - 1] ?? 'no output').slice(0, 300);
}

/** dpkg-deb's data archive, without modules and docs (or only `members`, tar wildcards). */
function extract(deb: string, dest: string, members: string[] = []): void {
  mkdirSync(dest, { recursive: true });
  const sel = members.length ? `--wildcards ${members.map((m) => `'${m}'`).join(' ')}` : `--exclude='*.ko' --exclude='*.ko.*' --exclude='./usr/share/*'`;
  const r = spawnSync('sh', ['-c', `dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" ${sel}`, 'sh', deb, dest], { encoding: 'utf8' });
  if (r.status !== 0) throw new RealKernelError('registry', `unpacking ${deb} failed: ${firstLine(r.stderr ?? '', /./)}`);
}

/** The kernel image and config in an unpacked tree: boot/vmlinuz-*, boot/config-* (6.x) or usr/lib/modules/ABI/{vmlinuz,config} (7.x). */
function findKernelFiles(root: string, abi: string): { vmlinuz?: string; config?: string } {
  const cands = (names: string[]) => names.map((n) => join(root, n)).find((p) => existsSync(p));
  return {
    vmlinuz: cands([`boot/vmlinuz-${abi}`, `usr/lib/modules/${abi}/vmlinuz`, `lib/modules/${abi}/vmlinuz`]),
    config: cands([`boot/config-${abi}`, `usr/lib/modules/${abi}/config`, `lib/modules/${abi}/config`]),
  };
}

export function progressOf(opts: FetchOptions): (line: string) => void {
  return opts.progress ?? ((line) => process.stderr.write(line + '\n'));
}

/**
 * One fetch at a time per cache (test workers and parallel commands share it): a lock folder,
 * taken over when older than 20 minutes (a fetcher that died).
 */
export function withCacheLock<T>(fn: () => T): T {
  mkdirSync(cacheDir(), { recursive: true });
  const lock = join(cacheDir(), '.lock');
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (Date.now() - statSync(lock).mtimeMs > 20 * 60_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
      if (Date.now() > deadline) throw new RealKernelError('registry', `the cache ${cacheDir()} stayed locked (${lock})`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Fetch and unpack one build (once); the cached files. */
export function fetchKernel(kver: string, opts: FetchOptions = {}): CachedKernel {
  return cachedKernel(kver) ?? withCacheLock(() => fetchKernelLocked(kver, opts));
}

function fetchKernelLocked(kver: string, opts: FetchOptions): CachedKernel {
  const hit = cachedKernel(kver);
  if (hit) return hit;
  const k = debianKernel(kver);
  const progress = progressOf(opts);
  const apt = new Apt(progress);
  apt.update();
  const pkgs = [...new Set([k.kernelPackage, k.configPackage])];
  const t0 = Date.now();
  mkdirSync(join(cacheDir(), 'debian'), { recursive: true });
  const tmp = mkdtempSync(join(cacheDir(), 'debian', `.fetch-${k.abi}-`));
  try {
    const debs = apt.download(pkgs, tmp);
    const bytes = debs.reduce((a, d) => a + statSync(d).size, 0);
    const x = join(tmp, 'x');
    for (const d of debs) extract(d, x);
    const { vmlinuz, config } = findKernelFiles(x, k.abi);
    if (!vmlinuz || !config) throw new RealKernelError('registry', `${pkgs.join(' + ')} hold no kernel image and config for ${k.abi} (looked in boot/ and usr/lib/modules/${k.abi}/)`);
    const out = join(tmp, 'out');
    mkdirSync(out);
    renameSync(vmlinuz, join(out, 'vmlinuz'));
    renameSync(config, join(out, 'config'));
    writeFileSync(
      join(out, 'package.json'),
      JSON.stringify({ kver: k.kver, abi: k.abi, packages: debs.map((d) => d.slice(d.lastIndexOf('/') + 1)), vmlinuz: vmlinuz.slice(x.length + 1), config: config.slice(x.length + 1), fetched: new Date().toISOString() }, null, 1) + '\n',
    );
    rmSync(kernelDir(k), { recursive: true, force: true });
    renameSync(out, kernelDir(k));
    progress(`bpfsig: fetched Debian ${k.kver} (${pkgs.join(' + ')}, ${(bytes / 1e6).toFixed(0)} MB) into ${kernelDir(k)} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return cachedKernel(kver)!;
}

/** Fetch and unpack busybox-static (once); the path of the static busybox binary. */
export function fetchBusybox(opts: FetchOptions = {}): string {
  return cachedBusybox() ?? withCacheLock(() => fetchBusyboxLocked(opts));
}

function fetchBusyboxLocked(opts: FetchOptions): string {
  const hit = cachedBusybox();
  if (hit) return hit;
  const progress = progressOf(opts);
  const apt = new Apt(progress);
  apt.update();
  const dir = join(cacheDir(), 'busybox');
  const tmp = mkdtempSync(join(cacheDir(), '.fetch-busybox-'));
  try {
    const debs = apt.download([BUSYBOX_PACKAGE], tmp);
    extract(debs[0]!, join(tmp, 'x'), ['./*bin/busybox']);
    const bin = [join(tmp, 'x/usr/bin/busybox'), join(tmp, 'x/bin/busybox')].find((p) => existsSync(p));
    if (!bin) throw new RealKernelError('registry', `${BUSYBOX_PACKAGE} holds no busybox binary`);
    mkdirSync(dir, { recursive: true });
    renameSync(bin, join(dir, 'busybox'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ package: debs[0]!.slice(debs[0]!.lastIndexOf('/') + 1), fetched: new Date().toISOString() }) + '\n');
    progress(`bpfsig: fetched ${BUSYBOX_PACKAGE} into ${dir}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return join(dir, 'busybox');
}

/** The kernel config as a map (CONFIG_X → value). */
export function readKernelConfig(path: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const x = /^(CONFIG_\w+)=(.*)$/.exec(line);
    if (x) m.set(x[1]!, x[2]!);
  }
  return m;
}
