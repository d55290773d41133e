// pkcs7_get_authattr: the value of a signed (authenticated) attribute, by OID, from the first
// signer whose trust was validated — James Bottomley's "add ability to extract signed attributes
// by OID" (Hornet v7 02/10), on top of the "validated trust" flag (v7 01/10) that
// pkcs7_validate_trust sets on a SignerInfo. Any caller can use it; Hornet reads its map hashes
// with it (HN-CHK-7).
//
// The kernel decodes the signer's `[0] IMPLICIT SET OF AuthenticatedAttribute` again with a small
// grammar of its own (pkcs7_aa.asn1):
//
//   AA ::= CHOICE { aaSet [0] IMPLICIT AASet, aaSequence [2] EXPLICIT SEQUENCE OF AuthenticatedAttribute }
//   AASet ::= SET OF AuthenticatedAttribute
//   AuthenticatedAttribute ::= SEQUENCE {
//       type   OBJECT IDENTIFIER ({ pkcs7_aa_note_OID }),
//       values SET OF ANY ({ pkcs7_aa_note_attr }) }
//
// pkcs7_aa_note_OID remembers whether the attribute's type is the OID asked for;
// pkcs7_aa_note_attr, called for each value of the attribute's SET, keeps that value's content
// (tag and length stripped) while it is. So a multi-valued attribute yields its last value, and
// what is returned is the *content* of the AttributeValue element: for an attribute whose value is
// `SEQUENCE { x }`, the bytes of `x`.
//
// spec: HN-HIST-1 (the two keys patches), HN-CHK-7 (-ENODATA when absent), HN-ASN1-1, HN-ASN1-3

import { Errno } from '../abi/errno.js';
import { asn1, asn1_ber_decoder, ASN1_OID, ASN1_SEQ, ASN1_SET, ctxCons, type Asn1Action, type Asn1Node } from './asn1-decoder.js';
import { lookUpOid, type OidName } from './oid.js';
import type { Pkcs7Message } from './pkcs7-parse.js';

interface AaCtx {
  found: boolean;
  readonly oidToFind: OidName;
  data: Uint8Array | null;
}

const pkcs7_aa_note_OID: Asn1Action<AaCtx> = (ctx, _h, _t, data, off, vlen) => {
  // look_up_OID gives OID__NR for an OID the kernel does not know, which never equals a real one.
  ctx.found = lookUpOid(data.subarray(off, off + vlen)) === ctx.oidToFind;
  return 0;
};

const pkcs7_aa_note_attr: Asn1Action<AaCtx> = (ctx, _h, _t, data, off, vlen) => {
  if (ctx.found) ctx.data = data.subarray(off, off + vlen);
  return 0;
};

const G = asn1;
const authenticatedAttribute = G.seq<AaCtx>('AuthenticatedAttribute', [
  G.leaf('type', ASN1_OID, { action: pkcs7_aa_note_OID }),
  G.of('values', ASN1_SET, G.any('value', { action: pkcs7_aa_note_attr })),
]);

/** pkcs7_aa.asn1 */
export const PKCS7_AA_GRAMMAR: Asn1Node<AaCtx> = G.choice('AA', [
  G.of('aaSet', ctxCons(0), authenticatedAttribute),
  G.cons('aaSequence', ctxCons(2), [G.of('SEQUENCE OF', ASN1_SEQ, authenticatedAttribute)]),
]);

/**
 * pkcs7_get_authattr(pkcs7, oid): the content of the attribute's value from the first signer that
 * has validated trust (pkcs7_validate_trust, i.e. after verify_pkcs7_message_sig succeeded), or
 * -ENODATA when no such signer carries the attribute. Signers without validated trust are skipped.
 */
export function pkcs7_get_authattr(msg: Pkcs7Message, oid: OidName): Uint8Array | number {
  const ctx: AaCtx = { found: false, oidToFind: oid, data: null };
  for (const sinfo of msg.signedInfos) {
    // only extract OIDs from validated signers
    if (!sinfo.verified) continue;
    // A signer without signed attributes has nothing to decode (the kernel's decoder would see an
    // empty buffer and stop with an error, which ends the search the same way).
    if (!sinfo.authattrsTlv) break;
    const ret = asn1_ber_decoder(PKCS7_AA_GRAMMAR, ctx, sinfo.authattrsTlv);
    if (ret < 0 || ctx.data !== null) break;
  }
  return ctx.data ?? -Errno.ENODATA;
}
