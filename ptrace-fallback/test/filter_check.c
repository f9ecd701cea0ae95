/*
 * filter_check: checks every decision of the ptrace fallback's seccomp filter (include/iotrace_filter.h) on every
 * ABI it knows, whatever machine it runs on: `make -C ptrace-fallback check` (part of every build).
 *
 * The program iotrace_build_filter makes (with made-up allowed sites) runs through a classic-BPF interpreter of
 * the seccomp subset (below) for synthetic struct seccomp_data of x86_64 (with and without the x32 bit), i386 and
 * aarch64: every number of each ABI's generated table (iotrace_syscalls.gen.h) with the argument values that
 * matter (mmap with and without MAP_ANONYMOUS, fcntl F_DUPFD* against other commands, close of the registration
 * descriptor) from every kind of instruction pointer (an allowed site, libc syscall()'s site, elsewhere, a site's
 * low or high word alone), every other number up to 1100, and an unknown arch. The expected action comes from this
 * file's own rules on the calls' names, written from the design (docs/ARCHITECTURE.md, iotrace_filter.h's comments)
 * and not from the filter's code; a few numbers are checked against known facts to catch a wrong table. The data
 * calls of the table (reads, writes, metadata: the shim reports them) must pass the shim's filter, and stop in the
 * program of iotrace run --ptrace-only (iotrace_build_own_rings_filter), like every handle call there.
 * The site scanner (iotrace_scan_sites) is checked on synthetic x86_64 and aarch64 code.
 * On x86_64 the same filter, with this file's own syscall instructions as sites, is also loaded into the kernel in a
 * child (a SECCOMP_RET_TRACE call without a tracer fails with ENOSYS): the kernel must agree with the interpreter.
 *
 * Output: one line per wrong decision and a count; exit status 1 if any.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "iotrace_filter.h"

static int checked, wrong;
static int executed; /* instructions the last bpf_run executed */
/* with no allowed sites: every kind of pointer is "elsewhere" */
static int no_sites;
/* the program iotrace run --ptrace-only installs (no sites, no shim): the data calls stop too */
static int own_rings;

static void fail(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    fputs("filter_check: ", stderr);
    vfprintf(stderr, format, ap);
    fputc('\n', stderr);
    va_end(ap);
    wrong++;
}

/* ---- a classic-BPF interpreter for seccomp programs (the instructions the kernel accepts in a filter) ---- */

#define BAD_PROGRAM 0xdeadbeefu /* no seccomp action has this value */

/* The action of prog for d, or BAD_PROGRAM (with a line saying why) where the kernel would refuse the program or
 * the run would fault: a load outside seccomp_data or unaligned, a jump out of the program, division by zero. */
