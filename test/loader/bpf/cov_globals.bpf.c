// SPDX-License-Identifier: GPL-2.0
/* Test object: global variables of many C types, so the skeleton's data-section structs (and
 * their padding) can be compared with bpftool's. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
typedef struct { int a; short b; } pair_t;
struct named { char tag; long long v; };
enum color { RED, GREEN = 5 };
int (*fnptr)(int, char *);
char *strp;
const volatile char name[16] = "bpfsig";
const volatile __u64 limits[3] = { 1, 2, 3 };
pair_t pair = { 1, 2 };
struct named named = { 'x', 9 };
struct { int x : 3; unsigned y : 5; char z; } bits = { 1, 2, 3 };
union { int i; float f; } u;
enum color col = GREEN;
unsigned char small;
long long big;
int matrix[2][3];
static int hidden_static;
volatile int *volatile vptr;
char c1 SEC(".data.one") = 1;
long l2 SEC(".data.one") = 2;
SEC("socket")
int s(void *ctx) { hidden_static++; return name[0] + limits[1] + pair.a + named.v + bits.y + u.i + col + small + big + matrix[1][2] + (long)fnptr + (long)strp + c1 + l2 + (long)vptr; }
