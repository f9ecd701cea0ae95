/*
 * The ptrace fallback, shim side (IOTRACE_PTRACE=on; off by default).
 *
 * glibc opens, maps and closes files internally without calling an interposable symbol (opendir, nss, tz, locale:
 * __open64_nocancel & co.; ld.so maps libraries itself), and programs can issue raw syscall instructions; the shim
 * never sees those. The first traced process of a tree therefore asks the session's iotrace-ptrace to seize it (and
 * follow its threads and children) over R/ptrace.sock, or, when none can, starts one (beside this library; the
 * protocol: ptrace-fallback/src/service.c); once the tracer has answered "seized", this
 * file installs the seccomp filter of ptrace-fallback/include/iotrace_filter.h, which stops, for the tracer, only
 * handle-creating/destroying calls issued from an instruction that is neither the shim's own syscall site
 * (raw_syscall.c) nor a syscall instruction of the libc functions the shim wraps for those calls (libc syscall()'s
 * only for the numbers the shim records as rows). A call the shim reports therefore never stops; the tracer writes
 * the others into this process's ring with IOTRACE_STATUS_SOURCE_SYSCALL.
 *
 * SECCOMP_RET_TRACE makes a call fail with ENOSYS when no tracer is attached, hence the order: tracer first, filter
 * after; a killed tracer is succeeded by its heir (ptrace-fallback/src/heir.c, docs/ARCHITECTURE.md). An image exec'd inside the traced tree runs under the filter of the first image (filters cannot be
 * removed) and registers its own sites with the tracer instead (IOTRACE_PTRACE_REGISTER_FD). A process traced by
 * someone else (a debugger) starts nothing. If the tracer cannot seize us (ptrace not permitted), tracing continues
 * without it and one ptrace_unavailable meta event says why (the collector writes it as one warning).
 *
 * Precision limit: glibc functions the shim does not wrap that reach a wrapped function's code through an internal
 * alias (nscd's socket(), posix_openpt's open) execute an allowed instruction and are not stopped; a later stopped
 * call on such a descriptor names it from /proc (fd_discovered how 3).
 *
 * x86_64 and aarch64 (sites: the address after `syscall` / `svc #0`); aarch64's filter is checked by
 * ptrace-fallback/test/filter_check.c and this file compiled for it (check-aarch64), but not run on hardware here.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "collector.h"
#include "config.h"
#include "iotrace_runtime.h"
#include "iotrace_filter.h"
#include "ptrace_fallback.h"
#include "session.h"
#include "sys.h"
#include "util.h"

_Static_assert(IOTRACE_FN_PTRACE_UNAVAILABLE_SLOTS == 1 && IOTRACE_FN_PTRACE_UNAVAILABLE_STRINGS == 1,
               "ptrace_unavailable row changed: update emit_unavailable");

extern const char iotrace_raw_syscall_return[]; /* raw_syscall.c: the instruction after the shim's syscall */

/*
 * libc functions the shim wraps that make handle calls themselves: the syscall instructions in their bodies are
 * the ones the wrappers' real calls execute, so calls from there are the shim's (reported: never stopped).
 * libc's syscall() is separate (sys_sites): its instruction is allowed only for the numbers the shim's syscall
 * wrapper records as rows with a handle effect (functions.tbl flag `sys`); other numbers stop.
 */
static const int wrapped_sites[] = {
    IOTRACE_REAL_OPEN, IOTRACE_REAL_OPEN64, IOTRACE_REAL_OPENAT, IOTRACE_REAL_OPENAT64, IOTRACE_REAL___OPEN_2,
    IOTRACE_REAL___OPEN64_2, IOTRACE_REAL___OPENAT_2, IOTRACE_REAL___OPENAT64_2, IOTRACE_REAL_CREAT,
    IOTRACE_REAL_CREAT64, IOTRACE_REAL_CLOSE, IOTRACE_REAL_CLOSE_RANGE, IOTRACE_REAL_CLOSEFROM, IOTRACE_REAL_DUP,
    IOTRACE_REAL_DUP2, IOTRACE_REAL_DUP3, IOTRACE_REAL_MMAP, IOTRACE_REAL_MMAP64, IOTRACE_REAL_FCNTL,
    IOTRACE_REAL_FCNTL64, IOTRACE_REAL_MREMAP, IOTRACE_REAL_SOCKET, IOTRACE_REAL_ACCEPT, IOTRACE_REAL_ACCEPT4,
    IOTRACE_REAL_PIPE, IOTRACE_REAL_PIPE2, IOTRACE_REAL_EVENTFD, IOTRACE_REAL_MEMFD_CREATE,
};
#define MAX_SITES 64

