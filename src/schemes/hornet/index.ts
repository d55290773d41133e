// The Hornet scheme (Blaise Boscaccy, v7 2026-05-07, fixed 2026-05-29; refused by Linus in June
// 2026): an integrity LSM computes a verdict for each BPF_PROG_LOAD from a PKCS#7 signature over the
// instructions and signed map hashes, and policy LSMs (IPE) decide with it. spec: HN-*, IPE-1..6,
// TC-HGS-1, SEQ-1..3, CLAIM-19..21.

import { IPE_BPF_SIGNED_ONLY_POLICY } from '../../lsm/ipe/example-policy.js';
import { registerScheme, type Scheme } from '../registry.js';
import './hornet-lsm.js';
import { HORNET_V7, HORNET_V7_NO_KP, HORNET_V7_POSTED, HORNET_V7_POSTED_NO_KP } from './profiles.js';
import { HORNET_INDEXED_TOOLCHAIN, HORNET_TOOLCHAIN } from './toolchains.js';

export const HORNET_SCHEME: Scheme = {
  name: 'hornet',
  title: 'Hornet LSM v7 + Paul Moore\'s integrity hooks + IPE',
  status:
    'v7 posted 2026-05-07 (Nacked-by Alexei Starovoitov), 11 fixes in Paul Moore\'s LSM tree and linux-next 2026-05-29; Linus Torvalds refused the pull in June 2026 (HN-HIST-1/2, CLAIM-25)',
  signs:
    'the loader instructions (checked by KP\'s LOAD-9 and again by Hornet, HN-KP-1) and, in a signed attribute, the SHA-256 of each signed map (HN-ASN1-1/2)',
  checkedAt:
    'LOAD-9 (KP), then Hornet inside security_bpf_prog_load (bpf_prog_load_integrity, HN-HOOK-1); map hashes at admission (v7-posted) or at security_bpf_prog (v7-toctou-fix, HN-MAP-1); v7-posted re-checks at userspace BPF_PROG_RUN (HN-MAP-3)',
  lsmSees:
    'a verdict (OK, UNSIGNED, PARTIALSIG, UNKNOWNKEY, UNEXPECTED, FAULT, BADSIG) from Hornet (lsm_id 114) through bpf_prog_load_post_integrity; Hornet never denies on the verdict itself (HN-CHK-10), IPE turns it into -EACCES (IPE-2)',
  specIds: ['HN-CHK-1', 'HN-CHK-10', 'HN-MAP-1', 'HN-MAP-3', 'HN-ASN1-3', 'HN-KP-2', 'HN-LIM-3', 'IPE-4', 'TC-HGS-1', 'SEQ-2'],
  profiles: [HORNET_V7, HORNET_V7_POSTED, HORNET_V7_NO_KP, HORNET_V7_POSTED_NO_KP],
  toolchains: [HORNET_TOOLCHAIN, HORNET_INDEXED_TOOLCHAIN],
  defaultToolchain: 'hornet',
  // The posted revision decodes only the indexed map entries (HN-ASN1-2).
  profileToolchain: { 'hornet-v7-posted': 'hornet-indexed', 'hornet-v7-posted-no-kp': 'hornet-indexed' },
  compareProfiles: ['hornet-v7', 'hornet-v7-posted'],
  // LSM order …,ipe,hornet,bpf (HN-LIM-3, LSM-STACK-3): IPE decides on Hornet's verdicts with the
  // Hornet integration's example policy (IPE-4).
  defaultLsm: ['ipe', 'hornet'],
  defaultLsmOptions: { ipePolicy: IPE_BPF_SIGNED_ONLY_POLICY, ipePolicyFile: 'examples/ipe/bpf-signed-only.policy' },
  notes: [
    '**Revisions (HN-REV-1).** `hornet-v7` runs Hornet with the 2026-05-29 fixes (`v7-toctou-fix`, the code in the superna9999/linux fork at ebdd5e5d): map entries carry no index; at admission the signed hashes are only stashed in the program\'s blob (verdict OK whatever the maps hold), and `security_bpf_prog` refuses the fd with -EPERM unless every signed hash is the hash of a frozen map the program uses (HN-MAP-1). `hornet-v7-posted` runs [PATCH v7 06/10]: each entry names an `fd_array` index, Hornet reads that slot itself at admission (verdicts FAULT and UNEXPECTED) and re-checks the used maps at every userspace `BPF_PROG_RUN` (HN-MAP-3). The LSM option `extra.hornetRevision` picks either on any kernel with the integrity hooks; a kernel without them refuses the `hornet` LSM.',
    '**KP\'s check in front (HN-KP-1/2).** Both profiles keep KP\'s LOAD-9 over the same signature: a gen_sig signature passes it (signed attributes are allowed for BPF, PK7-USE-1), and every cryptographic or keyring failure ends there with KP\'s errno, so Hornet\'s BADSIG (crypto) and UNKNOWNKEY are unreachable. The `-no-kp` profiles drop LOAD-9 to show Hornet alone (the spec\'s `hornetKpCheck = false`); only there are Hornet\'s hard errors (-ENOMEM for `signature_size` above 4 MiB, -EFAULT for an unreadable signature, HN-CHK-3) reachable. The probe rows below run each kernel without LSMs, so on the `-no-kp` kernels nothing looks at a signature: Hornet decides only as an LSM (`--lsm ipe,hornet`, the scheme\'s default stack).',
    '**The signed attribute (HN-ASN1-3, our choice).** The attribute `2.25.316487325684022475439036912669789383960` has one value, gen_sig\'s `MAP_SET`: `SEQUENCE { HornetData }` with `HornetData ::= SET OF Map` (DER, so the entries are sorted by their encodings). `pkcs7_get_authattr` (James Bottomley\'s patch, only from a signer with validated trust) returns the *content* of the value, which is the `SET OF Map` element `hornet.asn1` starts with. A value that is the bare `SET OF` reaches the decoder as the Map sequences and is BADSIG. Signer and parser live in `src/schemes/hornet/hornet-data.ts`.',
    '**What the model shows.** With one metadata byte flipped, `hornet-v7-posted` answers UNEXPECTED and IPE denies `BPF_PROG_LOAD` (-EACCES, an IPE_ACCESS record, no `AUDIT_BPF`); `hornet-v7` answers OK, IPE allows, and the load fails at `security_bpf_prog` with -EPERM between an `AUDIT_BPF op=LOAD` and its `op=UNLOAD` (CLAIM-20, HN-MAP-2). A slot of `fd_array` rewritten between Hornet\'s read and the verifier\'s binds an unsigned map under `v7-posted` with verdict OK (CLAIM-19, HN-MAP-4); `v7-toctou-fix` refuses it. Quirks read off the code: `v7-posted` refuses the 64th map entry (the off-by-one fixed later; the fixed code takes 64 and refuses 65); a zero-length `sha` means "skip" in `v7-posted` but is an all-zero hash no map has in `v7-toctou-fix` (-EPERM); an empty `HornetData` never decodes (a SET OF needs an element); in `v7-posted` a signed map the program does not bind passes admission and fails every userspace `BPF_PROG_RUN`.',
    '**Toolchains (TC-HGS-1).** `hornet` and `hornet-indexed` are bpftool 7.7\'s `gen skeleton -S` with the signature `scripts/hornet/gen_sig` would write over `opts_insn`: an issuer-and-serial signer (gen_sig does not ask for `CMS_USE_KEYID`), signed attributes contentType, signingTime and messageDigest, no S/MIME capabilities (HN-ASN1-4), and the Hornet attribute with `SHA-256(opts_data)`, which is `map_get_hash` of `__loader.map` because the blob is a multiple of 8 bytes (MHASH-7, LSK-BLOB-2). `hornet` writes the fixed form (no index, for `hornet-v7`), `hornet-indexed` the posted form (index 0, for `hornet-v7-posted`); each revision refuses the other form (BADSIG). `bpfsig sign --hornet-map FILE[:INDEX]` is gen_sig\'s `--add`. In the stored fork, gen_sig after the fixes opens the whole `--add` argument as a path, so `map.bin:0` as in Hornet.rst would fail there; our flag reads a trailing `:INDEX` as the posted form.',
  ],
};

registerScheme(HORNET_SCHEME);
