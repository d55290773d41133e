// `bpfsig skel load FILE.lskel.h`: run a light skeleton's open + load (libbpf's bpf_load_and_run,
// the loader program in the interpreter) on a fresh emulated kernel and show what happened.
// spec: LSK-RUN-1..9, KP-SIG-2, KP-Q-5, PK7-KEY-1..7, TC-BT77-4/5, KP-META-1..4.

import { readFileSync } from 'node:fs';
import { certificateToDer, KeyFormatError } from '../keys/pem.js';
import { readLightSkeleton } from '../loader/lskel-reader.js';
import { skelRunToJson, formatSkelRun } from '../scenarios/skel-report.js';
import { KEYRING_NAMES, parseTamper, runSkeleton, type KeyringName, type Tamper } from '../scenarios/skel-run.js';
import { debianKernels } from '../realkernel/kernels.js';
import { realSkelToJson, runSkeletonReal } from '../realkernel/skel-load.js';
import { formatRealSkel } from '../realkernel/report.js';
import { findToolchain, toolchainNames } from '../loader/gen-loader/profiles.js';
import { AuditSeries } from '../audit/series.js';
import { AUDIT_FILE_FLAG, AUDIT_FILE_HELP, writeAuditFile } from './audit-file.js';
import { LSM_OPTION_FLAGS, lsmOptionsHelp, parseLsmOptions } from './lsm-options.js';
import { defaultProfile, getProfile, profileLabel, profileNames } from '../syscall/profiles/index.js';
import { KERNEL_BTF_FLAG, kernelBtfHelp, kernelBtfOption } from './kernel-btf-option.js';
import { InputError, parseCommandArgs, UsageError, type Command } from './command.js';
import { EXIT } from './exit-codes.js';
import { SUMMARIES } from './summaries.js';

function profileList(): string {
  return profileNames()
    .map((n) => `    ${profileLabel(getProfile(n)!).padEnd(14)} ${getProfile(n)!.summary}`)
    .join('\n');
}

function toolchainList(): string {
  return toolchainNames()
    .map((n) => `    ${n.padEnd(14)} ${findToolchain(n)!.flow.name}: ${findToolchain(n)!.summary}`)
    .join('\n');
}

const usage = `usage: bpfsig skel load FILE.lskel.h [options]

Runs the light skeleton's <name>__open() and <name>__load() — libbpf's bpf_load_and_run: the
metadata map, freeze, map hash, the loader's BPF_PROG_LOAD (with its signature) and
BPF_PROG_TEST_RUN, in which the loader program runs in the interpreter and makes its own bpf()
calls — on a fresh emulated kernel. Headers from bpftool 7.1 (gen skeleton -L), 7.7 (-L, -S)
and the hash-chain bpftool (-S -M) are understood. Prints the per-syscall timeline (syscall,
stages, LSM hooks and their returns, ids, fds, audit records), then the skeleton's result: result,
errno, libbpf's errstr, the loader's return value, and the maps and programs it handed back. Two
outcomes are not errnos: a positive BPF_PROG_LOAD return that is not an fd is marked NOT AN FD;
a kernel oops (a bug the profile models, e.g. hashchain-v1) kills the loading task — the result
line then reads KERNEL OOPS and <name>__load() never returned.

options:
  --profile NAME      kernel profile (default ${defaultProfile().name}):
${profileList()}
  --toolchain NAME    whose libbpf runs the skeleton (its bpf_load_and_run flow); default: the
                      first toolchain that writes headers like this one (reported in the output):
${toolchainList()}
${lsmOptionsHelp()}
  --cert FILE         signing certificate, PEM or DER, placed where --keyring says
  --keyring WHERE     session | builtin | secondary | platform, or a raw keyring_id number
                      session  (default with --cert): add_key("asymmetric", FILE, DER,
                               KEY_SPEC_SESSION_KEYRING), skel->keyring_id = -3
                      builtin  : the certificate is compiled into the kernel; keyring_id stays 0
                               (the skeleton's zero-initialised default)
                      secondary: the kernel loaded it into .secondary_trusted_keys; keyring_id 1
                      platform : the kernel loaded it into .platform; keyring_id 2
                      Without --cert and --keyring the skeleton passes keyring_id 0.
  --tamper BLOB:OFF   flip one bit (XOR 0x01) of byte OFF of a blob before loading; BLOB is
                      data (opts_data), insns (opts_insn) or sig (opts_sig); OFF decimal or 0x-hex;
                      repeatable
  --no-freeze         skip BPF_MAP_FREEZE of the metadata map (not what libbpf does; KP-META-4)
  --no-hash           skip the BPF_OBJ_GET_INFO_BY_FD hash request (KP-META-3)
  --stale-hash        the stale-hash trick (KP-META-4): hash the blob as signed while the map is
                      unfrozen, then write the --tamper'ed blob and freeze
  --no-excl           create the metadata map without excl_prog_hash (KP-META-5, LT-ERR-20)
  --audit             also print the whole audit log in auditd's format. By default the timeline
                      shows each syscall's audit records inline (BPF records with their text);
                      the SYSCALL/PROCTITLE lines are only in the full log
  --capable           show capable() checks in the timeline
${kernelBtfHelp(22)}
${AUDIT_FILE_HELP}
  --real KVER         run the same load on a real Debian kernel under QEMU instead of the
                      emulator (${debianKernels().map((k) => k.kver).join(', ')}; see docs/realkernel.md).
                      Only --keyring session (or a raw keyring id) is possible there; the timeline
                      lists the calls of the loading process with their audit records
  --json              one JSON object (format bpfsig-skel-load/1, see docs/cli.md): result, errno,
                      errstr, loaderRetval, profile, keyring, tampers, maps, progs, timeline, audit

exit status: 0 the skeleton loaded, 1 the modelled kernel refused it (an oops included), 2 bad
usage, 3 unusable input, 4 not emulated (a call reached a path bpfsig does not model: no kernel
answer), 70 a bug in bpfsig.`;