static uint32_t bpf_run(const struct sock_filter *prog, int n, const struct seccomp_data *d, const char **why)
{
    uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};
    unsigned char data[sizeof *d];
    memcpy(data, d, sizeof data);
    *why = NULL;
    executed = 0;
    for (int pc = 0; pc < n; pc++) {
        const struct sock_filter *f = &prog[pc];
        executed++;
        uint32_t k = f->k;
        uint32_t src = BPF_SRC(f->code) == BPF_X ? x : k;
        switch (BPF_CLASS(f->code)) {
        case BPF_LD:
        case BPF_LDX: {
            uint32_t value;
            if (BPF_MODE(f->code) == BPF_ABS && BPF_SIZE(f->code) == BPF_W && BPF_CLASS(f->code) == BPF_LD) {
                if (k % 4 != 0 || k + 4 > sizeof data) {
                    *why = "load outside struct seccomp_data or unaligned";
                    return BAD_PROGRAM;
                }
                memcpy(&value, data + k, 4);
            } else if (BPF_MODE(f->code) == BPF_LEN && BPF_SIZE(f->code) == BPF_W) {
                value = sizeof data;
            } else if (BPF_MODE(f->code) == BPF_IMM) {
                value = k;
            } else if (BPF_MODE(f->code) == BPF_MEM && k < BPF_MEMWORDS) {
                value = mem[k];
            } else {
                *why = "load not allowed in a seccomp filter";
                return BAD_PROGRAM;
            }
            if (BPF_CLASS(f->code) == BPF_LD)
                a = value;
            else
                x = value;
            break;
        }
        case BPF_ST:
        case BPF_STX:
            if (k >= BPF_MEMWORDS) {
                *why = "store beyond the scratch memory";
                return BAD_PROGRAM;
            }
            mem[k] = BPF_CLASS(f->code) == BPF_ST ? a : x;
            break;
        case BPF_ALU:
            switch (BPF_OP(f->code)) {
            case BPF_ADD: a += src; break;
            case BPF_SUB: a -= src; break;
            case BPF_MUL: a *= src; break;
            case BPF_AND: a &= src; break;
            case BPF_OR: a |= src; break;
            case BPF_XOR: a ^= src; break;
            case BPF_LSH: a = src < 32 ? a << src : 0; break;
            case BPF_RSH: a = src < 32 ? a >> src : 0; break;
            case BPF_NEG: a = -a; break;
            case BPF_DIV:
            case BPF_MOD:
                if (src == 0) {
                    *why = "division by zero";
                    return BAD_PROGRAM;
                }
                a = BPF_OP(f->code) == BPF_DIV ? a / src : a % src;
                break;
            default:
                *why = "unknown ALU operation";
                return BAD_PROGRAM;
            }
            break;
        case BPF_JMP: {
            int taken;
            if (BPF_OP(f->code) == BPF_JA) {
                if (k >= (uint32_t)(n - pc - 1)) {
                    *why = "jump beyond the end";
                    return BAD_PROGRAM;
                }
                pc += (int)k;
                break;
            }
            switch (BPF_OP(f->code)) {
            case BPF_JEQ: taken = a == src; break;
            case BPF_JGT: taken = a > src; break;
            case BPF_JGE: taken = a >= src; break;
            case BPF_JSET: taken = (a & src) != 0; break;
            default:
                *why = "unknown jump";
                return BAD_PROGRAM;
            }
            int offset = taken ? f->jt : f->jf;
            if (pc + 1 + offset >= n) {
                *why = "conditional jump beyond the end";
                return BAD_PROGRAM;
            }
            pc += offset;
            break;
        }
        case BPF_RET:
            return BPF_RVAL(f->code) == BPF_A ? a : BPF_RVAL(f->code) == BPF_K ? k : (*why = "bad return", BAD_PROGRAM);
        case BPF_MISC:
            if (BPF_MISCOP(f->code) == BPF_TAX)
                x = a;
            else
                a = x;
            break;
        }
    }
    *why = "ran off the end of the program";
    return BAD_PROGRAM;
}

/* ---- the expected decisions: this file's own reading of the design ---- */

#define TRACE SECCOMP_RET_TRACE
#define ALLOW SECCOMP_RET_ALLOW

/* the handle-creating and -destroying calls the fallback stops (README: "ptrace fallback") */
static const char *const handle_calls[] = {
    "open", "openat", "openat2", "creat", "close", "close_range", "dup", "dup2", "dup3", "fcntl", "fcntl64", "mmap",
    "mmap2", "mremap", "socket", "accept", "accept4", "pipe", "pipe2", "eventfd", "eventfd2", "memfd_create",
};
/* the reads, writes, seeks, syncs, truncations, unmaps, directory changes and metadata calls the shim reports
 * itself (README: "ptrace fallback", --ptrace-only): only where no shim runs do they stop */
static const char *const data_calls[] = {
    "read", "write", "pread64", "pwrite64", "readv", "writev", "preadv", "pwritev", "preadv2", "pwritev2", "lseek",
    "_llseek", "fsync", "fdatasync", "ftruncate", "ftruncate64", "fallocate", "sendfile", "sendfile64",
    "copy_file_range", "splice", "truncate", "truncate64", "readahead", "syncfs", "sync_file_range", "flock",
    "chdir", "fchdir", "munmap", "msync", "fstat", "fstat64", "newfstatat", "fstatat64", "statx", "getdents64",
    "unlink", "unlinkat", "rename", "renameat", "renameat2", "mkdir", "mkdirat", "rmdir",
};
/* the calls the shim's syscall() wrapper records as rows (functions.tbl rows with the flag `sys` and a handle
 * effect): from libc syscall()'s instruction only these pass */
