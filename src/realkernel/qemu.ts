// Boot a kernel under QEMU with our initramfs and collect what the runner wrote on the second
// serial port (spec: OBS-DEB-2: q35, -cpu max, 2 vCPUs, 2 GiB, software emulation). KVM only when
// asked (BPFSIG_REAL_ACCEL=kvm): under nested virtualisation KVM can fail to emulate the BMI2
// instructions of the kernel's decompressor ("emulation failure"), as it did on our CI machine.

import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RealKernelError } from './errors.js';

export const QEMU = 'qemu-system-x86_64';
/** The kernel command line (OBS-DEB-2), plus a larger audit backlog for batches of many loads. */
export const KERNEL_APPEND = 'console=ttyS0 panic=-1 quiet audit=1 audit_backlog_limit=8192 printk_ratelimit=0';

export interface BootResult {
  /** What the runner wrote on ttyS1. */
  readonly results: string;
  /** The guest console (ttyS0): kernel messages when something went wrong. */
  readonly console: string;
  readonly ms: number;
  readonly accel: 'kvm' | 'tcg';
}

export function qemuAvailable(): boolean {
  return spawnSync(QEMU, ['--version'], { stdio: 'ignore' }).status === 0;
}

function kvmUsable(): boolean {
  if (process.env.BPFSIG_REAL_ACCEL !== 'kvm') return false;
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export interface BootOptions {
  readonly timeoutMs: number;
}

export async function bootKernel(vmlinuz: string, initrd: Uint8Array, opts: BootOptions): Promise<BootResult> {
  if (!qemuAvailable()) throw new RealKernelError('no-qemu', `${QEMU} not found: install QEMU (apt-get install --no-install-recommends qemu-system-x86)`);
  const dir = mkdtempSync(join(tmpdir(), 'bpfsig-real-'));
  const initrdPath = join(dir, 'initrd.img');
  const resultsPath = join(dir, 'results.txt');
  const consolePath = join(dir, 'console.txt');
  writeFileSync(initrdPath, initrd);
  const accel = kvmUsable() ? 'kvm' : 'tcg';
  const args = [
    '-machine', `q35,accel=${accel}`,
    '-cpu', 'max',
    '-smp', '2',
    '-m', '2G',
    '-nodefaults', '-no-user-config',
    '-display', 'none',
    '-serial', `file:${consolePath}`,
    '-serial', `file:${resultsPath}`,
    '-no-reboot',
    '-kernel', vmlinuz,
    '-initrd', initrdPath,
    '-append', KERNEL_APPEND,
  ];
  const t0 = Date.now();
  try {
    const { code, timedOut, stderr } = await new Promise<{ code: number | null; timedOut: boolean; stderr: string }>((resolve, reject) => {
      const child = spawn(QEMU, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, opts.timeoutMs);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new RealKernelError('no-qemu', `${QEMU} could not start: ${e.message}`));
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, timedOut, stderr });
      });
    });
    const read = (p: string) => {
      try {
        return readFileSync(p, 'latin1');
      } catch {
        return '';
      }
    };
    const results = read(resultsPath).replace(/\r/g, '');
    const console = read(consolePath).replace(/\r/g, '');
    const ms = Date.now() - t0;
    if (timedOut && !/^DONE /m.test(results)) {
      throw new RealKernelError('boot', `the guest did not finish within ${Math.round(opts.timeoutMs / 1000)} s (${accel}); last console line: ${lastLine(console)}`);
    }
    if (code !== 0 && !/^DONE /m.test(results)) throw new RealKernelError('boot', `${QEMU} exited with ${code}: ${lastLine(stderr) || lastLine(console)}`);
    return { results, console, ms, accel };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return (lines[lines.length - 1] ?? '(none)').slice(0, 200);
}
