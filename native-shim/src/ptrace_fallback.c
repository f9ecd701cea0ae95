/*
 * The ptrace fallback, shim side (IOTRACE_PTRACE=on; off by default while it is incomplete).
 *
 * glibc opens, maps and closes files internally without calling an interposable symbol (opendir, nss, tz, locale:
 * __open64_nocancel & co.), and programs can issue raw syscall instructions; the shim never sees those. The first
 * traced process of a tree therefore starts ptrace-fallback's iotrace-ptrace (beside this library), which seizes it
 * (and follows its threads and children), and once the tracer has answered "seized" installs a seccomp filter that
 * stops, for the tracer, only handle-creating/destroying system calls issued from an instruction that is neither the
 * shim's own syscall site (raw_syscall.c) nor one of the syscall instructions of the libc functions the shim wraps
 * for those calls. A call the shim reports therefore never stops; the tracer writes the others into this process's
 * ring with IOTRACE_STATUS_SOURCE_SYSCALL.
 *
 * SECCOMP_RET_TRACE makes a call fail with ENOSYS when no tracer is attached, hence the order: tracer first, filter
 * after. Processes that are already traced (fork children, exec'd images of a traced tree, or a debugger) start
 * nothing. If the tracer cannot seize us (ptrace not permitted), tracing continues without it and one
 * ptrace_unavailable meta event says why (the collector writes it as a warning).
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
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "collector.h"
#include "iotrace_runtime.h"
#include "session.h"
#include "sys.h"
#include "util.h"

_Static_assert(IOTRACE_FN_PTRACE_UNAVAILABLE_SLOTS == 1 && IOTRACE_FN_PTRACE_UNAVAILABLE_STRINGS == 1,
               "ptrace_unavailable row changed: update emit_unavailable");

extern char **environ;
extern const char iotrace_raw_syscall_return[]; /* raw_syscall.c: the instruction after the shim's syscall */

/* libc functions the shim wraps whose own syscall instructions make handle calls (the real calls of wrappers) */
static const char *const wrapped_sites[] = {
    "open", "open64", "openat", "openat64", "__open_2", "__open64_2", "__openat_2", "__openat64_2", "creat",
    "creat64", "close", "dup", "dup2", "dup3", "mmap", "mmap64", "fcntl", "fcntl64", "__fcntl", "syscall",
};

/* the handle calls the filter can stop (x86_64 numbers); mmap and fcntl are narrowed further in build_filter */
static const int trapped_calls[] = {SYS_open, SYS_openat, SYS_creat, SYS_close, SYS_dup, SYS_dup2, SYS_dup3};

#define MAX_SITES 64
#define MAX_FILTER (16 + 2 * (int)(sizeof trapped_calls / sizeof trapped_calls[0]) + 5 * MAX_SITES)

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

/* TracerPid of /proc/self/status; -1 if unreadable */
static int tracer_pid(void)
{
    char buf[2048];
    int fd = sys_open("/proc/self/status", O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    ssize_t n = sys_read(fd, buf, sizeof buf - 1);
    sys_close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *line = strstr(buf, "TracerPid:");
    if (line == NULL)
        return -1;
    line += 10;
    while (*line == ' ' || *line == '\t')
        line++;
    int pid = 0;
    while (*line >= '0' && *line <= '9')
        pid = pid * 10 + (*line++ - '0');
    return pid;
}

/* Adds the address after every syscall instruction (0f 05) of the function at fn; returns the new count. */
static int add_sites(const void *fn, uint64_t *sites, int count)
{
    Dl_info info;
    const ElfW(Sym) *sym = NULL;
    if (fn == NULL || dladdr1(fn, &info, (void **)&sym, RTLD_DL_SYMENT) == 0 || sym == NULL || sym->st_size < 2)
        return count;
    const unsigned char *code = fn;
    for (size_t i = 0; i + 1 < sym->st_size && count < MAX_SITES; i++) {
        if (code[i] != 0x0f || code[i + 1] != 0x05)
            continue;
        uint64_t ip = (uint64_t)(uintptr_t)(code + i + 2);
        int seen = 0;
        for (int k = 0; k < count; k++)
            seen |= sites[k] == ip;
        if (!seen)
            sites[count++] = ip;
    }
    return count;
}

static int collect_sites(uint64_t *sites)
{
    int count = 0;
    sites[count++] = (uint64_t)(uintptr_t)iotrace_raw_syscall_return;
    for (size_t n = 0; n < sizeof wrapped_sites / sizeof wrapped_sites[0]; n++)
        for (int i = 0; i < IOTRACE_REAL_COUNT; i++)
            if (strcmp(iotrace_real_names[i], wrapped_sites[n]) == 0)
                count = add_sites(iotrace_real_fns[i], sites, count);
    return count;
}

#define STMT(code, k) ((struct sock_filter)BPF_STMT(code, k))
#define JUMP(code, k, jt, jf) ((struct sock_filter)BPF_JUMP(code, k, jt, jf))
#define LOAD(field) STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)offsetof(struct seccomp_data, field))
#define LOAD_LOW(field) LOAD(field)
#define LOAD_HIGH(field) STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)offsetof(struct seccomp_data, field) + 4)

/*
 * x86_64 only for now: other ABIs (i386 int 0x80, x32) are allowed. Layout:
 *   arch check; nr dispatch (trapped calls jump to IP_CHECK; mmap to MMAP; fcntl to FCNTL); ALLOW;
 *   MMAP: fd == -1 -> ALLOW, else IP_CHECK;  FCNTL: F_DUPFD or F_DUPFD_CLOEXEC -> IP_CHECK, else ALLOW;
 *   IP_CHECK: one 5-instruction block per allowed site (-> ALLOW), then TRACE.
 */
static int build_filter(struct sock_filter *f, const uint64_t *sites, int count)
{
    const int calls = (int)(sizeof trapped_calls / sizeof trapped_calls[0]);
    int n = 0;
    f[n++] = LOAD(arch);
    f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
    f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    f[n++] = LOAD(nr);
    /* after the dispatch: [mmap jeq][fcntl jeq][ALLOW] MMAP(3) FCNTL(4) IP_CHECK */
    const int dispatch_end = n + calls + 3;
    const int mmap_at = dispatch_end, fcntl_at = mmap_at + 3, ip_check = fcntl_at + 4;
    for (int i = 0; i < calls; i++, n++)
        f[n] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)trapped_calls[i], (uint8_t)(ip_check - n - 1), 0);
    f[n] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, (uint8_t)(mmap_at - n - 1), 0), n++;
    f[n] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_fcntl, (uint8_t)(fcntl_at - n - 1), 0), n++;
    f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    /* MMAP: only mappings of a descriptor (fd is an int: the low half of args[4]) */
    f[n++] = LOAD_LOW(args[4]);
    f[n] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffffu, 0, (uint8_t)(ip_check - n - 1)), n++;
    f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    /* FCNTL: only the duplicating commands */
    f[n++] = LOAD_LOW(args[1]);
    f[n] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, F_DUPFD, (uint8_t)(ip_check - n - 1), 0), n++;
    f[n] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, F_DUPFD_CLOEXEC, (uint8_t)(ip_check - n - 1), 0), n++;
    f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    for (int i = 0; i < count; i++) {
        f[n++] = LOAD_LOW(instruction_pointer);
        f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)sites[i], 0, 3);
        f[n++] = LOAD_HIGH(instruction_pointer);
        f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(sites[i] >> 32), 0, 1);
        f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    }
    f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
    return n;
}