static const char *const syscall_rows[] = {
    "open", "openat", "openat2", "creat", "close", "dup", "dup2", "dup3", "fcntl", "mmap", "memfd_create",
};

static int listed(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return 1;
    return 0;
}
#define LISTED(name, list) listed(name, list, sizeof list / sizeof list[0])

/* where the call is made from */
enum ip_kind { IP_SITE, IP_SYSCALL_SITE, IP_ELSEWHERE, IP_SITE_LOW_WORD, IP_SITE_HIGH_WORD, IP_KINDS };
static const char *const ip_names[IP_KINDS] = {
    "an allowed site", "libc syscall()'s site", "elsewhere", "a site's low word only", "a site's high word only",
};

/* made-up sites, two of each kind (a filter that checks only the first would fail the second) */
static const uint64_t sites[] = {
    0x00007f5a00001002ull, 0x00007f5a00201f44ull,
    0x00007f5a0003bd19ull | IOTRACE_PTRACE_SITE_SYS_ONLY, 0x00007f6100000010ull | IOTRACE_PTRACE_SITE_SYS_ONLY,
};
#define NSITES ((int)(sizeof sites / sizeof sites[0]))

static uint64_t ip_of(int kind, int which)
{
    uint64_t site = sites[which] & ~IOTRACE_PTRACE_SITE_SYS_ONLY, syscall_site = sites[2 + which] & ~IOTRACE_PTRACE_SITE_SYS_ONLY;
    switch (kind) {
    case IP_SITE: return site;
    case IP_SYSCALL_SITE: return syscall_site;
    case IP_SITE_LOW_WORD: return site + (1ull << 32);
    case IP_SITE_HIGH_WORD: return site + 0x40;
    default: return 0x00005600001000a0ull + 0x1000ull * (uint64_t)which;
    }
}

struct abi {
    const char *name;
    uint32_t arch;
    const struct iotrace_sc_number *table;
    size_t length;
    int wrappers; /* the shim's wrappers run in this ABI: its sites are allowed */
};
static const struct abi abis[] = {
    {"x86_64", 0xc000003e, iotrace_sc_x86_64, IOTRACE_SC_TABLE_LENGTH(iotrace_sc_x86_64), 1},
    {"i386", 0x40000003, iotrace_sc_i386, IOTRACE_SC_TABLE_LENGTH(iotrace_sc_i386), 0},
    {"aarch64", 0xc00000b7, iotrace_sc_aarch64, IOTRACE_SC_TABLE_LENGTH(iotrace_sc_aarch64), 1},
};
#define I386_OLD_MMAP 90 /* asm/unistd_32.h __NR_mmap: its arguments are in memory, every call stops */

static uint32_t expected(const struct abi *abi, const char *name, const uint64_t *args, int ip)
{
    if (LISTED(name, data_calls))
        return own_rings ? TRACE : ALLOW;
    if (!LISTED(name, handle_calls))
        return ALLOW;
    if ((strcmp(name, "mmap") == 0 || strcmp(name, "mmap2") == 0) && (args[3] & MAP_ANONYMOUS))
        return ALLOW; /* flags: the 4th argument of mmap and mmap2 on every ABI */
    if ((strcmp(name, "fcntl") == 0 || strcmp(name, "fcntl64") == 0) && (uint32_t)args[1] != F_DUPFD &&
        (uint32_t)args[1] != F_DUPFD_CLOEXEC)
        return ALLOW; /* the command: the 2nd argument */
    if (!abi->wrappers)
        return TRACE;
    if (no_sites)
        ip = IP_ELSEWHERE;
    if (strcmp(name, "close") == 0 && (uint32_t)args[0] == IOTRACE_PTRACE_REGISTER_FD)
        return TRACE; /* an exec'd image's shim registering its sites: stops wherever it comes from */
    if (ip == IP_SITE)
        return ALLOW;
    if (ip == IP_SYSCALL_SITE && LISTED(name, syscall_rows))
        return ALLOW;
    return TRACE;
}

static const char *action_name(uint32_t action)
{
    return action == TRACE ? "TRACE" : action == ALLOW ? "ALLOW" : action == BAD_PROGRAM ? "no action" : "?";
}

