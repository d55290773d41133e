// pkcs7_parse_message: decode a PKCS#7/CMS SignedData blob with the kernel's grammar
// (crypto/asymmetric_keys/pkcs7.asn1) and apply the kernel's per-field rules in its actions.
// Never throws: every malformed input ends in the errno the kernel returns.
//
// spec: PK7-VER-1, PK7-PARSE-1..16, PK7-ERR-5..11, PK7-ERR-14, PK7-ERR-16..20

import { ContentCache } from '../abi/content-cache.js';
import { Errno } from '../abi/errno.js';
import {
  asn1,
  asn1_ber_decoder,
  ASN1_INT,
  ASN1_OID,
  ASN1_OTS,
  ASN1_SEQ,
  ASN1_SET,
  ctxCons,
  ctxPrim,
  type Asn1Action,
  type Asn1Diag,
  type Asn1Node,
} from './asn1-decoder.js';
import { x509_decode_time } from './ber.js';
import type { Failslab, KeysConfig } from './config.js';
import { asymmetric_key_generate_id } from './key-id.js';
import type { KLog } from './klog.js';
import { decodeOid, lookUpOid, type OidName } from './oid.js';
import type { PublicKeySignature } from './public-key.js';
import { x509_cert_parse, type X509Certificate } from './x509.js';

// sinfo->aa_set bits
const AA_CONTENT_TYPE = 1 << 0;
const AA_SIGNING_TIME = 1 << 1;
const AA_MESSAGE_DIGEST = 1 << 2;
const AA_SMIME_CAPS = 1 << 3;
const AA_MS_OPUS_INFO = 1 << 4;
const AA_MS_STATEMENT_TYPE = 1 << 5;

export interface SignedInfo {
  /** 1-based position among the SignerInfos. */
  index: number;
  readonly sig: PublicKeySignature;
  /** The signed attributes as the kernel digests them: the bytes after the [0] tag (a 0x31 goes first). */
  authattrs?: Uint8Array;
  /** The whole `[0] IMPLICIT SET OF` element, identifier octet included (what pkcs7_get_authattr decodes). */
  authattrsTlv?: Uint8Array;
  aaSet: number;
  msgdigest?: Uint8Array;
  signingTime?: number;
  signer?: X509Certificate;
  unsupportedCrypto: boolean;
  blacklisted: boolean;
  /**
   * pkcs7_validate_trust found this signer's chain (or the signer itself) in the trusted keyring:
   * the "validated trust" flag of James Bottomley's patch, which pkcs7_get_authattr requires.
   * spec: HN-HIST-1, HN-CHK-7
   */
  verified: boolean;
}

export interface Pkcs7Message {
  version: number;
  /** The encapsulated content type (`data` or `msIndirectData`). */
  dataType?: OidName;
  /** Attached content (eContent) as found, or the detached data once supplied. */
  data?: Uint8Array;
  dataHdrlen: number;
  haveAuthattrs: boolean;
  certs: X509Certificate[];
  readonly signedInfos: SignedInfo[];
}

interface ParseCtx {
  readonly msg: Pkcs7Message;
  sinfo: SignedInfo;
  certs: X509Certificate[];
  lastOid: OidName | undefined;
  x509Index: number;
  sinfoIndex: number;
  rawSerial?: Uint8Array;
  rawIssuer?: Uint8Array;
  rawSkid?: Uint8Array;
  expectSkid: boolean;
  readonly log: KLog;
  readonly cfg: KeysConfig;
  readonly isTbsBlacklisted?: (hashHex: string) => boolean;
  /** No certificate was parsed: the outcome depends on the bytes alone (see pkcs7_parse_message). */
  pure: boolean;
}

function newSignedInfo(): SignedInfo {
  return {
    index: 0,
    sig: { s: new Uint8Array(0), authIds: [undefined, undefined, undefined] },
    aaSet: 0,
    unsupportedCrypto: false,
    blacklisted: false,
    verified: false,
  };
}