/*
 * The size of a function: its dynamic symbol, found through the GNU hash table of the object it is in (what
 * dlsym does), since dladdr1 scans every symbol of the object for each call (about 8 us per function for libc: a
 * quarter of a millisecond for the list above, at every process start).
 */
struct dyn_object {
    uintptr_t base, lo, hi; /* load bias; the range of its PT_LOAD segments */
    uintptr_t text_lo, text_hi; /* its executable segment */
    const ElfW(Sym) *symtab;
    const char *strtab;
    const uint32_t *gnu_hash;
};

struct object_query {
    uintptr_t addr;
    struct dyn_object *out;
};

static int find_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct object_query *q = arg;
    uintptr_t lo = UINTPTR_MAX, hi = 0, text_lo = 0, text_hi = 0;
    const ElfW(Dyn) *dyn = NULL;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD) {
            lo = start < lo ? start : lo;
            hi = start + ph->p_memsz > hi ? start + ph->p_memsz : hi;
            if (ph->p_flags & PF_X)
                text_lo = start, text_hi = start + ph->p_filesz;
        } else if (ph->p_type == PT_DYNAMIC) {
            dyn = (const ElfW(Dyn) *)start;
        }
    }
    if (q->addr < lo || q->addr >= hi || dyn == NULL)
        return 0;
    *q->out = (struct dyn_object){info->dlpi_addr, lo, hi, text_lo, text_hi, NULL, NULL, NULL};
    for (; dyn->d_tag != DT_NULL; dyn++) {
        /* the loader has relocated these in place where the dynamic section is writable; not elsewhere */
        uintptr_t v = dyn->d_un.d_ptr < info->dlpi_addr ? info->dlpi_addr + dyn->d_un.d_ptr : dyn->d_un.d_ptr;
        if (dyn->d_tag == DT_SYMTAB)
            q->out->symtab = (const ElfW(Sym) *)v;
        else if (dyn->d_tag == DT_STRTAB)
            q->out->strtab = (const char *)v;
        else if (dyn->d_tag == DT_GNU_HASH)
            q->out->gnu_hash = (const uint32_t *)v;
    }
    return 1;
}

/* st_size of the symbol `name` whose address is fn; 0 when not found */
static size_t function_size(const void *fn, const char *name, struct dyn_object *obj)
{
    uintptr_t addr = (uintptr_t)fn;
    if (addr < obj->lo || addr >= obj->hi) {
        struct object_query q = {addr, obj};
        *obj = (struct dyn_object){0, 0, 0, 0, 0, NULL, NULL, NULL};
        dl_iterate_phdr(find_object, &q);
    }
    const uint32_t *h = obj->gnu_hash;
    if (h != NULL && obj->symtab != NULL && obj->strtab != NULL && h[0] != 0) {
        uint32_t nbuckets = h[0], symoffset = h[1], bloom_words = h[2];
        const uint32_t *buckets = (const uint32_t *)((const ElfW(Addr) *)(h + 4) + bloom_words);
        const uint32_t *chain = buckets + nbuckets;
        uint32_t hash = 5381;
        for (const unsigned char *c = (const unsigned char *)name; *c != '\0'; c++)
            hash = hash * 33 + *c;
        uint32_t i = buckets[hash % nbuckets];
        for (; i >= symoffset; i++) { /* the chain of the bucket; a set low bit ends it */
            uint32_t entry = chain[i - symoffset];
            const ElfW(Sym) *sym = &obj->symtab[i];
            if ((entry | 1) == (hash | 1) && obj->base + sym->st_value == addr &&
                strcmp(obj->strtab + sym->st_name, name) == 0)
                return sym->st_size;
            if (entry & 1)
                break;
        }
    }
    Dl_info info; /* no GNU hash table, or another name at that address: the slow way */
    const ElfW(Sym) *sym = NULL;
    return dladdr1(fn, &info, (void **)&sym, RTLD_DL_SYMENT) != 0 && sym != NULL ? sym->st_size : 0;
}

#define HELPER_SCAN 128 /* bytes of a called helper searched for the wrapper's system call */

