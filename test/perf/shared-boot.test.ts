// Issue K: what boot and add_key build from bytes is built once per distinct bytes — the vmlinux
// BTF parse and its kallsyms table, certificate structures — and a difference in any input misses.

import { describe, expect, it } from 'vitest';
import { KeyService } from '../../src/keys/key-service.js';
import { KLog } from '../../src/keys/klog.js';
import { makeSigningIdentity } from '../../src/keys/make-cert.js';
import { x509_cert_parse } from '../../src/keys/x509.js';
import { Kernel } from '../../src/syscall/kernel.js';
import { builtinVmlinuxBtf } from '../../src/syscall/kernel-btf/vmlinux.js';
import { BtfKind } from '../../src/btf/btf.js';

const attrMembers = (k: Kernel) => {
  const m = k.vmlinuxBtf()!.model;
  const id = m.findByNameKind('bpf_attr', BtfKind.UNION);
  return m.resolveSize(id);
};

describe('the vmlinux BTF and kallsyms shared across kernels [KBTF]', () => {
  it('kernels of one profile share the parse and the table, each with its own BTF object', () => {
    const a = new Kernel({ profile: 'v6.18' });
    const b = new Kernel({ profile: 'v6.18' });
    expect(a.vmlinuxBtf()!.model).toBe(b.vmlinuxBtf()!.model);
    expect(a.kallsyms).toBe(b.kallsyms);
    expect(a.vmlinuxBtf()).not.toBe(b.vmlinuxBtf());
    a.btfPut(a.vmlinuxBtf()!); // one kernel's refcount is its own
    expect(b.vmlinuxBtf()!.refcnt).toBe(1);
  });

  it('another UAPI (v6.17 has no signature fields), another kallsyms setting or other bytes miss', () => {
    const v618 = new Kernel({ profile: 'v6.18' });
    const v617 = new Kernel({ profile: 'v6.17' });
    expect(v617.vmlinuxBtf()!.model).not.toBe(v618.vmlinuxBtf()!.model);
    expect(attrMembers(v617)).toBeLessThan(attrMembers(v618)!);
    const noAll = new Kernel({ profile: 'v6.18', config: { CONFIG_KALLSYMS_ALL: false } });
    expect(noAll.kallsyms).not.toBe(v618.kallsyms);
    expect(noAll.kallsyms.lookup('jiffies')).not.toEqual(v618.kallsyms.lookup('jiffies'));
    // Given bytes: the same array shares its parse (kernel-btf/source.ts); other bytes are parsed anew.
    const bytes = builtinVmlinuxBtf({ uapiFeatures: [] });
    const g1 = new Kernel({ profile: 'v6.18', vmlinuxBtf: bytes });
    const g2 = new Kernel({ profile: 'v6.18', vmlinuxBtf: bytes });
    expect(g1.vmlinuxBtf()!.model).toBe(g2.vmlinuxBtf()!.model);
    expect(g1.vmlinuxBtf()!.model).not.toBe(v618.vmlinuxBtf()!.model);
    expect(attrMembers(g1)).toBe(attrMembers(v617));
    expect(() => new Kernel({ profile: 'v6.18', vmlinuxBtf: bytes.slice(0, 10) })).toThrow(/vmlinux BTF rejected/);
  });
});

describe('certificate structures remembered by their DER bytes [PK7-PARSE-15]', () => {
  const id = makeSigningIdentity();
  const parse = (der: Uint8Array) => {
    const log = new KLog();
    const r = x509_cert_parse(der, { cfg: new KeyService().config }, log);
    return { r, log };
  };

  it('the same bytes give equal, separate certificates (per-message state is not shared)', () => {
    const a = parse(id.certDer).r;
    const b = parse(id.certDer.slice()).r;
    if (typeof a === 'number' || typeof b === 'number') throw new Error('parse failed');
    expect(b).not.toBe(a);
    expect({ ...b }).toEqual({ ...a });
    a.verified = true;
    expect(b.verified).toBe(false);
  });

  it('a byte changed anywhere is parsed anew: in the signature the self-signature fails; in the structure the parse does', () => {
    const good = parse(id.certDer).r;
    if (typeof good === 'number') throw new Error('parse failed');
    expect(good.selfSigned).toBe(true);
    const sigByte = id.certDer.slice();
    sigByte[sigByte.length - 5]! ^= 1;
    const r = parse(sigByte).r;
    expect(typeof r === 'number' ? r : r.selfSigned).not.toEqual(good.selfSigned);
    const broken = id.certDer.slice();
    broken[1] = 0x05; // the outer SEQUENCE's length
    expect(parse(broken).r).toBeLessThan(0);
    expect(parse(id.certDer).r).toMatchObject({ selfSigned: true }); // and the original still parses
  });

  it('public keys are imported once per SPKI bytes: another certificate with the same key shares it, another key does not', () => {
    const other = makeSigningIdentity();
    const a = parse(id.certDer).r;
    const b = parse(id.certDer.slice()).r;
    const c = parse(other.certDer).r;
    if (typeof a === 'number' || typeof b === 'number' || typeof c === 'number') throw new Error('parse failed');
    expect(b.pub.keyObject).toBe(a.pub.keyObject);
    expect(c.pub.keyObject).not.toBe(a.pub.keyObject);
    expect(c.pub.keyObject.equals(a.pub.keyObject)).toBe(false);
    // Each certificate's self-signature is checked with its own key.
    expect([a.selfSigned, c.selfSigned]).toEqual([true, true]);
  });
});