type Act = Asn1Action<ParseCtx>;

const note_OID: Act = (ctx, _h, _t, data, off, vlen) => {
  const bytes = data.subarray(off, off + vlen);
  ctx.lastOid = lookUpOid(bytes);
  if (ctx.lastOid === undefined) ctx.log.note(`PKCS7: Unknown OID: [${off}] ${decodeOid(bytes) ?? '?'}`);
  return 0;
};

// spec: PK7-PARSE-5
const check_content_type: Act = (ctx) => {
  if (ctx.lastOid !== 'signed_data') {
    return ctx.log.fail(-Errno.EINVAL, 'PK7-PARSE-5', 'PKCS7: Only support pkcs7_signedData type');
  }
  return 0;
};

// spec: PK7-PARSE-6
const note_signeddata_version: Act = (ctx, _h, _t, data, off, vlen) => {
  const version = vlen === 1 ? data[off] : -1;
  if (version !== 1 && version !== 3) {
    return ctx.log.fail(-Errno.EINVAL, 'PK7-PARSE-6', 'PKCS7: Unsupported SignedData version');
  }
  ctx.msg.version = version;
  return 0;
};

// spec: PK7-PARSE-7
const note_signerinfo_version: Act = (ctx, _h, _t, data, off, vlen) => {
  const version = vlen === 1 ? data[off] : -1;
  if (version === 1) {
    if (ctx.msg.version !== 1) {
      return ctx.log.fail(-Errno.EBADMSG, 'PK7-PARSE-7', 'PKCS7: SignedData-SignerInfo version mismatch');
    }
    ctx.expectSkid = false;
    return 0;
  }
  if (version === 3) {
    if (ctx.msg.version === 1) {
      return ctx.log.fail(-Errno.EBADMSG, 'PK7-PARSE-7', 'PKCS7: SignedData-SignerInfo version mismatch');
    }
    ctx.expectSkid = true;
    return 0;
  }
  return ctx.log.fail(-Errno.EINVAL, 'PK7-PARSE-7', 'PKCS7: Unsupported SignerInfo version');
};

// spec: PK7-PARSE-8
const note_content: Act = (ctx) => {
  if (ctx.lastOid !== 'data' && ctx.lastOid !== 'msIndirectData') {
    return ctx.log.fail(-Errno.EINVAL, 'PK7-PARSE-8', `PKCS7: Unsupported data type ${ctx.lastOid ?? 'OID__NR'}`);
  }
  ctx.msg.dataType = ctx.lastOid;
  return 0;
};

const note_data: Act = (ctx, hdrlen, _t, data, off, vlen) => {
  ctx.log.note('PKCS7: Got data');
  ctx.msg.data = data.subarray(off, off + vlen);
  ctx.msg.dataHdrlen = hdrlen;
  return 0;
};

// spec: PK7-PARSE-15
const extract_cert: Act = (ctx, hdrlen, tag, data, off, vlen) => {
  if (tag !== ASN1_SEQ) {
    return ctx.log.fail(-Errno.EBADMSG, 'PK7-PARSE-15', `PKCS7: Cert began with tag ${tag.toString(16).padStart(2, '0')}`);
  }
  ctx.pure = false; // x509_cert_parse reads the configuration and the blacklist
  const start = off - hdrlen;
  let len = vlen + hdrlen;
  if (data[start + 1] === 0x80) len += 2; // indefinite length: there should be an EOC
  const x509 = x509_cert_parse(data.subarray(start, start + len), { cfg: ctx.cfg, isTbsBlacklisted: ctx.isTbsBlacklisted }, ctx.log);
  if (typeof x509 === 'number') return x509;
  x509.index = ++ctx.x509Index;
  ctx.log.note(`PKCS7: Got cert ${x509.index} for ${x509.subject}`);
  ctx.certs.push(x509);
  return 0;
};

