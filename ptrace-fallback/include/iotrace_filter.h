/*
 * The seccomp filter of the ptrace fallback, shared by the shim (which installs it in the first traced process
 * once the tracer has seized it) and the tracer (which installs it in the program it starts with --own-rings,
 * iotrace run --ptrace-only). Header-only: both are small C programs with no common library.
 *
 * It returns SECCOMP_RET_TRACE (a stop for the tracer) for the handle calls of iotrace_syscalls.gen.h unless the
 * instruction pointer is one of `sites` (the shim's and the wrapped libc functions' syscall instructions: calls
 * the shim reports itself never stop), and SECCOMP_RET_ALLOW for everything else.
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

/* ---- the seccomp filter: a tiny assembler with labels (classic BPF jumps reach 255 instructions) ---- */

enum label { L_ALLOW, L_TRACE, L_X64, L_I386, L_X64_MMAP, L_X64_FCNTL, L_X64_CLOSE, L_I386_MMAP, L_I386_FCNTL,
             L_IPCHK, L_SYSNR, L_SITES, L_SYS_ALLOW, LABELS };
/* a jump target is a label, or SKIP(k): over the next k instructions (NEXT: none) */
#define SKIP(k) (-1 - (k))
#define NEXT SKIP(0)
#define MAX_FILTER 1024
struct bpf_prog {
    struct sock_filter insn[MAX_FILTER];
    int n;
    int at[LABELS];
    signed char jt[MAX_FILTER], jf[MAX_FILTER]; /* label of each jump, NEXT for the next instruction */
    int error;
};

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
#define RET(p, action) bpf_emit(p, BPF_RET | BPF_K, action, NEXT, NEXT)
#define JEQ(p, k, jt, jf) bpf_emit(p, BPF_JMP | BPF_JEQ | BPF_K, k, jt, jf)
#define JSET(p, k, jt, jf) bpf_emit(p, BPF_JMP | BPF_JSET | BPF_K, k, jt, jf)
#define LABEL(p, l) ((p)->at[l] = (p)->n)
#define ARG_LOW(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define IP_LOW offsetof(struct seccomp_data, instruction_pointer)

static inline int bpf_resolve_jumps(struct bpf_prog *p)
{
    for (int i = 0; i < p->n && !p->error; i++) {
        if (BPF_CLASS(p->insn[i].code) != BPF_JMP)
            continue;
        int t = p->jt[i] < 0 ? i + 1 + (-1 - p->jt[i]) : p->at[(int)p->jt[i]];
        int f = p->jf[i] < 0 ? i + 1 + (-1 - p->jf[i]) : p->at[(int)p->jf[i]];
        if (BPF_OP(p->insn[i].code) == BPF_JA) {
            p->insn[i].k = (uint32_t)(t - i - 1);
            continue;
        }
        if (t - i - 1 < 0 || t - i - 1 > 255 || f - i - 1 < 0 || f - i - 1 > 255)
            p->error = 1;
        p->insn[i].jt = (uint8_t)(t - i - 1);
        p->insn[i].jf = (uint8_t)(f - i - 1);
    }
    return p->error ? -1 : 0;
}

/* the dispatch on the call number of one ABI: handle calls go to `trap`, mmap and fcntl to their argument tests */
static inline void bpf_dispatch(struct bpf_prog *p, const struct iotrace_sc_number *table, size_t length, int trap,
                     int mmap_label, int fcntl_label, int close_label)
{
    for (size_t i = 0; i < length; i++) {
        int sc = table[i].sc;
        if (sc == IOTRACE_SC_MMAP && table == iotrace_sc_i386)
            continue; /* old_mmap's arguments are in memory: it always traps below */
        int target = sc == IOTRACE_SC_MMAP || sc == IOTRACE_SC_MMAP2             ? mmap_label
                     : sc == IOTRACE_SC_FCNTL || sc == IOTRACE_SC_FCNTL64         ? fcntl_label
                     : sc == IOTRACE_SC_CLOSE && close_label != NEXT              ? close_label
                                                                                  : trap;
        JEQ(p, (uint32_t)table[i].nr, target, NEXT);
    }
}

/*
 * x86_64 and x32 (the x32 bit masked off: the numbers of these calls are the same): handle calls from an
 * instruction that is not an allowed site stop (SECCOMP_RET_TRACE); mmap only of a file, fcntl only F_DUPFD*.
 * i386 (int 0x80 in a 64-bit process: no wrapper ever makes one): every handle call stops.
 * close(IOTRACE_PTRACE_REGISTER_FD, ...) always stops: an exec'd image's shim registers its sites that way.
 */
