// `bpfsig gen skeleton` and `bpfsig gen loader`: bpftool's light-skeleton generation (gen skeleton
// -L [-S -k key.pem -i cert.pem]) from a BPF object — the header to stdout, or the loader, data
// blob, signature and exclusive-map hash as JSON.
// spec: TC-BT77-2 (flags and their errors), TC-BT77-3 (signing), TC-BT77-5, TC-BT71-1, LSK-HDR-*.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { KeyFormatError, loadPrivateKey } from '../keys/pem.js';
import { signerCertificate, signPkcs7 } from '../keys/sign.js';
import { objectNameFromPath, readElf } from '../loader/elf/read-object.js';
import type { BpfObject } from '../loader/elf/object-types.js';
import { genLoader, loaderOutputToJson, type LoaderOutput, type LoaderSigner } from '../loader/gen-loader/gen-loader.js';
import { findToolchain, toolchainNames, type ToolchainProfile } from '../loader/gen-loader/profiles.js';
import { writeLskelHeaderChecked } from '../loader/lskel-writer.js';
import { defaultToolchainName } from '../schemes/index.js';
import { InputError, parseCommandArgs, sourceDateEpoch, UsageError, type Command } from './command.js';

const toolchainList = (): string =>
  toolchainNames()
    .map((n) => `                         ${n.padEnd(12)} ${findToolchain(n)!.summary}`)
    .join('\n');

const usage = `usage: bpfsig gen skeleton [-L] [-S [-M] -k KEY.pem -i CERT] [--name NAME] [--toolchain T] OBJ.bpf.o [name NAME]
       bpfsig gen loader [-S [-M] -k KEY.pem -i CERT] [--toolchain T] [--json] OBJ.bpf.o

gen skeleton   the light skeleton header bpftool writes, to stdout. -L is accepted and implied:
               bpfsig only generates light skeletons (the loader program and its data blob,
               embedded in the header), never libbpf's regular skeletons.
gen loader     the same generation, showing the loader itself: with --json one object with
               insns, data, signature and exclHash as lowercase hex (the last two null when
               unsigned), the toolchain profile and the ctx layout (where the loader reads and
               writes each map and program in the skeleton); without --json a summary.

options (bpftool's):
  -L, --use-loader     light skeleton (the default and only kind)
  -S, --sign           sign the loader: SHA-256 of the loader as excl_prog_hash and a PKCS#7
                       signature over what the toolchain signs (the loader instructions, or
                       insns ‖ metadata for loadtime); needs -k and -i and a toolchain that signs
  -M, --sign-maps      sign the hash chain over the loader and its metadata map (implies -S;
                       the hash-chain bpftool patch, --toolchain hashchain)
  -k KEY.pem           private key, PEM
  -i CERT              signing certificate, PEM or DER, with a subjectKeyIdentifier
  --name NAME          skeleton and object name (bpftool: 'gen skeleton OBJ name NAME'); it also
                       prefixes internal map names. Default: the file name without .o, e.g.
                       minimal.bpf.o → minimal_bpf
  --toolchain T        which bpftool/libbpf to reproduce, byte for byte (default ${defaultToolchainName()}):
${toolchainList()}
  --json               (gen loader) one JSON object

exit status: 0 on success, 2 for bad usage, 3 for an unusable object, key or certificate, 70 for
a bug in bpfsig.`;

