// The trace's view of a typed attr (attr-types.ts, generated): made from the value decoded once at
// syscall entry, never by decoding the bytes again (issue K).

import type { FieldValue, UapiFeature } from './layout.js';
import { typedAttrFields, type TypedAttr } from './attr-types.js';
import { traceValue, type TraceValue } from '../records.js';

/** The attr as the trace shows it: u64 values and pointers as `0x…` strings. */
export function typedAttrTrace(t: TypedAttr, features: ReadonlySet<UapiFeature>): Record<string, TraceValue> {
  const out: Record<string, TraceValue> = {};
  const values = t.attr as unknown as Readonly<Record<string, FieldValue>>;
  for (const [name, member, feature] of typedAttrFields(t)) if (!feature || features.has(feature)) out[name] = traceValue(values[member]!);
  return out;
}
