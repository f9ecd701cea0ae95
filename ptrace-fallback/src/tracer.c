/*
 * iotrace-ptrace: the ptrace fallback of one traced process tree.
 *
 *   iotrace-ptrace --pid P --session-dir R --ready-fd N [--linger-ms MS]
 *       started by the shim of the first traced process P (native-shim/src/ptrace_fallback.c), invisibly: not its
 *       child, no LD_PRELOAD. Seizes every thread of P (PTRACE_SEIZE: nothing stops) and answers on fd N: "Y", or
 *       "N<errno>" when ptrace is not permitted. Only then does the shim install its seccomp filter
 *       (include/iotrace_filter.h), which stops, for us, the handle calls made from an instruction that is not the
 *       shim's own nor one of the wrapped libc functions': exactly the calls the shim cannot see. Then it becomes
 *       the session's tracer: later process trees of the session ask it over R/ptrace.sock to seize them too
 *       (service.c), and it lingers MS (default 500) after its last tracee.
 *   iotrace-ptrace --own-rings --session-dir R [--ring-size BYTES] -- COMMAND ARGS...
 *       iotrace run --ptrace-only: runs COMMAND (a static binary, say) with no shim. Its child installs the filter
 *       with no allowed sites before the exec; every process gets a ring we create (procs.c). Exit status: the
 *       command's (128+N when killed by signal N).
 *   iotrace-ptrace --attach PID --session-dir R [--ring-size BYTES]
 *       iotrace attach PID: a process that is already running, its threads and the children it forks from now on,
 *       into rings we create (as --own-rings). No seccomp filter: none can be installed into a running program
 *       without injecting code, and none could be removed when we go (a SECCOMP_RET_TRACE filter whose tracer is
 *       gone fails every matching call with ENOSYS). The threads run with PTRACE_SYSCALL instead: every system
 *       call stops at its entry and its exit, and only the handle calls are recorded; slower than the filter
 *       (two stops per call instead of one per handle call) but nothing is left behind. Its open descriptors and
 *       file mappings are recorded first (attach.c). SIGINT, SIGTERM or SIGHUP: every thread is interrupted and
 *       detached (a group-stopped one stays stopped, a pending signal is delivered), the rings are marked
 *       DETACHED and we exit 0; the process runs on as before. No PTRACE_O_EXITKILL: if we are killed the
 *       kernel detaches the threads and, with no filter, nothing fails.
 *
 *   iotrace-ptrace --heir-of TRACER --session-dir R
 *       started by the tracer of the fallback (--pid) as its child: waits for its death, then takes the tree over
 *       and becomes its tracer (heir.c: a filter whose tracer is gone fails calls with ENOSYS).
 *
 * Clones, forks and vforks are followed automatically (PTRACE_O_TRACE*). A filter that returns SECCOMP_RET_TRACE
 * makes calls fail with ENOSYS once no tracer is attached: catchable termination signals are ignored (the tracer
 * ends when the last tracee has ended), and SIGKILL is survived by the heir (--pid; --own-rings uses
 * PTRACE_O_EXITKILL instead: `iotrace run --ptrace-only` ends with its command). At a seccomp stop the call is decoded (record.c); calls whose result
 * is needed (opens: the fd) are resumed to their syscall-exit stop, the others (close, close_range) are recorded at
 * the entry. Each becomes one event in the ring of the calling process, status IOTRACE_STATUS_SOURCE_SYSCALL.
 *
 * Signals: a signal-delivery stop passes the signal on unchanged; a group-stop (SIGSTOP, SIGTSTP, ...) stays a
 * stop (PTRACE_LISTEN) until SIGCONT, as without us; the program's wait() never sees us (we are nobody's child).
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "iotrace_filter.h"
#include "iotrace_fn_ids.h"
#include "tracer.h"

#define FOLLOW_OPTIONS                                                                                              \
    (PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC)
/* the fallback: the filter's stops; no EXITKILL (the heir takes over if we are killed) */
#define SEIZE_OPTIONS (FOLLOW_OPTIONS | PTRACE_O_TRACESECCOMP)
/* --own-rings: the command is ours, it ends with us (see the header) */
#define OWN_RINGS_OPTIONS (SEIZE_OPTIONS | PTRACE_O_EXITKILL)
/* --attach: no filter, no EXITKILL */
#define ATTACH_OPTIONS FOLLOW_OPTIONS

