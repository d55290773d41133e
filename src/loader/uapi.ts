// UAPI enumerations the loader needs, with the short names libbpf uses and the lower-case names it
// prints, derived from the one UAPI table (src/syscall/uapi/consts.ts).

import {
  AttachType as UapiAttachType,
  MapFlag as UapiMapFlag,
  MapType as UapiMapType,
  ProgFlag,
  ProgType as UapiProgType,
} from '../syscall/uapi/consts.js';

/** `{ BPF_PROG_TYPE_XDP: 6 }` → `{ XDP: 6 }`: the loader's short names for one UAPI table. */
type Strip<T, P extends string> = { readonly [K in keyof T as K extends `${P}${infer R}` ? R : never]: T[K] };

function strip<T extends Record<string, number>, P extends string>(table: T, prefix: P): Strip<T, P> {
  return Object.fromEntries(Object.entries(table).map(([k, v]) => [k.slice(prefix.length), v])) as Strip<T, P>;
}

/** Lower-case names by value, as libbpf prints them (`socket_filter`, `trace_fentry`, …). */
function namesByValue(table: Record<string, number>, prefix: string): readonly string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(table)) out[v] = k.slice(prefix.length).toLowerCase();
  return out;
}

export const ProgType = strip(UapiProgType, 'BPF_PROG_TYPE_');
export const AttachType = strip(UapiAttachType, 'BPF_');
export const MapType = strip(UapiMapType, 'BPF_MAP_TYPE_');
/** Map creation flags (BPF_F_*) the loader sets or reports. */
export const MapFlag = strip(UapiMapFlag, 'BPF_F_');

export const BPF_PROG_TYPE = namesByValue(UapiProgType, 'BPF_PROG_TYPE_');
export const BPF_ATTACH_TYPE = namesByValue(UapiAttachType, 'BPF_');
export const BPF_MAP_TYPE = namesByValue(UapiMapType, 'BPF_MAP_TYPE_');

export const BPF_F_SLEEPABLE = ProgFlag.BPF_F_SLEEPABLE;
export const BPF_F_XDP_HAS_FRAGS = ProgFlag.BPF_F_XDP_HAS_FRAGS;

export function progTypeName(t: number): string {
  return BPF_PROG_TYPE[t] ?? `prog_type_${t}`;
}

export function attachTypeName(t: number): string {
  return BPF_ATTACH_TYPE[t] ?? `attach_type_${t}`;
}

export function mapTypeName(t: number): string {
  return BPF_MAP_TYPE[t] ?? `map_type_${t}`;
}

export function mapFlagNames(flags: number): string[] {
  const out: string[] = [];
  for (const [name, bit] of Object.entries(MapFlag)) if (flags & bit) out.push(name);
  const known = Object.values(MapFlag).reduce((a, b) => a | b, 0);
  if (flags & ~known) out.push(`0x${(flags & ~known).toString(16)}`);
  return out;
}
