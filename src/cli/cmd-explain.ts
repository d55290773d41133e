// `bpfsig explain FILE.lskel.h [--cert CERT] [--json]`: which toolchain made a light skeleton, what
// its signature covers, whether the chain link to the metadata holds offline (CLAIM-9), and what
// every registered profile does with it. spec: CLAIM-9, DEBATE-1, LSK-SIGM-*, LSK-HDR-*.

import { readFileSync } from 'node:fs';
import { AuditSeries } from '../audit/series.js';
import { certificateToDer, KeyFormatError } from '../keys/pem.js';
import { readLightSkeleton } from '../loader/lskel-reader.js';
import { EXPLAIN_FORMAT, explainSkeleton, formatExplain } from '../scenarios/explain.js';
import { getProfile, profileNames } from '../syscall/profiles/index.js';
import { AUDIT_FILE_FLAG, AUDIT_FILE_HELP, writeAuditFile } from './audit-file.js';
import { InputError, parseCommandArgs, UsageError, type Command } from './command.js';
import { SUMMARIES } from './summaries.js';

const usage = `usage: bpfsig explain FILE.lskel.h [--cert CERT] [--profiles LIST] [--json] [--audit-file FILE]

Reads a light skeleton header and says, from the header alone:
  - which toolchain made it: the registered toolchains whose headers look like it (style, signature,
    opts.signature_maps, the loader's signature-match block), narrowed with --cert to those whose
    signed content the signature verifies over;
  - what the signature covers: the loader instructions (bpftool 7.7/7.8), instructions ‖ metadata
    (2026 load-time), the hash-chain term (-M), or the instructions and a signed attribute with the
    metadata's hash (Hornet);
  - whether the chain link from the signature to the metadata blob holds offline (CLAIM-9): the four
    immediates of the signature-match block against SHA-256(opts_data), opts_excl_hash against
    SHA-256(opts_insn), the recomputed -M term, the signed attribute against the one computed from
    the skeleton, and with --cert the PKCS#7 verification with the kernel's rules (failures named
    by rule id);
then loads it under every registered profile (a fresh kernel each, the profile's scheme's default LSM
stack, the certificate in the session keyring when given) and reports each outcome.

options:
  --cert CERT        the signing certificate, PEM or DER
  --profiles LIST    comma-separated profiles to run (default: all: ${profileNames().join(', ')})
  --json             one JSON object (format ${EXPLAIN_FORMAT}, docs/cli.md)
${AUDIT_FILE_HELP}

exit status: 0 when the skeleton was explained (whatever it shows), 2 for bad usage, 3 for an
unusable input (the header or the certificate).`;

function readInput(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new InputError(`cannot read ${what} '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export const explainCommand: Command = {
  name: 'explain',
  summary: SUMMARIES.explain,
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      cert: { type: 'string' },
      profiles: { type: 'string' },
      json: { type: 'boolean' },
      ...AUDIT_FILE_FLAG,
    });
    const [file, ...extra] = positionals;
    if (!file) throw new UsageError('missing FILE.lskel.h');
    if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const profiles = values.profiles?.split(',').map((x) => x.trim()).filter(Boolean);
    for (const p of profiles ?? []) if (!getProfile(p)) throw new UsageError(`--profiles: unknown profile '${p}' (one of ${profileNames().join(', ')})`);
    const skel = readLightSkeleton(Buffer.from(readInput(file, 'skeleton')).toString('latin1'), file);
    let certDer: Uint8Array | undefined;
    if (values.cert !== undefined) {
      try {
        certDer = certificateToDer(readInput(values.cert, 'certificate'));
      } catch (e) {
        if (e instanceof KeyFormatError) throw new InputError(`--cert '${values.cert}': ${e.message}`);
        throw e;
      }
    }
    const audit = new AuditSeries();
    const r = explainSkeleton(skel, { file, audit, ...(certDer ? { certDer } : {}), ...(profiles ? { profiles } : {}) });
    writeAuditFile(values['audit-file'], audit);
    io.out(values.json ? JSON.stringify(r, null, 2) : formatExplain(r).join('\n'));
    return 0;
  },
};
