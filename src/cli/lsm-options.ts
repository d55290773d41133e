// `--lsm NAME[,NAME…]`, `--ipe-policy FILE` and IPE's settings, shared by the commands that run loads.
// spec: LSM-STACK-3 (lsm= order after capability), IPE-5 (policy text), AUD-IPE-1 (enforcing=),
// AUD-IPE-4 (a signed policy deployed through securityfs).

import { readFileSync } from 'node:fs';
import { lsmFactories, type LsmOptions } from '../lsm/registry.js';
import { InputError, UsageError } from './command.js';

/** The flags, for parseCommandArgs. */
export const LSM_OPTION_FLAGS = {
  lsm: { type: 'string' },
  'ipe-policy': { type: 'string' },
  'ipe-permissive': { type: 'boolean' },
  'ipe-success-audit': { type: 'boolean' },
  'ipe-revision': { type: 'string' },
} as const;

export interface LsmOptionValues {
  readonly lsm?: string | undefined;
  readonly 'ipe-policy'?: string | undefined;
  readonly 'ipe-permissive'?: boolean | undefined;
  readonly 'ipe-success-audit'?: boolean | undefined;
  readonly 'ipe-revision'?: string | undefined;
}

export function lsmOptionsHelp(): string {
  const names = lsmFactories()
    .map((f) => `                        ${f.name.padEnd(20)} ${f.summary}`)
    .join('\n');
  return `  --lsm LIST          LSMs after capability, in lsm= order, comma-separated; 'default' for the
                      profile's scheme's default stack (bpfsig profiles), 'none' for none (default):
${names}
  --ipe-policy FILE   the IPE policy (with --lsm …ipe…): plain text is IPE's boot policy
                      (CONFIG_IPE_BOOT_POLICY, no audit record); a PKCS#7-signed policy (DER, as
                      \`openssl smime -sign -nodetach -noattr -nosmimecap -binary -outform der\` makes)
                      is deployed through securityfs at startup (IPE_POLICY_LOAD and
                      IPE_CONFIG_CHANGE records) and must verify against the builtin keyring
                      (--cert … --keyring builtin). IPE's BPF rules exist only on profiles with the
                      integrity hooks (bpfsig profiles); elsewhere op=BPF_PROG_LOAD is -EBADMSG
  --ipe-permissive    IPE in permissive mode (ipe.enforce=0): denials are recorded, not enforced
  --ipe-success-audit IPE records allowed loads too (ipe.success_audit=1)
  --ipe-revision REV  v7 (default: the merged patch; policy evaluated at bpf_prog_load with the
                      verdict stored at post_integrity) or v5 (evaluated at post_integrity)`;
}

/** A DER PKCS#7 ContentInfo starts with a SEQUENCE and the signedData OID; policy text never does. */
function looksLikePkcs7(b: Uint8Array): boolean {
  const signedData = Buffer.from('06092a864886f70d010702', 'hex');
  return b[0] === 0x30 && Buffer.from(b.subarray(0, 24)).includes(signedData);
}

/** The LSM list and options; 'default' stays a keyword for the scenario runner. */
export function parseLsmOptions(values: LsmOptionValues): { lsm: string[] | 'default'; options?: LsmOptions } {
  const list = values.lsm;
  const names = list === undefined || list === 'none' ? [] : list === 'default' ? 'default' : list.split(',').map((x) => x.trim());
  if (Array.isArray(names)) {
    for (const n of names) if (!n || !lsmFactories().some((f) => f.name === n)) throw new UsageError(`--lsm: unknown LSM '${n}' (known: ${lsmFactories().map((f) => f.name).join(', ')})`);
    if (new Set(names).size !== names.length) throw new UsageError('--lsm names an LSM twice');
  }
  const ipeFlags = (['ipe-policy', 'ipe-permissive', 'ipe-success-audit', 'ipe-revision'] as const).filter((f) => values[f] !== undefined && values[f] !== false);
  if (ipeFlags.length > 0 && Array.isArray(names) && !names.includes('ipe')) {
    throw new UsageError(`--${ipeFlags[0]} needs IPE in the stack (--lsm …,ipe or --lsm default on a scheme whose stack has it)`);
  }
  const rev = values['ipe-revision'];
  if (rev !== undefined && rev !== 'v7' && rev !== 'v5') throw new UsageError(`--ipe-revision must be v7 or v5, not '${rev}'`);
  let options: LsmOptions = {
    ...(values['ipe-permissive'] ? { ipeEnforce: false } : {}),
    ...(values['ipe-success-audit'] ? { ipeSuccessAudit: true } : {}),
    ...(rev ? { ipeRevision: rev } : {}),
  };
  const file = values['ipe-policy'];
  if (file !== undefined) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      throw new InputError(`cannot read --ipe-policy '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    options = looksLikePkcs7(bytes)
      ? { ...options, ipePolicySigned: bytes, ipePolicyFile: file }
      : { ...options, ipePolicy: Buffer.from(bytes).toString('utf8'), ipePolicyFile: file };
  }
  return Object.keys(options).length > 0 ? { lsm: names, options } : { lsm: names };
}
