/*
 * The seccomp filter of the ptrace fallback, shared by the shim (which installs it in the first traced process
 * once the tracer has seized it) and the tracer (which installs it in the program it starts with --own-rings,
 * iotrace run --ptrace-only). Header-only: both are small C programs with no common library.
 * ptrace-fallback/test/filter_check.c runs the program it builds through a classic-BPF interpreter for every call
 * of every ABI below (and, on x86_64, through the kernel): `make -C ptrace-fallback check`.
 *
 * It returns SECCOMP_RET_TRACE (a stop for the tracer) for the handle calls of iotrace_syscalls.gen.h unless the
 * instruction pointer is one of `sites` (the shim's and the wrapped libc functions' syscall instructions: calls
 * the shim reports itself never stop), and SECCOMP_RET_ALLOW for everything else. The filter of --own-rings
 * (iotrace_build_own_rings_filter: no shim at all, no sites) stops the data calls of the table too (reads, writes,
 * metadata); the shim's never does: it records those itself, and a stop costs microseconds. One description
 * drives every ABI: iotrace_filter_abis (which table, which numbers) and iotrace_stop_rule (which argument decides,
 * taken from the argument kinds of the generated table, so the index is the kernel prototype's on every ABI).
 */
#ifndef IOTRACE_FILTER_H
#define IOTRACE_FILTER_H

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "iotrace_syscalls.h"

#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT 0x40000000
#endif
#ifndef AUDIT_ARCH_AARCH64
#define AUDIT_ARCH_AARCH64 0xc00000b7 /* EM_AARCH64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE */
#endif

/* the filter reads the low 32 bits of a 64-bit seccomp_data field at its offset: little-endian only */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "iotrace_filter.h assumes a little-endian machine");

/* ---- which calls stop: per ABI, and per call on which argument ---- */

struct iotrace_filter_abi {
    uint32_t audit_arch;                    /* seccomp_data.arch */
    const struct iotrace_sc_number *table;  /* iotrace_syscalls.gen.h */
    size_t length;
    uint32_t nr_mask;   /* the bits of seccomp_data.nr that count (x86_64: x32's numbers of these calls are the same) */
    int site_test;      /* 1: calls from an allowed site pass; 0: every handle call stops */
    int always_nr;      /* one more number that always stops, -1 for none */
};

/*
 * x86_64 and aarch64: the ABIs the shim and the wrapped libc functions run in, so the instruction-pointer test
 * applies. i386 (int 0x80 inside a 64-bit x86 process: no wrapper ever makes one): every handle call stops,
 * old_mmap (90, not in the table: its arguments are a struct in memory, which the tracer does not decode) too.
 * The native ABI first (the first test of every system call the program makes). aarch64's AArch32 compat ABI is
 * not listed: its calls pass (an AArch64 process cannot make one; an exec'd 32-bit image is not traced).
 */
static const struct iotrace_filter_abi iotrace_filter_abis[] = {
#if defined(__aarch64__)
    {AUDIT_ARCH_AARCH64, iotrace_sc_aarch64, IOTRACE_SC_TABLE_LENGTH(iotrace_sc_aarch64), ~0u, 1, -1},
#endif
    {AUDIT_ARCH_X86_64, iotrace_sc_x86_64, IOTRACE_SC_TABLE_LENGTH(iotrace_sc_x86_64),
     ~(uint32_t)__X32_SYSCALL_BIT, 1, -1},
    {AUDIT_ARCH_I386, iotrace_sc_i386, IOTRACE_SC_TABLE_LENGTH(iotrace_sc_i386), ~0u, 0, 90},
#if !defined(__aarch64__)
    {AUDIT_ARCH_AARCH64, iotrace_sc_aarch64, IOTRACE_SC_TABLE_LENGTH(iotrace_sc_aarch64), ~0u, 1, -1},
#endif
};
#define IOTRACE_FILTER_ABIS ((int)(sizeof iotrace_filter_abis / sizeof iotrace_filter_abis[0]))

