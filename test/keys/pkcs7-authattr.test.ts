// pkcs7_get_authattr and the validated-trust flag (James Bottomley's two keys patches of the Hornet
// series): an attribute is only handed out from a signer whose trust pkcs7_validate_trust
// established, and what comes back is the content of the attribute's value.
// spec: HN-HIST-1, HN-CHK-7, HN-ASN1-3, PK7-TRUST-1, PK7-TRUST-3

import { describe, expect, it } from 'vitest';
import { KLog } from '../../src/keys/klog.js';
import { OIDS } from '../../src/keys/oid.js';
import { pkcs7_get_authattr } from '../../src/keys/pkcs7-authattr.js';
import { pkcs7_parse_message, type Pkcs7Message } from '../../src/keys/pkcs7-parse.js';
import { Errno } from '../../src/syscall/errno.js';
import { makeCert } from './support/certs.js';
import { T } from './support/der.js';
import { ksWith, testData } from './support/env.js';
import { attr, buildPkcs7, goodAttrs } from './support/pkcs7.js';

const data = testData(640);
const trusted = makeCert({ cn: 'authattr trusted' });
const stranger = makeCert({ cn: 'authattr stranger', keySlot: 1 });
const ks = ksWith([trusted]);
const HORNET = OIDS.hornet_data;
const inner = T.set(T.seq(T.octet(new Uint8Array(32).fill(7))));
const hornetAttr = attr.raw(HORNET, T.seq(inner));

const parse = (der: Uint8Array): Pkcs7Message => {
  const m = pkcs7_parse_message(der, { cfg: ks.config }, new KLog());
  if (typeof m === 'number') throw new Error(`parse failed: ${m}`);
  return m;
};
const verifyMsg = (m: Pkcs7Message, payload = data) => ks.verify_pkcs7_message_sig(payload, m, 0, 'VERIFYING_BPF_SIGNATURE', new KLog());

describe('pkcs7_get_authattr', () => {
  it('[HN-HIST-1] a freshly parsed message has no signer with validated trust: -ENODATA, even for an attribute it carries', () => {
    const m = parse(buildPkcs7({ data, signers: [{ key: trusted.key, cert: trusted, signedAttrs: [...goodAttrs(data), hornetAttr], sortAttrs: true }] }));
    expect(m.signedInfos[0]!.verified).toBe(false);
    expect(pkcs7_get_authattr(m, 'hornet_data')).toBe(-Errno.ENODATA);
  });

  it('[HN-HIST-1][HN-ASN1-3] after verify_pkcs7_message_sig the signer is verified and the value\'s content comes back (SEQUENCE { x } → x)', () => {
    const m = parse(buildPkcs7({ data, signers: [{ key: trusted.key, cert: trusted, signedAttrs: [...goodAttrs(data), hornetAttr], sortAttrs: true }] }));
    expect(verifyMsg(m)).toBe(0);
    expect(m.signedInfos[0]!.verified).toBe(true);
    expect(Buffer.from(pkcs7_get_authattr(m, 'hornet_data') as Uint8Array)).toEqual(Buffer.from(inner));
  });

  it('[HN-CHK-7] works for any OID the kernel knows: messageDigest gives the 32 digest bytes (the kernel selftest\'s check)', () => {
    const m = parse(buildPkcs7({ data, signers: [{ key: trusted.key, cert: trusted, signedAttrs: goodAttrs(data), sortAttrs: true }] }));
    expect(verifyMsg(m)).toBe(0);
    expect((pkcs7_get_authattr(m, 'messageDigest') as Uint8Array).length).toBe(32);
    expect(pkcs7_get_authattr(m, 'hornet_data')).toBe(-Errno.ENODATA);
  });

  it('[HN-CHK-7] a signature without signed attributes (bpftool\'s structure) has none to give', () => {
    const m = parse(buildPkcs7({ data, signers: [{ key: trusted.key, cert: trusted }] }));
    expect(verifyMsg(m)).toBe(0);
    expect(pkcs7_get_authattr(m, 'hornet_data')).toBe(-Errno.ENODATA);
  });

  it('[PK7-TRUST-2] a signer whose check failed is not verified: nothing is handed out', () => {
    const m = parse(buildPkcs7({ data, signers: [{ key: trusted.key, cert: trusted, signedAttrs: [...goodAttrs(data), hornetAttr], sortAttrs: true }] }));
    const other = testData(640, 'other');
    expect(verifyMsg(m, other)).toBe(-Errno.EKEYREJECTED);
    expect(m.signedInfos[0]!.verified).toBe(false);
    expect(pkcs7_get_authattr(m, 'hornet_data')).toBe(-Errno.ENODATA);
  });

  it('[PK7-TRUST-3] with two signers only the one whose key is trusted counts: its attribute, not the other\'s', () => {
    const other = T.set(T.seq(T.octet(new Uint8Array(32).fill(9))));
    const m = parse(
      buildPkcs7({
        data,
        signers: [
          { key: stranger.key, cert: stranger, signedAttrs: [...goodAttrs(data), attr.raw(HORNET, T.seq(other))], sortAttrs: true },
          { key: trusted.key, cert: trusted, signedAttrs: [...goodAttrs(data), hornetAttr], sortAttrs: true },
        ],
      }),
    );
    expect(verifyMsg(m)).toBe(0);
    expect(m.signedInfos.map((s) => s.verified)).toEqual([false, true]);
    expect(Buffer.from(pkcs7_get_authattr(m, 'hornet_data') as Uint8Array)).toEqual(Buffer.from(inner));
  });

  it('[HN-HIST-1] a multi-valued attribute yields its last value (pkcs7_aa_note_attr overwrites)', () => {
    const first = T.seq(T.octet(Uint8Array.of(1)));
    const last = T.seq(T.octet(Uint8Array.of(2)));
    const m = parse(buildPkcs7({ data, signers: [{ key: trusted.key, cert: trusted, signedAttrs: [...goodAttrs(data), attr.raw(HORNET, first, last)], sortAttrs: true }] }));
    expect(verifyMsg(m)).toBe(0);
    expect(Buffer.from(pkcs7_get_authattr(m, 'hornet_data') as Uint8Array)).toEqual(Buffer.from(T.octet(Uint8Array.of(2))));
  });
});