const note_certificate_list: Act = (ctx) => {
  ctx.msg.certs = [...ctx.certs, ...ctx.msg.certs];
  ctx.certs = [];
  return 0;
};

const DIGESTS: Partial<Record<OidName, string>> = {
  sha1: 'sha1',
  sha224: 'sha224',
  sha256: 'sha256',
  sha384: 'sha384',
  sha512: 'sha512',
  sha3_256: 'sha3-256',
  sha3_384: 'sha3-384',
  sha3_512: 'sha3-512',
  sm3: 'sm3',
  streebog256: 'streebog256',
  streebog512: 'streebog512',
};

// spec: PK7-PARSE-9
const sig_note_digest_algo: Act = (ctx) => {
  const hash = ctx.lastOid ? DIGESTS[ctx.lastOid] : undefined;
  if (!hash) {
    return ctx.log.fail(-Errno.ENOPKG, 'PK7-PARSE-9', `PKCS7: Unsupported digest algo: ${ctx.lastOid ?? 'OID__NR'}`);
  }
  ctx.sinfo.sig.hashAlgo = hash;
  return 0;
};

const PKEY_ALGOS: Partial<Record<OidName, [string, string]>> = {
  rsaEncryption: ['rsa', 'pkcs1'],
  id_ecdsa_with_sha1: ['ecdsa', 'x962'],
  id_ecdsa_with_sha224: ['ecdsa', 'x962'],
  id_ecdsa_with_sha256: ['ecdsa', 'x962'],
  id_ecdsa_with_sha384: ['ecdsa', 'x962'],
  id_ecdsa_with_sha512: ['ecdsa', 'x962'],
  id_ecdsa_with_sha3_256: ['ecdsa', 'x962'],
  id_ecdsa_with_sha3_384: ['ecdsa', 'x962'],
  id_ecdsa_with_sha3_512: ['ecdsa', 'x962'],
  gost2012PKey256: ['ecrdsa', 'raw'],
  gost2012PKey512: ['ecrdsa', 'raw'],
};

// spec: PK7-PARSE-10
const sig_note_pkey_algo: Act = (ctx) => {
  const algo = ctx.lastOid ? PKEY_ALGOS[ctx.lastOid] : undefined;
  if (!algo) {
    return ctx.log.fail(-Errno.ENOPKG, 'PK7-PARSE-10', `PKCS7: Unsupported pkey algo: ${ctx.lastOid ?? 'OID__NR'}`);
  }
  ctx.sinfo.sig.pkeyAlgo = algo[0];
  ctx.sinfo.sig.encoding = algo[1];
  return 0;
};