function readFile(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new InputError(`cannot read ${what} '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** bpftool's -S/-k/-i rules (TC-BT77-2), then a signer over what the toolchain signs (TC-BT77-3), in its format. */
function makeSigner(sign: boolean, keyPath: string | undefined, certPath: string | undefined, toolchain: ToolchainProfile): LoaderSigner | undefined {
  if (sign && (!keyPath || !certPath)) throw new UsageError('-i <identity_x509_cert> and -k <private_key> must be supplied with -S for signing');
  if (!sign && (keyPath || certPath)) throw new UsageError('--sign (or -S) must be explicitly passed with -i <identity_x509_cert> and -k <private_key> to sign the programs');
  if (!sign) return undefined;
  const keyBytes = readFile(keyPath!, 'private key');
  const certBytes = readFile(certPath!, 'certificate');
  try {
    const key = loadPrivateKey(keyBytes);
    const cert = signerCertificate(certBytes);
    // Fail now, not in the middle of generation: a key that does not match the certificate, a
    // certificate without subjectKeyIdentifier ("certificate has no keyid"), an unsupported key.
    signPkcs7(new Uint8Array(8), { key, cert: cert.der, sid: toolchain.signatureFormat?.sid ?? 'skid' });
    return (content, request) => signPkcs7(content, { ...request, key, cert: cert.der });
  } catch (e) {
    if (e instanceof KeyFormatError) throw new InputError(`-k '${keyPath}' / -i '${certPath}': ${e.message}`);
    throw e;
  }
}

function openObject(file: string, name: string): BpfObject {
  const r = readElf(readFile(file, 'object'), { objectName: name });
  if (!r.ok) throw new InputError(`${file}: not a usable BPF object (${r.error.kind}): ${r.error.message}`);
  return r.value;
}

function generate(obj: BpfObject, file: string, toolchain: ToolchainProfile, signer: LoaderSigner | undefined, signMaps: boolean): LoaderOutput {
  const when = sourceDateEpoch();
  const out = genLoader(obj, { profile: toolchain, sign: !!signer, signMaps, ...(signer ? { signer } : {}), ...(when ? { signingTime: when } : {}) });
  if (!out.ok) throw new InputError(`${file}: cannot generate the loader (${out.error.kind}): ${out.error.message}`);
  return out.value;
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function loaderSummary(file: string, out: LoaderOutput): string {
  const lines = [
    `${file}: ${out.profile.name} light-skeleton loader (bpftool ${out.profile.bpftool}, libbpf ${out.profile.libbpf})`,
    `  insns      ${out.insns.length / 8} instructions, ${out.insns.length} bytes, sha256 ${sha256(out.insns)}`,
    `  data       ${out.data.length} bytes, sha256 ${sha256(out.data)}`,
    `  signature  ${out.signature ? `${out.signature.length} bytes (PKCS#7, DER)` : 'none (unsigned)'}`,
    `  excl hash  ${out.exclHash ? hex(out.exclHash) : 'none'}`,
    ...(out.signatureMaps ? [`  signed maps fd_array index ${out.signatureMaps.join(', ')} (hash chain)`] : []),
    `  ctx        ${out.ctx.size} bytes (ctx.sz)`,
    ...out.ctx.maps.map((m) => `    map  ${m.ident.padEnd(16)} '${m.name}' desc at ctx+${m.offset}`),
    ...out.ctx.progs.map((p) => `    prog ${p.name.padEnd(16)} desc at ctx+${p.offset}`),
  ];
  return lines.join('\n');
}

export const genCommand: Command = {
  name: 'gen',
  summary: 'gen skeleton|loader OBJ.bpf.o: a light skeleton (bpftool gen skeleton -L [-S]), byte-identical to bpftool',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      'use-loader': { type: 'boolean', short: 'L' },
      sign: { type: 'boolean', short: 'S' },
      'sign-maps': { type: 'boolean', short: 'M' },
      key: { type: 'string', short: 'k' },
      cert: { type: 'string', short: 'i' },
      name: { type: 'string' },
      toolchain: { type: 'string' },
      json: { type: 'boolean' },
    });
    const [sub, file, ...rest] = positionals;
    if (sub !== 'skeleton' && sub !== 'loader') throw new UsageError(sub === undefined ? 'missing subcommand: skeleton or loader' : `unknown subcommand '${sub}' (skeleton or loader)`);
    if (!file) throw new UsageError('missing OBJ.bpf.o');
    let name = values.name;
    if (rest.length) {
      // bpftool's own syntax: gen skeleton FILE name NAME
      if (sub !== 'skeleton' || rest[0] !== 'name' || rest.length !== 2) throw new UsageError(`unexpected argument '${rest[0]}'`);
      if (name !== undefined) throw new UsageError('the name is given twice (--name and name)');
      name = rest[1];
    }
    if (name !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError(`--name '${name}' is not a C identifier`);
    if (sub === 'loader' && name !== undefined) throw new UsageError('--name applies to gen skeleton');
    if (sub === 'skeleton' && values.json) throw new UsageError('--json applies to gen loader (gen skeleton writes the header)');
    const toolchain = findToolchain(values.toolchain ?? defaultToolchainName());
    if (!toolchain) throw new UsageError(`--toolchain must be one of ${toolchainNames().join(', ')}, not '${values.toolchain}'`);
    // TC-HCM-1: -M implies -S (and -L).
    const signMaps = !!values['sign-maps'];
    const sign = !!values.sign || signMaps;
    if (signMaps && !toolchain.canSignMaps) {
      const withM = toolchainNames().filter((n) => findToolchain(n)!.canSignMaps);
      throw new UsageError(
        `${toolchain.name} has no -M (--sign-maps): signing a map hash chain is the hash-chain bpftool patch (TC-HCM-1); ` +
          (withM.length ? `use --toolchain ${withM.join(' or ')}` : 'no registered toolchain has it'),
      );
    }
    if (sign && !toolchain.canSign) throw new UsageError(`${toolchain.name} cannot sign: -S needs bpftool 7.7 or later (TC-BT77-1)`);

    const signer = makeSigner(sign, values.key, values.cert, toolchain);
    const obj = openObject(file, name ?? objectNameFromPath(file));
    const out = generate(obj, file, toolchain, signer, signMaps);
    if (sub === 'loader') {
      io.out(values.json ? JSON.stringify(loaderOutputToJson(out), null, 2) : loaderSummary(file, out));
      return 0;
    }
    const written = writeLskelHeaderChecked(obj, out);
    if (!written.ok) throw new InputError(`${file}: cannot write the skeleton header (${written.error.kind}): ${written.error.message}`);
    const header = written.value;
    io.out(header.endsWith('\n') ? header.slice(0, -1) : header);
    return 0;
  },
};
