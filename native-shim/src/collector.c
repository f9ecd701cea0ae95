/*
 * Collector lock probe and spawn. The spawn must be invisible to the traced program and cheap for it (issue 7:
 * start-up <= 1 ms). An intermediate child shares the program's memory (CLONE_VM: nothing is copied) and has exit
 * signal 0 (no SIGCHLD; only waitpid(..., __WCLONE) sees it); it starts a new session and forks the collector, which
 * is therefore not the program's child, and exits. The program does not wait for it: it is reaped later (at a
 * thread's next clock anchor, >= 1 ms on, before an exec or another spawn). Only system calls run in the children: the
 * program may be multithreaded, and glibc's fork would run everybody's atfork handlers; the intermediate runs on
 * the program's TLS, so its system calls must not even set errno.
 */
#include "collector.h"

#include <dlfcn.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "clock.h"
#include "config.h"
#include "iotrace_runtime.h"
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

/* One spawn at a time: what the intermediate child reads lives here until it is reaped (the program may have
   returned, changed its environment or spawned again meanwhile). */
#define SPAWN_STACK_BYTES 65536
#define SPAWN_ARGS 12
static struct spawn_job {
    char *argv[SPAWN_ARGS];
    char fd_text[16];
    char **envp;         /* the collector's environment, mmap'd: the pointer array, then the strings */
    size_t env_bytes;
    char *const *exec_envp; /* what the helper gets: envp, or the caller's (which waits for the intermediate) */
    int keep_fd;
    int background;
} job;
static int unreaped;     /* pid of the intermediate child not yet reaped, 0 = none */
static char spawn_stack[SPAWN_STACK_BYTES] __attribute__((aligned(64)));

static void job_release(void)
{
    if (job.envp != NULL)
        sys_munmap(job.envp, job.env_bytes);
    job.envp = NULL;
}

/* Copies environ without LD_PRELOAD and IOTRACE_DISABLE, plus IOTRACE_DISABLE=1 (the collector must never trace
   itself, even via /etc/ld.so.preload). 0, or -1. */
