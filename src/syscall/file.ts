// Open files and per-process fd tables. A `struct file` is shared by dup'ed fds; the object's
// release runs when the last fd referring to the file is closed.

import { Errno } from './errno.js';

export const FMODE_READ = 0x1;
export const FMODE_WRITE = 0x2;
export const FMODE_CAN_READ = 0x20000;
export const FMODE_CAN_WRITE = 0x40000;

export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;
export const O_CLOEXEC = 0o2000000;

/** What an anon inode's f_mode is for open flags (anon_inode_getfd). */
export function fmodeFor(flags: number): number {
  switch (flags & 3) {
    case O_RDONLY:
      return FMODE_READ | FMODE_CAN_READ;
    case O_WRONLY:
      return FMODE_WRITE | FMODE_CAN_WRITE;
    default:
      return FMODE_READ | FMODE_WRITE | FMODE_CAN_READ | FMODE_CAN_WRITE;
  }
}

export type FileKind = 'bpf-map' | 'bpf-prog' | 'btf' | 'tty';

export class OpenFile {
  /** References from fd table slots. */
  count = 0;
  constructor(
    readonly kind: FileKind,
    /** The kernel object behind the file (a BpfMap, BpfProg, Btf). */
    readonly object: unknown,
    readonly fmode: number,
    /** Called once when the last reference goes (e.g. bpf_map_release → bpf_map_put). */
    private readonly onRelease: () => void,
    readonly label: string,
  ) {}

  get(): this {
    this.count++;
    return this;
  }

  put(): void {
    if (--this.count === 0) this.onRelease();
  }
}

/** RLIMIT_NOFILE default soft limit. */
export const NR_OPEN_DEFAULT = 1024;

export class FdTable {
  private readonly slots: (OpenFile | undefined)[] = [];

  constructor(readonly limit = NR_OPEN_DEFAULT) {}

  /** get_unused_fd_flags + fd_install: the lowest free fd, or -EMFILE (as a negative number). */
  install(file: OpenFile): number {
    let fd = 0;
    while (fd < this.slots.length && this.slots[fd] !== undefined) fd++;
    if (fd >= this.limit) return -Errno.EMFILE;
    this.slots[fd] = file.get();
    return fd;
  }

  get(fd: number): OpenFile | undefined {
    if (!Number.isInteger(fd) || fd < 0) return undefined;
    return this.slots[fd];
  }

  /** close(fd): 0 or -EBADF. */
  close(fd: number): number {
    const f = this.get(fd);
    if (!f) return -Errno.EBADF;
    this.slots[fd] = undefined;
    f.put();
    return 0;
  }

  /** dup2(oldfd, newfd): newfd or -EBADF. */
  dup2(oldfd: number, newfd: number): number {
    const f = this.get(oldfd);
    if (!f || !Number.isInteger(newfd) || newfd < 0 || newfd >= this.limit) return -Errno.EBADF;
    if (oldfd === newfd) return newfd;
    const prev = this.slots[newfd];
    this.slots[newfd] = f.get();
    prev?.put();
    return newfd;
  }

  /** Every open fd, ascending. */
  fds(): number[] {
    const out: number[] = [];
    this.slots.forEach((f, i) => f && out.push(i));
    return out;
  }
}
