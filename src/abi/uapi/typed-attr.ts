// Views of a typed attr (attr-types.ts, generated): the table-style record the LSM hooks and
// older readers take, and the trace's rendering — both made from the value decoded once at syscall
// entry, never by decoding the bytes again (issue K).

import type { Decoded, FieldValue, UapiFeature } from './layout.js';
import { typedAttrFields, type TypedAttr } from './attr-types.js';
import { traceValue, type TraceValue } from '../records.js';

/** The attr as a record by C member path (`test.prog_fd`), fields of the profile's UAPI only. */
export function typedAttrRecord(t: TypedAttr, features: ReadonlySet<UapiFeature>): Decoded {
  const out: Decoded = {};
  const values = t.attr as unknown as Readonly<Record<string, FieldValue>>;
  for (const [name, member, feature] of typedAttrFields(t)) if (!feature || features.has(feature)) out[name] = values[member]!;
  return out;
}

/** The attr as the trace shows it: u64 values and pointers as `0x…` strings. */
export function typedAttrTrace(t: TypedAttr, features: ReadonlySet<UapiFeature>): Record<string, TraceValue> {
  const out: Record<string, TraceValue> = {};
  const values = t.attr as unknown as Readonly<Record<string, FieldValue>>;
  for (const [name, member, feature] of typedAttrFields(t)) if (!feature || features.has(feature)) out[name] = traceValue(values[member]!);
  return out;
}
