/*
 * Collector lock probe and spawn. The spawn must be invisible to the traced program: raw clone with exit signal 0
 * (no SIGCHLD; only waitpid(..., __WCLONE) sees it, which we do ourselves at once), the intermediate child starts a
 * new session and forks the collector, which is therefore not the program's child. Only raw system calls run in the
 * children: the program may be multithreaded, and glibc's fork would run everybody's atfork handlers.
 */
#include "collector.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "clock.h"
#include "config.h"
#include "session.h"
#include "sys.h"
#include "util.h"

extern char **environ;

static char launcher[IOTRACE_PATH_MAX];

#define PROBE_INTERVAL_MS 10
static int64_t probe_ms;   /* last probe (epoch ms), 0 = never */
static int probe_held;     /* its result */

void iotrace_collector_locate(void)
{
    launcher[0] = '\0';
    if (iotrace_cfg.collector_none)
        return;
    if (iotrace_cfg.collector[0] != '\0') {
        iotrace_strlcpy(launcher, iotrace_cfg.collector, sizeof launcher);
        return;
    }
    Dl_info info;
    if (dladdr((void *)iotrace_collector_locate, &info) == 0 || info.dli_fname == NULL)
        return;
    char lib[IOTRACE_PATH_MAX];
    iotrace_strlcpy(lib, info.dli_fname, sizeof lib);
    char *slash = strrchr(lib, '/');
    if (slash == NULL)
        iotrace_strlcpy(launcher, "./iotrace-collector", sizeof launcher);
    else {
        *slash = '\0';
        iotrace_fmt(launcher, sizeof launcher, "%s/iotrace-collector", lib);
    }
}

static void lock_path(char *path, size_t cap)
{
    iotrace_fmt(path, cap, "%s/collector.lock", iotrace_sess.run_dir);
}

int iotrace_collector_lock_held(void)
{
    int64_t now = iotrace_now_ms();
    int64_t last = __atomic_load_n(&probe_ms, __ATOMIC_ACQUIRE);
    if (last != 0 && now - last < PROBE_INTERVAL_MS)
        return __atomic_load_n(&probe_held, __ATOMIC_RELAXED);
    /* one prober per interval; the others use the last result */
    if (!__atomic_compare_exchange_n(&probe_ms, &last, now, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return __atomic_load_n(&probe_held, __ATOMIC_RELAXED);
    int saved = errno;
    int held = 0;
    char path[IOTRACE_PATH_MAX + 32];
    lock_path(path, sizeof path);
    int fd = sys_open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0);
    if (fd >= 0) {
        if (sys_flock(fd, LOCK_EX | LOCK_NB) == 0)
            sys_flock(fd, LOCK_UN); /* nobody holds it: no collector */
        else
            held = errno == EWOULDBLOCK;
        sys_close(fd);
    }
    __atomic_store_n(&probe_held, held, __ATOMIC_RELAXED);
    errno = saved;
    return held;
}

void iotrace_collector_forget(void)
{
    probe_ms = 0;
    probe_held = 0;
}

/* kernel sigaction layout for rt_sigaction (glibc's struct differs) */
struct k_sigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
};

static void close_unless_kept(int fd, void *keep)
{
    if (fd > 2 && fd != *(int *)keep)
        sys_close(fd);
}

static void close_others(int keep)
{
    /* close_range (5.9+); otherwise walk the open fds */
    if (keep > 3 && syscall(SYS_close_range, 3, keep - 1, 0) != 0)
        goto walk;
    if (syscall(SYS_close_range, keep + 1, ~0U, 0) == 0)
        return;
walk:
    iotrace_each_open_fd(close_unless_kept, &keep);
}

/* A detached helper process (the collector, the ptrace tracer): stdio on /dev/null, only keep_fd inherited, default
   signals, nothing blocked, then execve (argv/envp prepared by the caller: no LD_PRELOAD). */
void __attribute__((noreturn)) iotrace_exec_detached(int lock_fd, char *const argv[], char *const envp[])
{
    int null = sys_open("/dev/null", O_RDWR, 0);
    if (null >= 0) {
        for (int i = 0; i < 3; i++)
            if (null != i)
                sys_dup2(null, i);
        if (null > 2 && null != lock_fd)
            sys_close(null);
    }
    close_others(lock_fd);
    sys_fcntl(lock_fd, F_SETFD, 0); /* inheritable across execve */
    struct k_sigaction dfl = {SIG_DFL, 0, NULL, 0};
    for (int sig = 1; sig <= 64; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            syscall(SYS_rt_sigaction, sig, &dfl, NULL, 8);
    uint64_t none = 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, 8);
    syscall(SYS_execve, argv[0], argv, envp);
    sys_exit_group(127);
}

static int spawn_detached(int keep_fd, char *const argv[], char *const envp[], int background);

