// A BER decoder driven by a grammar, with the observable rules of the kernel's asn1_ber_decoder
// (lib/asn1_decoder.c) as used by the PKCS#7 parser and the ECDSA signature decoder. The grammar
// is written as a tree of nodes (see pkcs7-asn1.ts); "actions" are called where the kernel's
// compiled grammar calls them, in stream order, so the first failing action decides the errno.
//
// Rules reproduced (spec: PK7-PARSE-1, PK7-PARSE-2, PK7-PARSE-3):
// - input longer than 65 535 bytes: -EMSGSIZE before anything is read;
// - a tag needs two bytes of data left; high-tag-number form ("long tag") is refused;
// - tag match: the expected tag's constructed bit, when set, does not have to be set in the data;
// - definite lengths of more than 2 length bytes are refused ("Unsupported length"), and a length
//   running past the enclosing element is a data overrun;
// - indefinite lengths only on constructed encodings; the end-of-contents octets are checked;
// - an OPTIONAL element (and every CHOICE alternative) is skipped when its tag does not match or
//   when its enclosing element has no data left; a mandatory element there is a data overrun;
// - a mandatory CHOICE whose enclosing element is exhausted is silently absent;
// - a constructed element must be consumed exactly ("Cons length error");
// - leaf actions see the content and its length (128, the raw length byte, for an indefinite
//   length); actions on a constructed element run after its content, with the content span;
// - bytes after the outermost element are ignored.
// Every structural failure is -EBADMSG; an action's negative return ends decoding with that value.

import { Errno } from '../abi/errno.js';

/** An action: (context, header length, tag, buffer, content offset, content length) → 0 or -errno. */
export type Asn1Action<C> = (ctx: C, hdrlen: number, tag: number, data: Uint8Array, off: number, vlen: number) => number;

export interface Asn1Node<C> {
  readonly kind: 'leaf' | 'any' | 'cons' | 'of' | 'choice';
  readonly name: string;
  /** Expected identifier octet (class | constructed bit | number); unused for `any` and `choice`. */
  readonly tag: number;
  readonly optional: boolean;
  /** Leaf/any: called when matched. cons/of: called after the content (the kernel's END_*_ACT). */
  readonly action?: Asn1Action<C>;
  /** Called after the element when it was matched (an action on a type reference: ACT/MAYBE_ACT). */
  readonly after?: Asn1Action<C>;
  readonly items?: readonly Asn1Node<C>[];
  readonly element?: Asn1Node<C>;
  readonly alts?: readonly Asn1Node<C>[];
}

export const ASN1_INT = 0x02;
export const ASN1_BTS = 0x03;
export const ASN1_OTS = 0x04;
export const ASN1_NULL = 0x05;
export const ASN1_OID = 0x06;
export const ASN1_UTF8STR = 0x0c;
export const ASN1_UNITIM = 0x17;
export const ASN1_GENTIM = 0x18;
export const ASN1_SEQ = 0x30;
export const ASN1_SET = 0x31;
export const ASN1_CONS_BIT = 0x20;
/** Context-specific tag n, primitive (`[n] IMPLICIT` over a primitive type). */
export const ctxPrim = (n: number): number => 0x80 | n;
/** Context-specific tag n, constructed (`[n] EXPLICIT`, or `[n] IMPLICIT` over a constructed type). */
export const ctxCons = (n: number): number => 0xa0 | n;

interface NodeOpts<C> {
  optional?: boolean;
  action?: Asn1Action<C>;
  after?: Asn1Action<C>;
}

export const asn1 = {
  leaf<C>(name: string, tag: number, o: NodeOpts<C> = {}): Asn1Node<C> {
    return { kind: 'leaf', name, tag, optional: !!o.optional, action: o.action, after: o.after };
  },
  any<C>(name: string, o: NodeOpts<C> = {}): Asn1Node<C> {
    return { kind: 'any', name, tag: 0, optional: !!o.optional, action: o.action, after: o.after };
  },
  cons<C>(name: string, tag: number, items: Asn1Node<C>[], o: NodeOpts<C> = {}): Asn1Node<C> {
    return { kind: 'cons', name, tag, items, optional: !!o.optional, action: o.action, after: o.after };
  },
  seq<C>(name: string, items: Asn1Node<C>[], o: NodeOpts<C> = {}): Asn1Node<C> {
    return asn1.cons(name, ASN1_SEQ, items, o);
  },
  /** SET OF / SEQUENCE OF (or an implicitly tagged one): `tag` is the container's tag. */
  of<C>(name: string, tag: number, element: Asn1Node<C>, o: NodeOpts<C> = {}): Asn1Node<C> {
    return { kind: 'of', name, tag, element, optional: !!o.optional, action: o.action, after: o.after };
  },
  choice<C>(name: string, alts: Asn1Node<C>[], o: NodeOpts<C> = {}): Asn1Node<C> {
    return { kind: 'choice', name, tag: 0, alts, optional: !!o.optional, action: o.action, after: o.after };
  },
};

