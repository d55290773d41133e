export { AuditLog, AuditContext, untrustedString, type AuditRecord, type AuditTask, type AuditEnabled } from './log.js';
export { AuditType, type AuditTypeName } from './types.js';
export { formatAuditd, formatKernel, parseFields, toJson, stamp, type AuditJsonEvent, type AuditdTextOptions } from './format.js';
export {
  parseAuditRule,
  ruleMatches,
  DEFAULT_RULES,
  SYSCALL_NR,
  syscallName,
  AuditRuleError,
  type AuditRule,
  type RuleSubject,
} from './rules.js';
export { AuditSeries, type AuditSeriesStart } from './series.js';
