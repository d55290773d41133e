// Audit record types. spec: AUD-TYPE-1 (numbers from include/uapi/linux/audit.h and audit-userspace
// lib/audit-records.h), AUD-TYPE-2 (auditd 3.0.9 has no names for 1420–1422 and writes them as
// UNKNOWN[n]).

export const AuditType = {
  SYSCALL: 1300,
  PATH: 1302,
  CWD: 1307,
  EOE: 1320,
  PROCTITLE: 1327,
  BPF: 1334,
  EVENT_LISTENER: 1335,
  AVC: 1400,
  SELINUX_ERR: 1401,
  MAC_POLICY_LOAD: 1403,
  MAC_STATUS: 1404,
  IPE_ACCESS: 1420,
  IPE_CONFIG_CHANGE: 1421,
  IPE_POLICY_LOAD: 1422,
  LANDLOCK_ACCESS: 1423,
  LANDLOCK_DOMAIN: 1424,
  MAC_TASK_CONTEXTS: 1425,
  MAC_OBJ_CONTEXTS: 1426,
  /**
   * A BPF-LSM program's own audit record (the `test_lsm_audit_kfuncs` selftest's type; status of
   * the kfuncs UNCONFIRMED, AUD-TYPE-1). bpfsig's `signature-audit` policy, standing in for such a
   * program, writes it (docs/fidelity.md).
   */
  BPF_LSM_ACCESS: 1427,
  KERNEL: 2000,
} as const;
export type AuditTypeName = keyof typeof AuditType;