/*
 * x86_64: the system calls of the function's body made again by a helper it calls: glibc's fcntl64 makes most
 * commands' call in the hidden __fcntl64_nocancel_adjusted, whose instruction would otherwise stop as a bypass and
 * be recorded twice (by the wrapper and by the tracer). A helper's instruction counts only as `mov $nr,%eax;
 * syscall` (b8 imm32 0f 05) with a number the function itself loads so, within HELPER_SCAN bytes of a direct
 * call's target inside the object's code.
 */
static int add_helper_sites(const unsigned char *code, size_t size, uint64_t tag, const struct dyn_object *obj,
                            uint64_t *sites, int count)
{
#if defined(__x86_64__)
    uint32_t numbers[8];
    int nnumbers = 0;
    for (size_t i = 0; i + 7 <= size && nnumbers < 8; i++)
        if (code[i] == 0xb8 && code[i + 5] == 0x0f && code[i + 6] == 0x05)
            memcpy(&numbers[nnumbers++], code + i + 1, 4);
    for (size_t i = 0; nnumbers > 0 && i + 5 <= size; i++) {
        if (code[i] != 0xe8) /* call rel32 */
            continue;
        int32_t rel;
        memcpy(&rel, code + i + 1, 4);
        uintptr_t target = (uintptr_t)(code + i + 5) + (intptr_t)rel;
        if (target < obj->text_lo || target + HELPER_SCAN + 7 > obj->text_hi ||
            (target >= (uintptr_t)code && target < (uintptr_t)code + size))
            continue;
        const unsigned char *helper = (const unsigned char *)target;
        for (size_t j = 0; j < HELPER_SCAN; j++) {
            uint32_t nr;
            if (helper[j] != 0xb8 || helper[j + 5] != 0x0f || helper[j + 6] != 0x05)
                continue;
            memcpy(&nr, helper + j + 1, 4);
            for (int k = 0; k < nnumbers; k++)
                if (numbers[k] == nr) /* the address after its syscall: iotrace_scan_sites's convention */
                    count = iotrace_scan_sites(IOTRACE_ISA_NATIVE, helper + j + 5, 2, target + j + 5, tag, sites,
                                               count, MAX_SITES);
        }
    }
#else
    (void)code, (void)size, (void)tag, (void)obj, (void)sites;
#endif
    return count;
}

/* Adds the address after every syscall instruction of the real function `index` (x86_64 `syscall`, aarch64
 * `svc #0`: iotrace_scan_sites), and of the helpers it makes them in, or-ed with tag; new count. */
static int add_sites(int index, uint64_t tag, struct dyn_object *obj, uint64_t *sites, int count)
{
    const unsigned char *code = iotrace_real_fns[index];
    size_t size = code != NULL ? function_size(code, iotrace_real_names[index], obj) : 0;
    count = iotrace_scan_sites(IOTRACE_ISA_NATIVE, code, size, (uint64_t)(uintptr_t)code, tag, sites, count,
                               MAX_SITES);
    return add_helper_sites(code, size, tag, obj, sites, count);
}

/* The allowed instruction pointers: the shim's own, the wrapped functions', then libc syscall()'s (tagged). */
static int collect_sites(uint64_t *sites)
{
    int count = 0;
    struct dyn_object obj = {0, 0, 0, 0, 0, NULL, NULL, NULL};
    sites[count++] = (uint64_t)(uintptr_t)iotrace_raw_syscall_return;
    for (size_t n = 0; n < sizeof wrapped_sites / sizeof wrapped_sites[0]; n++)
        count = add_sites(wrapped_sites[n], 0, &obj, sites, count);
    return add_sites(IOTRACE_REAL_SYSCALL, IOTRACE_PTRACE_SITE_SYS_ONLY, &obj, sites, count);
}

static struct bpf_prog filter_prog; /* static: 10 KiB is too much for the stack of a constructor */

/* 0, or the errno of the failing step */
static int install_filter(const uint64_t *sites, int count)
{
    if (iotrace_build_filter(&filter_prog, sites, count) != 0)
        return E2BIG;
    struct sock_fprog prog = {(unsigned short)filter_prog.n, filter_prog.insn};
    /* without CAP_SYS_ADMIN the kernel wants no_new_privs (later setuid execs then gain nothing; they are untraced
     * anyway: the loader ignores LD_PRELOAD for them) */
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) == 0)
        return 0;
    if (errno != EACCES || syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return errno;
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) == 0 ? 0 : errno;
}