static void check(const struct bpf_prog *prog, const struct abi *abi, uint32_t nr, const char *name,
                  const uint64_t *args, int ip, int which, uint32_t want, const char *variant)
{
    struct seccomp_data d = {.nr = (int)nr, .arch = abi->arch, .instruction_pointer = ip_of(ip, which)};
    memcpy(d.args, args, sizeof d.args);
    const char *why;
    uint32_t got = bpf_run(prog->insn, prog->n, &d, &why);
    checked++;
    if (got != want)
        fail("%s %s (%" PRIu32 "%s) args %#" PRIx64 " %#" PRIx64 " %#" PRIx64 " %#" PRIx64 " from %s (ip %#" PRIx64
             "): %s expected, %s returned%s%s",
             abi->name, name, nr & ~(uint32_t)__X32_SYSCALL_BIT, variant, args[0], args[1], args[2], args[3],
             ip_names[ip], (uint64_t)d.instruction_pointer, action_name(want), action_name(got), why ? ": " : "",
             why ? why : "");
}

/* the argument values worth trying for a call: the ones its rule looks at, and noise elsewhere */
static int argument_sets(const char *name, uint64_t sets[][6])
{
    static const uint64_t noise = 0xa5a5a5a5a5a5a5a5ull;
    int n = 0;
    if (strcmp(name, "mmap") == 0 || strcmp(name, "mmap2") == 0) {
        const uint64_t flags[] = {MAP_PRIVATE, MAP_SHARED, MAP_PRIVATE | MAP_ANONYMOUS,
                                  MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, 0xffffffff00000000ull | MAP_PRIVATE,
                                  0xffffffff00000000ull | MAP_PRIVATE | MAP_ANONYMOUS};
        for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++, n++) {
            uint64_t set[6] = {0, 4096, PROT_READ, flags[i], 3, 0};
            memcpy(sets[n], set, sizeof set);
        }
    } else if (strcmp(name, "fcntl") == 0 || strcmp(name, "fcntl64") == 0) {
        const uint64_t cmds[] = {F_DUPFD, F_DUPFD_CLOEXEC, F_GETFL, F_SETFL, F_GETFD, F_SETFD, F_SETLK,
                                 0xffffffff00000000ull | F_GETFL, 0xffffffff00000000ull | F_DUPFD};
        for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++, n++) {
            uint64_t set[6] = {3, cmds[i], 10, noise, noise, noise};
            memcpy(sets[n], set, sizeof set);
        }
    } else {
        uint64_t plain[6] = {3, 0, 0, 0, 0, 0}, noisy[6] = {noise, noise, noise, noise, noise, noise},
                 registration[6] = {IOTRACE_PTRACE_REGISTER_FD, 0x7ffd0000, 12, 0, 0, 0};
        memcpy(sets[n++], plain, sizeof plain);
        memcpy(sets[n++], noisy, sizeof noisy);
        memcpy(sets[n++], registration, sizeof registration);
    }
    return n;
}

static const char *name_of(const struct abi *abi, uint32_t nr)
{
    for (size_t i = 0; i < abi->length; i++)
        if ((uint32_t)abi->table[i].nr == nr)
            return iotrace_sc_info[abi->table[i].sc].name;
    return NULL;
}

/* the most instructions a call of each kind ran, per ABI (the filter's cost on every system call) */
static int longest_other[3], longest_handle[3];

