/* Test-only stand-in for libbpf 1.7's <bpf/skel_internal.h>, written for bpfsig's gcc test.
 * It declares what a generated light skeleton uses; field names and types follow the libbpf 1.7
 * API (struct bpf_load_and_run_opts gained signature, signature_sz, keyring_id, excl_prog_hash,
 * excl_prog_hash_sz). Declarations only: the test compiles (-c), it does not link or run. */
#ifndef BPFSIG_TEST_SKEL_INTERNAL_H
#define BPFSIG_TEST_SKEL_INTERNAL_H

#include <stddef.h>
#include <errno.h>
#include <sys/mman.h>
#include <linux/types.h>
#include <linux/bpf.h>

struct bpf_map_desc {
	int map_fd;
	__u32 max_entries;
	__aligned_u64 initial_value;
};

struct bpf_prog_desc {
	int prog_fd;
};

enum {
	BPF_SKEL_KERNEL = (1ULL << 0),
};

struct bpf_loader_ctx {
	__u32 sz;
	__u32 flags;
	__u32 log_level;
	__u32 log_size;
	__u64 log_buf;
};

struct bpf_load_and_run_opts {
	struct bpf_loader_ctx *ctx;
	const void *data;
	const void *insns;
	__u32 data_sz;
	__u32 insns_sz;
	const char *errstr;
	void *signature;
	__u32 signature_sz;
	__s32 keyring_id;
	void *excl_prog_hash;
	__u32 excl_prog_hash_sz;
};

void *skel_alloc(size_t size);
void skel_free(const void *p);
void skel_free_map_data(void *p, __u64 addr, size_t sz);
void *skel_prep_map_data(const void *val, size_t mmap_sz, size_t val_sz);
void *skel_finalize_map_data(__u64 *addr, size_t mmap_sz, int flags, int fd);
int skel_closenz(int fd);
int skel_raw_tracepoint_open(const char *name, int prog_fd);
int skel_link_create(int prog_fd, int target_fd, enum bpf_attach_type attach_type);
int bpf_load_and_run(struct bpf_load_and_run_opts *opts);

#endif