// spec: PK7-PARSE-11, PK7-PARSE-12, PK7-PARSE-13
const sig_note_authenticated_attr: Act = (ctx, _h, tag, data, off, vlen) => {
  const sinfo = ctx.sinfo;
  const repeated = (): number =>
    ctx.log.fail(-Errno.EKEYREJECTED, 'PK7-PARSE-11', 'PKCS7: Repeated/multivalue AuthAttrs not permitted');
  const once = (bit: number): boolean => {
    if (sinfo.aaSet & bit) return false;
    sinfo.aaSet |= bit;
    return true;
  };
  const authenticodeOnly = (): number => {
    if (ctx.msg.dataType !== 'msIndirectData') {
      return ctx.log.fail(-Errno.EKEYREJECTED, 'PK7-PARSE-12', 'PKCS7: Authenticode AuthAttrs only allowed with Authenticode');
    }
    return 0;
  };
  switch (ctx.lastOid) {
    case 'contentType': {
      if (!once(AA_CONTENT_TYPE)) return repeated();
      const ct = lookUpOid(data.subarray(off, off + vlen));
      if (ct !== ctx.msg.dataType) {
        return ctx.log.fail(
          -Errno.EBADMSG,
          'PK7-PARSE-11',
          `PKCS7: Mismatch between global data type (${ctx.msg.dataType ?? 'OID__NR'}) and sinfo ${sinfo.index} (${ct ?? 'OID__NR'})`,
        );
      }
      return 0;
    }
    case 'signingTime': {
      if (!once(AA_SIGNING_TIME)) return repeated();
      const t = x509_decode_time(tag, data.subarray(off, off + vlen));
      if (t < 0) return ctx.log.fail(t, 'PK7-PARSE-13', `PKCS7: Got invalid signingTime [tag ${tag.toString(16)}]`);
      sinfo.signingTime = t;
      return 0;
    }
    case 'messageDigest':
      if (!once(AA_MESSAGE_DIGEST)) return repeated();
      if (tag !== ASN1_OTS) return ctx.log.fail(-Errno.EBADMSG, 'PK7-PARSE-11', 'PKCS7: messageDigest is not an OCTET STRING');
      sinfo.msgdigest = data.subarray(off, off + vlen);
      return 0;
    case 'smimeCapabilites':
      if (!once(AA_SMIME_CAPS)) return repeated();
      if (ctx.msg.dataType !== 'msIndirectData') {
        return ctx.log.fail(-Errno.EKEYREJECTED, 'PK7-PARSE-12', 'PKCS7: S/MIME Caps only allowed with Authenticode');
      }
      return 0;
    case 'msSpOpusInfo':
      if (!once(AA_MS_OPUS_INFO)) return repeated();
      return authenticodeOnly();
    case 'msStatementType':
      if (!once(AA_MS_STATEMENT_TYPE)) return repeated();
      return authenticodeOnly();
    default:
      return 0;
  }
};

// spec: PK7-PARSE-11
const sig_note_set_of_authattrs: Act = (ctx, hdrlen, _t, data, off, vlen) => {
  const sinfo = ctx.sinfo;
  if (!(sinfo.aaSet & AA_CONTENT_TYPE) || !(sinfo.aaSet & AA_MESSAGE_DIGEST)) {
    return ctx.log.fail(-Errno.EBADMSG, 'PK7-PARSE-11', 'PKCS7: Missing required AuthAttr');
  }
  if (ctx.msg.dataType !== 'msIndirectData' && sinfo.aaSet & AA_MS_OPUS_INFO) {
    return ctx.log.fail(-Errno.EBADMSG, 'PK7-PARSE-12', 'PKCS7: Unexpected Authenticode AuthAttr');
  }
  // Digested as a SET: keep everything after the [0] identifier octet.
  sinfo.authattrs = data.subarray(off - (hdrlen - 1), off + vlen);
  const eoc = data[off - hdrlen + 1] === 0x80 ? 2 : 0; // indefinite length: its end-of-contents octets
  sinfo.authattrsTlv = data.subarray(off - hdrlen, off + vlen + eoc);
  return 0;
};

const sig_note_serial: Act = (ctx, _h, _t, data, off, vlen) => {
  ctx.rawSerial = data.subarray(off, off + vlen);
  return 0;
};
const sig_note_issuer: Act = (ctx, _h, _t, data, off, vlen) => {
  ctx.rawIssuer = data.subarray(off, off + vlen);
  return 0;
};
const sig_note_skid: Act = (ctx, _h, _t, data, off, vlen) => {
  ctx.rawSkid = data.subarray(off, off + vlen);
  return 0;
};
const sig_note_signature: Act = (ctx, _h, _t, data, off, vlen) => {
  ctx.sinfo.sig.s = data.subarray(off, off + vlen);
  return 0;
};