/* which calls of a handle-call number stop: all, only mmaps of a file, only fcntl's descriptor duplications */
enum iotrace_stop_when { IOTRACE_STOP_ALWAYS, IOTRACE_STOP_FILE_MAPPING, IOTRACE_STOP_DUPFD };
struct iotrace_stop_rule {
    int when; /* enum iotrace_stop_when */
    int arg;  /* the argument that decides: mmap's flags (no MAP_ANONYMOUS), fcntl's command (F_DUPFD*) */
};

static inline struct iotrace_stop_rule iotrace_stop_rule(int sc)
{
    const struct iotrace_sc_info *info = &iotrace_sc_info[sc];
    for (int i = 0; i < info->nargs; i++) {
        if (info->args[i] == IOTRACE_ARG_MAPFLAGS)
            return (struct iotrace_stop_rule){IOTRACE_STOP_FILE_MAPPING, i};
        if (info->args[i] == IOTRACE_ARG_FCNTLCMD)
            return (struct iotrace_stop_rule){IOTRACE_STOP_DUPFD, i};
    }
    return (struct iotrace_stop_rule){IOTRACE_STOP_ALWAYS, -1};
}

/* 1 when the arguments of handle call sc are ones the filter stops (before its instruction-pointer test) */
static inline int iotrace_stop_wanted(int sc, const uint64_t *args)
{
    struct iotrace_stop_rule rule = iotrace_stop_rule(sc);
    uint32_t value = rule.arg < 0 ? 0 : (uint32_t)args[rule.arg];
    return rule.when == IOTRACE_STOP_FILE_MAPPING ? !(value & MAP_ANONYMOUS)
           : rule.when == IOTRACE_STOP_DUPFD      ? value == F_DUPFD || value == F_DUPFD_CLOEXEC
                                                  : 1;
}

/* ---- the allowed sites: the address after each syscall instruction, the instruction_pointer seccomp reports ---- */

/* x86_64: `syscall` (0f 05, at any byte); aarch64: `svc #0` (the little-endian word 0xd4000001, 4-byte aligned) */
enum iotrace_isa { IOTRACE_ISA_X86_64, IOTRACE_ISA_AARCH64 };
#if defined(__x86_64__)
#define IOTRACE_ISA_NATIVE IOTRACE_ISA_X86_64
#elif defined(__aarch64__)
#define IOTRACE_ISA_NATIVE IOTRACE_ISA_AARCH64
#endif

/* Adds (once) the site after every syscall instruction of the size bytes at code, whose run-time address is
 * `address`, or-ed with tag, up to max sites; the new count. */
static inline int iotrace_scan_sites(int isa, const unsigned char *code, size_t size, uint64_t address, uint64_t tag,
                                     uint64_t *sites, int count, int max)
{
    static const unsigned char x86_syscall[] = {0x0f, 0x05}, aarch64_svc0[] = {0x01, 0x00, 0x00, 0xd4};
    const unsigned char *insn = isa == IOTRACE_ISA_AARCH64 ? aarch64_svc0 : x86_syscall;
    size_t length = isa == IOTRACE_ISA_AARCH64 ? 4 : 2;
    size_t i = isa == IOTRACE_ISA_AARCH64 ? (size_t)(-address & 3) : 0; /* the first aligned word */
    size_t step = isa == IOTRACE_ISA_AARCH64 ? 4 : 1;
    for (; i + length <= size && count < max; i += step) {
        if (memcmp(code + i, insn, length) != 0)
            continue;
        uint64_t ip = (address + i + length) | tag;
        int seen = 0;
        for (int k = 0; k < count; k++)
            seen |= sites[k] == ip;
        if (!seen)
            sites[count++] = ip;
    }
    return count;
}

/* ---- the seccomp filter: a tiny assembler with labels (classic BPF jumps go forward, conditional ones ≤ 255) ---- */