static int job_environment(void)
{
    size_t count = 0, bytes = 0;
    if (environ != NULL)
        for (; environ[count] != NULL; count++)
            bytes += strlen(environ[count]) + 1;
    static const char disable[] = "IOTRACE_DISABLE=1";
    size_t table = (count + 2) * sizeof(char *);
    job.env_bytes = table + bytes + sizeof disable;
    job.envp = sys_mmap(NULL, job.env_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (job.envp == MAP_FAILED) {
        job.envp = NULL;
        return -1;
    }
    char *text = (char *)job.envp + table;
    size_t k = 0;
    for (size_t i = 0; i < count; i++) {
        const char *entry = environ[i];
        if (entry == NULL)
            break; /* another thread shortened the environment meanwhile */
        if (strncmp(entry, "LD_PRELOAD=", 11) == 0 || strncmp(entry, "IOTRACE_DISABLE=", 16) == 0)
            continue;
        size_t length = strlen(entry) + 1;
        if ((size_t)(text + length - (char *)job.envp) > job.env_bytes - sizeof disable)
            break; /* the program changed its environment meanwhile (another thread): keep what fits */
        memcpy(text, entry, length);
        job.envp[k++] = text;
        text += length;
    }
    memcpy(text, disable, sizeof disable);
    job.envp[k++] = text;
    job.envp[k] = NULL;
    return 0;
}

static int spawn_detached(int keep_fd, char *const argv[], char *const envp[], int background, int wait);

static void spawn(int lock_fd)
{
    iotrace_collector_reap(1); /* the previous intermediate child: its job and stack are reused */
    iotrace_fmt(job.fd_text, sizeof job.fd_text, "%d", lock_fd);
    char *const argv[] = {launcher, "--session-dir", iotrace_sess.run_dir, "--output-dir", iotrace_sess.out_dir,
                          "--lock-fd", job.fd_text, NULL};
    if (job_environment() != 0)
        return;
    /* the realtime clock has no periodic anchor to reap at: wait then */
    if (spawn_detached(lock_fd, argv, job.envp, 1, !iotrace_clock_tsc) != 0) {
        iotrace_debugf("cannot spawn the collector: clone errno %d", errno);
        job_release();
    } else
        iotrace_debugf("spawned collector %s for session %s", launcher, iotrace_sess.run_dir);
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

/* A system call that leaves errno alone: the intermediate child shares the program thread's TLS. */
static long quiet_syscall(long number, long a1, long a2)
{
    return iotrace_raw_syscall_result(number, a1, a2, 0, 0, 0, 0);
}

/* The intermediate child, on spawn_stack in the program's memory: a new session, the helper forked from it (whose
   memory is its own: iotrace_exec_detached may set errno), exit. */
static int intermediate_main(void *unused)
{
    (void)unused;
    quiet_syscall(SYS_setsid, 0, 0);
    long helper = quiet_syscall(SYS_clone, (long)SIGCHLD, 0);
    if (helper == 0) {
        if (job.background)
            place_as_background();
        iotrace_exec_detached(job.keep_fd, job.argv, job.exec_envp);
    }
    return helper > 0 ? 0 : 1;
}

typedef int (*clone_fn)(int (*)(void *), void *, int, void *, ...);

/*
 * Starts argv[0] as a helper that is not the program's child (see the top of this file), with envp, which must stay
 * valid until the intermediate child is reaped. The children start with every signal blocked: no handler of the
 * program may run in them. wait: return only after the intermediate child has forked the helper and been reaped.
 * 0, or -1 with errno.
 * background: the helper is the collector (place_as_background).
 */
static int spawn_detached(int keep_fd, char *const argv[], char *const envp[], int background, int wait)
{
    static clone_fn real_clone; /* glibc's: it runs fn on the given stack and exits with its result */
    if (real_clone == NULL)
        real_clone = (clone_fn)dlsym(RTLD_NEXT, "clone");
    if (real_clone == NULL) {
        errno = ENOSYS;
        return -1;
    }
    size_t n = 0;
    for (; argv[n] != NULL; n++) {
        if (n == SPAWN_ARGS - 1) {
            errno = E2BIG;
            return -1;
        }
        job.argv[n] = argv[n];
    }
    job.argv[n] = NULL;
    job.exec_envp = envp;
    job.keep_fd = keep_fd;
    job.background = background;

    uint64_t all = ~0ULL, old = 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, 8);
    int pid = real_clone(intermediate_main, spawn_stack + SPAWN_STACK_BYTES, CLONE_VM /* exit signal 0 */, NULL);
    int err = errno;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, 8);
    if (pid < 0) {
        errno = err;
        return -1;
    }
    __atomic_store_n(&unreaped, pid, __ATOMIC_RELEASE);
    if (wait)
        iotrace_collector_reap(1);
    return 0;
}

void iotrace_collector_reap(int block)
{
    if (__atomic_load_n(&unreaped, __ATOMIC_RELAXED) == 0 || iotrace_in_vfork_child())
        return; /* nothing to reap; or a vfork child, which shares our memory but not our children */
    int pid = __atomic_exchange_n(&unreaped, 0, __ATOMIC_ACQ_REL);
    if (pid == 0)
        return;
    int saved = errno;
    long done;
    int status;
    while ((done = syscall(SYS_wait4, pid, &status, __WCLONE | (block ? 0 : WNOHANG), NULL)) < 0 && errno == EINTR)
        ;
    if (done == 0 || (done < 0 && errno == ECHILD && syscall(SYS_getpid) != iotrace_cur.pid)) {
        /* still running; or asked from a process sharing our memory that is not its parent (a CLONE_VM child;
         * a fork child, which has its own iotrace_cur.pid, has forgotten it: iotrace_collector_fork_child) */
        int none = 0;
        __atomic_compare_exchange_n(&unreaped, &none, pid, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
    } else {
        job_release();
    }
    errno = saved;
}

void iotrace_collector_fork_child(void)
{
    /* the intermediate child is not ours; the job's copy is */
    __atomic_store_n(&unreaped, 0, __ATOMIC_RELAXED);
    job_release();
    iotrace_collector_forget();
}

int iotrace_spawn_detached(int keep_fd, char *const argv[], char *const envp[])
{
    iotrace_collector_reap(1); /* the collector's intermediate child: its job and stack are reused */
    return spawn_detached(keep_fd, argv, envp, 0, 1);
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
