// The IPE policy of the Hornet integration's example (IPE-4): BPF program loads are denied unless
// they come from the kernel (a light skeleton's inner loads, LSM-KERN-2) or Hornet's verdict is OK.
// The header line and the global default are IPE's general policy form (IPE-5). The same text ships
// as examples/ipe/bpf-signed-only.policy (a test keeps the two equal).

export const IPE_BPF_SIGNED_ONLY_POLICY = `policy_name=bpf_signed_only policy_version=0.0.1
DEFAULT action=ALLOW
DEFAULT op=BPF_PROG_LOAD action=DENY
op=BPF_PROG_LOAD bpf_kernel=TRUE action=ALLOW
op=BPF_PROG_LOAD bpf_signature=OK action=ALLOW
`;
