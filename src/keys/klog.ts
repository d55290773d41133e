// What a keys/PKCS#7 operation reports besides its return value: the kernel-style log lines it
// emitted (pr_warn/pr_devel text with the kernel's prefixes) and which spec rule decided the result.
//
// Kernel-style functions here return numbers (0 or -errno), as in the kernel. Every place that
// originates or transforms an error calls `fail()`, which records the rule and returns the number,
// so the rule recorded last is the one that produced the final result.

import { errnoName } from '../abi/errno.js';

export interface Pkcs7Verdict {
  /** 0 or -errno, exactly what the kernel function returns. */
  readonly ret: number;
  /** The spec rule that decided the result, e.g. `PK7-PARSE-6` or `PK7-TRUST-2`. */
  readonly rule: string;
  /** Human text for the deciding step, like the kernel's log line. */
  readonly detail: string;
  /** Every log line the operation emitted, in order. */
  readonly log: readonly string[];
}

export class KLog {
  readonly lines: string[] = [];
  rule = '';
  detail = '';
  ret = 0;

  /** Record an error result with the rule that produced it; returns `ret` for `return t.fail(...)`. */
  fail(ret: number, rule: string, detail: string): number {
    this.ret = ret;
    this.rule = rule;
    this.detail = detail;
    this.lines.push(detail);
    return ret;
  }

  /** Record a successful decision. */
  ok(rule: string, detail: string): 0 {
    this.ret = 0;
    this.rule = rule;
    this.detail = detail;
    this.lines.push(detail);
    return 0;
  }

  /** A log line that decides nothing (pr_devel/pr_debug). */
  note(line: string): void {
    this.lines.push(line);
  }

  verdict(ret: number, fallbackRule: string, fallbackDetail: string): Pkcs7Verdict {
    const decided = this.rule !== '' && this.ret === ret;
    return {
      ret,
      rule: decided ? this.rule : fallbackRule,
      detail: decided ? this.detail : fallbackDetail,
      log: this.lines,
    };
  }
}

/** "EKEYREJECTED" for -129, "OK" for 0. */
export function resultName(ret: number): string {
  if (ret === 0) return 'OK';
  return errnoName(ret) ?? `E${Math.abs(ret)}`;
}