/** Where and why decoding stopped, for the log line ("ASN1: Unexpected tag [d=12 t=31]"). */
export interface Asn1Diag {
  errmsg: string;
  at: number;
  tag: number;
}

const ABSENT = 0;
const MATCHED = 1;

class Decoder<C> {
  dp = 0;
  datalen: number;
  // What the most recent match or end-of-constructed left behind (the ACT operands).
  hdr = 0;
  tag = 0;
  tdp = 0;
  len = 0;

  constructor(
    readonly data: Uint8Array,
    readonly ctx: C,
    readonly diag: Asn1Diag,
  ) {
    this.datalen = data.length;
  }

  error(msg: string, tag = 0): number {
    this.diag.errmsg = msg;
    this.diag.at = this.dp;
    this.diag.tag = tag;
    return -Errno.EBADMSG;
  }

  /** Decode one grammar element at dp. Returns MATCHED, ABSENT or -errno. */
  element(node: Asn1Node<C>, skippable: boolean): number {
    if (node.kind === 'choice') return this.choice(node, skippable);
    const { data } = this;
    if (this.dp === this.datalen) return skippable ? ABSENT : this.error('Data overrun error');
    if (this.datalen - this.dp < 2) return this.error('Data overrun error');
    const start = this.dp;
    const tag = data[start];
    if ((tag & 0x1f) === 0x1f) return this.error('Long tag not supported', tag);
    if (node.kind !== 'any') {
      const diff = (node.tag ^ tag) & ~(node.tag & ASN1_CONS_BIT) & 0xff;
      if (diff !== 0) return skippable ? ABSENT : this.error('Unexpected tag', tag);
    }
    let p = start + 1;
    let hdr = 2;
    let len = data[p++];
    let indefinite = false;
    if (len > 0x7f) {
      if (len === 0x80) {
        if ((tag & ASN1_CONS_BIT) === 0) return this.error('Indefinite len primitive not permitted', tag);
        indefinite = true;
        if (2 > this.datalen - p) return this.error('Data overrun error', tag);
      } else {
        let n = len - 0x80;
        if (n > 2) return this.error('Unsupported length', tag);
        if (p >= this.datalen - n) return this.error('Data overrun error', tag);
        hdr += n;
        for (len = 0; n > 0; n--) len = (len << 8) | data[p++];
        if (len > this.datalen - p) return this.error('Data overrun error', tag);
      }
    } else if (len > this.datalen - p) {
      return this.error('Data overrun error', tag);
    }

    const constructed = (node.kind === 'cons' || node.kind === 'of') && (node.tag & ASN1_CONS_BIT) !== 0;
    if (!constructed) {
      this.dp = p;
      if (node.action) {
        const r = node.action(this.ctx, hdr, tag, data, p, len);
        if (r < 0) return r;
      }
      if (indefinite) {
        const end = this.indefiniteEnd(p);
        if (end < 0) return end;
        this.dp = end;
      } else {
        this.dp = p + len;
      }
      this.hdr = hdr;
      this.tag = tag;
      this.tdp = p;
      this.len = len;
      if (node.after) {
        const r = node.after(this.ctx, hdr, tag, data, p, len);
        if (r < 0) return r;
      }
      return MATCHED;
    }

    // Constructed: narrow the data window to the content (definite length only).
    const savedDatalen = this.datalen;
    const end = indefinite ? -1 : p + len;
    if (!indefinite) this.datalen = end;
    this.dp = p;
    const tdp = p;

    if (node.kind === 'cons') {
      for (const item of node.items!) {
        const r = this.element(item, item.optional);
        if (r < 0) return r;
      }
      const r = this.endOfConstructed(end, false, tag);
      if (r < 0) return r;
    } else {
      for (;;) {
        const before = this.dp;
        const r = this.element(node.element!, node.element!.optional);
        if (r < 0) return r;
        // An element that matched nothing and consumed nothing cannot make progress.
        if (r === ABSENT && this.dp === before && this.dp !== this.datalen) return this.error('Unexpected tag', this.data[this.dp]);
        const e = this.endOfConstructed(end, true, tag);
        if (e < 0) return e;
        if (e === 1) break;
      }
    }

    this.datalen = indefinite ? this.datalen : savedDatalen;
    const contentLen = indefinite ? this.dp - tdp - 2 : len;
    this.hdr = hdr;
    this.tag = 0;
    this.tdp = tdp;
    this.len = contentLen;
    if (node.action) {
      const r = node.action(this.ctx, hdr, 0, data, tdp, contentLen);
      if (r < 0) return r;
    }
    if (node.after) {
      const r = node.after(this.ctx, hdr, this.tag, data, tdp, contentLen);
      if (r < 0) return r;
    }
    return MATCHED;
  }