static void emit_unavailable(const char *step, int error)
{
    uint64_t buf[(IOTRACE_RECORD_HEADER_LENGTH + IOTRACE_EVENT_ARGS + 8 + 2 + 64 + 7) / 8];
    struct iotrace_event ev;
    iotrace_ev_init(&ev, buf, sizeof buf, IOTRACE_FN_PTRACE_UNAVAILABLE_SLOTS);
    iotrace_ev_slot(&ev, 0, (uint64_t)(int64_t)error);
    iotrace_ev_str(&ev, step);
    int64_t now = iotrace_now_ns();
    iotrace_ev_publish(&ev, IOTRACE_FN_PTRACE_UNAVAILABLE, now, now, 0, 0, 0);
}

/* the value of a "Name:\tnumber" line of /proc/self/status; -1 if unreadable */
static long status_field(const char *name)
{
    char buf[4096];
    int fd = sys_open("/proc/self/status", O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    ssize_t n = sys_read(fd, buf, sizeof buf - 1);
    sys_close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char key[64];
    iotrace_fmt(key, sizeof key, "\n%s:", name);
    char *line = strstr(buf, key);
    if (line == NULL)
        return -1;
    line += strlen(key);
    while (*line == ' ' || *line == '\t')
        line++;
    long value = 0;
    while (*line >= '0' && *line <= '9')
        value = value * 10 + (*line++ - '0');
    return value;
}

/* 1 when pid is an iotrace-ptrace (its comm) */
static int is_our_tracer(long pid)
{
    char path[64], comm[32] = {0};
    iotrace_fmt(path, sizeof path, "/proc/%ld/comm", pid);
    ssize_t n = iotrace_read_file(path, comm, sizeof comm - 1);
    return n > 0 && strncmp(comm, "iotrace-ptrace\n", 15) == 0;
}

/* The tracer's answer on fd: 0 for "Y", the errno of "N<errno>" (its PTRACE_SEIZE failed), ECHILD when it closed
 * without answering (died, could not be executed, or was leaving), ETIMEDOUT after 10 s of silence. */
static int read_answer(int fd)
{
    char answer[16] = {0};
    struct pollfd pfd = {fd, POLLIN, 0};
    long ready;
    struct timespec ten_seconds = {10, 0}; /* ppoll: aarch64 has no poll */
    while ((ready = syscall(SYS_ppoll, &pfd, 1, &ten_seconds, NULL, 0)) < 0 && errno == EINTR)
        ;
    ssize_t n = ready > 0 ? sys_read(fd, answer, sizeof answer - 1) : 0;
    if (n > 0 && answer[0] == 'Y')
        return 0;
    if (n > 1 && answer[0] == 'N')
        return (int)strtol(answer + 1, NULL, 10);
    return ready > 0 ? ECHILD : ETIMEDOUT;
}

/* Starts a tracer (not our child, as the collector) and waits for its answer: 0 when it has seized us. It becomes
 * the session's tracer if none listens. */
static int start_tracer(const char *tracer, const char **step)
{
    int fds[2];
    *step = "pipe";
    if (syscall(SYS_pipe2, fds, O_CLOEXEC) != 0)
        return errno;
    if (fds[1] < 3) { /* the tracer's stdio becomes /dev/null */
        int high = (int)syscall(SYS_fcntl, fds[1], F_DUPFD_CLOEXEC, 3);
        sys_close(fds[1]);
        fds[1] = high;
    }
    char pid_text[16], fd_text[16], linger_text[24];
    iotrace_fmt(pid_text, sizeof pid_text, "%d", iotrace_cur.pid);
    iotrace_fmt(fd_text, sizeof fd_text, "%d", fds[1]);
    /* the tracer lingers for later trees as long as the session's collector does */
    iotrace_fmt(linger_text, sizeof linger_text, "%lld", (long long)iotrace_cfg.linger_ms);
    char *argv[] = {(char *)tracer, "--pid", pid_text, "--session-dir", iotrace_sess.run_dir, "--ready-fd", fd_text,
                    "--linger-ms", linger_text, NULL};
    char *envp[] = {"IOTRACE_DISABLE=1", "PATH=/usr/bin:/bin", NULL};

    /* Yama (ptrace_scope 1) lets only ancestors attach unless we name the tracer: allow any until it answered
     * (the tracer is our grandchild, re-parented; an attachment, once made, outlives this setting) */
    int yama = syscall(SYS_prctl, PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0) == 0;
    int spawned = iotrace_spawn_detached(fds[1], argv, envp);
    int saved = errno;
    sys_close(fds[1]);
    *step = "spawn";
    if (spawned != 0) {
        sys_close(fds[0]);
        if (yama)
            syscall(SYS_prctl, PR_SET_PTRACER, 0, 0, 0, 0);
        return saved;
    }
    int error = read_answer(fds[0]);
    sys_close(fds[0]);
    if (yama)
        syscall(SYS_prctl, PR_SET_PTRACER, 0, 0, 0, 0);
    *step = error == ECHILD || error == ETIMEDOUT ? "tracer_start" : "ptrace_seize";
    return error;
}

/*
 * Asks the session's tracer, if one listens on R/ptrace.sock, to seize us (the protocol: ptrace-fallback/src/
 * service.c). 0 when we are its tracee now; otherwise the caller starts a tracer of its own. Never a wait without
 * an answer: a refused or vanished tracer is an error at once, a silent one after 10 s.
 */
static int join_session_tracer(void)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (iotrace_fmt(addr.sun_path, sizeof addr.sun_path, "%s/ptrace.sock", iotrace_sess.run_dir) >=
        sizeof addr.sun_path)
        return ENAMETOOLONG;
    int fd = (int)syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    struct ucred tracer;
    socklen_t len = sizeof tracer;
    if (syscall(SYS_connect, fd, &addr, sizeof addr) != 0 ||
        syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_PEERCRED, &tracer, &len) != 0) {
        int error = errno;
        sys_close(fd);
        return error;
    }
    /* Yama (ptrace_scope 1) lets only ancestors attach unless we name the tracer: the listener's pid */
    int yama = syscall(SYS_prctl, PR_SET_PTRACER, (unsigned long)tracer.pid, 0, 0, 0) == 0;
    int error = sys_write(fd, "S", 1) == 1 ? read_answer(fd) : EPIPE;
    sys_close(fd);
    if (yama)
        syscall(SYS_prctl, PR_SET_PTRACER, 0, 0, 0, 0);
    /* no answer (the tracer left or stalled): it may still have seized us before; then it is ours */
    if (error == ECHILD || error == ETIMEDOUT) {
        long pid = status_field("TracerPid");
        if (pid > 0 && is_our_tracer(pid))
            return 0;
    }
    return error;
}

