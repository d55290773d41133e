// An emulated process: credentials, an fd table, a user address space linked to kernel memory, and
// the syscalls bpfsig handles. Each syscall method returns a SysResult; nothing is thrown for a
// kernel error.

import type { AuditTask } from '../audit/log.js';
import type { ProcessKeyrings } from '../keys/process-keyrings.js';
import { SYSCALL_NR } from '../audit/rules.js';
import type { Cred } from './creds.js';
import { FdTable, OpenFile, O_RDWR, fmodeFor } from './file.js';
import type { Kernel } from './kernel.js';
import { AddressSpace, type Region } from './memory.js';
import { NotEmulated, type OopsReport, type SysResult } from './result.js';

/** keyctl(2) operations (linux/keyctl.h). */
export const KEYCTL = {
  GET_KEYRING_ID: 0,
  JOIN_SESSION_KEYRING: 1,
  REVOKE: 3,
  LINK: 8,
  UNLINK: 9,
  SET_TIMEOUT: 15,
  INVALIDATE: 21,
} as const;

export interface ProcessOptions {
  readonly comm?: string;
  readonly exe?: string;
  readonly argv?: readonly string[];
  readonly cred?: Cred;
  readonly ppid?: number;
  /** Audit login uid; 4294967295 (unset) by default, as for a daemon. */
  readonly auid?: number;
  readonly ses?: number;
  readonly tty?: string | null;
  /**
   * Make a thread of this process: it shares the fd table, the address space and the keyrings
   * (CLONE_VM | CLONE_FILES), with its own task id and audit context. The race harness runs its
   * second thread this way.
   */
  readonly threadOf?: Process;
}

export class Process {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  readonly exe: string;
  readonly argv: readonly string[];
  cred: Cred;
  readonly auid: number;
  readonly ses: number;
  readonly tty: string | null;
  readonly fds: FdTable;
  readonly mem: AddressSpace;
  /** Thread, process and session keyrings (KEY_SPEC_* resolution). */
  readonly keyrings: ProcessKeyrings;
  /** Set when a kernel oops killed the task inside a syscall (it then makes no more syscalls). */
  killed: OopsReport | null = null;

  constructor(
    readonly kernel: Kernel,
    pid: number,
    cred: Cred,
    opts: ProcessOptions,
  ) {
    this.pid = pid;
    this.ppid = opts.ppid ?? pid - 1;
    this.comm = opts.comm ?? 'bpfsig';
    this.exe = opts.exe ?? '/usr/bin/bpfsig';
    this.argv = opts.argv ?? [this.comm];
    this.cred = cred;
    this.auid = opts.auid ?? 0xffff_ffff;
    this.ses = opts.ses ?? 0xffff_ffff;
    this.tty = opts.tty ?? null;
    const leader = opts.threadOf;
    this.mem = leader ? leader.mem : AddressSpace.user(kernel.kmem);
    this.keyrings = leader ? leader.keyrings : kernel.keys.createProcessKeyrings(cred.uid);
    this.fds = leader ? leader.fds : new FdTable();
    // fds 0-2: stdin, stdout, stderr (a tty: not a BPF object)
    if (!leader) {
      for (let i = 0; i < 3; i++) this.fds.install(new OpenFile('tty', null, fmodeFor(O_RDWR), () => {}, `/dev/pts/0`));
    }
  }

  /**
   * What the audit SYSCALL record says about this task: a snapshot, made again when the credentials
   * change (every other field of it is fixed for the task's life).
   */
  auditTask(): AuditTask {
    const c = this.cred;
    const t = this.#auditTask;
    if (t !== undefined && t.cred === c) return t.task;
    const task = this.snapshotAuditTask(c);
    this.#auditTask = { cred: c, task };
    return task;
  }
  #auditTask: { readonly cred: Cred; readonly task: AuditTask } | undefined;

  private snapshotAuditTask(c: Cred): AuditTask {
    return Object.freeze({
      pid: this.pid,
      ppid: this.ppid,
      auid: this.auid,
      ses: this.ses,
      uid: c.uid,
      gid: c.gid,
      euid: c.euid,
      suid: c.suid,
      fsuid: c.fsuid,
      egid: c.egid,
      sgid: c.sgid,
      fsgid: c.fsgid,
      tty: this.tty,
      comm: this.comm,
      exe: this.exe,
      argv: this.argv,
    });
  }