// spec: PK7-PARSE-16 — the signer id is made of raw bytes: serial‖issuer (v1) or the SKID (v3).
const note_signed_info: Act = (ctx) => {
  const sinfo = ctx.sinfo;
  if (ctx.msg.dataType === 'msIndirectData' && !sinfo.authattrs) {
    return ctx.log.fail(-Errno.EBADMSG, 'PK7-PARSE-12', 'PKCS7: Authenticode requires AuthAttrs');
  }
  const empty = new Uint8Array(0);
  sinfo.sig.authIds[0] = ctx.expectSkid
    ? asymmetric_key_generate_id(ctx.rawSkid ?? empty)
    : asymmetric_key_generate_id(ctx.rawSerial ?? empty, ctx.rawIssuer ?? empty);
  sinfo.index = ++ctx.sinfoIndex;
  ctx.log.note(`PKCS7: SINFO KID: ${sinfo.sig.authIds[0].data.length} [${sinfo.sig.authIds[0].hex}]`);
  ctx.msg.signedInfos.push(sinfo);
  ctx.sinfo = newSignedInfo();
  return 0;
};

// ---- The grammar (crypto/asymmetric_keys/pkcs7.asn1) ----

const G = asn1;

const algorithmIdentifier = (name: string, after?: Act): Asn1Node<ParseCtx> =>
  G.seq(name, [G.leaf('algorithm', ASN1_OID, { action: note_OID }), G.any('parameters', { optional: true })], { after });

const name = (n: string, after?: Act): Asn1Node<ParseCtx> =>
  G.of(
    n,
    ASN1_SEQ,
    G.of(
      'RelativeDistinguishedName',
      ASN1_SET,
      G.seq('AttributeValueAssertion', [G.leaf('attributeType', ASN1_OID, { action: note_OID }), G.any('attributeValue')]),
    ),
    { after },
  );

const certificate = G.any<ParseCtx>('Certificate', { action: extract_cert });

const authenticatedAttribute = G.seq<ParseCtx>('AuthenticatedAttribute', [
  G.leaf('type', ASN1_OID, { action: note_OID }),
  G.of('values', ASN1_SET, G.any('value', { action: sig_note_authenticated_attr })),
]);

const unauthenticatedAttribute = G.seq<ParseCtx>('UnauthenticatedAttribute', [
  G.leaf('type', ASN1_OID),
  G.of('values', ASN1_SET, G.any('value')),
]);

const signerInfo = G.seq<ParseCtx>(
  'SignerInfo',
  [
    G.leaf('version', ASN1_INT, { action: note_signerinfo_version }),
    G.choice('sid', [
      G.seq('issuerAndSerialNumber', [name('issuer', sig_note_issuer), G.leaf('serialNumber', ASN1_INT, { after: sig_note_serial })]),
      G.leaf('subjectKeyIdentifier', ctxPrim(0), { action: sig_note_skid }),
    ]),
    algorithmIdentifier('digestAlgorithm', sig_note_digest_algo),
    G.choice(
      'authenticatedAttributes',
      [
        G.of('aaSet', ctxCons(0), authenticatedAttribute, { after: sig_note_set_of_authattrs }),
        G.cons('aaSequence', ctxCons(2), [G.of('SEQUENCE OF', ASN1_SEQ, authenticatedAttribute)]),
      ],
      { optional: true },
    ),
    algorithmIdentifier('digestEncryptionAlgorithm', sig_note_pkey_algo),
    G.leaf('encryptedDigest', ASN1_OTS, { action: sig_note_signature }),
    G.choice(
      'unauthenticatedAttributes',
      [G.of('uaSet', ctxCons(1), unauthenticatedAttribute), G.of('uaSequence', ctxCons(3), unauthenticatedAttribute)],
      { optional: true },
    ),
  ],
  { action: note_signed_info },
);

