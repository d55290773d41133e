// `bpfsig keygen --out DIR`: a throw-away BPF signing identity (RSA-2048 key and a self-signed
// certificate with the extensions the kernel selftests' genkey config sets, KP-TEST-2), written as
// key.pem, cert.pem and cert.der — what `gen skeleton -S -k -i` and `skel load --cert` take.

import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_NOT_AFTER, DEFAULT_NOT_BEFORE, DEFAULT_SIGNING_CN, makeSigningIdentity } from '../keys/make-cert.js';
import { InputError, parseCommandArgs, UsageError, type Command } from './command.js';
import { SUMMARIES } from './summaries.js';

const usage = `usage: bpfsig keygen --out DIR [--cn NAME] [--force]

Makes a throw-away BPF signing identity: an RSA-2048 private key (node:crypto, random) and a
self-signed X.509 v3 certificate with subjectKeyIdentifier (SHA-1 of the public key, which the
signer id of a bpftool signature names), authorityKeyIdentifier, keyUsage digitalSignature
(critical) and basicConstraints CA:FALSE (critical), valid ${DEFAULT_NOT_BEFORE.toISOString().slice(0, 10)} to ${DEFAULT_NOT_AFTER.toISOString().slice(0, 10)}.
Writes DIR/key.pem (PKCS#8, mode 0600), DIR/cert.pem and DIR/cert.der.

  --out DIR    where to write (created if missing)
  --cn NAME    subject common name (default "${DEFAULT_SIGNING_CN}")
  --force      overwrite existing files

Then: bpfsig gen skeleton -S -k DIR/key.pem -i DIR/cert.pem OBJ.bpf.o > OBJ.lskel.h
      bpfsig skel load OBJ.lskel.h --cert DIR/cert.pem`;

export const keygenCommand: Command = {
  name: 'keygen',
  summary: SUMMARIES.keygen,
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { out: { type: 'string' }, cn: { type: 'string' }, force: { type: 'boolean' } });
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (!values.out) throw new UsageError('--out DIR is required');
    if (values.cn !== undefined && values.cn.length === 0) throw new UsageError('--cn must not be empty');
    const dir = values.out;
    const files = { key: join(dir, 'key.pem'), certPem: join(dir, 'cert.pem'), certDer: join(dir, 'cert.der') };
    if (!values.force) for (const f of Object.values(files)) if (existsSync(f)) throw new InputError(`${f} exists (use --force to overwrite)`);
    const id = makeSigningIdentity(values.cn ? { cn: values.cn } : {});
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(files.key, id.keyPem, { mode: 0o600 });
      chmodSync(files.key, 0o600); // also when --force replaced an existing file
      writeFileSync(files.certPem, id.certPem);
      writeFileSync(files.certDer, id.certDer);
    } catch (e) {
      throw new InputError(`cannot write to '${dir}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    io.out(
      [
        `wrote ${files.key}, ${files.certPem}, ${files.certDer}`,
        `  subject CN=${values.cn ?? DEFAULT_SIGNING_CN}, RSA-2048, self-signed`,
        `  subjectKeyIdentifier ${Buffer.from(id.certificate.skid!).toString('hex')}`,
      ].join('\n'),
    );
    return 0;
  },
};
