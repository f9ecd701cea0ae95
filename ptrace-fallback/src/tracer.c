/*
 * iotrace-ptrace: the ptrace fallback of one traced process tree (IOTRACE_PTRACE=on).
 *
 * Started by the shim (native-shim/src/ptrace_fallback.c) of the first traced process, invisibly (not its child,
 * no LD_PRELOAD), with --pid P --session-dir R --ready-fd N. It seizes every thread of P (PTRACE_SEIZE: nothing is
 * stopped), follows clones, forks and vforks automatically (PTRACE_O_TRACE*), and answers on fd N: "Y" once P is
 * seized, or "N<errno>" when ptrace is not permitted. Only then does the shim install its seccomp filter, which
 * returns SECCOMP_RET_TRACE for handle-creating/destroying system calls whose instruction pointer is not one of the
 * shim's own or of the libc functions the shim wraps: i.e. exactly the calls the shim cannot see.
 *
 * At each seccomp stop the tracer notes the call (number, arguments, path read with process_vm_readv), resumes to
 * the syscall-exit stop for the result, and writes one event into the ring of the calling process
 * (R/<tgid>-<inc>.ring) as one more lock-free producer (native-shim/src/ring.c): record type = the functions.tbl row
 * the call is traced as (openat = 18, close = 26, mmap = 43, ...), status IOTRACE_STATUS_SOURCE_SYSCALL.
 *
 * Not yet handled (later slices): the i386 and x32 ABIs and aarch64 (the filter allows them), a process after it
 * exec'd (its filter's instruction pointers are the old image's: its stops are let through unrecorded), vfork
 * children (no ring of their own), spilling when the ring is full and no collector runs (counted as lost).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "iotrace_format.h"
#include "ring.h"

#ifndef IOTRACE_STATUS_SOURCE_SYSCALL
#error "iotrace_format.h lacks IOTRACE_STATUS_SOURCE_SYSCALL"
#endif

#define SEIZE_OPTIONS                                                                                               \
    (PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACESECCOMP | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |                     \
     PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL)

/*
 * How a stopped system call becomes an event of a functions.tbl row: the row's scalar record items in slot order,
 * each the index of the syscall argument it holds; the row's one string item (`path`), if any. The rows must match
 * the table (FunctionTable's record order); PtraceFallbackTest checks the records decode as those rows.
 */
#define MAX_SLOTS 6
struct call_layout {
    int nr;          /* x86_64 system call number */
    int row;         /* functions.tbl id */
    int slots;       /* scalar items of the row */
    int8_t arg[MAX_SLOTS];
    int path_arg;    /* argument holding the path, -1 for none */
    int mode_slot;   /* slot of `mode`: recorded only with O_CREAT/O_TMPFILE in the flags (as the shim does) */
    int flags_arg;
};

static const struct call_layout layouts[] = {
    {SYS_open, 16, 2, {1, 2}, 0, 1, 1},                   /* open:   path:path flags:oflags mode:mode */
    {SYS_openat, 18, 3, {0, 2, 3}, 1, 2, 2},              /* openat: dirfd:fd path:path flags:oflags mode:mode */
    {SYS_creat, 24, 1, {1}, 0, -1, -1},                   /* creat:  path:path mode:mode */
    {SYS_close, 26, 1, {0}, -1, -1, -1},                  /* close:  fd:fd */
    {SYS_dup, 39, 1, {0}, -1, -1, -1},                    /* dup:    fd:fd */
    {SYS_dup2, 40, 2, {0, 1}, -1, -1, -1},                /* dup2:   oldfd:fd newfd:fd */
    {SYS_dup3, 41, 3, {0, 1, 2}, -1, -1, -1},             /* dup3:   oldfd:fd newfd:fd flags:dupflags */
    {SYS_mmap, 43, 6, {0, 1, 2, 3, 4, 5}, -1, -1, -1},    /* mmap:   addr length prot flags fd offset */
};

static const struct call_layout *layout_of(int nr)
{
    for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++)
        if (layouts[i].nr == nr)
            return &layouts[i];
    return NULL;
}

/* ---- processes (rings) and threads ---- */

struct proc {
    pid_t tgid;
    int execd;               /* exec'd since seized: stops pass unrecorded (see the header comment) */
    int fd;                  /* ring file */
    unsigned char *map;
    size_t map_len;
    uint32_t capacity;
    int64_t reserved;        /* data-area bytes this tracer has made sure exist (fallocate) */
};

struct thread {
    pid_t tid;
    pid_t tgid;
    int in_call;             /* between the seccomp stop and the syscall-exit stop */
    const struct call_layout *call;
    uint64_t args[6];
    int64_t t0;
    char path[IOTRACE_MAX_STRING];
    uint16_t path_len;
    int truncated;
};