  /**
   * End of a constructed element's content. For SET OF / SEQUENCE OF returns 0 when another
   * element follows, 1 when the container is complete; for others 1 when complete.
   */
  endOfConstructed(end: number, repeat: boolean, tag: number): number {
    const { data } = this;
    if (end < 0) {
      // Indefinite length: the content ends with the end-of-contents octets 00 00.
      if (this.datalen - this.dp < 2) return this.error('Data overrun error', tag);
      if (data[this.dp] !== 0) {
        if (repeat) return 0;
        return this.error('Missing EOC in indefinite len cons', tag);
      }
      if (data[this.dp + 1] !== 0) return this.error('Invalid length EOC', tag);
      this.dp += 2;
      return 1;
    }
    if (this.dp < end && repeat) return 0;
    if (this.dp !== end) return this.error('Cons length error', tag);
    return 1;
  }

  choice(node: Asn1Node<C>, skippable: boolean): number {
    const atEnd = this.dp === this.datalen;
    let matched = false;
    for (const alt of node.alts!) {
      const r = this.element(alt, true);
      if (r < 0) return r;
      if (r === MATCHED) {
        matched = true;
        break;
      }
    }
    if (!matched && !skippable && !atEnd) return this.error('Unexpected tag', this.data[this.dp]);
    // The kernel runs a CHOICE's own action whether or not an alternative matched.
    if (node.action) {
      const r = node.action(this.ctx, this.hdr, this.tag, this.data, this.tdp, this.len);
      if (r < 0) return r;
    }
    return matched ? MATCHED : ABSENT;
  }

  /** Skip an indefinite-length leaf whose content starts at `p`; returns the offset after its EOC. */
  indefiniteEnd(p: number): number {
    const { data } = this;
    const limit = this.datalen;
    let dp = p;
    let level = 1;
    for (;;) {
      if (dp > limit || limit - dp < 2) {
        this.dp = dp;
        return this.error(dp === limit ? 'Missing EOC in indefinite len cons' : 'Data overrun error');
      }
      const tag = data[dp++];
      if (tag === 0) {
        if (data[dp++] !== 0) return this.error('Invalid length EOC');
        if (--level <= 0) return dp;
        continue;
      }
      if ((tag & 0x1f) === 0x1f) {
        let more: number;
        do {
          if (limit - dp < 2) return this.error('Data overrun error', tag);
          more = data[dp++];
        } while (more & 0x80);
      }
      let len = data[dp++];
      if (len <= 0x7f) {
        dp += len;
        continue;
      }
      if (len === 0x80) {
        if ((tag & ASN1_CONS_BIT) === 0) return this.error('Indefinite len primitive not permitted', tag);
        level++;
        continue;
      }
      let n = len - 0x80;
      if (n > 7) return this.error('Unsupported length', tag);
      if (n > limit - dp) return this.error('Data overrun error', tag);
      for (len = 0; n > 0; n--) len = len * 256 + data[dp++];
      dp += len;
    }
  }
}

/** The kernel decoder's hard limit on the input size (its stacks hold 16-bit offsets). */
export const ASN1_MAX_DATALEN = 65535;

/**
 * Decode `data` against `grammar`, calling the grammar's actions on `ctx`.
 * Returns 0, -EMSGSIZE (input too large), -EBADMSG (structure; see `diag`) or an action's error.
 */
export function asn1_ber_decoder<C>(grammar: Asn1Node<C>, ctx: C, data: Uint8Array, diag?: Asn1Diag): number {
  const d = diag ?? { errmsg: '', at: 0, tag: 0 };
  if (data.length > ASN1_MAX_DATALEN) {
    d.errmsg = `Message too large (${data.length} > ${ASN1_MAX_DATALEN} bytes)`;
    return -Errno.EMSGSIZE;
  }
  const dec = new Decoder(data, ctx, d);
  const r = dec.element(grammar, false);
  return r < 0 ? r : 0;
}
