// IPE's policy parser against the rules of security/ipe/policy_parser.c and digest.c, with the
// Hornet integration's tokens. spec: IPE-3, IPE-5.

import { describe, expect, it } from 'vitest';
import { IpePolicyError, parseIpePolicy, type ParseOptions } from '../../src/lsm/ipe/parser.js';
import { IPE_BPF_SIGNED_ONLY_POLICY } from '../../src/lsm/ipe/example-policy.js';
import { auditRuleText } from '../../src/lsm/ipe/audit.js';
import { Errno } from '../../src/syscall/errno.js';

const H = 'policy_name=t policy_version=0.0.1\n';
const OK_TAIL = 'DEFAULT action=ALLOW\n';

/** The error a policy gets: [errno name, line, column]. */
function err(text: string, opts: ParseOptions = {}): [string, number, number, string] {
  try {
    parseIpePolicy(text, opts);
  } catch (e) {
    if (!(e instanceof IpePolicyError)) throw e;
    const name = Object.entries(Errno).find(([, n]) => n === -e.errno)![0];
    return [name, e.line, e.column, e.message];
  }
  throw new Error(`policy was accepted:\n${text}`);
}

describe('IPE policy parser: accepted policies', () => {
  it('[IPE-4][IPE-5] the example policy: header, global and per-op DEFAULT, two BPF rules', () => {
    const p = parseIpePolicy(IPE_BPF_SIGNED_ONLY_POLICY);
    expect(p.name).toBe('bpf_signed_only');
    expect(p.version).toEqual({ major: 0, minor: 0, rev: 1 });
    expect(p.globalDefault).toBe('ALLOW');
    const t = p.rules.get('BPF_PROG_LOAD')!;
    expect(t.defaultAction).toBe('DENY');
    expect(t.rules.map(auditRuleText)).toEqual(['op=BPF_PROG_LOAD bpf_kernel=TRUE action=ALLOW', 'op=BPF_PROG_LOAD bpf_signature=OK action=ALLOW']);
    expect(t.rules.map((r) => r.line)).toEqual([4, 5]);
  });

  it('[IPE-3] every BPF property value parses', () => {
    const values = [
      ...['NONE', 'OK', 'UNSIGNED', 'PARTIALSIG', 'UNKNOWNKEY', 'UNEXPECTED', 'FAULT', 'BADSIG'].map((v) => `bpf_signature=${v}`),
      ...['BUILTIN', 'SECONDARY', 'PLATFORM'].map((v) => `bpf_keyring=${v}`),
      'bpf_kernel=TRUE',
      'bpf_kernel=FALSE',
    ];
    const p = parseIpePolicy(H + OK_TAIL + values.map((v) => `op=BPF_PROG_LOAD ${v} action=DENY`).join('\n'));
    expect(p.rules.get('BPF_PROG_LOAD')!.rules.map((r) => r.props.map((x) => (x.kind === 'bpf' ? x.token : '?')))).toEqual(values.map((v) => [v]));
  });

  it('[IPE-5] IPE\'s other operations and properties are accepted and carried', () => {
    const p = parseIpePolicy(
      H +
        OK_TAIL +
        [
          'op=EXECUTE boot_verified=TRUE action=ALLOW',
          'op=EXECUTE dmverity_signature=TRUE dmverity_roothash=sha256:AbCd01 action=ALLOW',
          'op=FIRMWARE fsverity_signature=FALSE action=DENY',
          'op=KMODULE fsverity_digest=sha256:00ff action=ALLOW',
          'op=KEXEC_IMAGE action=DENY',
          'op=KEXEC_INITRAMFS action=DENY',
          'op=POLICY action=ALLOW',
          'op=X509_CERT action=ALLOW',
        ].join('\n'),
    );
    expect(p.rules.get('EXECUTE')!.rules.map(auditRuleText)).toEqual([
      'op=EXECUTE boot_verified=TRUE action=ALLOW',
      'op=EXECUTE dmverity_signature=TRUE dmverity_roothash="sha256":ABCD01 action=ALLOW',
    ]);
    expect(p.rules.get('KMODULE')!.rules[0]!.props).toEqual([{ kind: 'digest', key: 'fsverity_digest', value: { alg: 'sha256', digest: new Uint8Array([0, 0xff]) } }]);
    expect([...p.rules.keys()]).toEqual(['EXECUTE', 'FIRMWARE', 'KMODULE', 'KEXEC_IMAGE', 'KEXEC_INITRAMFS', 'POLICY', 'X509_CERT', 'BPF_PROG_LOAD']);
  });

  it('[IPE-5] comments, blank lines, tabs, CR LF, leading and trailing space, repeated properties, DEFAULTs after rules', () => {
    const text =
      '# a comment before the header\r\n' +
      '\r\n' +
      '  policy_name=x\tpolicy_version=+1.02.3   # trailing comment\r\n' +
      'op=BPF_PROG_LOAD\t\tbpf_kernel=TRUE   bpf_kernel=TRUE action=ALLOW#no space before the comment\r\n' +
      '   \t\r\n' +
      'DEFAULT op=BPF_PROG_LOAD action=DENY\n' +
      'DEFAULT action=ALLOW \v\f';
    const p = parseIpePolicy(text);
    expect(p.name).toBe('x');
    expect(p.version).toEqual({ major: 1, minor: 2, rev: 3 });
    const t = p.rules.get('BPF_PROG_LOAD')!;
    expect(t.rules[0]!.props).toHaveLength(2);
    expect(auditRuleText(t.rules[0]!)).toBe('op=BPF_PROG_LOAD bpf_kernel=TRUE bpf_kernel=TRUE action=ALLOW');
    expect(t.rules[0]!.line).toBe(4);
    expect(t.defaultAction).toBe('DENY');
    expect(p.globalDefault).toBe('ALLOW');
  });

  it('[IPE-5] a DEFAULT for every operation stands in for the global DEFAULT', () => {
    const ops = ['EXECUTE', 'FIRMWARE', 'KMODULE', 'KEXEC_IMAGE', 'KEXEC_INITRAMFS', 'POLICY', 'X509_CERT', 'BPF_PROG_LOAD'];
    const p = parseIpePolicy(H + ops.map((o) => `DEFAULT op=${o} action=ALLOW`).join('\n'));
    expect(p.globalDefault).toBeNull();
  });

  it('[IPE-5] the text ends at its first NUL byte, as kmemdup_nul + strsep read it', () => {
    const p = parseIpePolicy(H + OK_TAIL + '\0this is not a rule');
    expect(p.rules.get('EXECUTE')!.rules).toHaveLength(0);
  });

  it('[IPE-5] a lone CR ends a line too', () => {
    expect(parseIpePolicy('policy_name=a policy_version=0.0.0\rDEFAULT action=DENY').globalDefault).toBe('DENY');
  });
});