/* --attach: every thread runs with PTRACE_SYSCALL (no filter) */
static int syscall_stops;
/* --attach: SIGINT/SIGTERM/SIGHUP came; every stop from then on detaches its thread */
static volatile sig_atomic_t detach_requested;
static int detaching;
static pid_t attached_pid;

/* Lets a stopped thread go on: with the signal of its stop (0: none); detached instead once we are leaving. */
static void resume(pid_t tid, int sig)
{
    if (detaching) {
        ptrace(PTRACE_DETACH, tid, 0, sig);
        thread_forget(tid);
        return;
    }
    ptrace(syscall_stops ? PTRACE_SYSCALL : PTRACE_CONT, tid, 0, sig);
}

/* Lets a thread stopped at a call's entry run the call, stopping again at its exit (for the result). */
static void resume_to_exit(pid_t tid)
{
    if (detaching)
        resume(tid, 0);
    else
        ptrace(PTRACE_SYSCALL, tid, 0, 0);
}

#ifndef AUDIT_ARCH_AARCH64
#define AUDIT_ARCH_AARCH64 0xc00000b7
#endif

/* the call of a stop: its ABI's table entry; -1 when it is not one of ours */
static int sc_of(const struct __ptrace_syscall_info *info, uint64_t nr, int *abi32)
{
    const struct iotrace_sc_number *table = NULL;
    size_t length = 0;
    *abi32 = 0;
    if (info->arch == AUDIT_ARCH_X86_64) {
        table = iotrace_sc_x86_64, length = IOTRACE_SC_TABLE_LENGTH(iotrace_sc_x86_64);
        nr &= ~(uint64_t)__X32_SYSCALL_BIT;
    } else if (info->arch == AUDIT_ARCH_I386) {
        table = iotrace_sc_i386, length = IOTRACE_SC_TABLE_LENGTH(iotrace_sc_i386);
        *abi32 = 1;
    } else if (info->arch == AUDIT_ARCH_AARCH64) {
        table = iotrace_sc_aarch64, length = IOTRACE_SC_TABLE_LENGTH(iotrace_sc_aarch64);
    }
    for (size_t i = 0; i < length; i++)
        if ((uint64_t)table[i].nr == nr)
            return *abi32 && table[i].sc == IOTRACE_SC_MMAP ? -1 : table[i].sc; /* old_mmap: not decoded */
    return -1;
}

/* the process whose ring gets t's events (a vfork child's: its parent's), with the status bits that says so */
static struct proc *ring_owner(struct thread *t, uint16_t *extra_status)
{
    struct proc *p = proc_get(t->tgid);
    *extra_status = 0;
    if (p != NULL && p->vfork_parent != 0) {
        struct proc *parent = proc_find(p->vfork_parent);
        if (parent != NULL) {
            *extra_status = IOTRACE_STATUS_VFORK_CHILD;
            return parent;
        }
    }
    return p;
}

/*
 * A call that uses a descriptor (close, dup*, fcntl F_DUPFD*, mmap, accept) at a site the filter stops: that
 * descriptor may have been made by a call the filter could not tell from a wrapper's (glibc's nscd probe reaches
 * socket() through its internal alias, whose instruction is the wrapped socket()'s). Its kernel name goes first,
 * as an fd_discovered event with how = IOTRACE_DISCOVERED_BY_PTRACE: the collector names the descriptor with it
 * only if it does not know it (and warns then that its open was not seen); else it drops it.
 */
static void publish_name_of(struct proc *p, struct thread *t, pid_t tid, int fd, uint16_t extra)
{
    static unsigned char payload[MAX_EVENT];
    char link[64], name[IOTRACE_MAX_STRING];
    snprintf(link, sizeof link, "/proc/%d/fd/%d", tid, fd);
    ssize_t n = fd < 0 ? -1 : readlink(link, name, sizeof name);
    if (n <= 0)
        return;
    uint64_t slots[2] = {(uint64_t)(int64_t)fd, IOTRACE_DISCOVERED_BY_PTRACE};
    uint32_t length = record_meta(payload, tid, t->t0, 0, slots, 2, name, (uint16_t)n, extra);
    proc_publish(p, IOTRACE_FN_FD_DISCOVERED, payload, length, t->ip, t->sc);
}