#define MAX_PROCS   4096
#define MAX_THREADS 4096
static struct proc procs[MAX_PROCS];
static struct thread *threads[MAX_THREADS];
static const char *run_dir;
static uint64_t no_ring_events; /* stops of processes without a ring (before the shim made it): not recorded */

static struct proc *proc_get(pid_t tgid)
{
    struct proc *free_slot = NULL;
    for (int i = 0; i < MAX_PROCS; i++) {
        if (procs[i].tgid == tgid)
            return &procs[i];
        if (procs[i].tgid == 0 && free_slot == NULL)
            free_slot = &procs[i];
    }
    if (free_slot != NULL) {
        memset(free_slot, 0, sizeof *free_slot);
        free_slot->tgid = tgid;
        free_slot->fd = -1;
    }
    return free_slot;
}

static void proc_unmap(struct proc *p)
{
    if (p->map != NULL)
        munmap(p->map, p->map_len);
    if (p->fd >= 0)
        close(p->fd);
    p->map = NULL;
    p->fd = -1;
}

static struct thread *thread_get(pid_t tid)
{
    struct thread **free_slot = NULL;
    for (int i = 0; i < MAX_THREADS; i++) {
        if (threads[i] != NULL && threads[i]->tid == tid)
            return threads[i];
        if (threads[i] == NULL && free_slot == NULL)
            free_slot = &threads[i];
    }
    if (free_slot == NULL)
        return NULL;
    struct thread *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->tid = tid;
    *free_slot = t;
    return t;
}

static void thread_forget(pid_t tid)
{
    for (int i = 0; i < MAX_THREADS; i++)
        if (threads[i] != NULL && threads[i]->tid == tid) {
            free(threads[i]);
            threads[i] = NULL;
        }
}

static pid_t tgid_of(pid_t tid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/status", tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return tid;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return tid;
    buf[n] = '\0';
    char *line = strstr(buf, "\nTgid:");
    return line != NULL ? (pid_t)atoi(line + 6) : tid;
}

/* Maps the newest ring of p->tgid (highest incarnation); 0 when there is one. */
static int proc_map_ring(struct proc *p)
{
    if (p->map != NULL)
        return 0;
    DIR *d = opendir(run_dir);
    if (d == NULL)
        return -1;
    char prefix[32];
    int prefix_len = snprintf(prefix, sizeof prefix, "%d-", p->tgid);
    long best = -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, (size_t)prefix_len) != 0)
            continue;
        char *end;
        long inc = strtol(e->d_name + prefix_len, &end, 10);
        if (end != e->d_name + prefix_len && strcmp(end, ".ring") == 0 && inc > best)
            best = inc;
    }
    closedir(d);
    if (best < 0)
        return -1;
    char path[4200];
    snprintf(path, sizeof path, "%s/%d-%ld.ring", run_dir, p->tgid, best);
    int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    struct stat st;
    uint32_t capacity = 0;
    if (fstat(fd, &st) != 0 || pread(fd, &capacity, 4, IOTRACE_HDR_RING_CAPACITY) != 4 || capacity == 0 ||
        (uint64_t)st.st_size < (uint64_t)IOTRACE_RING_HEADER_LENGTH + capacity + IOTRACE_TRAILER_LENGTH) {
        close(fd);
        return -1;
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        close(fd);
        return -1;
    }
    p->fd = fd;
    p->map = map;
    p->map_len = (size_t)st.st_size;
    p->capacity = capacity;
    p->reserved = 0;
    return 0;
}