static void spawn(int lock_fd)
{
    /* everything the children need is prepared here: they only make system calls */
    char fd_text[16];
    iotrace_fmt(fd_text, sizeof fd_text, "%d", lock_fd);
    char *argv[] = {launcher, "--session-dir", iotrace_sess.run_dir, "--output-dir", iotrace_sess.out_dir,
                    "--lock-fd", fd_text, NULL};
    size_t count = 0;
    if (environ != NULL)
        while (environ[count] != NULL)
            count++;
    size_t env_bytes = (count + 2) * sizeof(char *);
    char **envp = sys_mmap(NULL, env_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (envp == MAP_FAILED)
        return;
    size_t k = 0;
    for (size_t i = 0; i < count; i++)
        if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0 && strncmp(environ[i], "IOTRACE_DISABLE=", 16) != 0)
            envp[k++] = environ[i];
    envp[k++] = "IOTRACE_DISABLE=1"; /* the collector must never trace itself, even via /etc/ld.so.preload */
    envp[k] = NULL;

    if (spawn_detached(lock_fd, argv, envp, 1) != 0)
        iotrace_debugf("cannot spawn the collector: clone errno %d", errno);
    else
        iotrace_debugf("spawned collector %s for session %s", launcher, iotrace_sess.run_dir);
    sys_munmap(envp, env_bytes);
}

/*
 * The collector is background work: it must not take CPU time from the program it traces. Without this it inherits
 * the program's CPU affinity (an MPI rank bound to one core would share that core with the collector draining every
 * rank of the node) and its scheduling policy (a SCHED_FIFO program's collector would be real-time). So it may run
 * on any CPU the cgroup allows (the kernel cuts the full mask down to the cpuset), as SCHED_BATCH: the same share of
 * the CPU as any other task of its nice value (inherited: `nice` on the program applies to its collector too), but
 * its wake-ups do not preempt a running program thread. Best effort: a refusal leaves the inherited settings.
 */
static void place_as_background(void)
{
    unsigned long every_cpu[1024 / (8 * sizeof(unsigned long))];
    memset(every_cpu, 0xff, sizeof every_cpu);
    syscall(SYS_sched_setaffinity, 0, sizeof every_cpu, every_cpu);
    struct { int priority; } batch = {0}; /* struct sched_param */
    syscall(SYS_sched_setscheduler, 0, 3 /* SCHED_BATCH */, &batch);
}

/*
 * Starts argv[0] as a helper that is not the program's child: clone with exit signal 0 (no SIGCHLD, invisible to
 * the program's wait()), which starts a new session and clones the helper, then exits and is reaped here. The
 * children start with every signal blocked: no handler of the program may run in them. 0, or -1 with errno.
 * background: the helper is the collector (place_as_background).
 */
static int spawn_detached(int keep_fd, char *const argv[], char *const envp[], int background)
{
    uint64_t all = ~0ULL, old = 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, 8);
    long pid = syscall(SYS_clone, 0UL /* exit signal 0: no SIGCHLD */, 0UL, NULL, NULL, 0UL);
    if (pid == 0) {
        syscall(SYS_setsid);
        long grandchild = syscall(SYS_clone, (unsigned long)SIGCHLD, 0UL, NULL, NULL, 0UL);
        if (grandchild == 0) {
            if (background)
                place_as_background();
            iotrace_exec_detached(keep_fd, argv, envp);
        }
        sys_exit_group(grandchild > 0 ? 0 : 1);
    }
    int err = errno;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, 8);
    if (pid < 0) {
        errno = err;
        return -1;
    }
    int status;
    while (syscall(SYS_wait4, (pid_t)pid, &status, __WCLONE, NULL) < 0 && errno == EINTR)
        ;
    return 0;
}

int iotrace_spawn_detached(int keep_fd, char *const argv[], char *const envp[])
{
    return spawn_detached(keep_fd, argv, envp, 0);
}

void iotrace_collector_ensure(void)
{
    if (iotrace_cfg.collector_none)
        return;
    if (launcher[0] == '\0' || sys_access(launcher, X_OK) != 0) {
        iotrace_debugf("no collector launcher at '%s' (IOTRACE_COLLECTOR): records stay in the ring", launcher);
        return;
    }
    char path[IOTRACE_PATH_MAX + 32];
    lock_path(path, sizeof path);
    int fd = sys_open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        iotrace_debugf("cannot open %s: errno %d", path, errno);
        return;
    }
    if (fd < 3) {
        /* the collector's stdio becomes /dev/null: the lock fd must not be one of 0..2 */
        int high = sys_fcntl(fd, F_DUPFD_CLOEXEC, 3);
        sys_close(fd);
        if (high < 0)
            return;
        fd = high;
    }
    if (sys_flock(fd, LOCK_EX | LOCK_NB) == 0)
        spawn(fd); /* the collector's copy keeps the lock after we close ours */
    sys_close(fd);
}