static void publish_fd_name(struct proc *p, struct thread *t, pid_t tid, uint16_t extra)
{
    int fd_arg = t->sc == IOTRACE_SC_MMAP || t->sc == IOTRACE_SC_MMAP2 ? 4
                 : t->sc == IOTRACE_SC_CLOSE || t->sc == IOTRACE_SC_DUP || t->sc == IOTRACE_SC_DUP2 ||
                         t->sc == IOTRACE_SC_DUP3 || t->sc == IOTRACE_SC_FCNTL || t->sc == IOTRACE_SC_FCNTL64 ||
                         t->sc == IOTRACE_SC_ACCEPT || t->sc == IOTRACE_SC_ACCEPT4
                     ? 0
                     : -1;
    if (fd_arg >= 0)
        publish_name_of(p, t, tid, (int)t->args[fd_arg], extra);
}

/*
 * --own-rings, --attach: a data call's descriptors are named (as above) the first time a data call uses them after
 * their last close, so that one made by a call we do not record (socketpair, signalfd, a descriptor received in a
 * message...) resolves too; one readlink per descriptor and lifetime. `user`: the process whose descriptors they
 * are (a vfork child's own, though its events go to its parent's ring).
 */
static void name_first_uses(struct proc *ring, struct proc *user, struct thread *t, pid_t tid, uint16_t extra)
{
    const struct iotrace_sc_info *info = &iotrace_sc_info[t->sc];
    for (int i = 0; i < info->nargs; i++) {
        int fd = (int)t->args[i]; /* fds are ints in every ABI: the low 32 bits */
        if (info->args[i] != IOTRACE_ARG_FD || fd < 0 || fd >= NAMED_FDS ||
            (user->used_fds[fd / 64] & (1ULL << (fd % 64))))
            continue;
        user->used_fds[fd / 64] |= 1ULL << (fd % 64);
        publish_name_of(ring, t, tid, fd, extra);
    }
}

/* a close (or close_range) ends those descriptors' lives: a later one of the same number is named again */
static void forget_uses(struct proc *user, const struct thread *t)
{
    uint64_t first = t->args[0] & 0xffffffffu, last = first;
    if (t->sc == IOTRACE_SC_CLOSE_RANGE)
        last = t->args[1] & 0xffffffffu;
    else if (t->sc != IOTRACE_SC_CLOSE)
        return;
    for (uint64_t fd = first; fd <= last && fd < NAMED_FDS; fd++)
        user->used_fds[fd / 64] &= ~(1ULL << (fd % 64));
}

static void publish(struct thread *t, pid_t tid, int at_exit, int64_t rval, int failed)
{
    static unsigned char payload[MAX_EVENT];
    uint16_t extra;
    struct proc *p = ring_owner(t, &extra);
    if (p != NULL && !at_exit)
        publish_fd_name(p, t, tid, extra);
    int32_t row;
    uint32_t length = record_build(t, tid, at_exit, rval, failed, payload, &row);
    if (p == NULL || length == 0)
        return;
    uint16_t status;
    memcpy(&status, payload + IOTRACE_EVENT_STATUS, 2);
    status |= extra;
    memcpy(payload + IOTRACE_EVENT_STATUS, &status, 2);
    proc_publish(p, row, payload, length, t->ip, t->sc);
}

/* A handle call about to run (seccomp stop, or --attach's syscall-entry stop): recorded now, or at its exit. */
static void on_call_entry(struct thread *t, pid_t tid, int sc, int abi32, uint64_t ip, const uint64_t *args)
{
    t->sc = sc;
    t->abi32 = abi32;
    t->ip = ip;
    memcpy(t->args, args, sizeof t->args);
    t->t0 = now_ns();
    record_entry(t, tid);
    if (own_rings) {
        uint16_t extra;
        struct proc *ring = ring_owner(t, &extra), *user = proc_get(t->tgid);
        if (ring != NULL && user != NULL && iotrace_sc_info[sc].call_class != IOTRACE_CLASS_HANDLE)
            name_first_uses(ring, user, t, tid, extra);
        else if (user != NULL)
            forget_uses(user, t);
    }
    if (iotrace_sc_info[sc].stop == IOTRACE_STOP_ENTRY) {
        publish(t, tid, 0, 0, 0);
        resume(tid, 0);
        return;
    }
    uint16_t extra;
    struct proc *target = ring_owner(t, &extra);
    if (target != NULL) /* before the call: a dup2 onto it, or the kernel, may change what it names */
        publish_fd_name(target, t, tid, extra);
    t->in_call = 1;
    resume_to_exit(tid); /* next stop: the syscall exit, for the result */
}