static int64_t now_ns(int clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Hands one event to the ring as the shim would; a ring that stays full without a live collector loses it. */
static void ring_publish(struct proc *p, int32_t type, const void *payload, uint32_t length)
{
    unsigned char *data = p->map + IOTRACE_RING_HEADER_LENGTH;
    for (int attempt = 0;; attempt++) {
        int rc = iotrace_ring_write(data, p->capacity, &p->reserved, type, payload, length);
        if (rc == IOTRACE_RING_OK)
            return;
        if (rc == IOTRACE_RING_UNRESERVED) {
            /* the pages the claim needs must exist before they are touched (tmpfs full = SIGBUS) */
            int64_t next = p->reserved + (1 << 20);
            if (next > p->capacity)
                next = p->capacity;
            if (fallocate(p->fd, 0, IOTRACE_RING_HEADER_LENGTH + p->reserved, next - p->reserved) != 0)
                break;
            __atomic_store_n(&p->reserved, next, __ATOMIC_RELEASE);
            continue;
        }
        int64_t heartbeat = iotrace_ring_heartbeat(data, p->capacity);
        int64_t age_ms = now_ns(CLOCK_REALTIME) / 1000000 - heartbeat;
        if (rc != IOTRACE_RING_FULL || heartbeat == 0 || age_ms > 3000 || attempt > 3000)
            break;
        struct timespec pause = {0, 1000000};
        nanosleep(&pause, NULL);
    }
    __atomic_add_fetch((int64_t *)(void *)(p->map + IOTRACE_HDR_LOST_EVENTS), 1, __ATOMIC_ACQ_REL);
}

/* ---- tracee memory ---- */

/* Copies the NUL-terminated string at addr (at most IOTRACE_MAX_STRING bytes), page by page. */
static void read_string(pid_t tid, uint64_t addr, struct thread *t)
{
    t->path_len = 0;
    t->truncated = 0;
    size_t got = 0;
    while (got < IOTRACE_MAX_STRING) {
        size_t to_page = 4096 - ((addr + got) & 4095);
        size_t want = IOTRACE_MAX_STRING - got < to_page ? IOTRACE_MAX_STRING - got : to_page;
        struct iovec local = {t->path + got, want};
        struct iovec remote = {(void *)(uintptr_t)(addr + got), want};
        ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
        if (n <= 0)
            break;
        char *nul = memchr(t->path + got, '\0', (size_t)n);
        if (nul != NULL) {
            t->path_len = (uint16_t)(nul - t->path);
            return;
        }
        got += (size_t)n;
    }
    t->path_len = (uint16_t)got;
    t->truncated = got == IOTRACE_MAX_STRING;
}

/* ---- stops ---- */

static void on_seccomp_stop(pid_t tid)
{
    struct __ptrace_syscall_info info;
    memset(&info, 0, sizeof info);
    struct thread *t = thread_get(tid);
    if (t == NULL || ptrace(PTRACE_GET_SYSCALL_INFO, tid, (void *)sizeof info, &info) <= 0 ||
        info.op != PTRACE_SYSCALL_INFO_SECCOMP) {
        ptrace(PTRACE_CONT, tid, 0, 0);
        return;
    }
    if (t->tgid == 0)
        t->tgid = tgid_of(tid);
    struct proc *p = proc_get(t->tgid);
    const struct call_layout *call = layout_of((int)info.seccomp.nr);
    if (call == NULL || p == NULL || p->execd) {
        ptrace(PTRACE_CONT, tid, 0, 0);
        return;
    }
    t->call = call;
    memcpy(t->args, info.seccomp.args, sizeof t->args);
    t->t0 = now_ns(CLOCK_REALTIME);
    if (call->path_arg >= 0)
        read_string(tid, t->args[call->path_arg], t);
    t->in_call = 1;
    ptrace(PTRACE_SYSCALL, tid, 0, 0); /* next stop: syscall exit, for the result */
}

static void on_syscall_stop(pid_t tid)
{
    struct __ptrace_syscall_info info;
    memset(&info, 0, sizeof info);
    struct thread *t = thread_get(tid);
    if (t == NULL || !t->in_call || ptrace(PTRACE_GET_SYSCALL_INFO, tid, (void *)sizeof info, &info) <= 0) {
        ptrace(PTRACE_CONT, tid, 0, 0);
        return;
    }
    if (info.op == PTRACE_SYSCALL_INFO_ENTRY) { /* kernels that report entry after the seccomp stop */
        ptrace(PTRACE_SYSCALL, tid, 0, 0);
        return;
    }
    t->in_call = 0;
    int64_t t1 = now_ns(CLOCK_REALTIME);
    struct proc *p = proc_get(t->tgid);
    if (info.op != PTRACE_SYSCALL_INFO_EXIT || p == NULL || proc_map_ring(p) != 0) {
        no_ring_events++;
        ptrace(PTRACE_CONT, tid, 0, 0);
        return;
    }
    const struct call_layout *call = t->call;
    uint64_t payload[(IOTRACE_EVENT_ARGS + MAX_SLOTS * 8 + 2 + IOTRACE_MAX_STRING + 7) / 8];
    unsigned char *b = (unsigned char *)payload;
    int failed = info.exit.is_error != 0;
    int64_t result = failed ? -1 : info.exit.rval;
    int32_t tid32 = tid;
    uint16_t err = failed ? (uint16_t)-info.exit.rval : 0;
    uint16_t status = IOTRACE_STATUS_SOURCE_SYSCALL | (failed ? IOTRACE_STATUS_FAILED : 0) |
                      (t->truncated ? IOTRACE_STATUS_TRUNCATED : 0);
    memcpy(b + IOTRACE_EVENT_TIME_START, &t->t0, 8);
    memcpy(b + IOTRACE_EVENT_TIME_END, &t1, 8);
    memcpy(b + IOTRACE_EVENT_RESULT, &result, 8);
    memcpy(b + IOTRACE_EVENT_TID, &tid32, 4);
    memcpy(b + IOTRACE_EVENT_ERRNO, &err, 2);
    memcpy(b + IOTRACE_EVENT_STATUS, &status, 2);
    for (int s = 0; s < call->slots; s++) {
        uint64_t v = t->args[call->arg[s]];
        if (s == call->mode_slot) {
            int flags = (int)t->args[call->flags_arg];
            if (!((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE))
                v = 0;
        }
        memcpy(b + IOTRACE_EVENT_ARGS + 8 * s, &v, 8);
    }
    uint32_t len = IOTRACE_EVENT_ARGS + 8 * (uint32_t)call->slots;
    if (call->path_arg >= 0) {
        uint16_t n = failed && err == EFAULT ? 0 : t->path_len;
        memcpy(b + len, &n, 2);
        memcpy(b + len + 2, t->path, n);
        len += 2u + n;
    }
    ring_publish(p, call->row, payload, len);
    ptrace(PTRACE_CONT, tid, 0, 0);
}

static void on_stop(pid_t tid, int status)
{
    int sig = WSTOPSIG(status);
    int event = (unsigned)status >> 16;
    switch (event) {
    case PTRACE_EVENT_SECCOMP:
        on_seccomp_stop(tid);
        return;
    case PTRACE_EVENT_EXEC: {
        struct thread *t = thread_get(tid);
        if (t != NULL) {
            t->in_call = 0;
            t->tgid = tgid_of(tid);
            struct proc *p = proc_get(t->tgid);
            if (p != NULL) {
                proc_unmap(p);
                p->execd = 1;
            }
        }
        ptrace(PTRACE_CONT, tid, 0, 0);
        return;
    }
    case PTRACE_EVENT_CLONE:
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK:
    case PTRACE_EVENT_VFORK_DONE:
        ptrace(PTRACE_CONT, tid, 0, 0); /* the new task is attached already and reports its own stop */
        return;
    case PTRACE_EVENT_STOP:
        if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
            ptrace(PTRACE_LISTEN, tid, 0, 0); /* group stop: stay stopped, as without us */
        else
            ptrace(PTRACE_CONT, tid, 0, 0); /* a new task's first stop */
        return;
    default:
        break;
    }
    if (sig == (SIGTRAP | 0x80)) {
        on_syscall_stop(tid);
        return;
    }
    ptrace(PTRACE_CONT, tid, 0, sig); /* signal-delivery stop: deliver it unchanged */
}

/* Seizes every thread of pid until a pass over /proc/pid/task finds none new; 0 or an errno. */
static int seize_all(pid_t pid)
{
    if (ptrace(PTRACE_SEIZE, pid, 0, (void *)(uintptr_t)SEIZE_OPTIONS) != 0)
        return errno;
    thread_get(pid)->tgid = pid;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    for (int changed = 1; changed;) {
        changed = 0;
        DIR *d = opendir(path);
        if (d == NULL)
            break;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            pid_t tid = (pid_t)atoi(e->d_name);
            if (tid <= 0)
                continue;
            int known = 0;
            for (int i = 0; i < MAX_THREADS; i++)
                known |= threads[i] != NULL && threads[i]->tid == tid;
            if (!known && ptrace(PTRACE_SEIZE, tid, 0, (void *)(uintptr_t)SEIZE_OPTIONS) == 0) {
                struct thread *t = thread_get(tid);
                if (t != NULL)
                    t->tgid = pid;
                changed = 1;
            }
        }
        closedir(d);
    }
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: iotrace-ptrace --pid PID --session-dir DIR --ready-fd FD\n");
    exit(2);
}

int main(int argc, char **argv)
{
    pid_t pid = 0;
    int ready_fd = -1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--pid") == 0)
            pid = (pid_t)atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--session-dir") == 0)
            run_dir = argv[i + 1];
        else if (strcmp(argv[i], "--ready-fd") == 0)
            ready_fd = atoi(argv[i + 1]);
        else
            usage();
    }
    if (pid <= 0 || run_dir == NULL || ready_fd < 0)
        usage();
    int err = seize_all(pid);
    char answer[16];
    int n = err == 0 ? snprintf(answer, sizeof answer, "Y") : snprintf(answer, sizeof answer, "N%d", err);
    if (write(ready_fd, answer, (size_t)n) != n || err != 0)
        return 1;
    close(ready_fd);

    for (;;) {
        int status;
        pid_t tid = waitpid(-1, &status, __WALL);
        if (tid < 0) {
            if (errno == EINTR)
                continue;
            break; /* ECHILD: every tracee is gone */
        }
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            struct thread *t = thread_get(tid);
            pid_t tgid = t != NULL ? t->tgid : 0;
            thread_forget(tid);
            if (tgid == tid) {
                struct proc *p = proc_get(tgid);
                if (p != NULL) {
                    proc_unmap(p);
                    p->tgid = 0;
                }
            }
            continue;
        }
        if (WIFSTOPPED(status))
            on_stop(tid, status);
    }
    return 0;
}
