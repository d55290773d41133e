// `bpfsig verify`: check a signature over a file as BPF_PROG_LOAD does, after placing the given
// certificates in the named keyring.
// spec: KP-SIG-2..7, PK7-KEY-1, PK7-KEY-7, PK7-VER-*, LT-VERD-2

import { readFileSync } from 'node:fs';
import { bpf_prog_verify_signature } from '../keys/bpf-prog-signature.js';
import { KeyService } from '../keys/key-service.js';
import { KLog, resultName } from '../keys/klog.js';
import { certificatesToDer, KeyFormatError } from '../keys/pem.js';
import { KEY_SPEC_SESSION_KEYRING } from '../keys/process-keyrings.js';
import { errnoName } from '../syscall/errno.js';
import { defaultProfile, getProfile, profileNames, progSignatureRules } from '../syscall/profiles/index.js';
import { InputError, parseCommandArgs, UsageError, type Command, type Io } from './command.js';
import { EXIT } from './exit-codes.js';

const KEYRINGS = { builtin: 0, secondary: 1, platform: 2, session: KEY_SPEC_SESSION_KEYRING } as const;
type KeyringName = keyof typeof KEYRINGS;

/** Exit status when the kernel would refuse the signature (the common scheme, src/cli/exit-codes.ts; was 3 before). */
export const EXIT_REJECTED = EXIT.REJECTED;

const usage = `usage: bpfsig verify --in DATA --sig SIG.der --cert CERT.pem[,CERT2.pem…] [options]

Verify SIG over DATA as BPF_PROG_LOAD does: the certificates are placed in the named keyring
(builtin and secondary and platform by the kernel; session with add_key("asymmetric", …) like
bpftool prog load -S), keyring_id is set accordingly (0, 1, 2 or KEY_SPEC_SESSION_KEYRING), and
the signature goes through bpf_lookup_*_key, the copy and bpf_verify_pkcs7_signature.

The first word of the first line is OK or the errno name, then the rule that decided it.
Exit status: 0 OK, 1 rejected, 2 usage, 3 unreadable input, 70 a bug in bpfsig.

options:
  --in FILE           the signed data (e.g. the loader instructions)
  --sig FILE          the DER PKCS#7 signature
  --cert FILES        certificates (PEM, PEM bundles or DER), comma-separated
  --keyring NAME      builtin (default) | secondary | platform | session
  --profile NAME      a kernel profile that verifies signatures (default ${defaultProfile().name}); its
                      rules apply: size bound, zero size, copy errors (see bpfsig profiles)
  --json              print one JSON object
  --verbose           also print the kernel log lines`;

function readInput(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new InputError(`cannot read ${what} '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'verify a PKCS#7 signature as BPF_PROG_LOAD would (errno and rule)',
  usage,
  async run(argv: string[], io: Io): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, {
      in: { type: 'string' },
      sig: { type: 'string' },
      cert: { type: 'string' },
      keyring: { type: 'string' },
      profile: { type: 'string' },
      json: { type: 'boolean' },
      verbose: { type: 'boolean' },
    });
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    for (const req of ['in', 'sig', 'cert'] as const) if (!values[req]) throw new UsageError(`--${req} is required`);
    const keyring = (values.keyring ?? 'builtin') as KeyringName;
    if (!(keyring in KEYRINGS)) throw new UsageError(`--keyring must be one of ${Object.keys(KEYRINGS).join(', ')}`);
    const kp = values.profile === undefined ? defaultProfile() : getProfile(values.profile);
    if (!kp) throw new UsageError(`unknown profile '${values.profile}' (one of ${profileNames().join(', ')})`);
    if (!kp.uapi.has('signing-6.18')) throw new UsageError(`profile ${kp.name} has no signature fields in BPF_PROG_LOAD (V617-1): nothing to verify`);
    const profile = kp.name;

    const data = readInput(values.in!, '--in');
    const sig = readInput(values.sig!, '--sig');
    const certPaths = values.cert!.split(',').filter((p) => p.length > 0);
    if (certPaths.length === 0) throw new UsageError('--cert needs at least one file');

    const ks = new KeyService();
    const proc = ks.createProcessKeyrings(0);
    for (const path of certPaths) {
      let ders: Uint8Array[];
      try {
        ders = certificatesToDer(readInput(path, '--cert'));
      } catch (e) {
        if (e instanceof KeyFormatError) throw new InputError(`${path}: ${e.message}`);
        throw e;
      }
      for (const der of ders) {
        const log = new KLog();
        let r: number;
        if (keyring === 'session') r = proc.add_key('asymmetric', path, der, KEY_SPEC_SESSION_KEYRING, log);
        else if (keyring === 'builtin') r = ks.load_builtin_certificate(der);
        else if (keyring === 'secondary') r = ks.load_secondary_certificate(der);
        else r = ks.load_platform_certificate(der);
        if (r < 0 && !log.detail) ks.asymmetricPreparse(der, log); // for the reason
        if (r < 0) {
          throw new InputError(`${path}: the kernel would not load this certificate as a key: ${errnoName(r) ?? r}${log.detail ? ` (${log.detail})` : ''}`);
        }
      }
    }

    const keyringId = KEYRINGS[keyring];
    const res = bpf_prog_verify_signature(
      ks,
      { keyringId, signatureSize: sig.length, copySignature: () => sig, insns: data, proc },
      // The profile's rules; the signature is verified, whatever the modelled machine's config says.
      progSignatureRules(kp, { ...kp.config, CONFIG_SYSTEM_DATA_VERIFICATION: true }),
    );
    const result = resultName(res.ret);
    if (values.json) {
      io.out(
        JSON.stringify({
          result,
          ret: res.ret,
          errno: res.ret === 0 ? null : (errnoName(res.ret) ?? null),
          rule: res.rule,
          detail: res.detail,
          stage: res.stage,
          keyring,
          keyringId,
          keyringType: res.keyringType,
          keyringSerial: res.keyringSerial,
          profile,
          log: res.log,
        }),
      );
    } else {
      io.out(`${result} ${res.rule}: ${res.detail}`);
      io.out(`keyring ${keyring} (keyring_id ${keyringId}, ${res.keyringType}), profile ${profile}, ended at the ${res.stage} step`);
      if (values.verbose) for (const line of res.log) io.out(`  ${line}`);
    }
    return res.ret === 0 ? 0 : EXIT_REJECTED;
  },
};
