/*
 * The ptrace fallback, shim side (IOTRACE_PTRACE=on; off by default).
 *
 * glibc opens, maps and closes files internally without calling an interposable symbol (opendir, nss, tz, locale:
 * __open64_nocancel & co.; ld.so maps libraries itself), and programs can issue raw syscall instructions; the shim
 * never sees those. The first traced process of a tree therefore starts ptrace-fallback's iotrace-ptrace (beside this
 * library), which seizes it (and follows its threads and children); once the tracer has answered "seized", this
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
#include <sys/wait.h>

#include "collector.h"
#include "iotrace_runtime.h"
#include "iotrace_filter.h"
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
static const char *const wrapped_sites[] = {
    "open", "open64", "openat", "openat64", "__open_2", "__open64_2", "__openat_2", "__openat64_2", "creat",
    "creat64", "close", "close_range", "closefrom", "dup", "dup2", "dup3", "mmap", "mmap64", "fcntl", "fcntl64",
    "mremap", "socket", "accept", "accept4", "pipe", "pipe2", "eventfd", "memfd_create",
};
#define MAX_SITES 64

/* Adds the address after every syscall instruction of the function at fn (x86_64 `syscall`, aarch64 `svc #0`:
 * iotrace_scan_sites), or-ed with tag; new count. */
static int add_sites(const void *fn, uint64_t tag, uint64_t *sites, int count)
{
    Dl_info info;
    const ElfW(Sym) *sym = NULL;
    if (fn == NULL || dladdr1(fn, &info, (void **)&sym, RTLD_DL_SYMENT) == 0 || sym == NULL)
        return count;
    return iotrace_scan_sites(IOTRACE_ISA_NATIVE, fn, sym->st_size, (uint64_t)(uintptr_t)fn, tag, sites, count,
                              MAX_SITES);
}

static void *real_fn(const char *name)
{
    for (int i = 0; i < IOTRACE_REAL_COUNT; i++)
        if (strcmp(iotrace_real_names[i], name) == 0)
            return iotrace_real_fns[i];
    return NULL;
}

/* The allowed instruction pointers: the shim's own, the wrapped functions', then libc syscall()'s (tagged). */
static int collect_sites(uint64_t *sites)
{
    int count = 0;
    sites[count++] = (uint64_t)(uintptr_t)iotrace_raw_syscall_return;
    for (size_t n = 0; n < sizeof wrapped_sites / sizeof wrapped_sites[0]; n++)
        count = add_sites(real_fn(wrapped_sites[n]), 0, sites, count);
    return add_sites(real_fn("syscall"), IOTRACE_PTRACE_SITE_SYS_ONLY, sites, count);
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

/* Starts the tracer (not our child, as the collector) and waits for its answer: 0 when it has seized us. */
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
    char pid_text[16], fd_text[16];
    iotrace_fmt(pid_text, sizeof pid_text, "%d", iotrace_cur.pid);
    iotrace_fmt(fd_text, sizeof fd_text, "%d", fds[1]);
    char *argv[] = {(char *)tracer, "--pid", pid_text, "--session-dir", iotrace_sess.run_dir, "--ready-fd", fd_text,
                    NULL};
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
    /* the answer: "Y", or "N<errno>" from PTRACE_SEIZE; EOF = the tracer died or could not be executed */
    char answer[16] = {0};
    struct pollfd pfd = {fds[0], POLLIN, 0};
    long ready;
    struct timespec ten_seconds = {10, 0}; /* ppoll: aarch64 has no poll */
    while ((ready = syscall(SYS_ppoll, &pfd, 1, &ten_seconds, NULL, 0)) < 0 && errno == EINTR)
        ;
    ssize_t n = ready > 0 ? sys_read(fds[0], answer, sizeof answer - 1) : 0;
    sys_close(fds[0]);
    if (yama)
        syscall(SYS_prctl, PR_SET_PTRACER, 0, 0, 0, 0);
    *step = "ptrace_seize";
    if (n > 0 && answer[0] == 'Y')
        return 0;
    if (n > 1 && answer[0] == 'N')
        return (int)strtol(answer + 1, NULL, 10);
    *step = "tracer_start";
    return ready > 0 ? ECHILD : ETIMEDOUT;
}

void iotrace_ptrace_start(void)
{
    const char *on = getenv("IOTRACE_PTRACE");
    if (on == NULL || strcmp(on, "on") != 0)
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
    char path[IOTRACE_PATH_MAX];
    Dl_info info;
    if (dladdr((void *)iotrace_ptrace_start, &info) == 0 || info.dli_fname == NULL ||
        strrchr(info.dli_fname, '/') == NULL) {
        emit_unavailable("locate_tracer", ENOENT);
        return;
    }
    iotrace_strlcpy(path, info.dli_fname, sizeof path);
    iotrace_strlcpy(strrchr(path, '/') + 1, "iotrace-ptrace", sizeof path - (size_t)(strrchr(path, '/') + 1 - path));
    if (sys_access(path, X_OK) != 0) {
        emit_unavailable("locate_tracer", errno);
        return;
    }
    const char *step = "";
    int error = start_tracer(path, &step);
    if (error == 0) {
        step = "seccomp";
        error = install_filter(sites, count);
        /* a tracer without a filter costs nothing but the attachment; it exits with us */
    }
    if (error != 0)
        emit_unavailable(step, error);
    else
        iotrace_debugf("ptrace fallback: %s seized pid %d, %d allowed sites", path, iotrace_cur.pid, count);
}