describe('IPE policy parser: rejected policies (errno, line, column)', () => {
  it.each<[string, string, [string, number, number]]>([
    ['empty text', '', ['EBADMSG', 1, 1]],
    ['only comments', '# nothing\n\n   # more\n', ['EBADMSG', 1, 1]],
    ['a rule where the header should be', 'DEFAULT action=ALLOW\n', ['EBADMSG', 1, 1]],
    ['header keys swapped', 'policy_version=0.0.1 policy_name=t\nDEFAULT action=ALLOW', ['EBADMSG', 1, 1]],
    ['header without version', 'policy_name=t\nDEFAULT action=ALLOW', ['EBADMSG', 1, 14]],
    ['header with a third token', 'policy_name=t policy_version=0.0.1 extra=1\nDEFAULT action=ALLOW', ['EBADMSG', 1, 36]],
    ['duplicate policy_name', 'policy_name=t policy_name=u\nDEFAULT action=ALLOW', ['EBADMSG', 1, 15]],
    ['empty policy_name', 'policy_name= policy_version=0.0.1\nDEFAULT action=ALLOW', ['EBADMSG', 1, 1]],
    ['version with two parts', 'policy_name=t policy_version=1.2\nDEFAULT action=ALLOW', ['EBADMSG', 1, 30]],
    ['version with four parts', 'policy_name=t policy_version=1.2.3.4\nDEFAULT action=ALLOW', ['EBADMSG', 1, 36]],
    ['version part not a number', 'policy_name=t policy_version=1.x.3\nDEFAULT action=ALLOW', ['EINVAL', 1, 32]],
    ['version part empty', 'policy_name=t policy_version=1..3\nDEFAULT action=ALLOW', ['EINVAL', 1, 32]],
    ['version part negative', 'policy_name=t policy_version=-1.0.0\nDEFAULT action=ALLOW', ['EINVAL', 1, 30]],
    ['version part above u16', 'policy_name=t policy_version=1.65536.0\nDEFAULT action=ALLOW', ['ERANGE', 1, 32]],
    ['version part above u64', 'policy_name=t policy_version=1.2.99999999999999999999999\nDEFAULT action=ALLOW', ['ERANGE', 1, 34]],
    ['bad part before a fourth part', 'policy_name=t policy_version=1.x.3.4\nDEFAULT action=ALLOW', ['EINVAL', 1, 32]],
    ['no DEFAULT at all', H + 'op=BPF_PROG_LOAD action=ALLOW', ['EBADMSG', 2, 30]],
    ['DEFAULTs for some ops only', H + 'DEFAULT op=EXECUTE action=ALLOW\nDEFAULT op=BPF_PROG_LOAD action=DENY', ['EBADMSG', 3, 37]],
    ['two global DEFAULTs', H + OK_TAIL + 'DEFAULT action=DENY', ['EBADMSG', 3, 1]],
    ['two DEFAULTs for one op', H + OK_TAIL + 'DEFAULT op=BPF_PROG_LOAD action=DENY\n  DEFAULT op=BPF_PROG_LOAD action=ALLOW', ['EBADMSG', 4, 11]],
    ['a DEFAULT with a property', H + OK_TAIL + 'DEFAULT op=BPF_PROG_LOAD bpf_kernel=TRUE action=DENY', ['EBADMSG', 3, 26]],
    ['DEFAULT without action', H + OK_TAIL + 'DEFAULT op=BPF_PROG_LOAD', ['EBADMSG', 3, 9]],
    ['DEFAULT not first', H + OK_TAIL + 'op=BPF_PROG_LOAD DEFAULT action=DENY', ['EBADMSG', 3, 18]],
    ['lower-case default', H + OK_TAIL + 'default action=DENY', ['EBADMSG', 3, 1]],
    ['DEFAULT followed by something else', H + OK_TAIL + 'DEFAULT DEFAULT action=DENY', ['EBADMSG', 3, 9]],
    ['rule without op', H + OK_TAIL + 'bpf_kernel=TRUE action=ALLOW', ['EBADMSG', 3, 1]],
    ['action alone', H + OK_TAIL + 'action=ALLOW', ['EBADMSG', 3, 1]],
    ['op alone', H + OK_TAIL + 'op=BPF_PROG_LOAD', ['EBADMSG', 3, 1]],
    ['rule without action', H + OK_TAIL + 'op=BPF_PROG_LOAD bpf_kernel=TRUE', ['EBADMSG', 3, 18]],
    ['action not last', H + OK_TAIL + 'op=BPF_PROG_LOAD action=ALLOW bpf_kernel=TRUE', ['EBADMSG', 3, 18]],
    ['unknown action', H + OK_TAIL + 'op=BPF_PROG_LOAD action=AUDIT', ['EBADMSG', 3, 18]],
    ['lower-case action value', H + OK_TAIL + 'op=BPF_PROG_LOAD action=allow', ['EBADMSG', 3, 18]],
    ['unknown op', H + OK_TAIL + 'op=BPF_MAP_CREATE action=DENY', ['EBADMSG', 3, 1]],
    ['lower-case op', H + OK_TAIL + 'op=bpf_prog_load action=DENY', ['EBADMSG', 3, 1]],
    ['second op= in a rule', H + OK_TAIL + 'op=BPF_PROG_LOAD op=EXECUTE action=DENY', ['EBADMSG', 3, 18]],
    ['unknown property', H + OK_TAIL + 'op=BPF_PROG_LOAD bpf_map=OK action=DENY', ['EBADMSG', 3, 18]],
    ['unknown property value', H + OK_TAIL + 'op=BPF_PROG_LOAD bpf_signature=VERIFIED action=DENY', ['EBADMSG', 3, 18]],
    ['lower-case property value', H + OK_TAIL + 'op=BPF_PROG_LOAD bpf_kernel=true action=DENY', ['EBADMSG', 3, 18]],
    ['the v4 spelling is_kernel=', H + OK_TAIL + 'op=BPF_PROG_LOAD is_kernel=TRUE action=ALLOW', ['EBADMSG', 3, 18]],
    ['keyring by number', H + OK_TAIL + 'op=BPF_PROG_LOAD bpf_keyring=0 action=ALLOW', ['EBADMSG', 3, 18]],
    ['space around =', H + OK_TAIL + 'op=BPF_PROG_LOAD bpf_kernel= TRUE action=ALLOW', ['EBADMSG', 3, 18]],
    ['digest without algorithm', H + OK_TAIL + 'op=EXECUTE fsverity_digest=abcd action=ALLOW', ['EBADMSG', 3, 28]],
    ['digest with an odd number of digits', H + OK_TAIL + 'op=EXECUTE fsverity_digest=sha256:abc action=ALLOW', ['EINVAL', 3, 28]],
    ['digest with a non-hex digit', H + OK_TAIL + 'op=EXECUTE dmverity_roothash=sha256:zz action=ALLOW', ['EINVAL', 3, 30]],
    ['empty digest property', H + OK_TAIL + 'op=EXECUTE dmverity_roothash= action=ALLOW', ['EBADMSG', 3, 12]],
    ['a vertical tab is not a separator', H + OK_TAIL + 'op=BPF_PROG_LOAD\vbpf_kernel=TRUE action=ALLOW', ['EBADMSG', 3, 1]],
  ])('[IPE-5] %s', (_what, text, want) => {
    expect(err(text).slice(0, 3)).toEqual(want);
  });

  it('[IPE-5] the first error wins: a bad line 3 hides a missing DEFAULT', () => {
    expect(err(H + 'op=EXECUTE action=ALLOW\nop=NOPE action=DENY').slice(0, 3)).toEqual(['EBADMSG', 3, 1]);
  });

  it('[IPE-5] an empty digest after the algorithm is accepted (hex2bin of zero bytes)', () => {
    expect(parseIpePolicy(H + OK_TAIL + 'op=EXECUTE fsverity_digest=sha256: action=ALLOW').rules.get('EXECUTE')!.rules).toHaveLength(1);
  });

  it('[IPE-5] the message is one line naming file, line, column, what is wrong and the errno', () => {
    const [, , , msg] = err(H + OK_TAIL + 'op=BPF_PROG_LOAD bpf_signature=VERIFIED action=DENY', { file: 'p.policy' });
    expect(msg).toBe("p.policy:3:18: bad value in 'bpf_signature=VERIFIED' (bpf_signature=NONE, bpf_signature=OK, bpf_signature=UNSIGNED, bpf_signature=PARTIALSIG, bpf_signature=UNKNOWNKEY, bpf_signature=UNEXPECTED, bpf_signature=FAULT, bpf_signature=BADSIG) (-EBADMSG)");
    expect(msg).not.toContain('\n');
  });
});