/* 0, or the errno of the failing step */
static int install_filter(void)
{
    uint64_t sites[MAX_SITES];
    int count = collect_sites(sites);
    struct sock_filter filter[MAX_FILTER];
    struct sock_fprog prog = {(unsigned short)build_filter(filter, sites, count), filter};
    /* without CAP_SYS_ADMIN the kernel wants no_new_privs (later setuid execs then gain nothing; they are untraced
     * anyway: the loader ignores LD_PRELOAD for them) */
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) == 0)
        return 0;
    if (errno != EACCES || syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return errno;
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) == 0 ? 0 : errno;
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

    uint64_t all = ~0ULL, old = 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, 8);
    long pid = syscall(SYS_clone, 0UL /* exit signal 0: no SIGCHLD */, 0UL, NULL, NULL, 0UL);
    if (pid == 0) {
        syscall(SYS_setsid);
        long grandchild = syscall(SYS_clone, (unsigned long)SIGCHLD, 0UL, NULL, NULL, 0UL);
        if (grandchild == 0) {
            iotrace_exec_detached(fds[1], argv, envp);
        }
        sys_exit_group(grandchild > 0 ? 0 : 1);
    }
    int saved = errno;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, 8);
    sys_close(fds[1]);
    *step = "spawn";
    if (pid < 0) {
        sys_close(fds[0]);
        return saved;
    }
    int status;
    while (syscall(SYS_wait4, (pid_t)pid, &status, __WCLONE, NULL) < 0 && errno == EINTR)
        ;
    /* the answer: "Y", or "N<errno>" from PTRACE_SEIZE; EOF = the tracer died or could not be executed */
    char answer[16] = {0};
    struct pollfd pfd = {fds[0], POLLIN, 0};
    long ready;
    while ((ready = syscall(SYS_poll, &pfd, 1, 10000)) < 0 && errno == EINTR)
        ;
    ssize_t n = ready > 0 ? sys_read(fds[0], answer, sizeof answer - 1) : 0;
    sys_close(fds[0]);
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
    if (tracer_pid() != 0)
        return; /* traced already: by our tracer (a child or exec'd image of the tree), or by a debugger */
    char tracer[IOTRACE_PATH_MAX];
    Dl_info info;
    if (dladdr((void *)iotrace_ptrace_start, &info) == 0 || info.dli_fname == NULL ||
        strrchr(info.dli_fname, '/') == NULL) {
        emit_unavailable("locate_tracer", ENOENT);
        return;
    }
    iotrace_strlcpy(tracer, info.dli_fname, sizeof tracer);
    iotrace_strlcpy(strrchr(tracer, '/') + 1, "iotrace-ptrace", sizeof tracer - (size_t)(strrchr(tracer, '/') + 1 - tracer));
    if (sys_access(tracer, X_OK) != 0) {
        emit_unavailable("locate_tracer", errno);
        return;
    }
    const char *step = "";
    int error = start_tracer(tracer, &step);
    if (error == 0) {
        step = "seccomp";
        error = install_filter();
        /* a tracer without a filter costs nothing but the attachment; it exits with us */
    }
    if (error != 0)
        emit_unavailable(step, error);
    else
        iotrace_debugf("ptrace fallback: %s seized pid %d", tracer, iotrace_cur.pid);
}
