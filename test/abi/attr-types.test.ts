// Issue K: the typed attrs are generated from the layout tables (src/abi/uapi/gen-attr-types.ts,
// `npm run gen:attr-types`), as cilium/ebpf generates internal/sys/types.go. The committed file must
// be what the tables make, and every generated decoder must read what the table-driven decode()
// reads, for any bytes, any length and any UAPI feature set. spec: UAPI-LAYOUT-1..8, SYS-5.

import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as T from '../../src/abi/uapi/attr-types.js';
import { ATTR_LAYOUTS, INFO_LAYOUTS } from '../../src/abi/uapi/attr-layouts.js';
import { generateAttrTypes } from '../../src/abi/uapi/gen-attr-types.js';
import { decode, fieldsFor, type UapiFeature } from '../../src/abi/uapi/layout.js';

const FEATURE_SETS: ReadonlySet<UapiFeature>[] = [new Set(), new Set(['signing-6.18']), new Set(['signing-6.18', 'hashchain-v2'])];

describe('generated attr types [UAPI-LAYOUT-1..8] (issue K)', () => {
  it('src/abi/uapi/attr-types.ts is what the layout tables make (run `npm run gen:attr-types` after changing them)', () => {
    const committed = readFileSync(join(__dirname, '..', '..', 'src', 'abi', 'uapi', 'attr-types.ts'), 'utf8');
    expect(committed === generateAttrTypes()).toBe(true);
  });

  it('each command decodes to a value whose fields are the table-driven decode(), under every UAPI feature set', () => {
    const maxLen = Math.max(...[...ATTR_LAYOUTS.values()].flatMap((l) => l.fields.map((f) => f.offset + f.size)));
    fc.assert(
      fc.property(fc.constantFrom(...ATTR_LAYOUTS.keys()), fc.uint8Array({ minLength: 0, maxLength: maxLen + 8 }), fc.constantFrom(...FEATURE_SETS), (cmd, bytes, features) => {
        const l = ATTR_LAYOUTS.get(cmd)!;
        const typed = T.decodeTypedAttr(cmd, bytes, features)!;
        expect(typed.cmd).toBe(cmd);
        const want = decode(l, bytes, features);
        const fields = T.typedAttrFields(typed);
        const present = fieldsFor(l, features).map((f) => f.name);
        expect(fields.filter(([, , feat]) => !feat || features.has(feat)).map(([n]) => n)).toEqual(present);
        const got = typed.attr as unknown as Record<string, unknown>;
        for (const [trace, m, feat] of fields) {
          if (!feat || features.has(feat)) expect(got[m], trace).toEqual(want[trace]);
          else expect(got[m], trace).toEqual(typeof got[m] === 'bigint' ? 0n : typeof got[m] === 'string' ? '' : 0);
        }
      }),
      { numRuns: 600 },
    );
  });

  it('the info structs decode as the tables say', () => {
    const decoders: Record<string, (b: Uint8Array, f: ReadonlySet<UapiFeature>) => object> = {
      bpf_map_info: T.decodeBpfMapInfo,
      bpf_prog_info: T.decodeBpfProgInfo,
      bpf_btf_info: T.decodeBpfBtfInfo,
    };
    for (const [name, l] of INFO_LAYOUTS) {
      const bytes = Uint8Array.from({ length: l.sizeof! }, (_, i) => (i * 37 + 11) & 0xff);
      const features = new Set<UapiFeature>(['signing-6.18']);
      const got = decoders[name]!(bytes, features) as Record<string, unknown>;
      const want = decode(l, bytes, features);
      for (const f of l.fields) expect(got[f.name.slice(f.name.indexOf('.') + 1)], `${name}.${f.name}`).toEqual(want[f.name]);
    }
  });
});