static void on_seccomp_stop(pid_t tid)
{
    struct __ptrace_syscall_info info;
    memset(&info, 0, sizeof info);
    struct thread *t = thread_get(tid);
    if (t == NULL || ptrace(PTRACE_GET_SYSCALL_INFO, tid, (void *)sizeof info, &info) <= 0 ||
        info.op != PTRACE_SYSCALL_INFO_SECCOMP) {
        resume(tid, 0);
        return;
    }
    if (t->tgid == 0)
        t->tgid = tgid_of(tid);
    int abi32;
    int sc = sc_of(&info, info.seccomp.nr, &abi32);
    struct proc *p = proc_get(t->tgid);
    if (sc < 0 || p == NULL) {
        resume(tid, 0);
        return;
    }
    if (sc == IOTRACE_SC_CLOSE && !abi32 && (uint32_t)info.seccomp.args[0] == IOTRACE_PTRACE_REGISTER_FD) {
        proc_register(p, tid, info.seccomp.args[1], info.seccomp.args[2]);
        resume(tid, 0);
        return;
    }
    /* an exec'd image under an earlier image's filter: the shim's calls stop too, and pass unrecorded */
    uint16_t ignored;
    struct proc *owner = ring_owner(t, &ignored);
    if (owner != NULL && owner->registered && !abi32 && proc_site_allowed(owner, info.instruction_pointer, sc)) {
        resume(tid, 0);
        return;
    }
    on_call_entry(t, tid, sc, abi32, info.instruction_pointer, info.seccomp.args);
}

/*
 * The kernel's own results of a call interrupted by a signal or by our PTRACE_INTERRUPT (ERESTARTSYS,
 * ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK): the program never sees them. The call is restarted, with
 * an entry stop of its own (recorded then), or, for a handler without SA_RESTART, returns EINTR (not recorded:
 * the exit stop comes before the kernel decides).
 */
static int restarted(int64_t rval)
{
    return rval == -512 || rval == -513 || rval == -514 || rval == -516;
}

static void on_syscall_stop(pid_t tid)
{
    struct __ptrace_syscall_info info;
    memset(&info, 0, sizeof info);
    struct thread *t = syscall_stops ? thread_get(tid) : thread_find(tid);
    if (t == NULL || (!syscall_stops && !t->in_call) ||
        ptrace(PTRACE_GET_SYSCALL_INFO, tid, (void *)sizeof info, &info) <= 0) {
        resume(tid, 0);
        return;
    }
    if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
        if (!syscall_stops) { /* the entry stop that follows a seccomp stop on older kernels */
            resume_to_exit(tid);
            return;
        }
        if (t->tgid == 0)
            t->tgid = tgid_of(tid);
        int abi32;
        int sc = sc_of(&info, info.entry.nr, &abi32);
        t->in_call = 0;
        /* --attach: the calls the filter would stop (its argument tests: mmap of a file, fcntl F_DUPFD*) */
        if (sc >= 0 && proc_get(t->tgid) != NULL && iotrace_stop_wanted(sc, info.entry.args)) {
            on_call_entry(t, tid, sc, abi32, info.instruction_pointer, info.entry.args);
            return;
        }
        resume(tid, 0);
        return;
    }
    /* an exit stop: of the call we wait for, or (--attach) of any other; not one the kernel is about to restart */
    if (t->in_call && info.op == PTRACE_SYSCALL_INFO_EXIT && !restarted(info.exit.rval))
        publish(t, tid, 1, info.exit.rval, info.exit.is_error != 0);
    t->in_call = 0;
    resume(tid, 0);
}

/* Our own rings have no shim to record a fork: its record (row fork, result the child) is what makes the collector
 * give the child a copy of the parent's handles; a vfork child writes into its parent's ring anyway. */
