// `bpfsig sign`: a PKCS#7 signature over a file, in bpftool 7.7's structure (DER), or with
// `--hornet-map` in the structure of Hornet's scripts/hornet/gen_sig.
// spec: PK7-CMS-1, PK7-CMS-2, PK7-OSSL-1, TC-BT77-3, TC-HGS-1, HN-ASN1-1..4

import { readFileSync, writeFileSync } from 'node:fs';
import { KeyFormatError } from '../keys/pem.js';
import { signPkcs7, type SignDigest } from '../keys/sign.js';
import { hornetMapHash, hornetSignedAttribute, type HornetMapEntry } from '../schemes/hornet/hornet-data.js';
import { InputError, parseCommandArgs, sourceDateEpoch, UsageError, type Command, type Io } from './command.js';

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
With --hornet-map the structure is gen_sig's instead (see below).

options:
  --key FILE          private key, PEM (RSA or EC)
  --cert FILE         signer certificate, PEM or DER (needs a subjectKeyIdentifier for --sid skid)
  --in FILE           the data to sign
  --out FILE          write the DER signature here (default: raw bytes to stdout)
  --sid skid|issuer-serial   signer id (default skid, like bpftool; issuer-serial = openssl without -keyid)
  --md ${DIGESTS.join('|')}   digest (default sha256)
  --signed-attrs      add contentType, signingTime and messageDigest signed attributes
  --embed-cert        include the signer certificate
  --hornet-map FILE[:INDEX]
                      sign as Hornet's gen_sig does (--add FILE[:INDEX]): the SHA-256 of FILE (a
                      map's value area, e.g. a skeleton's opts_data) goes into the Hornet signed
                      attribute (OID 2.25.316487325684022475439036912669789383960); repeat for more
                      maps (at most 64). With :INDEX the entry carries that fd_array index (the v7
                      form, for hornet-v7-posted; the posted kernel decodes one-byte INTEGERs,
                      0..127); without, it has none (the fixed form, for hornet-v7). Implies
                      --signed-attrs (never S/MIME capabilities) and, unless --sid says otherwise,
                      --sid issuer-serial, as gen_sig. signingTime is SOURCE_DATE_EPOCH when set.`;

function readInput(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new InputError(`cannot read ${what} '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** `FILE[:INDEX]`: a trailing `:digits` is the fd_array index; the file's SHA-256 is the map hash. */
function parseHornetMap(spec: string): HornetMapEntry {
  const m = /^(.*):(\d+)$/.exec(spec);
  const file = m ? m[1]! : spec;
  if (!file) throw new UsageError(`--hornet-map '${spec}': no file`);
  const sha = hornetMapHash(readInput(file, '--hornet-map'));
  if (!m) return { sha };
  const index = Number(m[2]);
  if (!Number.isSafeInteger(index) || index > 0x7fffffff) throw new UsageError(`--hornet-map '${spec}': index ${m[2]} is too large`);
  return { sha, index };
}

export const signCommand: Command = {
  name: 'sign',
  summary: 'sign a file the way bpftool 7.7 signs loader instructions (CMS, DER), or as Hornet\'s gen_sig (--hornet-map)',
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
      'hornet-map': { type: 'string', multiple: true },
    });
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    for (const req of ['key', 'cert', 'in'] as const) if (!values[req]) throw new UsageError(`--${req} is required`);
    const hornet = values['hornet-map'] ?? [];
    if (hornet.length > 64) throw new UsageError(`--hornet-map: at most 64 maps (gen_sig's MAX_HASHES), not ${hornet.length}`);
    const sid = values.sid ?? (hornet.length ? 'issuer-serial' : 'skid');
    if (sid !== 'skid' && sid !== 'issuer-serial') throw new UsageError(`--sid must be skid or issuer-serial, not '${sid}'`);
    const md = (values.md ?? 'sha256') as SignDigest;
    if (!DIGESTS.includes(md)) throw new UsageError(`--md must be one of ${DIGESTS.join(', ')}`);

    const key = readInput(values.key!, '--key');
    const cert = readInput(values.cert!, '--cert');
    const data = readInput(values.in!, '--in');
    const entries = hornet.map(parseHornetMap);
    if (entries.length && entries.some((e) => e.index === undefined) && entries.some((e) => e.index !== undefined))
      throw new UsageError('--hornet-map: give an :INDEX on every map (the v7-posted form) or on none (the fixed form)');
    const signingTime = sourceDateEpoch();
    let sig: Uint8Array;
    try {
      sig = signPkcs7(data, {
        key,
        cert,
        sid,
        digest: md,
        signedAttributes: entries.length
          ? { extra: [hornetSignedAttribute(entries)], ...(signingTime ? { signingTime } : {}) }
          : values['signed-attrs']
            ? signingTime
              ? { signingTime }
              : true
            : undefined,
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
