// Byte-identity of the generated loader against bpftool 7.1 / 7.7 output for every shared fixture.
// spec: LSK-PROG-1..7, LSK-SIGM-1..6, LSK-BLOB-1..2, TC-BT71-1, TC-BT77-3, TC-BT77-5

import { createHash } from 'node:crypto';
import { readdirSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readElf, objectNameFromPath } from '../../src/loader/elf/read-object.js';
import { genLoader, type LoaderOutput } from '../../src/loader/gen-loader/gen-loader.js';
import { describeShared, fixturePath, readFixture, SHARED } from '../support/shared.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function fixtureObjects(): string[] {
  if (!SHARED) return [];
  const dir = fixturePath('bpf');
  return readdirSync(dir).filter((n) => existsSync(`${dir}/${n}/${n}.bpf.o`)).sort();
}

function generate(name: string, profile: 'bpftool-7.7' | 'bpftool-7.1', sign: boolean): LoaderOutput {
  const path = fixturePath('bpf', name, `${name}.bpf.o`);
  const obj = readElf(readFixture('bpf', name, `${name}.bpf.o`), { objectName: objectNameFromPath(path) });
  if (!obj.ok) throw new Error(obj.error.message);
  const sig = sign ? readFixture('bpf', name, `${name}.v77-signed.sig.der`) : undefined;
  const out = genLoader(obj.value, { profile, sign, signer: sig ? () => sig : undefined });
  if (!out.ok) throw new Error(out.error.message);
  return out.value;
}

describeShared('gen_loader output equals bpftool for every fixture object', () => {
  const names = fixtureObjects();
  it('finds the fixture objects', () => {
    expect(names.length).toBeGreaterThanOrEqual(4);
  });
  for (const name of names) {
    describe(name, () => {
      it(`[LSK-PROG-2, LSK-BLOB-1, TC-BT77-5] ${name}: bpftool 7.7 -L insns and data are byte-identical`, () => {
        const out = generate(name, 'bpftool-7.7', false);
        expect(hex(out.insns)).toBe(hex(readFixture('bpf', name, `${name}.v77.insns.bin`)));
        expect(hex(out.data)).toBe(hex(readFixture('bpf', name, `${name}.v77.data.bin`)));
        expect(out.exclHash).toBeUndefined();
        expect(out.signature).toBeUndefined();
      });
      it(`[LSK-SIGM-2, LSK-SIGM-3, LSK-SIGM-6, TC-BT77-3] ${name}: bpftool 7.7 -S insns, data, excl hash are byte-identical`, () => {
        const out = generate(name, 'bpftool-7.7', true);
        expect(hex(out.insns)).toBe(hex(readFixture('bpf', name, `${name}.v77-signed.insns.bin`)));
        expect(hex(out.data)).toBe(hex(readFixture('bpf', name, `${name}.v77-signed.data.bin`)));
        expect(hex(out.exclHash!)).toBe(hex(readFixture('bpf', name, `${name}.v77-signed.excl_hash.bin`)));
        expect(hex(out.exclHash!)).toBe(createHash('sha256').update(out.insns).digest('hex'));
        expect(hex(out.signature!)).toBe(hex(readFixture('bpf', name, `${name}.v77-signed.sig.der`)));
      });
      it(`[TC-BT71-1] ${name}: bpftool 7.1 (libbpf 1.1) -L insns and data are byte-identical`, () => {
        const out = generate(name, 'bpftool-7.1', false);
        expect(hex(out.insns)).toBe(hex(readFixture('bpf', name, `${name}.v71.insns.bin`)));
        expect(hex(out.data)).toBe(hex(readFixture('bpf', name, `${name}.v71.data.bin`)));
      });
    });
  }
});