static void publish_fork(struct thread *parent, pid_t tid, pid_t child)
{
    static unsigned char payload[MAX_EVENT];
    uint16_t extra;
    struct proc *p = ring_owner(parent, &extra);
    if (p == NULL)
        return;
    uint32_t length = record_meta(payload, tid, now_ns(), child, NULL, 0, NULL, 0, extra);
    proc_publish(p, IOTRACE_FN_FORK, payload, length, 0, -1);
}

/* the clone/fork/vfork event of `tid`: the new task is ours now */
static void on_new_task(pid_t tid, int event)
{
    unsigned long msg = 0;
    struct thread *parent = thread_get(tid);
    if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg) != 0 || parent == NULL) {
        resume(tid, 0);
        return;
    }
    if (parent->tgid == 0)
        parent->tgid = tgid_of(tid);
    pid_t child = (pid_t)msg;
    struct thread *c = thread_get(child);
    if (c != NULL) {
        c->announced = 1;
        c->tgid = event == PTRACE_EVENT_CLONE ? tgid_of(child) : child;
        if (c->tgid == child) { /* a process: it inherits what its parent's image registered */
            struct proc *pp = proc_get(parent->tgid), *cp = proc_get(child);
            if (cp != NULL) {
                cp->ppid = parent->tgid;
                if (pp != NULL) {
                    cp->execd = pp->execd;
                    cp->registered = pp->registered;
                    cp->nsites = pp->nsites;
                    memcpy(cp->sites, pp->sites, sizeof cp->sites);
                    if (cp->registered && !own_rings)
                        proc_save_sites(cp);
                    if (event == PTRACE_EVENT_VFORK) /* shares the parent's memory until its exec or exit */
                        cp->vfork_parent = pp->vfork_parent != 0 ? pp->vfork_parent : pp->tgid;
                }
                if (own_rings && cp->vfork_parent == 0)
                    proc_ensure_ring(cp);
                if (own_rings && event == PTRACE_EVENT_FORK && pp != NULL)
                    publish_fork(parent, tid, child);
            }
        }
        if (c->held) {
            c->held = 0;
            resume(child, 0);
        }
    }
    resume(tid, 0);
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
        /* a non-leader thread that execs takes the leader's tid: the thread group is now tid's */
        struct thread *t = thread_get(tid);
        if (t != NULL) {
            t->in_call = 0;
            t->tgid = tid;
            t->announced = 1;
            struct proc *p = proc_get(tid);
            if (p != NULL) {
                proc_exec(p);
                if (own_rings) { /* the new image's ring exists from its start: the collector waits for it */
                    proc_ensure_ring(p);
                    memset(p->used_fds, 0, sizeof p->used_fds); /* its close-on-exec ones are gone */
                    /* what it inherited (stdin, stdout, ...), as the shim's start-up scan names them */
                    record_open_descriptors(tid);
                }
            }
        }
        resume(tid, 0);
        return;
    }
    case PTRACE_EVENT_CLONE:
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK:
        on_new_task(tid, event);
        return;
    case PTRACE_EVENT_VFORK_DONE:
        resume(tid, 0);
        return;
    case PTRACE_EVENT_STOP: {
        if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
            if (detaching)
                resume(tid, 0); /* detached in its group-stop: the kernel keeps it stopped */
            else
                ptrace(PTRACE_LISTEN, tid, 0, 0); /* group-stop: stays stopped until SIGCONT, as without us */
            return;
        }
        struct thread *t = thread_get(tid);
        if (t != NULL && !t->announced && !detaching) { /* a new task before its creator's event: wait for that */
            t->held = 1;
            return;
        }
        resume(tid, 0);
        return;
    }
    default:
        break;
    }
    if (sig == (SIGTRAP | 0x80)) {
        on_syscall_stop(tid);
        return;
    }
    resume(tid, sig); /* signal-delivery stop: the signal goes on, unchanged */
}

static void on_task_exit(pid_t tid)
{
    struct thread *t = thread_find(tid);
    pid_t tgid = t != NULL && t->tgid != 0 ? t->tgid : tid;
    thread_forget(tid);
    if (tgid == tid) {
        struct proc *p = proc_find(tgid);
        if (p != NULL) {
            proc_exited(p);
            proc_forget(p);
        }
    }
}

