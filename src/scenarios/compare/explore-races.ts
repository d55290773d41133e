// `bpfsig compare --races`: for each profile and each built-in race, run the scheme's signed
// skeleton once per stage boundary of the loader's BPF_PROG_LOAD with the second thread's syscalls
// at that boundary, and report which interleavings change the outcome. Exhaustive over the
// boundaries the profile's stage list has, and deterministic (the same order every run).
// spec: CLAIM-19, CLAIM-21, HC-NOT-1, HC-NOT-3, HN-MAP-1, HN-MAP-4, LT-LOAD-3, KP-META-4.

import type { AuditSeries } from '../../audit/series.js';
import type { StageEvent } from '../../syscall/trace.js';
import { raceOpName, type RaceOp } from '../races.js';
import { runSkeleton, type RunSkeletonOptions } from '../skel-run.js';
import type { CaseInputs } from './cases.js';
import { cellFacts } from './cell.js';
import { cellCode } from './report-text.js';

export interface RaceDef {
  readonly id: string;
  readonly title: string;
  readonly spec: readonly string[];
  readonly op: RaceOp;
  /** Does the op change signed content (so a load afterwards is a load of tampered content)? */
  readonly tampers: boolean;
  /** Harness options the race needs (e.g. a metadata map left writable). */
  readonly harness?: Pick<RunSkeletonOptions, 'skipFreeze'>;
}

export const RACES: readonly RaceDef[] = [
  { id: 'slot-swap', title: 'dup2 a frozen, tampered copy of the metadata map over its fd', spec: ['CLAIM-19', 'CLAIM-21', 'HN-MAP-4', 'HC-NOT-3', 'LT-LOAD-3'], op: { op: 'swap-slot', content: 'tampered' }, tampers: true },
  { id: 'slot-swap-copy', title: 'dup2 a frozen copy of the blob as signed (not the exclusive map) over its fd', spec: ['HN-MAP-4', 'KP-META-5', 'LT-LOAD-3'], op: { op: 'swap-slot', content: 'as-signed' }, tampers: false },
  { id: 'update-unfrozen', title: 'change a byte of the never-frozen metadata map', spec: ['HC-NOT-1', 'KP-META-4', 'LT-ERR-4'], op: { op: 'update-metadata' }, tampers: true, harness: { skipFreeze: true } },
  { id: 'close-slot', title: "close the metadata map's fd", spec: ['LT-LOAD-1', 'HC-ERR-7'], op: { op: 'close-slot' }, tampers: false },
];

export interface RaceSpan {
  /** First and last boundary (stage ids, the stage about to run) with this outcome. */
  readonly from: string;
  readonly to: string;
  readonly outcome: string;
  readonly changed: boolean;
}

export interface RaceExploration {
  readonly profile: string;
  readonly race: string;
  readonly op: string;
  /** The outcome with no race. */
  readonly baseline: string;
  /** Every boundary, in order, with its outcome. */
  readonly boundaries: readonly { readonly stage: string; readonly outcome: string; readonly fired: boolean }[];
  /** Consecutive boundaries with the same outcome. */
  readonly spans: readonly RaceSpan[];
}

/**
 * `EACCES/PL@LOAD-13.resolve` style: the cell code, the stage that decided, and `+swapped` when the
 * program ended up holding the map the second thread swapped in.
 */
function outcomeOf(opts: RunSkeletonOptions & { skel: CaseInputs['signed'] }, tampers: boolean): { outcome: string; fired: boolean } {
  const { skel, ...rest } = opts;
  const run = runSkeleton(skel, rest);
  const f = cellFacts(run);
  const fired = run.race !== null;
  const code = cellCode({ ...f, profile: '', case: '', recipe: { toolchain: '', signMaps: false }, cross: false, tamperAccepted: tampers && !!run.race?.effective && f.loaded });
  const where = f.failedAt?.stage && f.failedAt.stage !== 'loader' ? `@${f.failedAt.stage}` : '';
  const swapped = run.race?.bound.includes('swapped') ? '+swapped' : '';
  return { outcome: `${code}${where}${swapped}`, fired };
}

export function exploreRace(profile: string, toolchain: string, inputs: CaseInputs, race: RaceDef, audit?: AuditSeries): RaceExploration {
  const base: RunSkeletonOptions = { profile, toolchain, lsm: 'default', certDer: inputs.certDer, keyring: 'session', comm: 'skel_loader', ...race.harness, ...(audit ? { audit } : {}) };
  const baseline = outcomeOf({ ...base, skel: inputs.signed }, false);
  // The boundaries: every stage the loader's own BPF_PROG_LOAD enters, in order (from the baseline's trace).
  const probe = runSkeleton(inputs.signed, base);
  const load = probe.kernel.trace.events.find((e) => e.kind === 'syscall' && !e.kernel && e.cmd === 'BPF_PROG_LOAD');
  const stages = load ? probe.kernel.trace.events.filter((e): e is StageEvent => e.kind === 'stage' && !!e.enter && e.sys === load.sys).map((e) => e.id) : [];
  const boundaries = stages.map((stage) => {
    const r = outcomeOf({ ...base, skel: inputs.signed, race: { op: race.op, at: { beforeStage: stage }, dataOffset: inputs.dataOffset } }, race.tampers);
    return { stage, ...r };
  });
  const spans: RaceSpan[] = [];
  for (const b of boundaries) {
    const last = spans[spans.length - 1];
    if (last && last.outcome === b.outcome) spans[spans.length - 1] = { ...last, to: b.stage };
    else spans.push({ from: b.stage, to: b.stage, outcome: b.outcome, changed: b.outcome !== baseline.outcome });
  }
  return { profile, race: race.id, op: raceOpName(race.op), baseline: baseline.outcome, boundaries, spans };
}

export function formatRaces(rs: readonly RaceExploration[]): string[] {
  const out: string[] = [
    "== races: a second thread at each stage boundary of the loader's BPF_PROG_LOAD",
    '   (outcome codes as in the matrix; @STAGE where it failed; +swapped: the program holds the swapped-in map)',
  ];
  for (const race of RACES) {
    const mine = rs.filter((r) => r.race === race.id);
    if (!mine.length) continue;
    out.push('', `${race.id}: ${race.title} (${race.spec.join(', ')})`);
    for (const r of mine) {
      const changed = r.spans.filter((s) => s.changed);
      out.push(`  ${r.profile.padEnd(16)} no race: ${r.baseline}; ${changed.length ? 'changed by a race before:' : 'no boundary changes the outcome'}`);
      for (const s of changed) out.push(`  ${''.padEnd(16)}   ${s.from === s.to ? s.from : `${s.from} … ${s.to}`} → ${s.outcome}`);
    }
  }
  return out;
}
