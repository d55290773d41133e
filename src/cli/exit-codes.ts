// The exit status of every `bpfsig` command, in one place (documented in docs/cli.md, "Exit codes").
//
// The scheme tells "the kernel (or the comparison) said no" apart from "the input could not be
// used" and from "bpfsig does not model this path", so scripts can act on each:
//   0  OK           success: loaded, verified, every replay step agreed, every conformance test passed
//   1  REJECTED     the modelled kernel rejected (a load or a signature), a replay step disagreed,
//                   a conformance test failed
//   2  USAGE        bad command line (unknown flag, subcommand, profile or toolchain)
//   3  INPUT        unusable input: missing or unreadable file, not a light skeleton / BPF object /
//                   transcript, a key or certificate bpftool would refuse, a tamper offset outside
//                   its blob
//   4  NOT_EMULATED the run reached a path bpfsig does not model: no verdict about the kernel
//   70 INTERNAL     a bug in bpfsig (sysexits' EX_SOFTWARE); BPFSIG_DEBUG=1 prints the stack trace
// When several apply (replay over many files), the most serious wins: INTERNAL > INPUT >
// NOT_EMULATED > REJECTED > OK (worstExit).

export const EXIT = {
  OK: 0,
  REJECTED: 1,
  USAGE: 2,
  INPUT: 3,
  NOT_EMULATED: 4,
  INTERNAL: 70,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const RANK: Record<number, number> = { [EXIT.OK]: 0, [EXIT.REJECTED]: 1, [EXIT.NOT_EMULATED]: 2, [EXIT.USAGE]: 3, [EXIT.INPUT]: 4, [EXIT.INTERNAL]: 5 };

/** The most serious of several exit codes. */
export function worstExit(...codes: number[]): number {
  return codes.reduce((a, b) => ((RANK[b] ?? 5) > (RANK[a] ?? 5) ? b : a), EXIT.OK as number);
}

/** The usage-text paragraph each command ends with. */
export const EXIT_STATUS_TEXT = `exit status: 0 success, 1 rejected by the modelled kernel (or a mismatch), 2 bad usage,
3 unusable input, 4 not emulated (bpfsig does not model the path), 70 a bug in bpfsig.`;