static void check_abis(const struct bpf_prog *prog)
{
    for (size_t a = 0; a < sizeof abis / sizeof abis[0]; a++) {
        const struct abi *abi = &abis[a];
        for (size_t i = 0; i < abi->length; i++) {
            const char *name = iotrace_sc_info[abi->table[i].sc].name;
            int data = LISTED(name, data_calls);
            if (!LISTED(name, handle_calls) && !data)
                fail("%s table: %s is neither a handle call nor a data call this test knows", abi->name, name);
            uint64_t sets[16][6];
            int nsets = argument_sets(name, sets);
            for (int s = 0; s < nsets; s++)
                for (int ip = 0; ip < IP_KINDS; ip++)
                    for (int which = 0; which < 2; which++) {
                        uint32_t want = expected(abi, name, sets[s], ip);
                        uint32_t nr = (uint32_t)abi->table[i].nr;
                        check(prog, abi, nr, name, sets[s], ip, which, want, "");
                        int *longest = data && !own_rings ? &longest_other[a] : &longest_handle[a];
                        if (executed > *longest) /* a data call is an other call to the shim's filter */
                            *longest = executed;
                        if (strcmp(abi->name, "x86_64") == 0) /* x32: the same calls, the same numbers */
                            check(prog, abi, nr | __X32_SYSCALL_BIT, name, sets[s], ip, which, want, " x32");
                    }
        }
        /* every other number passes from anywhere, with any argument (i386's old mmap excepted: it stops) */
        for (uint32_t nr = 0; nr <= 1100; nr++) {
            if (name_of(abi, nr) != NULL)
                continue;
            int old_mmap = strcmp(abi->name, "i386") == 0 && nr == I386_OLD_MMAP;
            uint64_t args[6] = {3, MAP_PRIVATE, F_DUPFD, MAP_PRIVATE, 3, 0};
            for (int ip = 0; ip < IP_KINDS; ip++) {
                check(prog, abi, nr, old_mmap ? "old_mmap" : "(not a handle call)", args, ip, 0,
                      old_mmap ? TRACE : ALLOW, "");
                if (!old_mmap && executed > longest_other[a])
                    longest_other[a] = executed;
                if (strcmp(abi->name, "x86_64") == 0)
                    check(prog, abi, nr | __X32_SYSCALL_BIT, "(not a handle call)", args, ip, 0, ALLOW, " x32");
            }
        }
    }
    /* an arch the filter does not know (AArch32 compat, or a made-up one): nothing stops */
    static const struct abi unknown[] = {{"arm", 0x40000028, iotrace_sc_aarch64, 0, 0}, {"0", 0, NULL, 0, 0}};
    for (size_t u = 0; u < 2; u++)
        for (uint32_t nr = 0; nr <= 1100; nr++) {
            uint64_t args[6] = {3, MAP_PRIVATE, F_DUPFD, MAP_PRIVATE, 3, 0};
            check(prog, &unknown[u], nr, "(unknown arch)", args, IP_ELSEWHERE, 0, ALLOW, "");
        }
}