static inline int iotrace_build_filter(struct bpf_prog *p, const uint64_t *sites, int count)
{
    memset(p, 0, sizeof *p);
    LD(p, offsetof(struct seccomp_data, arch));
    JEQ(p, AUDIT_ARCH_X86_64, L_X64, NEXT);
    JEQ(p, AUDIT_ARCH_I386, L_I386, L_ALLOW);

    LABEL(p, L_I386);
    LD(p, offsetof(struct seccomp_data, nr));
    JEQ(p, 90 /* old_mmap */, L_TRACE, NEXT);
    bpf_dispatch(p, iotrace_sc_i386, IOTRACE_SC_TABLE_LENGTH(iotrace_sc_i386), L_TRACE, L_I386_MMAP, L_I386_FCNTL, NEXT);
    RET(p, SECCOMP_RET_ALLOW);
    LABEL(p, L_I386_MMAP);
    LD(p, ARG_LOW(3));
    JSET(p, MAP_ANONYMOUS, L_ALLOW, L_TRACE);
    LABEL(p, L_I386_FCNTL);
    LD(p, ARG_LOW(1));
    JEQ(p, F_DUPFD, L_TRACE, NEXT);
    JEQ(p, F_DUPFD_CLOEXEC, L_TRACE, L_ALLOW);

    LABEL(p, L_X64);
    LD(p, offsetof(struct seccomp_data, nr));
    bpf_emit(p, BPF_ALU | BPF_AND | BPF_K, ~(uint32_t)__X32_SYSCALL_BIT, NEXT, NEXT);
    bpf_dispatch(p, iotrace_sc_x86_64, IOTRACE_SC_TABLE_LENGTH(iotrace_sc_x86_64), L_IPCHK, L_X64_MMAP, L_X64_FCNTL,
             L_X64_CLOSE);
    RET(p, SECCOMP_RET_ALLOW);
    LABEL(p, L_X64_MMAP);
    LD(p, ARG_LOW(3));
    JSET(p, MAP_ANONYMOUS, L_ALLOW, L_IPCHK);
    LABEL(p, L_X64_FCNTL);
    LD(p, ARG_LOW(1));
    JEQ(p, F_DUPFD, L_IPCHK, NEXT);
    JEQ(p, F_DUPFD_CLOEXEC, L_IPCHK, L_ALLOW);
    LABEL(p, L_X64_CLOSE);
    LD(p, ARG_LOW(0));
    JEQ(p, IOTRACE_PTRACE_REGISTER_FD, L_TRACE, L_IPCHK);
    LABEL(p, L_ALLOW);
    RET(p, SECCOMP_RET_ALLOW);
    LABEL(p, L_TRACE);
    RET(p, SECCOMP_RET_TRACE);

    /* libc syscall()'s sites first (then the number decides), then the sites allowed for every handle call */
    LABEL(p, L_IPCHK);
    for (int i = 0; i < count; i++) {
        if (!(sites[i] & IOTRACE_PTRACE_SITE_SYS_ONLY))
            continue;
        uint64_t ip = sites[i] & ~IOTRACE_PTRACE_SITE_SYS_ONLY;
        LD(p, IP_LOW);
        JEQ(p, (uint32_t)ip, NEXT, L_SITES);
        LD(p, IP_LOW + 4);
        JEQ(p, (uint32_t)(ip >> 32), L_SYSNR, L_SITES);
    }
    bpf_emit(p, BPF_JMP | BPF_JA, 0, L_SITES, L_SITES);
    LABEL(p, L_SYSNR);
    for (size_t i = 0; i < IOTRACE_SC_TABLE_LENGTH(iotrace_sc_x86_64); i++)
        if (iotrace_sc_is_sys_recorded(iotrace_sc_x86_64[i].sc))
            JEQ(p, (uint32_t)iotrace_sc_x86_64[i].nr, L_SYS_ALLOW, NEXT);
    RET(p, SECCOMP_RET_TRACE);
    LABEL(p, L_SYS_ALLOW);
    RET(p, SECCOMP_RET_ALLOW);
    LABEL(p, L_SITES);
    for (int i = 0; i < count; i++) {
        if (sites[i] & IOTRACE_PTRACE_SITE_SYS_ONLY)
            continue;
        LD(p, IP_LOW);
        JEQ(p, (uint32_t)sites[i], NEXT, SKIP(3));
        LD(p, IP_LOW + 4);
        JEQ(p, (uint32_t)(sites[i] >> 32), NEXT, SKIP(1));
        RET(p, SECCOMP_RET_ALLOW);
    }
    RET(p, SECCOMP_RET_TRACE);
    return bpf_resolve_jumps(p);
}
#undef LD
#undef RET
#undef JEQ
#undef JSET
#undef LABEL
#undef ARG_LOW
#undef IP_LOW

#endif /* IOTRACE_FILTER_H */
