// `bpfsig real kernels [--json]`: the Debian builds that verify BPF signatures (spec 10), what is
// cached, and the profile that models each. `bpfsig real fetch KVER… [--btf]` fetches them ahead
// of time (and extracts each build's vmlinux BTF, for --kernel-btf build).

import { cachedBuildBtf, fetchBuildBtf } from '../realkernel/btf.js';
import { cacheDir, cacheListing, fetchKernel } from '../realkernel/cache.js';
import { debianKernels, profileStatus } from '../realkernel/kernels.js';
import { qemuAvailable } from '../realkernel/qemu.js';
import { parseCommandArgs, UsageError, type Command } from './command.js';
import { SUMMARIES } from './summaries.js';

const usage = `usage: bpfsig real kernels [--json]
       bpfsig real fetch KVER… [--btf]

Real Debian kernels that verify BPF signatures, booted under QEMU beside the emulator (see
docs/realkernel.md; --real KVER on skel load and replay).

  kernels   list the builds, whether each is cached, and the profile that models it
  fetch     download and unpack builds now (Debian's registry, a private apt configuration)
  --btf     with fetch: also extract each build's vmlinux BTF from its kernel image (what
            --kernel-btf build / kernelBtf: 'build' boots the build's profile with)
  --json    one JSON object: {cache, qemu, kernels: [{kver, abi, packages, cached, bytes, btf, profile, profileAvailable, standIn}]}
            (btf: {size, sha256} when the build's BTF is cached, else null)

The cache is $BPFSIG_CACHE, else $XDG_CACHE_HOME/bpfsig, else ~/.cache/bpfsig.`;

export const realCommand: Command = {
  name: 'real',
  summary: SUMMARIES.real,
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' }, btf: { type: 'boolean' } });
    const [sub, ...rest] = positionals;
    if (sub === 'fetch') {
      if (!rest.length) throw new UsageError('fetch needs at least one KVER');
      for (const kver of rest) {
        fetchKernel(kver, { progress: (l) => io.err(l) });
        if (values.btf) fetchBuildBtf(kver, { progress: (l) => io.err(l) });
      }
      return 0;
    }
    if (values.btf) throw new UsageError('--btf goes with fetch');
    if (sub !== 'kernels') throw new UsageError(sub === undefined ? 'missing subcommand: kernels or fetch' : `unknown subcommand '${sub}' (kernels, fetch)`);
    if (rest.length) throw new UsageError(`unexpected argument '${rest[0]}'`);
    const cached = new Map(cacheListing().map((c) => [c.kver, c]));
    const rows = debianKernels().map((k) => {
      const p = profileStatus(k);
      const c = cached.get(k.kver)!;
      const btf = cachedBuildBtf(k.kver);
      return {
        kver: k.kver,
        abi: k.abi,
        packages: [...new Set([k.kernelPackage, k.configPackage])],
        cached: c.cached,
        bytes: c.bytes,
        btf: btf ? { size: btf.size, sha256: btf.sha256 } : null,
        profile: p.name,
        profileAvailable: p.available,
        standIn: p.standIn ?? null,
      };
    });
    const qemu = qemuAvailable();
    if (values.json) {
      io.out(JSON.stringify({ cache: cacheDir(), qemu, kernels: rows }, null, 2));
      return 0;
    }
    io.out(`cache ${cacheDir()}; qemu-system-x86_64 ${qemu ? 'found' : 'NOT found (apt-get install qemu-system-x86)'}`);
    for (const r of rows) {
      const prof = r.profileAvailable ? r.profile : `${r.profile} (profile not available in this build${r.standIn ? `; replays use ${r.standIn} as a stand-in` : ''})`;
      io.out(`  ${r.kver.padEnd(8)} ${r.abi.padEnd(22)} ${r.cached ? `cached (${(r.bytes / 1e6).toFixed(1)} MB${r.btf ? ', BTF' : ''})` : 'not cached'}`.padEnd(58) + `  → ${prof}`);
    }
    return 0;
  },
};