/* numbers known from the kernel's headers: a table that lost or moved one fails here */
static void check_known_numbers(void)
{
    static const struct {
        const char *abi;
        int nr;
        const char *name;
    } known[] = {
        {"x86_64", 2, "open"},      {"x86_64", 3, "close"},       {"x86_64", 9, "mmap"},
        {"x86_64", 72, "fcntl"},    {"x86_64", 257, "openat"},    {"x86_64", 41, "socket"},
        {"i386", 5, "open"},        {"i386", 6, "close"},         {"i386", 192, "mmap2"},
        {"i386", 221, "fcntl64"},   {"i386", 295, "openat"},      {"aarch64", 56, "openat"},
        {"aarch64", 57, "close"},   {"aarch64", 23, "dup"},       {"aarch64", 24, "dup3"},
        {"aarch64", 25, "fcntl"},   {"aarch64", 222, "mmap"},     {"aarch64", 216, "mremap"},
        {"aarch64", 198, "socket"}, {"aarch64", 202, "accept"},   {"aarch64", 242, "accept4"},
        {"aarch64", 59, "pipe2"},   {"aarch64", 19, "eventfd2"},  {"aarch64", 279, "memfd_create"},
        {"aarch64", 437, "openat2"}, {"aarch64", 436, "close_range"},
        {"x86_64", 0, "read"},      {"x86_64", 1, "write"},       {"x86_64", 17, "pread64"},
        {"x86_64", 262, "newfstatat"}, {"i386", 140, "_llseek"},  {"i386", 180, "pread64"},
        {"i386", 197, "fstat64"},   {"aarch64", 63, "read"},      {"aarch64", 79, "newfstatat"},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        for (size_t a = 0; a < sizeof abis / sizeof abis[0]; a++) {
            if (strcmp(abis[a].name, known[i].abi) != 0)
                continue;
            const char *name = name_of(&abis[a], (uint32_t)known[i].nr);
            checked++;
            if (name == NULL || strcmp(name, known[i].name) != 0)
                fail("%s table: number %d is %s, not %s", known[i].abi, known[i].nr, name ? name : "missing",
                     known[i].name);
        }
}

/* ---- the site scanner on synthetic code ---- */

static void check_sites(const char *what, const uint64_t *got, int ngot, const uint64_t *want, int nwant)
{
    checked++;
    int same = ngot == nwant;
    for (int i = 0; same && i < ngot; i++)
        same = got[i] == want[i];
    if (same)
        return;
    char text[512];
    int off = 0;
    for (int i = 0; i < ngot && off < (int)sizeof text - 24; i++)
        off += snprintf(text + off, sizeof text - (size_t)off, " %#" PRIx64, got[i]);
    fail("site scan, %s: %d sites found (%s ), %d expected", what, ngot, off ? text : "", nwant);
}

static void check_scanner(void)
{
    /* x86_64: 0f 05 at any byte; a 0f at the end with nothing after it is not one */
    const unsigned char x86[] = {0x55, 0x48, 0x89, 0x0f, 0x05, 0xc3, 0x90, 0xb8, 0x0f, 0x05, 0x0f, 0x05, 0x0f};
    const uint64_t base = 0x7f0000400000ull;
    uint64_t got[8];
    int n = iotrace_scan_sites(IOTRACE_ISA_X86_64, x86, sizeof x86, base, 0, got, 0, 8);
    const uint64_t want_x86[] = {base + 5, base + 10, base + 12};
    check_sites("x86_64", got, n, want_x86, 3);
    /* scanning the same function twice adds nothing; a tag is or-ed in; max is respected */
    n = iotrace_scan_sites(IOTRACE_ISA_X86_64, x86, sizeof x86, base, 0, got, n, 8);
    check_sites("x86_64 twice", got, n, want_x86, 3);
    n = iotrace_scan_sites(IOTRACE_ISA_X86_64, x86, sizeof x86, base, IOTRACE_PTRACE_SITE_SYS_ONLY, got, 0, 2);
    const uint64_t want_tagged[] = {(base + 5) | IOTRACE_PTRACE_SITE_SYS_ONLY, (base + 10) | IOTRACE_PTRACE_SITE_SYS_ONLY};
    check_sites("x86_64 tagged, at most 2", got, n, want_tagged, 2);

    /* aarch64: svc #0 = d4000001 (little-endian words) at aligned addresses only; svc #1 and hvc are not */
    const unsigned char arm[] = {
        0x1f, 0x20, 0x03, 0xd5, /* nop */
        0x01, 0x00, 0x00, 0xd4, /* svc #0 at +4 */
        0xe0, 0x03, 0x01, 0x00, /* the bytes of svc #0 across a word boundary (+10..+13): not an instruction */
        0x00, 0xd4, 0x1f, 0x20,
        0x21, 0x00, 0x00, 0xd4, /* svc #1 */
        0x02, 0x00, 0x00, 0xd4, /* hvc #0 */
        0x01, 0x00, 0x00, 0xd4, /* svc #0 at +24 */
        0xc0, 0x03, 0x5f, 0xd6, /* ret */
    };
    n = iotrace_scan_sites(IOTRACE_ISA_AARCH64, arm, sizeof arm, base, 0, got, 0, 8);
    const uint64_t want_arm[] = {base + 8, base + 28};
    check_sites("aarch64", got, n, want_arm, 2);
    /* a function whose address is not 4-aligned cannot be aarch64 code, but the scanner must still only look at
     * aligned words: started 2 bytes in, the first aligned word is arm[2..5], which is no svc */
    n = iotrace_scan_sites(IOTRACE_ISA_AARCH64, arm + 2, sizeof arm - 2, base + 2, 0, got, 0, 8);
    check_sites("aarch64 from an unaligned start", got, n, want_arm, 2);
}

/* ---- the kernel agrees (x86_64: this file's own syscall instructions as sites) ---- */

#if defined(__x86_64__)
/* three copies of a raw 6-argument system call: fc_call_<x>(nr, a0..a5), returning -errno; the label after each
 * syscall instruction is its instruction pointer at the seccomp check */
#define RAW_CALL(x)                                                                                                \
    ".text\n.globl fc_call_" #x "\n.type fc_call_" #x ",@function\nfc_call_" #x ":\n"                              \
    "mov %rdi,%rax\nmov %rsi,%rdi\nmov %rdx,%rsi\nmov %rcx,%rdx\nmov %r8,%r10\nmov %r9,%r8\nmov 8(%rsp),%r9\n"   \
    "syscall\n.globl fc_ip_" #x "\nfc_ip_" #x ":\nret\n"
__asm__(RAW_CALL(site) RAW_CALL(syscall_site) RAW_CALL(elsewhere));
long fc_call_site(long nr, long a0, long a1, long a2, long a3, long a4, long a5);
long fc_call_syscall_site(long nr, long a0, long a1, long a2, long a3, long a4, long a5);
long fc_call_elsewhere(long nr, long a0, long a1, long a2, long a3, long a4, long a5);
extern const char fc_ip_site[], fc_ip_syscall_site[], fc_ip_elsewhere[];

typedef long (*raw_call)(long, long, long, long, long, long, long);
static const struct {
    raw_call call;
    const char *ip;
    int kind;
} callers[] = {
    {fc_call_site, fc_ip_site, IP_SITE},
    {fc_call_syscall_site, fc_ip_syscall_site, IP_SYSCALL_SITE},
    {fc_call_elsewhere, fc_ip_elsewhere, IP_ELSEWHERE},
};

/* in the filtered child: one call from each caller, the kernel's answer against the interpreter's and ours */
static int kernel_call(const struct bpf_prog *prog, const char *name, long nr, long a0, long a1, long a2, long a3,
                       long a4, long a5)
{
    int disagreements = 0;
    for (size_t c = 0; c < sizeof callers / sizeof callers[0]; c++) {
        uint64_t args[6] = {(uint64_t)a0, (uint64_t)a1, (uint64_t)a2, (uint64_t)a3, (uint64_t)a4, (uint64_t)a5};
        struct seccomp_data d = {.nr = (int)nr, .arch = AUDIT_ARCH_X86_64,
                                 .instruction_pointer = (uint64_t)(uintptr_t)callers[c].ip};
        memcpy(d.args, args, sizeof args);
        const char *why;
        uint32_t interpreted = bpf_run(prog->insn, prog->n, &d, &why);
        uint32_t want = expected(&abis[0], name, args, callers[c].kind);
        long result = callers[c].call(nr, a0, a1, a2, a3, a4, a5);
        uint32_t kernel = result == -ENOSYS ? TRACE : ALLOW;
        if (kernel == ALLOW && result >= 0 && strcmp(name, "close") != 0 &&
            (strcmp(name, "openat") == 0 || strcmp(name, "socket") == 0 || strcmp(name, "dup") == 0 ||
             (strcmp(name, "fcntl") == 0 && a1 == F_DUPFD)))
            fc_call_site(SYS_close, result, 0, 0, 0, 0, 0); /* a descriptor made: give it back */
        if (kernel != interpreted || kernel != want) {
            char line[256];
            int n = snprintf(line, sizeof line,
                             "filter_check: kernel: %s(%#lx, %#lx, ...) from %s = %ld: kernel %s, interpreter %s, "
                             "expected %s\n",
                             name, a0, a1, ip_names[callers[c].kind], result, action_name(kernel),
                             action_name(interpreted), action_name(want));
            (void)!write(2, line, (size_t)n);
            disagreements++;
        }
    }
    return disagreements;
}

static void check_kernel(void)
{
    static struct bpf_prog prog;
    const uint64_t kernel_sites[] = {(uint64_t)(uintptr_t)fc_ip_site,
                                     (uint64_t)(uintptr_t)fc_ip_syscall_site | IOTRACE_PTRACE_SITE_SYS_ONLY};
    if (iotrace_build_filter(&prog, kernel_sites, 2) != 0) {
        fail("kernel: the filter for 2 sites could not be built");
        return;
    }
    fflush(NULL);
    pid_t child = fork();
    if (child < 0) {
        fail("kernel: fork: %s", strerror(errno));
        return;
    }
    if (child == 0) {
        struct sock_fprog fprog = {(unsigned short)prog.n, prog.insn};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
            syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0)
            _exit(200);
        /* descriptors to work on, made from the allowed site */
        long null_fd = fc_call_site(SYS_openat, AT_FDCWD, (long)"/dev/null", O_RDONLY, 0, 0, 0);
        long zero_fd = fc_call_site(SYS_openat, AT_FDCWD, (long)"/dev/zero", O_RDONLY, 0, 0, 0);
        if (null_fd < 0 || zero_fd < 0)
            _exit(201);
        int bad = 0;
        bad += kernel_call(&prog, "openat", SYS_openat, AT_FDCWD, (long)"/dev/null", O_RDONLY, 0, 0, 0);
        bad += kernel_call(&prog, "socket", SYS_socket, AF_UNIX, SOCK_STREAM, 0, 0, 0, 0);
        bad += kernel_call(&prog, "dup", SYS_dup, null_fd, 0, 0, 0, 0, 0);
        bad += kernel_call(&prog, "fcntl", SYS_fcntl, null_fd, F_GETFL, 0, 0, 0, 0);
        bad += kernel_call(&prog, "fcntl", SYS_fcntl, null_fd, F_DUPFD, 10, 0, 0, 0);
        bad += kernel_call(&prog, "mmap", SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        bad += kernel_call(&prog, "mmap", SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE, zero_fd, 0);
        bad += kernel_call(&prog, "close", SYS_close, IOTRACE_PTRACE_REGISTER_FD, 0, 0, 0, 0, 0);
        bad += kernel_call(&prog, "close", SYS_close, 999, 0, 0, 0, 0, 0); /* EBADF when it runs */
        bad += kernel_call(&prog, "getpid", SYS_getpid, 0, 0, 0, 0, 0, 0);
        bad += kernel_call(&prog, "write", SYS_write, 999, 0, 0, 0, 0, 0); /* a data call: the shim's (EBADF) */
        _exit(bad > 100 ? 100 : bad);
    }
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    checked += 30;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 200) {
        printf("filter_check: kernel comparison skipped: seccomp filters are not permitted here\n");
        return;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) == 201)
        fail("kernel: the filtered child failed (status %#x)", status);
    else
        wrong += WEXITSTATUS(status);
}
#endif