/* Seizes every thread of pid until a pass over /proc/pid/task finds none new; 0 or an errno. */
static int seize_all(pid_t pid, unsigned long options)
{
    if (ptrace(PTRACE_SEIZE, pid, 0, (void *)options) != 0)
        return errno;
    struct thread *leader = thread_get(pid);
    if (leader != NULL)
        leader->tgid = pid, leader->announced = 1;
    proc_get(pid);
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
            if (tid <= 0 || thread_find(tid) != NULL)
                continue;
            if (ptrace(PTRACE_SEIZE, tid, 0, (void *)options) == 0) {
                struct thread *t = thread_get(tid);
                if (t != NULL)
                    t->tgid = pid, t->announced = 1;
                changed = 1;
            }
        }
        closedir(d);
    }
    return 0;
}

/*
 * --attach, once seized: every thread is stopped (PTRACE_INTERRUPT; a thread in a blocking call has it restarted
 * afterwards, as after a signal with no handler), the descriptors and mappings are recorded while nothing can
 * change them, and each thread goes on from the stop it reported (with PTRACE_SYSCALL from now on).
 */
static void attach_stopped(pid_t pid)
{
    static pid_t tids[MAX_THREADS_LISTED];
    static int statuses[MAX_THREADS_LISTED];
    int n = thread_list(tids, MAX_THREADS_LISTED);
    for (int i = 0; i < n; i++)
        ptrace(PTRACE_INTERRUPT, tids[i], 0, 0);
    for (int i = 0; i < n; i++)
        while (waitpid(tids[i], &statuses[i], __WALL) < 0 && errno == EINTR)
            ;
    attach_seed(pid);
    for (int i = 0; i < n; i++) {
        if (WIFEXITED(statuses[i]) || WIFSIGNALED(statuses[i]))
            on_task_exit(tids[i]);
        else if (WIFSTOPPED(statuses[i]))
            on_stop(tids[i], statuses[i]);
    }
}

/* --attach: leaving. Each thread is interrupted and detached at the stop it reports (resume() detaches now); a
 * thread held at its first stop is stopped already: detached at once. */
static void start_detach(void)
{
    static pid_t tids[MAX_THREADS_LISTED];
    detaching = 1;
    int n = thread_list(tids, MAX_THREADS_LISTED);
    for (int i = 0; i < n; i++) {
        struct thread *t = thread_find(tids[i]);
        if (t != NULL && t->held)
            resume(tids[i], 0);
        else
            ptrace(PTRACE_INTERRUPT, tids[i], 0, 0);
    }
}

static void on_detach_signal(int sig)
{
    (void)sig;
    detach_requested = 1;
    alarm(1); /* should it come just before waitpid blocks: SIGALRM interrupts the wait */
}

/* the fallback's heir (heir.c): our child, a copy of us that waits for our death */
static pid_t heir_pid;
/* the fallback (--pid, --heir-of): how long the session's tracer waits for new trees after its last tracee */
static long linger_ms = 500;

static void start_heir(void)
{
    char self[4096], parent[16], linger[24];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return;
    self[n] = '\0';
    snprintf(parent, sizeof parent, "%d", (int)getpid());
    snprintf(linger, sizeof linger, "%ld", linger_ms);
    pid_t child = fork();
    if (child == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL); /* the fallback loop blocks SIGCHLD outside its ppoll */
        execl(self, "iotrace-ptrace", "--heir-of", parent, "--session-dir", run_dir, "--linger-ms", linger,
              (char *)NULL);
        _exit(127);
    }
    heir_pid = child > 0 ? child : 0;
}

static int seize_for_heir(pid_t pid)
{
    return seize_all(pid, SEIZE_OPTIONS);
}

static void on_alarm(int sig)
{
    (void)sig;
}

static void on_sigchld(int sig)
{
    (void)sig; /* only wakes the fallback loop's ppoll */
}

static void block_sigchld(void)
{
    struct sigaction wake = {0};
    wake.sa_handler = on_sigchld; /* not SIG_IGN, no SA_NOCLDSTOP: every ptrace stop raises it */
    sigaction(SIGCHLD, &wake, NULL);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
}

/* a process of another tree that asked the session's tracer (service.c) */
static int seize_joined(pid_t pid)
{
    int err = seize_all(pid, SEIZE_OPTIONS);
    if (err == 0 && heir_pid == 0)
        start_heir(); /* none while we were lingering without tracees, or it was killed then */
    return err;
}

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * The fallback's loop (--pid, --heir-of): ptrace stops, and the requests of processes that join this tracer
 * (service.c). SIGCHLD (raised by every stop and exit of a tracee) is blocked except inside ppoll, so a stop that
 * comes after waitpid found nothing ends the next ppoll at once. With no tracee left, the listener lingers for
 * linger_ms, then stops listening (queued requests are told no) and exits; a tracer that is not the listener
 * exits at once.
 */
