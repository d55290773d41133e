// Raw BPF_PROG_LOAD probes every registered profile answers the same way a kernel would be asked:
// a small program with the signing fields set to the cases of spec 10's raw-attr table. Run on
// each profile, they give the errno rows of docs/schemes.md and `bpfsig profiles --probes` — read
// from the model, not written down. spec: OBS-DEB-40..45, KP-ERR-1..11, STB-ERR-1/2, LT-ERR-9..11.

import { BpfClient } from '../loader/bpf.js';
import { errnoName } from '../syscall/errno.js';
import { Kernel } from '../syscall/kernel.js';
import type { KernelProfile } from '../syscall/profiles/index.js';
import { ProgType } from '../syscall/uapi/consts.js';

/** A page no process maps (the captures' `{ "fault": true }` address). */
const UNMAPPED = 0x10n;
/** `r0 = 0; exit` (OBS-DEB base program). */
const RET0 = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
/** 64 × 0x5a: not PKCS#7 (OBS-DEB-40). */
const JUNK = new Uint8Array(64).fill(0x5a);

export interface Probe {
  readonly id: string;
  /** What the attr carries. */
  readonly what: string;
  /** Spec rows that describe the case. */
  readonly spec: readonly string[];
  readonly fields: (c: BpfClient) => { signature: bigint; signature_size: number; keyring_id: number };
}

export const PROG_LOAD_PROBES: readonly Probe[] = [
  { id: 'junk-sig', what: 'junk 64-byte signature, keyring_id 0', spec: ['OBS-DEB-40', 'KP-ERR-6'], fields: (c) => ({ signature: c.buf(JUNK, 'sig'), signature_size: JUNK.length, keyring_id: 0 }) },
  { id: 'bad-keyring', what: 'junk signature, keyring_id 12345', spec: ['OBS-DEB-41', 'KP-ERR-2'], fields: (c) => ({ signature: c.buf(JUNK, 'sig'), signature_size: JUNK.length, keyring_id: 12345 }) },
  { id: 'zero-size', what: 'signature pointer set, signature_size 0', spec: ['OBS-DEB-42', 'KP-Q-3', 'LT-ERR-9'], fields: (c) => ({ signature: c.buf(JUNK, 'sig'), signature_size: 0, keyring_id: 0 }) },
  { id: 'bad-pointer', what: 'unreadable signature pointer', spec: ['OBS-DEB-43', 'KP-Q-1', 'STB-ERR-2'], fields: () => ({ signature: UNMAPPED, signature_size: 64, keyring_id: 0 }) },
  { id: 'oversize', what: 'signature_size 8193', spec: ['OBS-DEB-45', 'STB-1', 'KP-Q-2'], fields: (c) => ({ signature: c.buf(8193, 'sig'), signature_size: 8193, keyring_id: 0 }) },
];

export interface ProbeResult {
  readonly probe: string;
  /** `ok`, or the errno name the load failed with. */
  readonly result: string;
  /** The stage that decided a failure. */
  readonly stage: string | null;
}

/** Run one probe on a fresh kernel of `profile`. */
export function runProbe(profile: KernelProfile, p: Probe): ProbeResult {
  const k = new Kernel({ profile, lsm: [] });
  const c = new BpfClient(k.spawn({ comm: 'probe' }));
  // 168 bytes, what a 6.18-era caller passes (offsetofend keyring_id): on v6.17 the signing fields are tail bytes (SYS-7).
  const r = c.progLoad({ progType: ProgType.BPF_PROG_TYPE_SOCKET_FILTER, insns: RET0, extra: p.fields(c), attrSize: 168 });
  const failed = [...k.trace.events].reverse().find((e) => e.kind === 'stage' && e.errno !== undefined);
  return {
    probe: p.id,
    result: r.res.ret >= 0 ? 'ok' : (r.res.errno ?? errnoName(r.res.ret) ?? String(r.res.ret)),
    stage: r.res.ret < 0 && failed && failed.kind === 'stage' ? failed.id : null,
  };
}

export function runProbes(profile: KernelProfile): ProbeResult[] {
  return PROG_LOAD_PROBES.map((p) => runProbe(profile, p));
}
