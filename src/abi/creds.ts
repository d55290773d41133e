// Process credentials and the capabilities the BPF paths check.
// spec: CAP-1..7. Capability numbers from include/uapi/linux/capability.h.

export const Cap = {
  CAP_NET_ADMIN: 12,
  CAP_SYSLOG: 34,
  CAP_SYS_ADMIN: 21,
  CAP_PERFMON: 38,
  CAP_BPF: 39,
} as const;
export type CapName = keyof typeof Cap;

export const ALL_BPF_CAPS: readonly CapName[] = ['CAP_SYS_ADMIN', 'CAP_BPF', 'CAP_PERFMON', 'CAP_NET_ADMIN'];
/** What a root process holds of the capabilities bpfsig models (CAP_SYSLOG: kallsyms_show_value). */
export const ROOT_CAPS: readonly CapName[] = [...ALL_BPF_CAPS, 'CAP_SYSLOG'];

/** The user and group ids of a task's credentials (struct cred), as audit's SYSCALL record prints them. */
export interface CredIds {
  readonly uid: number;
  readonly gid: number;
  readonly euid: number;
  readonly suid: number;
  readonly fsuid: number;
  readonly egid: number;
  readonly sgid: number;
  readonly fsgid: number;
}

export interface Cred extends CredIds {
  /** Effective capability set. */
  readonly caps: ReadonlySet<CapName>;
}

export function makeCred(opts: { uid?: number; gid?: number; euid?: number; caps?: Iterable<CapName> } = {}): Cred {
  const uid = opts.uid ?? 0;
  const gid = opts.gid ?? uid;
  const euid = opts.euid ?? uid;
  return {
    uid,
    gid,
    euid,
    suid: euid,
    fsuid: euid,
    egid: gid,
    sgid: gid,
    fsgid: gid,
    caps: new Set(opts.caps ?? (euid === 0 ? ROOT_CAPS : [])),
  };
}

export function isCapName(s: string): s is CapName {
  return Object.prototype.hasOwnProperty.call(Cap, s);
}