enum label { L_ALLOW, L_TRACE, L_IPCHK, L_SYSNR, L_SYS_ALLOW, L_SITES, L_FIXED };
/* a jump target is a label, or SKIP(k): over the next k instructions (NEXT: none) */
#define SKIP(k) (-1 - (k))
#define NEXT SKIP(0)
#define MAX_FILTER 1024
#define MAX_LABELS 64
#define IOTRACE_SITE_GROUPS 8 /* distinct high halves of the allowed sites' addresses */
struct bpf_prog {
    struct sock_filter insn[MAX_FILTER];
    int n;
    int at[MAX_LABELS]; /* the instruction of each label; -1 until placed */
    int labels;         /* labels in use */
    signed char jt[MAX_FILTER], jf[MAX_FILTER]; /* label of each jump, NEXT for the next instruction */
    int error;
};

static inline int bpf_new_label(struct bpf_prog *p)
{
    if (p->labels >= MAX_LABELS) {
        p->error = 1;
        return L_TRACE;
    }
    p->at[p->labels] = -1;
    return p->labels++;
}

static inline void bpf_emit(struct bpf_prog *p, uint16_t code, uint32_t k, int jt, int jf)
{
    if (p->n >= MAX_FILTER) {
        p->error = 1;
        return;
    }
    p->insn[p->n] = (struct sock_filter){code, 0, 0, k};
    p->jt[p->n] = (signed char)jt;
    p->jf[p->n] = (signed char)jf;
    p->n++;
}
#define LD(p, off) bpf_emit(p, BPF_LD | BPF_W | BPF_ABS, (uint32_t)(off), NEXT, NEXT)
#define AND(p, k) bpf_emit(p, BPF_ALU | BPF_AND | BPF_K, k, NEXT, NEXT)
#define RET(p, action) bpf_emit(p, BPF_RET | BPF_K, action, NEXT, NEXT)
#define JA(p, l) bpf_emit(p, BPF_JMP | BPF_JA, 0, l, l)
#define JEQ(p, k, jt, jf) bpf_emit(p, BPF_JMP | BPF_JEQ | BPF_K, k, jt, jf)
#define JSET(p, k, jt, jf) bpf_emit(p, BPF_JMP | BPF_JSET | BPF_K, k, jt, jf)
#define LABEL(p, l) ((p)->at[l] = (p)->n)
#define ARG_LOW(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define IP_LOW offsetof(struct seccomp_data, instruction_pointer)
#define IP_HIGH (IP_LOW + 4)

static inline int bpf_resolve_jumps(struct bpf_prog *p)
{
    for (int i = 0; i < p->n && !p->error; i++) {
        if (BPF_CLASS(p->insn[i].code) != BPF_JMP)
            continue;
        int t = p->jt[i] < 0 ? i + 1 + (-1 - p->jt[i]) : p->at[(int)p->jt[i]];
        int f = p->jf[i] < 0 ? i + 1 + (-1 - p->jf[i]) : p->at[(int)p->jf[i]];
        /* backwards (or to a label never placed), beyond the end, or beyond a conditional jump's 8 bits */
        if (t <= i || f <= i || t >= p->n || f >= p->n ||
            (BPF_OP(p->insn[i].code) != BPF_JA && (t - i - 1 > 255 || f - i - 1 > 255))) {
            p->error = 1;
            break;
        }
        if (BPF_OP(p->insn[i].code) == BPF_JA) {
            p->insn[i].k = (uint32_t)(t - i - 1);
            continue;
        }
        p->insn[i].jt = (uint8_t)(t - i - 1);
        p->insn[i].jf = (uint8_t)(f - i - 1);
    }
    return p->error ? -1 : 0;
}

/* one number of an ABI's dispatch and where it goes */
struct bpf_case {
    uint32_t nr;
    int target; /* a label */
};

/* instructions of the dispatch tree over cases[lo, hi) (see bpf_tree) */
static inline int bpf_tree_size(int lo, int hi)
{
    if (hi - lo <= 3)
        return hi - lo + 1;
    int mid = lo + (hi - lo) / 2;
    return 1 + bpf_tree_size(lo, mid) + bpf_tree_size(mid, hi);
}

