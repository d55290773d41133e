// One line per `bpfsig` subcommand, for `bpfsig help`: kept apart from the commands themselves so
// that `bpfsig --help` loads none of them (issue K: startup without the emulator).

export const SUMMARIES = {
  claims: 'every claim of the debate with a verdict computed from runs, and its evidence',
  compare: 'every scheme side by side on one object: where each case fails, what LSMs and audit saw, false positives',
  conformance: 'run the bpf_conformance suite through the interpreter',
  demo: 'the v6.18 signed-skeleton false positive, end to end (demo maps: the map walk)',
  explain: 'explain FILE.lskel.h: which toolchain made it, what its signature covers, whether the chain link holds offline, what each profile does',
  gen: 'gen skeleton|loader OBJ.bpf.o: a light skeleton (bpftool gen skeleton -L [-S]), byte-identical to bpftool',
  inspect: 'show the programs, maps, relocations, externs and BTF of a BPF object',
  keygen: 'make a throw-away signing key and certificate (key.pem, cert.pem, cert.der)',
  profiles: 'list schemes, kernel profiles and toolchains, and what each changes',
  real: 'real kernels | fetch KVER: the Debian kernels --real runs on, and their cache',
  replay: 'replay real-kernel transcripts against the emulator, step by step',
  sign: 'sign a file the way bpftool 7.7 signs loader instructions (CMS, DER), or as Hornet\'s gen_sig (--hornet-map)',
  skel: 'skel load FILE.lskel.h: load a light skeleton on the emulated kernel (timeline, result, audit)',
  verify: 'verify a PKCS#7 signature as BPF_PROG_LOAD would (errno and rule)',
} as const;