const signedData = G.seq<ParseCtx>('SignedData', [
  G.leaf('version', ASN1_INT, { action: note_signeddata_version }),
  G.choice('digestAlgorithms', [
    G.of('daSet', ASN1_SET, algorithmIdentifier('DigestAlgorithmIdentifier')),
    G.of('daSequence', ASN1_SEQ, algorithmIdentifier('DigestAlgorithmIdentifier')),
  ]),
  G.seq(
    'contentInfo',
    [
      G.leaf('contentType', ASN1_OID, { action: note_OID, after: note_OID }),
      G.cons('content', ctxCons(0), [G.any('Data', { action: note_data })], { optional: true }),
    ],
    { after: note_content },
  ),
  G.choice(
    'certificates',
    [
      // ExtendedCertificateOrCertificate: its first alternative is ANY, which takes every element.
      G.of('certSet', ctxCons(0), G.choice('ExtendedCertificateOrCertificate', [certificate])),
      G.of('certSequence', ctxCons(2), certificate),
    ],
    { optional: true, action: note_certificate_list },
  ),
  G.choice(
    'crls',
    [
      G.of('crlSet', ctxCons(1), G.of('CertificateList', ASN1_SEQ, certificate)),
      G.of('crlSequence', ctxCons(3), G.of('CertificateList', ASN1_SEQ, certificate)),
    ],
    { optional: true },
  ),
  G.choice('signerInfos', [G.of('siSet', ASN1_SET, signerInfo), G.of('siSequence', ASN1_SEQ, signerInfo)]),
]);

export const PKCS7_GRAMMAR = G.seq<ParseCtx>('PKCS7ContentInfo', [
  G.leaf('contentType', ASN1_OID, { action: note_OID, after: check_content_type }),
  G.cons('content', ctxCons(0), [signedData], { optional: true }),
]);

export interface Pkcs7ParseOptions {
  readonly cfg: KeysConfig;
  readonly isTbsBlacklisted?: (hashHex: string) => boolean;
  readonly failslab?: Failslab;
}

/**
 * pkcs7_parse_message: the parsed message, or -errno (EMSGSIZE, EBADMSG, EINVAL, ENOPKG, EKEYREJECTED…).
 *
 * Issue K: a message whose parse read nothing but its bytes — no embedded certificate (x509_cert_parse
 * consults the configuration and the blacklist) — is remembered by its exact bytes (a byte-for-byte
 * comparison), as a frozen plan: the scalar fields, the log lines the parse wrote, and where each
 * byte field lies in the message. A hit builds a fresh message whose byte fields are views of the
 * caller's `raw` at those offsets (what a parse of the same bytes gives) and writes the same lines to
 * `log`; the kernel's allocation (failslab) is asked first on every call. Failures are not
 * remembered. At most 64 messages of at most 16 KiB each (src/abi/content-cache.ts).
 */
export function pkcs7_parse_message(raw: Uint8Array, opts: Pkcs7ParseOptions, log: KLog): Pkcs7Message | number {
  // spec: PK7-PARSE-4 — the context allocations come first.
  if (opts.failslab?.('pkcs7_parse_message')) return log.fail(-Errno.ENOMEM, 'PK7-PARSE-4', 'PKCS7: kzalloc(parse context) failed');
  // The message parsed last, compared byte for byte, before any key is made (the usual case: a
  // loader signed once and loaded again).
  const plan = parseCache.get(raw);
  if (plan) {
    for (const line of plan.lines) log.note(line);
    return buildMessage(plan, raw);
  }
  const before = { n: log.lines.length, rule: log.rule, detail: log.detail, ret: log.ret };
  const ctx: ParseCtx = {
    msg: { version: 0, dataHdrlen: 0, haveAuthattrs: false, certs: [], signedInfos: [] },
    sinfo: newSignedInfo(),
    certs: [],
    lastOid: undefined,
    x509Index: 0,
    sinfoIndex: 0,
    expectSkid: false,
    log,
    cfg: opts.cfg,
    isTbsBlacklisted: opts.isTbsBlacklisted,
    pure: true,
  };
  const r = parseWith(ctx, raw);
  if (typeof r === 'number') return r;
  if (parseCache.fits(raw) && ctx.pure && log.rule === before.rule && log.detail === before.detail && log.ret === before.ret) {
    const p = planOf(r, raw, log.lines.slice(before.n));
    if (p) parseCache.set(raw, p);
  }
  return r;
}