/* No session tracer could take us: one of our own, iotrace-ptrace beside this library. 0 when it seized us. */
static int start_own_tracer(const char **step)
{
    char path[IOTRACE_PATH_MAX];
    Dl_info info;
    *step = "locate_tracer";
    if (dladdr((void *)iotrace_ptrace_start, &info) == 0 || info.dli_fname == NULL ||
        strrchr(info.dli_fname, '/') == NULL)
        return ENOENT;
    iotrace_strlcpy(path, info.dli_fname, sizeof path);
    iotrace_strlcpy(strrchr(path, '/') + 1, "iotrace-ptrace", sizeof path - (size_t)(strrchr(path, '/') + 1 - path));
    if (sys_access(path, X_OK) != 0)
        return errno;
    return start_tracer(path, step);
}

void iotrace_ptrace_start(void)
{
    if (!iotrace_cfg.ptrace_on)
        return;
    uint64_t sites[MAX_SITES];
    int count = collect_sites(sites);
    long tracer = status_field("TracerPid");
    if (tracer != 0) {
        /*
         * Traced already. By our tracer: this image was exec'd inside a traced tree, under the filter of an
         * earlier image, whose instruction pointers mean nothing here; tell the tracer ours, so that it lets the
         * wrappers' calls pass (they still stop: a filter cannot be replaced) and records the rest. By a
         * debugger: nothing to do (the fallback cannot run), and nothing said (the debugger is the user's choice).
         */
        if (tracer > 0 && status_field("Seccomp") == SECCOMP_MODE_FILTER && is_our_tracer(tracer))
            syscall(SYS_close, IOTRACE_PTRACE_REGISTER_FD, sites, count, 0, 0, 0);
        return;
    }
    const char *step = "";
    int joined = join_session_tracer() == 0;
    int error = joined ? 0 : start_own_tracer(&step);
    if (error == 0) {
        step = "seccomp";
        error = install_filter(sites, count);
        /* a tracer without a filter costs nothing but the attachment; it exits with us */
    }
    if (error != 0)
        emit_unavailable(step, error);
    else
        iotrace_debugf("ptrace fallback: pid %d seized by %s tracer, %d allowed sites", iotrace_cur.pid,
                       joined ? "the session's" : "a new", count);
}
