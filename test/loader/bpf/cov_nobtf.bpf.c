// SPDX-License-Identifier: GPL-2.0
/* Test object: compiled without -g, so no .BTF and no .BTF.ext. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
int v = 5;
SEC("socket")
int s(void *ctx) { return v; }
SEC("kprobe/foo")
int kp(void *ctx) { return 0; }