static void fallback_loop(void)
{
    block_sigchld();
    sigset_t during_poll;
    sigprocmask(SIG_SETMASK, NULL, &during_poll);
    sigdelset(&during_poll, SIGCHLD);
    service_try_listen();
    int64_t idle_since = 0;
    for (;;) {
        int status;
        pid_t tid = waitpid(-1, &status, __WALL | WNOHANG);
        if (tid > 0) {
            if ((WIFEXITED(status) || WIFSIGNALED(status)) && tid == heir_pid) {
                heir_pid = 0;
                if (thread_count() > 0)
                    start_heir(); /* killed: another one */
            } else if (WIFEXITED(status) || WIFSIGNALED(status)) {
                on_task_exit(tid);
            } else if (WIFSTOPPED(status)) {
                on_stop(tid, status);
            }
            continue;
        }
        if (tid < 0 && errno == EINTR)
            continue;
        int64_t now = monotonic_ns(), wait_ns = service_timeout_ns();
        if (thread_count() == 0 && service_pending() == 0) {
            if (!service_listening())
                break;
            if (idle_since == 0)
                idle_since = now;
            int64_t left = idle_since + linger_ms * 1000000LL - now;
            if (left <= 0)
                break;
            wait_ns = wait_ns < 0 || left < wait_ns ? left : wait_ns;
        } else {
            idle_since = 0;
        }
        struct pollfd fds[40];
        int nfds = service_pollfds(fds, 40);
        struct timespec timeout = {wait_ns / 1000000000LL, wait_ns % 1000000000LL};
        ppoll(fds, (nfds_t)nfds, wait_ns < 0 ? NULL : &timeout, &during_poll);
        service_handle(seize_joined);
    }
    service_close(); /* from here on every request is told no (its process starts a tracer of its own) */
    if (heir_pid > 0) {
        kill(heir_pid, SIGKILL); /* nothing left to inherit */
        while (waitpid(heir_pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
}

/* --own-rings: the command, started stopped-in-effect: it waits until we have seized it, installs the filter
 * (no allowed sites, data calls included: every handle, read, write and metadata call stops) and execs */
static pid_t start_command(char **argv, int *go_fd)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    pid_t child = (pid_t)syscall(SYS_clone, (unsigned long)SIGCHLD, 0UL, NULL, NULL, 0UL);
    if (child != 0) {
        close(fds[0]);
        *go_fd = fds[1];
        return child;
    }
    close(fds[1]);
    char go;
    if (read(fds[0], &go, 1) != 1)
        _exit(127);
    static struct bpf_prog prog;
    struct sock_fprog fprog = {0, prog.insn};
    if (iotrace_build_own_rings_filter(&prog) != 0)
        _exit(127);
    fprog.len = (unsigned short)prog.n;
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0 &&
        (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0)) {
        fprintf(stderr, "iotrace-ptrace: cannot install the seccomp filter: %s\n", strerror(errno));
        _exit(127);
    }
    execvp(argv[0], argv);
    fprintf(stderr, "iotrace-ptrace: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

static void usage(void)
{
    fprintf(stderr, "usage: iotrace-ptrace --pid PID --session-dir DIR --ready-fd FD [--linger-ms MS]\n"
                    "       iotrace-ptrace --own-rings --session-dir DIR [--ring-size BYTES] -- COMMAND [ARGS...]\n"
                    "       iotrace-ptrace --attach PID --session-dir DIR [--ring-size BYTES]\n"
                    "       iotrace-ptrace --heir-of TRACER --session-dir DIR [--linger-ms MS]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    pid_t pid = 0, heir_of = 0;
    int ready_fd = -1;
    char **command = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            command = argv + i + 1;
            break;
        }
        if (strcmp(argv[i], "--own-rings") == 0) {
            own_rings = 1;
            continue;
        }
        if (i + 1 >= argc)
            usage();
        if (strcmp(argv[i], "--pid") == 0)
            pid = (pid_t)atoi(argv[++i]);
        else if (strcmp(argv[i], "--heir-of") == 0)
            heir_of = (pid_t)atoi(argv[++i]);
        else if (strcmp(argv[i], "--attach") == 0)
            attached_pid = (pid_t)atoi(argv[++i]), own_rings = 1;
        else if (strcmp(argv[i], "--session-dir") == 0)
            run_dir = argv[++i];
        else if (strcmp(argv[i], "--ready-fd") == 0)
            ready_fd = atoi(argv[++i]);
        else if (strcmp(argv[i], "--linger-ms") == 0)
            linger_ms = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--ring-size") == 0)
            own_ring_capacity = (uint32_t)strtoul(argv[++i], NULL, 10);
        else
            usage();
    }
    int attach = attached_pid != 0;
    if (run_dir == NULL ||
        (attach     ? attached_pid < 0 || command != NULL
         : heir_of  ? heir_of < 0 || own_rings
         : own_rings ? command == NULL || command[0] == NULL
                     : pid <= 0 || ready_fd < 0) ||
        linger_ms < 0 || own_ring_capacity < 65536 || (own_ring_capacity & (own_ring_capacity - 1)) != 0)
        usage();

    /* our death would kill the tree (EXITKILL): only SIGKILL may do that. --attach: SIGINT, SIGTERM and SIGHUP
     * detach (nothing dies with us) */
    int ignored[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2, SIGALRM, SIGTSTP, SIGTTIN, SIGTTOU};
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++)
        signal(ignored[i], SIG_IGN);
    if (attach) {
        struct sigaction detach = {0}, wake = {0}; /* no SA_RESTART: the signal interrupts waitpid */
        detach.sa_handler = on_detach_signal;
        wake.sa_handler = on_alarm;
        sigaction(SIGINT, &detach, NULL);
        sigaction(SIGTERM, &detach, NULL);
        sigaction(SIGHUP, &detach, NULL);
        sigaction(SIGALRM, &wake, NULL);
    }

    pid_t command_pid = 0;
    int command_status = 0;
    if (attach) {
        int err = seize_all(attached_pid, ATTACH_OPTIONS);
        if (err != 0) {
            fprintf(stderr, "cannot attach to pid %d: ptrace: %s\n", attached_pid, strerror(err));
            return 1;
        }
        syscall_stops = 1;
        attach_stopped(attached_pid);
    } else if (heir_of != 0) {
        heir_wait(heir_of);
        if (heir_adopt(seize_for_heir) == 0)
            return 0; /* nothing left to trace */
        start_heir();
        fallback_loop();
        return 0;
    } else if (own_rings) {
        int go_fd;
        command_pid = start_command(command, &go_fd);
        if (command_pid < 0) {
            fprintf(stderr, "iotrace-ptrace: cannot start %s: %s\n", command[0], strerror(errno));
            return 127;
        }
        int err = seize_all(command_pid, OWN_RINGS_OPTIONS);
        if (err != 0) {
            fprintf(stderr, "iotrace-ptrace: cannot trace %s: ptrace: %s\n", command[0], strerror(err));
            kill(command_pid, SIGKILL);
            return 1;
        }
        if (write(go_fd, "g", 1) != 1)
            return 1;
        close(go_fd);
    } else {
        /* SIGCHLD blocked before the first tracee can stop: the fallback loop sleeps in ppoll, woken by it */
        block_sigchld();
        int err = seize_all(pid, SEIZE_OPTIONS);
        char answer[16];
        int n = err == 0 ? snprintf(answer, sizeof answer, "Y") : snprintf(answer, sizeof answer, "N%d", err);
        if (write(ready_fd, answer, (size_t)n) != n || err != 0)
            return 1;
        close(ready_fd);
        start_heir();
        fallback_loop();
        return 0;
    }

    for (;;) {
        int status;
        if (detach_requested && !detaching)
            start_detach();
        pid_t tid = waitpid(-1, &status, __WALL);
        if (tid < 0) {
            if (errno == EINTR)
                continue;
            break; /* ECHILD: every tracee is gone */
        }
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            if (tid == command_pid)
                command_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            on_task_exit(tid);
            continue;
        }
        if (WIFSTOPPED(status))
            on_stop(tid, status);
    }
    if (attach)
        proc_detach_all(); /* the processes still running: their rings are complete */
    return command_status;
}