/* A binary search over the sorted cases (JGE), each leaf a JEQ chain of at most 3 ending in SECCOMP_RET_ALLOW. */
static inline void bpf_tree(struct bpf_prog *p, const struct bpf_case *cases, int lo, int hi)
{
    if (hi - lo <= 3) {
        for (int i = lo; i < hi; i++)
            bpf_emit(p, BPF_JMP | BPF_JEQ | BPF_K, cases[i].nr, cases[i].target, NEXT);
        bpf_emit(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, NEXT, NEXT);
        return;
    }
    int mid = lo + (hi - lo) / 2;
    bpf_emit(p, BPF_JMP | BPF_JGE | BPF_K, cases[mid].nr, SKIP(bpf_tree_size(lo, mid)), NEXT);
    bpf_tree(p, cases, lo, mid);
    bpf_tree(p, cases, mid, hi);
}

/*
 * The dispatch on the number in the accumulator: each case to its target, every other number allowed. A search
 * tree, not a JEQ chain: its path is the filter's cost for every system call the program makes, and when the
 * filter is installed the kernel runs it once for every number of every ABI (the seccomp action cache: a number
 * whose path is constant and allows is never filtered again), which with a 25-JEQ chain was ~80 us of every traced
 * process's start-up.
 */
static inline void bpf_dispatch(struct bpf_prog *p, const struct bpf_case *cases, int n)
{
    struct bpf_case sorted[128];
    if (n > 128) {
        p->error = 1;
        return;
    }
    memcpy(sorted, cases, (size_t)n * sizeof *cases);
    for (int i = 1; i < n; i++) /* insertion sort by number */
        for (int j = i; j > 0 && sorted[j - 1].nr > sorted[j].nr; j--) {
            struct bpf_case t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    bpf_tree(p, sorted, 0, n);
}

/* The number dispatch of one ABI, then its argument tests. `pass`: where a handle call goes (the site test, or a
 * stop); a rule's test is emitted once per ABI and argument (mmap and mmap2 share theirs). `data` (--own-rings:
 * no sites, every listed call stops): the data calls are dispatched too, and every case goes to a stop at the end
 * of this ABI's block (a dispatch that long could not reach the shared stop with an 8-bit jump). */
#define MAX_ABI_CALLS 128
static inline void bpf_abi(struct bpf_prog *p, const struct iotrace_filter_abi *abi, int data)
{
    int stop = data ? bpf_new_label(p) : L_TRACE;
    int pass = data ? stop : abi->site_test ? L_IPCHK : L_TRACE;
    int label[MAX_ABI_CALLS];
    struct iotrace_stop_rule rule[MAX_ABI_CALLS];
    struct bpf_case cases[MAX_ABI_CALLS + 1];
    int n = 0;
    int close_label = abi->site_test && !data ? bpf_new_label(p) : -1;
    if (abi->length > MAX_ABI_CALLS) {
        p->error = 1;
        return;
    }
    if (abi->always_nr >= 0)
        cases[n++] = (struct bpf_case){(uint32_t)abi->always_nr, stop};
    for (size_t i = 0; i < abi->length; i++) {
        int sc = abi->table[i].sc;
        rule[i] = iotrace_stop_rule(sc);
        label[i] = -1;
        if (!data && iotrace_sc_info[sc].call_class != IOTRACE_CLASS_HANDLE)
            continue; /* the shim's filter: the shim reports reads, writes and metadata itself */
        int target = pass;
        if (sc == IOTRACE_SC_CLOSE && close_label >= 0) {
            target = close_label;
        } else if (rule[i].when != IOTRACE_STOP_ALWAYS) {
            for (size_t k = 0; k < i && label[i] < 0; k++)
                if (label[k] >= 0 && rule[k].when == rule[i].when && rule[k].arg == rule[i].arg)
                    label[i] = label[k];
            if (label[i] < 0)
                label[i] = bpf_new_label(p);
            target = label[i];
        }
        cases[n++] = (struct bpf_case){(uint32_t)abi->table[i].nr, target};
    }
    LD(p, offsetof(struct seccomp_data, nr));
    if (abi->nr_mask != ~0u)
        AND(p, abi->nr_mask);
    bpf_dispatch(p, cases, n);
    for (size_t i = 0; i < abi->length; i++) {
        if (label[i] < 0 || p->at[label[i]] >= 0)
            continue; /* no test, or emitted already */
        LABEL(p, label[i]);
        LD(p, ARG_LOW(rule[i].arg));
        if (rule[i].when == IOTRACE_STOP_FILE_MAPPING) {
            JSET(p, MAP_ANONYMOUS, L_ALLOW, pass);
        } else {
            JEQ(p, F_DUPFD, pass, NEXT);
            JEQ(p, F_DUPFD_CLOEXEC, pass, L_ALLOW);
        }
    }
    if (close_label >= 0) { /* an exec'd image's shim registers its sites, wherever it calls from */
        LABEL(p, close_label);
        LD(p, ARG_LOW(0));
        JEQ(p, IOTRACE_PTRACE_REGISTER_FD, L_TRACE, pass);
    }
    if (data) {
        LABEL(p, stop);
        RET(p, SECCOMP_RET_TRACE);
    }
}

/*
 * The program: the arch picks the ABI's dispatch (other arches: allow); handle calls (mmap only of a file, fcntl
 * only F_DUPFD*) of the site-tested ABIs go to the instruction-pointer test, the others stop.
 * close(IOTRACE_PTRACE_REGISTER_FD, ...) always stops: an exec'd image's shim registers its sites that way.
 * Instruction-pointer test: libc syscall()'s sites first (there the number decides: only the calls the shim's
 * syscall() wrapper records as rows pass), then the sites allowed for every handle call.
 * data: the data calls stop too (--own-rings only, with no sites: see the top).
 */
static inline int iotrace_build_filter_of(struct bpf_prog *p, const uint64_t *sites, int count, int data)
{
    memset(p, 0, sizeof *p);
    for (int l = 0; l < MAX_LABELS; l++)
        p->at[l] = -1;
    p->labels = L_FIXED;
    int abi_label[IOTRACE_FILTER_ABIS], sysnr_label[IOTRACE_FILTER_ABIS];
    LD(p, offsetof(struct seccomp_data, arch));
    for (int a = 0; a < IOTRACE_FILTER_ABIS; a++) {
        abi_label[a] = bpf_new_label(p);
        if (data) { /* the ABIs' blocks, listing the data calls too, are beyond a conditional jump's reach */
            JEQ(p, iotrace_filter_abis[a].audit_arch, NEXT, SKIP(1));
            JA(p, abi_label[a]);
        } else {
            JEQ(p, iotrace_filter_abis[a].audit_arch, abi_label[a], NEXT);
        }
    }
    JA(p, L_ALLOW);
    for (int a = 0; a < IOTRACE_FILTER_ABIS; a++) {
        LABEL(p, abi_label[a]);
        bpf_abi(p, &iotrace_filter_abis[a], data);
    }
    LABEL(p, L_ALLOW);
    RET(p, SECCOMP_RET_ALLOW);
    LABEL(p, L_TRACE);
    RET(p, SECCOMP_RET_TRACE);

    LABEL(p, L_IPCHK);
    for (int i = 0; i < count; i++) {
        if (!(sites[i] & IOTRACE_PTRACE_SITE_SYS_ONLY))
            continue;
        uint64_t ip = sites[i] & ~IOTRACE_PTRACE_SITE_SYS_ONLY;
        LD(p, IP_LOW);
        JEQ(p, (uint32_t)ip, NEXT, SKIP(2));
        LD(p, IP_HIGH);
        JEQ(p, (uint32_t)(ip >> 32), L_SYSNR, NEXT);
    }
    JA(p, L_SITES);
    /* at a syscall() site: the accumulator holds the address, so load the arch and number again */
    LABEL(p, L_SYSNR);
    LD(p, offsetof(struct seccomp_data, arch));
    for (int a = 0; a < IOTRACE_FILTER_ABIS; a++)
        if (iotrace_filter_abis[a].site_test)
            JEQ(p, iotrace_filter_abis[a].audit_arch, sysnr_label[a] = bpf_new_label(p), NEXT);
    RET(p, SECCOMP_RET_TRACE);
    for (int a = 0; a < IOTRACE_FILTER_ABIS; a++) {
        const struct iotrace_filter_abi *abi = &iotrace_filter_abis[a];
        if (!abi->site_test)
            continue;
        LABEL(p, sysnr_label[a]);
        LD(p, offsetof(struct seccomp_data, nr));
        if (abi->nr_mask != ~0u)
            AND(p, abi->nr_mask);
        for (size_t i = 0; i < abi->length; i++)
            if (iotrace_sc_is_sys_recorded(abi->table[i].sc))
                JEQ(p, (uint32_t)abi->table[i].nr, L_SYS_ALLOW, NEXT);
        RET(p, SECCOMP_RET_TRACE);
    }
    LABEL(p, L_SYS_ALLOW);
    RET(p, SECCOMP_RET_ALLOW);
    /* the other sites, grouped by the high half of their address (the shim's and libc's share it, as a rule): one
     * test of the high half per group, then one JEQ per site, instead of four instructions per site (the kernel's
     * cost of installing the filter grows with its length) */
    LABEL(p, L_SITES);
    int site_allow = bpf_new_label(p);
    uint32_t highs[IOTRACE_SITE_GROUPS];
    int nhighs = 0;
    for (int i = 0; i < count; i++) {
        uint32_t high = (uint32_t)(sites[i] >> 32);
        int seen = 0;
        for (int k = 0; k < nhighs; k++)
            seen |= highs[k] == high;
        if (sites[i] & IOTRACE_PTRACE_SITE_SYS_ONLY || seen)
            continue;
        if (nhighs == IOTRACE_SITE_GROUPS)
            p->error = 1;
        else
            highs[nhighs++] = high;
    }
    for (int g = 0; g < nhighs; g++) {
        int members = 0;
        for (int i = 0; i < count; i++)
            members += !(sites[i] & IOTRACE_PTRACE_SITE_SYS_ONLY) && (uint32_t)(sites[i] >> 32) == highs[g];
        LD(p, IP_HIGH);
        JEQ(p, highs[g], NEXT, SKIP(1 + members));
        LD(p, IP_LOW);
        for (int i = 0; i < count; i++)
            if (!(sites[i] & IOTRACE_PTRACE_SITE_SYS_ONLY) && (uint32_t)(sites[i] >> 32) == highs[g])
                JEQ(p, (uint32_t)sites[i], site_allow, NEXT);
    }
    RET(p, SECCOMP_RET_TRACE);
    LABEL(p, site_allow);
    RET(p, SECCOMP_RET_ALLOW);
    return bpf_resolve_jumps(p);
}

/* the shim's filter (IOTRACE_PTRACE=on): handle calls from anywhere but `sites` */
static inline int iotrace_build_filter(struct bpf_prog *p, const uint64_t *sites, int count)
{
    return iotrace_build_filter_of(p, sites, count, 0);
}

/* iotrace-ptrace --own-rings (iotrace run --ptrace-only): no shim, no sites; handle and data calls all stop */
static inline int iotrace_build_own_rings_filter(struct bpf_prog *p)
{
    return iotrace_build_filter_of(p, NULL, 0, 1);
}
#undef LD
#undef AND
#undef RET
#undef JA
#undef JEQ
#undef JSET
#undef LABEL
#undef ARG_LOW
#undef IP_LOW
#undef IP_HIGH

#endif /* IOTRACE_FILTER_H */