function readFile(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new InputError(`cannot read ${what} '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export const skelCommand: Command = {
  name: 'skel',
  summary: SUMMARIES.skel,
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      profile: { type: 'string' },
      toolchain: { type: 'string' },
      ...LSM_OPTION_FLAGS,
      cert: { type: 'string' },
      keyring: { type: 'string' },
      tamper: { type: 'string', multiple: true },
      'no-freeze': { type: 'boolean' },
      'no-hash': { type: 'boolean' },
      'stale-hash': { type: 'boolean' },
      'no-excl': { type: 'boolean' },
      audit: { type: 'boolean' },
      capable: { type: 'boolean' },
      json: { type: 'boolean' },
      real: { type: 'string' },
      ...KERNEL_BTF_FLAG,
      ...AUDIT_FILE_FLAG,
    });
    const [sub, file, ...extra] = positionals;
    if (sub !== 'load') throw new UsageError(sub === undefined ? 'missing subcommand: load' : `unknown subcommand '${sub}' (only 'load')`);
    if (!file) throw new UsageError('missing FILE.lskel.h');
    if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);

    if (values.real !== undefined && values['audit-file'] !== undefined)
      throw new UsageError('--audit-file is not available with --real (the real kernel reports only its type=1334 records, from its kernel log)');
    const profile = values.profile ?? defaultProfile().name;
    if (!getProfile(profile)) throw new UsageError(`unknown profile '${profile}' (one of ${profileNames().join(', ')})`);
    if (values.toolchain !== undefined && !findToolchain(values.toolchain)) throw new UsageError(`unknown toolchain '${values.toolchain}' (one of ${toolchainNames().join(', ')})`);
    let keyring: KeyringName | number | undefined;
    if (values.keyring !== undefined) {
      if ((KEYRING_NAMES as readonly string[]).includes(values.keyring)) keyring = values.keyring as KeyringName;
      else if (/^-?\d+$/.test(values.keyring) && Number(values.keyring) >= -(2 ** 31) && Number(values.keyring) < 2 ** 31) {
        if (values.cert) throw new UsageError('--cert needs --keyring session, builtin, secondary or platform (a raw keyring id says nothing about where the certificate goes)');
        keyring = Number(values.keyring);
      } else throw new UsageError(`--keyring must be one of ${KEYRING_NAMES.join(', ')} or a keyring id, not '${values.keyring}'`);
    }
    const tampers: Tamper[] = (values.tamper ?? []).map((t) => {
      const parsed = parseTamper(t);
      if (!parsed) throw new UsageError(`--tamper '${t}': expected data:OFF, insns:OFF or sig:OFF (OFF decimal or 0x-hex)`);
      return parsed;
    });

    const text = Buffer.from(readFile(file, 'skeleton')).toString('latin1');
    const skel = readLightSkeleton(text, file);
    let certDer: Uint8Array | undefined;
    if (values.cert) {
      try {
        certDer = certificateToDer(readFile(values.cert, 'certificate'));
      } catch (e) {
        if (e instanceof KeyFormatError) throw new InputError(`--cert '${values.cert}': ${e.message}`);
        throw e;
      }
    }
    if (values.real !== undefined) {
      if (values.profile) throw new UsageError('--real and --profile exclude each other (the real kernel maps to its own profile)');
      if (values['kernel-btf'] !== undefined) throw new UsageError('--real and --kernel-btf exclude each other (the real kernel has its own BTF)');
      const real = await runSkeletonReal(values.real, skel, {
        ...(certDer ? { certDer, keyDescription: values.cert } : {}),
        ...(keyring !== undefined ? { keyring } : {}),
        tampers,
        skipFreeze: !!values['no-freeze'],
        skipHash: !!values['no-hash'],
        ...(values.toolchain !== undefined ? { toolchain: values.toolchain } : {}),
        progress: (l) => io.err(l),
      });
      if (values.json) io.out(JSON.stringify(realSkelToJson(real), null, 2));
      else io.out([`bpfsig skel load ${file} --real ${values.real}`, ...formatRealSkel(real, { audit: !!values.audit })].join('\n'));
      return real.result.err === 0 ? EXIT.OK : EXIT.REJECTED;
    }
    const lsm = parseLsmOptions(values);
    const audit = new AuditSeries();
    const run = runSkeleton(skel, {
      audit,
      profile,
      lsm: lsm.lsm,
      ...(lsm.options ? { lsmOptions: lsm.options } : {}),
      ...(values.toolchain !== undefined ? { toolchain: values.toolchain } : {}),
      ...(certDer ? { certDer, keyDescription: values.cert } : {}),
      ...(keyring !== undefined ? { keyring } : {}),
      tampers,
      skipFreeze: !!values['no-freeze'],
      skipHash: !!values['no-hash'],
      staleHash: !!values['stale-hash'],
      noExclHash: !!values['no-excl'],
      ...kernelBtfOption(values, profile),
    });
    writeAuditFile(values['audit-file'], audit);
    if (values.json) io.out(JSON.stringify(skelRunToJson(run), null, 2));
    else io.out([`bpfsig skel load ${file}`, ...formatSkelRun(run, { audit: !!values.audit, capable: !!values.capable })].join('\n'));
    return run.result.outcome === 'loaded' ? EXIT.OK : run.result.outcome === 'not-emulated' ? EXIT.NOT_EMULATED : EXIT.REJECTED;
  },
};