int main(void)
{
    static struct bpf_prog prog;
    if (iotrace_build_filter(&prog, sites, NSITES) != 0) {
        fail("iotrace_build_filter failed for %d sites (%d instructions)", NSITES, prog.n);
        return 1;
    }
    check_known_numbers();
    check_abis(&prog);
    int instructions = prog.n;
    char cost[256];
    int off = 0;
    for (size_t a = 0; a < sizeof abis / sizeof abis[0]; a++)
        off += snprintf(cost + off, sizeof cost - (size_t)off, "%s%s %d/%d", a ? ", " : "", abis[a].name,
                        longest_other[a], longest_handle[a]);
    /* the shim's program with no sites: every handle call stops, the data calls pass */
    no_sites = 1;
    if (iotrace_build_filter(&prog, NULL, 0) != 0)
        fail("iotrace_build_filter failed with no sites (%d instructions)", prog.n);
    else
        check_abis(&prog);
    /* the program of iotrace run --ptrace-only: every handle and data call stops */
    own_rings = 1;
    if (iotrace_build_own_rings_filter(&prog) != 0)
        fail("iotrace_build_own_rings_filter failed (%d instructions)", prog.n);
    else
        check_abis(&prog);
    own_rings = 0;
    no_sites = 0;
    check_scanner();
    /* the most sites the shim collects (MAX_SITES in ptrace_fallback.c) must still make a valid program */
    uint64_t many[64];
    for (int i = 0; i < 64; i++)
        many[i] = (0x7f0000000000ull + 0x10ull * (uint64_t)i) | (i % 16 == 0 ? IOTRACE_PTRACE_SITE_SYS_ONLY : 0);
    static struct bpf_prog big;
    checked++;
    if (iotrace_build_filter(&big, many, 64) != 0)
        fail("iotrace_build_filter failed for 64 sites (%d instructions)", big.n);
#if defined(__x86_64__)
    check_kernel();
#endif
    printf("filter_check: %d decisions checked, %d wrong; %d instructions for %d sites, at most run per call "
           "(other call/handle call): %s\n",
           checked, wrong, instructions, NSITES, cost);
    return wrong ? 1 : 0;
}