  /** bpf(2). `attr` is an address in this process's memory. */
  bpf(cmd: number, attr: bigint, size: number): SysResult {
    return this.kernel.bpfSyscall(this, cmd, attr, size);
  }

  /** close(2). */
  close(fd: number): SysResult {
    return this.kernel.syscall(this, 'close', SYSCALL_NR.close!, [BigInt(fd), 0n, 0n, 0n], { args: { fd } }, (ctx) =>
      this.kernel.closeFd(ctx, fd),
    );
  }

  /** dup2(2). */
  dup2(oldfd: number, newfd: number): SysResult {
    return this.kernel.syscall(this, 'dup2', SYSCALL_NR.dup2!, [BigInt(oldfd), BigInt(newfd), 0n, 0n], { args: { oldfd, newfd } }, () =>
      this.fds.dup2(oldfd, newfd),
    );
  }

  /**
   * add_key(2): type and description as strings, the payload bytes (a DER certificate for
   * "asymmetric"), and the keyring (a serial or KEY_SPEC_*). Returns the new key's serial.
   */
  addKey(type: string, description: string | null, payload: Uint8Array | null, keyring: number): SysResult {
    const a0 = this.alloc(new Uint8Array(Buffer.from(type + '\0')), 'add_key type');
    const a1 = description === null ? 0n : this.alloc(new Uint8Array(Buffer.from(description + '\0')), 'add_key description');
    const a2 = payload ? this.alloc(payload, 'add_key payload') : 0n;
    const args = [a0, a1, a2, BigInt(payload?.length ?? 0), BigInt.asUintN(64, BigInt(keyring))];
    return this.kernel.syscall(this, 'add_key', SYSCALL_NR.add_key!, args, { args: { type, description: description ?? '(null)', plen: payload?.length ?? 0, keyring } }, () =>
      this.keyrings.add_key(type, description, payload, keyring),
    );
  }

  /** keyctl(2) for the operations bpfsig models (KEYCTL_* numbers from linux/keyctl.h). */
  keyctl(op: number, arg2 = 0, arg3 = 0): SysResult {
    const k = this.keyrings;
    return this.kernel.syscall(this, 'keyctl', SYSCALL_NR.keyctl!, [BigInt(op), BigInt.asUintN(64, BigInt(arg2)), BigInt.asUintN(64, BigInt(arg3)), 0n], { args: { op, arg2, arg3 } }, () => {
      switch (op) {
        case KEYCTL.GET_KEYRING_ID:
          return k.keyctl_get_keyring_ID(arg2, arg3 !== 0);
        case KEYCTL.JOIN_SESSION_KEYRING:
          return k.join_session_keyring();
        case KEYCTL.REVOKE:
          return k.keyctl_revoke(arg2);
        case KEYCTL.LINK:
          return k.keyctl_link(arg2, arg3);
        case KEYCTL.UNLINK:
          return k.keyctl_unlink(arg2, arg3);
        case KEYCTL.SET_TIMEOUT:
          return k.keyctl_set_timeout(arg2, arg3);
        case KEYCTL.INVALIDATE:
          return k.keyctl_invalidate(arg2);
        default:
          throw new NotEmulated(`keyctl operation ${op}`);
      }
    });
  }

  /** Place bytes in a fresh user buffer and return its address (what a C program's stack or heap would hold). */
  alloc(bytes: Uint8Array | number, name = 'buf'): bigint {
    const data = typeof bytes === 'number' ? new Uint8Array(bytes) : bytes;
    return this.mem.map({ name, kind: 'user', bytes: data }).base;
  }

  /**
   * Give back a buffer `alloc` returned (free / munmap of the whole mapping; a C program's stack
   * buffer going out of scope). Not a traced syscall. False when no mapping starts there.
   */
  free(addr: bigint): boolean {
    return this.mem.unmapAt(addr);
  }

  /** The user region at an address (to read back output buffers). */
  region(addr: bigint): Region | undefined {
    return this.mem.findBig(addr);
  }

  /** Read user memory (undefined if unmapped). */
  read(addr: bigint, len: number): Uint8Array | undefined {
    return this.mem.read(addr, len);
  }

  /** Close every fd (process exit). */
  exit(): void {
    for (const fd of this.fds.fds()) this.close(fd);
  }
}