function parseWith(ctx: ParseCtx, raw: Uint8Array): Pkcs7Message | number {
  const { msg, log } = ctx;
  const diag: Asn1Diag = { errmsg: '', at: 0, tag: 0 };
  const ret = asn1_ber_decoder(PKCS7_GRAMMAR, ctx, raw, diag);
  if (ret < 0) {
    if (ret === -Errno.EMSGSIZE) return log.fail(ret, 'PK7-PARSE-1', `ASN1: ${diag.errmsg}`);
    if (diag.errmsg) {
      const t = diag.tag ? ` t=${diag.tag.toString(16).padStart(2, '0')}` : '';
      return log.fail(ret, 'PK7-PARSE-2', `ASN1: ${diag.errmsg} [d=${diag.at}${t}]`);
    }
    return ret; // an action failed and recorded why
  }
  // pkcs7_check_authattrs — spec: PK7-PARSE-14
  const first = msg.signedInfos[0];
  if (!first) return log.fail(-Errno.EINVAL, 'PK7-PARSE-14', 'PKCS7: Inconsistently supplied authAttrs (no SignerInfo)');
  const want = !!first.authattrs;
  msg.haveAuthattrs = want;
  for (const s of msg.signedInfos.slice(1)) {
    if (!!s.authattrs !== want) return log.fail(-Errno.EINVAL, 'PK7-PARSE-14', 'PKCS7: Inconsistently supplied authAttrs');
  }
  return msg;
}

// ---- The remembered parses (issue K) ----

/** A byte field as [offset, length] inside the message bytes. */
type Span = readonly [number, number];

interface SignedInfoPlan {
  readonly index: number;
  readonly s: Span;
  readonly hashAlgo?: string;
  readonly pkeyAlgo?: string;
  readonly encoding?: string;
  /** The SignerInfo's id: its bytes (copied into each message) and their hex. */
  readonly id0?: { readonly data: Uint8Array; readonly hex: string };
  readonly authattrs?: Span;
  readonly authattrsTlv?: Span;
  readonly aaSet: number;
  readonly msgdigest?: Span;
  readonly signingTime?: number;
  /** The optional fields in the order the parse set them (so a built object enumerates as a parsed one). */
  readonly order: readonly SignedInfoOptional[];
}

type SignedInfoOptional = 'authattrs' | 'authattrsTlv' | 'msgdigest' | 'signingTime';
const SIGNED_INFO_OPTIONAL: ReadonlySet<string> = new Set<SignedInfoOptional>(['authattrs', 'authattrsTlv', 'msgdigest', 'signingTime']);

interface MessagePlan {
  readonly lines: readonly string[];
  readonly version: number;
  readonly dataType?: OidName;
  readonly data?: Span;
  readonly dataHdrlen: number;
  readonly haveAuthattrs: boolean;
  readonly signedInfos: readonly SignedInfoPlan[];
  /** Whether the parse set `data` before `dataType` (attached content). */
  readonly dataFirst: boolean;
}

/** Module state shared by kernels: each plan is a function of the message bytes only (64 messages of at most 16 KiB). */
const parseCache = new ContentCache<MessagePlan>(64, 16 * 1024);

/** Forget the remembered parses (tests). */
export function clearPkcs7ParseCache(): void {
  parseCache.clear();
}

/** Where `sub` lies in `raw`, or null when it is not a view of it (then nothing is remembered). */
function spanOf(sub: Uint8Array, raw: Uint8Array): Span | null {
  const off = sub.byteOffset - raw.byteOffset;
  if (sub.buffer !== raw.buffer || off < 0 || off + sub.length > raw.length) return null;
  return [off, sub.length];
}

