// `bpfsig sign`: a PKCS#7 signature over a file, in bpftool 7.7's structure (DER).
// spec: PK7-CMS-1, PK7-CMS-2, PK7-OSSL-1, TC-BT77-3

import { readFileSync, writeFileSync } from 'node:fs';
import { KeyFormatError } from '../keys/pem.js';
import { signPkcs7, type SignDigest } from '../keys/sign.js';
import { InputError, parseCommandArgs, UsageError, type Command, type Io } from './command.js';

/** An Io that can also take raw bytes (stdout when --out is not given). */
export interface BinaryIo extends Io {
  outBytes?(bytes: Uint8Array): void;
}

const DIGESTS: readonly SignDigest[] = ['sha256', 'sha384', 'sha512', 'sha224', 'sha1'];

const usage = `usage: bpfsig sign --key KEY.pem --cert CERT.pem --in DATA [--out SIG.der] [options]

Sign DATA (e.g. loader instructions) the way bpftool 7.7 does (gen skeleton -S / prog load -S):
detached CMS SignedData, no certificates, subjectKeyIdentifier signer id, no signed attributes,
SHA-256, DER. For an RSA key the output is byte-identical to
  openssl cms -sign -binary -in DATA -signer CERT -inkey KEY -md sha256 -nocerts -noattr \\
    -nosmimecap -keyid -outform DER

options:
  --key FILE          private key, PEM (RSA or EC)
  --cert FILE         signer certificate, PEM or DER (needs a subjectKeyIdentifier for --sid skid)
  --in FILE           the data to sign
  --out FILE          write the DER signature here (default: raw bytes to stdout)
  --sid skid|issuer-serial   signer id (default skid, like bpftool; issuer-serial = openssl without -keyid)
  --md ${DIGESTS.join('|')}   digest (default sha256)
  --signed-attrs      add contentType, signingTime and messageDigest signed attributes
  --embed-cert        include the signer certificate`;

function readInput(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new InputError(`cannot read ${what} '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export const signCommand: Command = {
  name: 'sign',
  summary: 'sign a file the way bpftool 7.7 signs loader instructions (CMS, DER)',
  usage,
  async run(argv: string[], io: BinaryIo): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, {
      key: { type: 'string' },
      cert: { type: 'string' },
      in: { type: 'string' },
      out: { type: 'string' },
      sid: { type: 'string' },
      md: { type: 'string' },
      'signed-attrs': { type: 'boolean' },
      'embed-cert': { type: 'boolean' },
    });
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    for (const req of ['key', 'cert', 'in'] as const) if (!values[req]) throw new UsageError(`--${req} is required`);
    const sid = values.sid ?? 'skid';
    if (sid !== 'skid' && sid !== 'issuer-serial') throw new UsageError(`--sid must be skid or issuer-serial, not '${sid}'`);
    const md = (values.md ?? 'sha256') as SignDigest;
    if (!DIGESTS.includes(md)) throw new UsageError(`--md must be one of ${DIGESTS.join(', ')}`);

    const key = readInput(values.key!, '--key');
    const cert = readInput(values.cert!, '--cert');
    const data = readInput(values.in!, '--in');
    let sig: Uint8Array;
    try {
      sig = signPkcs7(data, {
        key,
        cert,
        sid,
        digest: md,
        signedAttributes: values['signed-attrs'] ? true : undefined,
        embedCertificate: values['embed-cert'],
      });
    } catch (e) {
      if (e instanceof KeyFormatError) throw new InputError(e.message);
      throw e;
    }
    if (values.out) {
      try {
        writeFileSync(values.out, sig);
      } catch (e) {
        throw new InputError(`cannot write '${values.out}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      io.err(`wrote ${sig.length}-byte signature to ${values.out}`);
    } else if (io.outBytes) {
      io.outBytes(sig);
    } else {
      process.stdout.write(sig);
    }
    return 0;
  },
};
