/*
 * The C reference of the interpreter bench (issue K): a switch-dispatch eBPF interpreter in the
 * shape of uBPF's ubpf_exec (struct ebpf_inst fetched per step, 64-bit registers in an array,
 * one case per opcode, a bounds check of pc and an instruction budget per step), restricted to the
 * opcodes of the anchor loop VM-PERF-1 (add, xor, add, jne) and the setup around it. Written for
 * bpfsig; compiled by the host's gcc -O2 in bench/vm.bench.mjs.
 *
 *   ref-interp ITER   runs the anchor program, prints "r0 insns ns"
 *   ref-interp ITER native   the same loop written directly in C (no interpreter), for context
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct ebpf_inst {
    uint8_t opcode;
    uint8_t dst : 4;
    uint8_t src : 4;
    int16_t offset;
    int32_t imm;
};

enum {
    EBPF_OP_ADD64_IMM = 0x07,
    EBPF_OP_ADD64_REG = 0x0f,
    EBPF_OP_XOR64_REG = 0xaf,
    EBPF_OP_MOV64_IMM = 0xb7,
    EBPF_OP_LDDW = 0x18,
    EBPF_OP_JNE_REG = 0x5d,
    EBPF_OP_EXIT = 0x95,
};

static int64_t run(const struct ebpf_inst *insts, uint32_t n, uint64_t budget, uint64_t *r0, uint64_t *count)
{
    uint64_t reg[16] = {0};
    uint32_t pc = 0;
    uint64_t executed = 0;
    for (;;) {
        if (pc >= n) return -1;
        if (executed++ >= budget) return -2;
        struct ebpf_inst inst = insts[pc++];
        switch (inst.opcode) {
        case EBPF_OP_ADD64_IMM: reg[inst.dst] += (uint64_t)(int64_t)inst.imm; break;
        case EBPF_OP_ADD64_REG: reg[inst.dst] += reg[inst.src]; break;
        case EBPF_OP_XOR64_REG: reg[inst.dst] ^= reg[inst.src]; break;
        case EBPF_OP_MOV64_IMM: reg[inst.dst] = (uint64_t)(int64_t)inst.imm; break;
        case EBPF_OP_LDDW:
            reg[inst.dst] = (uint32_t)inst.imm | ((uint64_t)(uint32_t)insts[pc].imm << 32);
            pc++;
            break;
        case EBPF_OP_JNE_REG: if (reg[inst.dst] != reg[inst.src]) pc += inst.offset; break;
        case EBPF_OP_EXIT: *r0 = reg[0]; *count = executed; return 0;
        default: return -3;
        }
    }
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    uint32_t iter = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 25000000u;
    if (argc > 2 && strcmp(argv[2], "native") == 0) {
        volatile uint64_t sink;
        uint64_t t0 = now_ns();
        uint64_t r0 = 0, r1 = 0, r3 = 0, r2 = iter;
        do { r0 += r1; r3 ^= r0; r1 += 1; __asm__ volatile("" : "+r"(r1), "+r"(r0), "+r"(r3)); } while (r1 != r2);
        sink = r3;
        (void)sink;
        printf("%llu %llu %llu\n", (unsigned long long)r0, (unsigned long long)iter * 4, (unsigned long long)(now_ns() - t0));
        return 0;
    }
    struct ebpf_inst p[] = {
        {EBPF_OP_MOV64_IMM, 0, 0, 0, 0},
        {EBPF_OP_MOV64_IMM, 1, 0, 0, 0},
        {EBPF_OP_MOV64_IMM, 3, 0, 0, 0},
        {EBPF_OP_LDDW, 2, 0, 0, (int32_t)iter},
        {0, 0, 0, 0, 0},
        {EBPF_OP_ADD64_REG, 0, 1, 0, 0},
        {EBPF_OP_XOR64_REG, 3, 0, 0, 0},
        {EBPF_OP_ADD64_IMM, 1, 0, 0, 1},
        {EBPF_OP_JNE_REG, 1, 2, -4, 0},
        {EBPF_OP_EXIT, 0, 0, 0, 0},
    };
    uint64_t r0 = 0, count = 0;
    uint64_t t0 = now_ns();
    int64_t rc = run(p, sizeof p / sizeof p[0], 1000000000000ull, &r0, &count);
    uint64_t ns = now_ns() - t0;
    if (rc) { fprintf(stderr, "run failed: %lld\n", (long long)rc); return 1; }
    printf("%llu %llu %llu\n", (unsigned long long)r0, (unsigned long long)count, (unsigned long long)ns);
    return 0;
}