/** The plan of a freshly parsed message without certificates, or null if some field is not a view of `raw`. */
function planOf(msg: Pkcs7Message, raw: Uint8Array, lines: string[]): MessagePlan | null {
  if (msg.certs.length) return null;
  const opt = (sub: Uint8Array | undefined): Span | undefined | null => (sub === undefined ? undefined : spanOf(sub, raw));
  const data = opt(msg.data);
  if (data === null) return null;
  const infos: SignedInfoPlan[] = [];
  for (const si of msg.signedInfos) {
    const s = spanOf(si.sig.s, raw);
    const authattrs = opt(si.authattrs);
    const authattrsTlv = opt(si.authattrsTlv);
    const msgdigest = opt(si.msgdigest);
    if (!s || authattrs === null || authattrsTlv === null || msgdigest === null) return null;
    if (si.sig.authIds[1] || si.sig.authIds[2] || si.sig.digest || si.sig.signedBytes || si.signer) return null;
    const id0 = si.sig.authIds[0];
    infos.push(
      Object.freeze({
        index: si.index,
        s,
        hashAlgo: si.sig.hashAlgo,
        pkeyAlgo: si.sig.pkeyAlgo,
        encoding: si.sig.encoding,
        id0: id0 ? Object.freeze({ data: id0.data.slice(), hex: id0.hex }) : undefined,
        authattrs,
        authattrsTlv,
        aaSet: si.aaSet,
        msgdigest,
        signingTime: si.signingTime,
        order: Object.freeze(Object.keys(si).filter((k): k is SignedInfoOptional => SIGNED_INFO_OPTIONAL.has(k))),
      }),
    );
  }
  return Object.freeze({
    lines: Object.freeze(lines),
    version: msg.version,
    dataType: msg.dataType,
    data,
    dataHdrlen: msg.dataHdrlen,
    haveAuthattrs: msg.haveAuthattrs,
    signedInfos: Object.freeze(infos),
    dataFirst: (() => {
      const keys = Object.keys(msg);
      return keys.indexOf('data') >= 0 && keys.indexOf('data') < keys.indexOf('dataType');
    })(),
  });
}

/** A fresh message from a plan, its byte fields views of `raw` (the bytes the plan was made from). */
function buildMessage(plan: MessagePlan, raw: Uint8Array): Pkcs7Message {
  const view = (sp: Span): Uint8Array => raw.subarray(sp[0], sp[0] + sp[1]);
  const msg: Pkcs7Message = {
    version: plan.version,
    dataHdrlen: plan.dataHdrlen,
    haveAuthattrs: plan.haveAuthattrs,
    certs: [],
    signedInfos: [],
  };
  if (plan.data && plan.dataFirst) msg.data = view(plan.data);
  if (plan.dataType !== undefined) msg.dataType = plan.dataType;
  if (plan.data && !plan.dataFirst) msg.data = view(plan.data);
  for (const p of plan.signedInfos) {
    const sig: PublicKeySignature = {
      s: view(p.s),
      authIds: [p.id0 ? { data: p.id0.data.slice(), hex: p.id0.hex } : undefined, undefined, undefined],
    };
    if (p.hashAlgo !== undefined) sig.hashAlgo = p.hashAlgo;
    if (p.pkeyAlgo !== undefined) sig.pkeyAlgo = p.pkeyAlgo;
    if (p.encoding !== undefined) sig.encoding = p.encoding;
    const si: SignedInfo = { index: p.index, sig, aaSet: p.aaSet, unsupportedCrypto: false, blacklisted: false, verified: false };
    for (const k of p.order) {
      if (k === 'signingTime') si.signingTime = p.signingTime;
      else si[k] = view(p[k]!);
    }
    msg.signedInfos.push(si);
  }
  return msg;
}

/** pkcs7_supply_detached_data: -EINVAL when the message already carries content. */
export function pkcs7_supply_detached_data(msg: Pkcs7Message, data: Uint8Array): number {
  if (msg.data) return -Errno.EINVAL;
  msg.data = data;
  return 0;
}