describe('IPE policy parser: a kernel whose IPE has no Hornet integration', () => {
  it('[IPE-3] op=BPF_PROG_LOAD is an unknown operation (-EBADMSG)', () => {
    const [errno, line, col, msg] = err(IPE_BPF_SIGNED_ONLY_POLICY, { bpf: false });
    expect([errno, line, col]).toEqual(['EBADMSG', 3, 9]);
    expect(msg).toContain('no Hornet integration');
  });

  it('[IPE-3] bpf_* properties are unknown (-EBADMSG)', () => {
    expect(err(H + OK_TAIL + 'op=EXECUTE bpf_kernel=TRUE action=ALLOW', { bpf: false }).slice(0, 3)).toEqual(['EBADMSG', 3, 12]);
  });

  it('[IPE-5] its validate_policy does not ask for a BPF_PROG_LOAD DEFAULT', () => {
    const ops = ['EXECUTE', 'FIRMWARE', 'KMODULE', 'KEXEC_IMAGE', 'KEXEC_INITRAMFS', 'POLICY', 'X509_CERT'];
    const text = H + ops.map((o) => `DEFAULT op=${o} action=ALLOW`).join('\n');
    expect(parseIpePolicy(text, { bpf: false }).rules.has('BPF_PROG_LOAD')).toBe(false);
    // The same text on a kernel with the integration lacks a DEFAULT for op=BPF_PROG_LOAD.
    expect(err(text)[0]).toBe('EBADMSG');
    expect(err(text)[3]).toContain('op=BPF_PROG_LOAD');
  });
});
