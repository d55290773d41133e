// Issue K: pkcs7_parse_message remembered by the exact message bytes (src/keys/pkcs7-parse.ts).
// A warm parse must equal a cold parse of the same bytes (fields, log lines), hand out views of the
// caller's own bytes and fresh mutable objects, and a message one byte away — or one whose parse
// reads more than its bytes (embedded certificates) — must be parsed again.
// spec: PK7-VER-1, PK7-PARSE-4, PK7-PARSE-16, PK7-ERR-31

import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { KLog } from '../../src/keys/klog.js';
import { clearPkcs7ParseCache, pkcs7_parse_message, type Pkcs7Message } from '../../src/keys/pkcs7-parse.js';
import { Errno } from '../../src/syscall/errno.js';
import { makeCert } from '../keys/support/certs.js';
import { ksWith, testData } from '../keys/support/env.js';
import { T } from '../keys/support/der.js';
import { attr, buildPkcs7, goodAttrs } from '../keys/support/pkcs7.js';

const data = testData(640);
const cert = makeCert({ cn: 'parse cache' });
const ks = ksWith([cert]);

const bpftool = (): Uint8Array => buildPkcs7({ data, signers: [{ key: cert.key, cert }] });
const withAttrs = (): Uint8Array =>
  buildPkcs7({ data, signers: [{ key: cert.key, cert, sid: 'ias', signedAttrs: [...goodAttrs(data), attr.signingTime(new Date('2025-12-01T00:00:00Z'))], sortAttrs: true }] });
const twoSigners = (): Uint8Array => buildPkcs7({ data, signers: [{ key: cert.key, cert }, { key: cert.key, cert }] });

function parse(der: Uint8Array, opts: Parameters<typeof pkcs7_parse_message>[1] = { cfg: ks.config }): { m: Pkcs7Message | number; log: KLog } {
  const log = new KLog();
  return { m: pkcs7_parse_message(der, opts, log), log };
}

beforeEach(() => clearPkcs7ParseCache());

describe('pkcs7_parse_message remembered by bytes [PK7-VER-1] (issue K)', () => {
  it.each([
    ['bpftool structure (SKID, no certificates, no attributes)', bpftool],
    ['issuer+serial with signed attributes and a signingTime', withAttrs],
    ['two signers', twoSigners],
    ['attached content (parsed, refused later by verify)', () => buildPkcs7({ data, eContent: T.octet(data), signers: [{ key: cert.key, cert }] })],
  ])('%s: a warm parse equals the cold one, fields and log lines', (_n, make) => {
    const cold = parse(make());
    const warm = parse(make());
    expect(typeof cold.m).toBe('object');
    expect(warm.m).toEqual(cold.m);
    // …enumerating in the same order (JSON, for instance, sees the same text).
    const keysDeep = (m: Pkcs7Message) => [Object.keys(m), ...m.signedInfos.flatMap((si) => [Object.keys(si), Object.keys(si.sig)])];
    expect(keysDeep(warm.m as Pkcs7Message)).toEqual(keysDeep(cold.m as Pkcs7Message));
    expect(warm.log.lines).toEqual(cold.log.lines);
    expect(warm.log.lines.some((l) => l.startsWith('PKCS7: SINFO KID:'))).toBe(true);
    expect([warm.log.rule, warm.log.ret]).toEqual([cold.log.rule, cold.log.ret]);
  });

  it('byte fields are views of this call’s bytes; objects are fresh and may be changed by the caller', () => {
    const a = withAttrs();
    const b = a.slice();
    const ma = parse(a).m as Pkcs7Message;
    const mb = parse(b).m as Pkcs7Message;
    const sb = mb.signedInfos[0]!;
    expect(sb.sig.s.buffer).toBe(b.buffer);
    expect(sb.authattrs!.buffer).toBe(b.buffer);
    expect(sb.msgdigest!.buffer).toBe(b.buffer);
    expect(mb.signedInfos[0]).not.toBe(ma.signedInfos[0]);
    expect(sb.sig.authIds[0]).not.toBe(ma.signedInfos[0]!.sig.authIds[0]);
    // What verification writes into one message is not in the next one.
    sb.sig.digest = new Uint8Array(32);
    sb.verified = true;
    sb.sig.authIds[0]!.data[0] ^= 0xff;
    mb.data = data;
    const mc = parse(a.slice()).m as Pkcs7Message;
    expect(mc).toEqual(ma);
    expect(mc.signedInfos[0]!.sig.digest).toBeUndefined();
    expect(mc.data).toBeUndefined();
  });

  it('one byte of difference is parsed anew: another signature value, or the other outcome', () => {
    const good = bpftool();
    const g = parse(good).m as Pkcs7Message;
    const sigByte = good.slice();
    sigByte[sigByte.length - 1] ^= 0x01; // the last byte of encryptedDigest
    const s = parse(sigByte).m as Pkcs7Message;
    expect(s.signedInfos[0]!.sig.s.at(-1)).toBe(g.signedInfos[0]!.sig.s.at(-1)! ^ 0x01);
    const bad = good.slice();
    bad[0] = 0x31; // SET, not SEQUENCE: a structure error
    const r = parse(bad);
    expect(r.m).toBe(-Errno.EBADMSG);
    expect(r.log.rule).toBe('PK7-PARSE-2');
    // …and the good bytes after the bad ones are still good.
    expect(parse(good).m).toEqual(g);
  });

  it('the same buffer changed in place between two parses is parsed anew', () => {
    const der = bpftool();
    const before = parse(der).m as Pkcs7Message;
    const s0 = before.signedInfos[0]!.sig.s.at(-1)!;
    der[der.length - 1] ^= 0x80;
    const after = parse(der).m as Pkcs7Message;
    expect(after.signedInfos[0]!.sig.s.at(-1)).toBe(s0 ^ 0x80);
    der[2] ^= 0x40; // the outer length: now malformed
    expect(parse(der).m).toBeLessThan(0);
  });

  it('[PK7-PARSE-4] the allocation is asked on every call, warm or cold', () => {
    const der = bpftool();
    parse(der);
    let asked = 0;
    const r = parse(der, { cfg: ks.config, failslab: (site) => (site === 'pkcs7_parse_message' ? ++asked > 0 : false) });
    expect(asked).toBe(1);
    expect(r.m).toBe(-Errno.ENOMEM);
  });

  it('[PK7-ERR-31] a message with an embedded certificate is parsed again: the blacklist is asked each time', () => {
    const der = buildPkcs7({ data, certificates: [cert.der], signers: [{ key: cert.key, cert, sid: 'ias' }] });
    const tbs = createHash('sha256').update(cert.tbs).digest('hex');
    let listed = false;
    const opts = { cfg: ks.config, isTbsBlacklisted: (h: string) => listed && h === tbs };
    const before = parse(der, opts).m as Pkcs7Message;
    expect(before.certs[0]!.blacklisted).toBe(false);
    listed = true;
    const after = parse(der, opts).m as Pkcs7Message;
    expect(after.certs[0]!.blacklisted).toBe(true);
  });
});
