// A captured Io for CLI tests.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BinaryIo } from '../../../src/cli/cmd-sign.js';
import type { TestCert } from './certs.js';

export interface Captured extends BinaryIo {
  readonly stdout: string[];
  readonly stderr: string[];
  readonly bytes: Uint8Array[];
}

export function captureIo(): Captured {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const bytes: Uint8Array[] = [];
  return {
    stdout,
    stderr,
    bytes,
    out: (t) => stdout.push(t),
    err: (t) => stderr.push(t),
    outBytes: (b) => bytes.push(b),
  };
}

export function tempDir(prefix = 'bpfsig-keys-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Write a test certificate (PEM and DER) and its key (PKCS#8 PEM) into `dir`; returns the paths. */
export function writeCert(dir: string, name: string, c: TestCert): { cert: string; der: string; key: string } {
  const cert = join(dir, `${name}.cert.pem`);
  const der = join(dir, `${name}.cert.der`);
  const key = join(dir, `${name}.key.pem`);
  writeFileSync(cert, `-----BEGIN CERTIFICATE-----\n${Buffer.from(c.der).toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`);
  writeFileSync(der, c.der);
  writeFileSync(key, c.key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  return { cert, der, key };
}
