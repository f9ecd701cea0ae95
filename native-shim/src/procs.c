/*
 * Processes by hand where a table row cannot express the wrapper (rows 450.. of functions.tbl, flag handwritten):
 *  - vfork: the exported symbol is the assembly trampoline in vfork.S; the C halves here run before the syscall
 *    and in the parent after it. The child's records are tagged IOTRACE_STATUS_VFORK_CHILD (see event.c);
 *  - clone: an ordinary wrapper; a CLONE_VM|CLONE_VFORK child is treated like a vfork child;
 *  - execv/execvp and the variadic execl/execlp/execle: they run the generated execve/execvpe wrappers (with
 *    environ, argv built on the stack for execl*), recorded under their own id (iotrace_record_as_*);
 *  - the environment kept across exec (keep_env rows): iotrace_env_remember/iotrace_keep_env;
 *  - pthread_create: the new thread reports its tid before it runs the program's start routine.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <linux/futex.h>
#include <sched.h>

#include "iotrace_runtime.h"
#include "sys.h"

/* ---- vfork ------------------------------------------------------------------------------------------------ */

/*
 * The parent's state across the vfork: the child runs on this thread's memory (stack and TLS) until it execs or
 * exits, so it must not find our parent-side values in its way, and the parent gets them back afterwards.
 * Only the calling thread's TLS is touched; the parent thread is suspended meanwhile.
 */
static IOTRACE_TLS int64_t vfork_t0;
static IOTRACE_TLS int vfork_saved_tid;
static IOTRACE_TLS int vfork_traced;
/* fds the vfork child opened (it leaves the parent's table alone); beyond: named again at each use */
#define VFORK_FDS 1024
static IOTRACE_TLS uint64_t vfork_fd_bits[VFORK_FDS / 64];

int iotrace_vfork_fd_known(int fd)
{
    return fd >= 0 && fd < VFORK_FDS && (vfork_fd_bits[fd >> 6] & (1ULL << (fd & 63))) != 0;
}

void iotrace_vfork_fd_mark(int fd, int known)
{
    if (fd < 0 || fd >= VFORK_FDS)
        return;
    if (known)
        vfork_fd_bits[fd >> 6] |= 1ULL << (fd & 63);
    else
        vfork_fd_bits[fd >> 6] &= ~(1ULL << (fd & 63));
}

/* Called by the trampoline just before the vfork syscall (an ordinary call: nothing forked yet). */
void iotrace_vfork_enter(void)
{
    int saved = errno;
    vfork_traced = iotrace_enter();
    if (vfork_traced) {
        vfork_t0 = iotrace_now_ns();
        vfork_saved_tid = iotrace_tid_cache;
        iotrace_tid_cache = 0;    /* the child's records carry its own tid (= its pid) */
        memset(vfork_fd_bits, 0, sizeof vfork_fd_bits);
        iotrace_vfork_child = 1;  /* seen by the child only: cleared below before the parent goes on */
        iotrace_leave();          /* the child's calls are traced (tagged VFORK_CHILD) */
    }
    errno = saved;
}

/* The parent's side after the child exec'd or exited: its own state back. 1 if the call is to be recorded. */
static int vfork_restore(void)
{
    if (!vfork_traced)
        return 0;
    vfork_traced = 0;
    iotrace_vfork_child = 0;
    iotrace_tid_cache = vfork_saved_tid;
    iotrace_guard = 0; /* whatever the child left: the parent was outside the shim when it called vfork */
    iotrace_defer_depth = 0;
    return 1;
}

/* Called by the trampoline in the parent after the vfork syscall, with its raw result (-errno on failure). */
long iotrace_vfork_leave(long raw)
{
    int err = raw < 0 ? (int)-raw : 0;
    if (vfork_restore()) {
        int64_t t1 = iotrace_now_ns();
        if (iotrace_enter()) {
            uint64_t buf[(IOTRACE_RECORD_HEADER_LENGTH + IOTRACE_EVENT_ARGS + 7) / 8];
            struct iotrace_event ev;
            iotrace_ev_init(&ev, buf, sizeof buf, IOTRACE_FN_VFORK_SLOTS);
            iotrace_ev_publish(&ev, IOTRACE_FN_VFORK, vfork_t0, t1, (uint64_t)(raw < 0 ? -1 : raw),
                               raw < 0 ? IOTRACE_STATUS_FAILED : 0, err);
            iotrace_leave();
        }
    }
    if (raw < 0) {
        errno = err;
        return -1;
    }
    return raw;
}

/* ---- clone ---------------------------------------------------------------------------------------------- */

_Static_assert(IOTRACE_FN_CLONE_SLOTS == 1 && IOTRACE_FN_CLONE_STRINGS == 0, "clone row changed: update procs.c");

typedef int (*clone_fn)(int (*)(void *), void *, int, void *, ...);

/*
 * clone(2)'s glibc wrapper: fn runs in the child on its own stack and never returns through here, so an ordinary C
 * wrapper is safe. The three optional arguments are always passed on (glibc's clone reads them by flags).
 * CLONE_VM|CLONE_VFORK (a vfork with a separate stack): the child shares this thread's memory until it execs or
 * exits, so it is treated as a vfork child. Other CLONE_VM children without their own TLS would share ours:
 * those are forwarded as before (their calls are recorded as this thread's).
 */
IOTRACE_EXPORT int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    pid_t *parent_tid = va_arg(ap, pid_t *);
    void *tls = va_arg(ap, void *);
    pid_t *child_tid = va_arg(ap, pid_t *);
    va_end(ap);
    static clone_fn real;
    clone_fn r = __atomic_load_n(&real, __ATOMIC_RELAXED);
    if (r == NULL) {
        int saved = errno;
        r = (clone_fn)dlsym(RTLD_NEXT, "clone");
        errno = saved;
        if (r == NULL) {
            errno = ENOSYS;
            return -1;
        }
        __atomic_store_n(&real, r, __ATOMIC_RELAXED);
    }
    int vfork_like = (flags & (CLONE_VM | CLONE_VFORK)) == (CLONE_VM | CLONE_VFORK);
    int saved = errno;
    int traced = iotrace_enter();
    int64_t t0 = iotrace_now_ns();
    if (traced) {
        iotrace_leave();
        if (vfork_like)
            iotrace_vfork_enter();
    }
    errno = saved;
    int ret = r(fn, stack, flags, arg, parent_tid, tls, child_tid);
    int err = errno;
    int64_t t1 = iotrace_now_ns();
    if (traced && (!vfork_like || vfork_restore()) && iotrace_enter()) {
        uint64_t buf[(IOTRACE_RECORD_HEADER_LENGTH + IOTRACE_EVENT_ARGS + 8 + 7) / 8];
        struct iotrace_event ev;
        iotrace_ev_init(&ev, buf, sizeof buf, IOTRACE_FN_CLONE_SLOTS);
        iotrace_ev_slot(&ev, 0, (uint64_t)(int64_t)flags);
        iotrace_ev_publish(&ev, IOTRACE_FN_CLONE, t0, t1, (uint64_t)(int64_t)ret,
                           ret == -1 ? IOTRACE_STATUS_FAILED : 0, err);
        iotrace_leave();
    }
    errno = err;
    return ret;
}

_Static_assert(IOTRACE_FN_VFORK_SLOTS == 0 && IOTRACE_FN_VFORK_STRINGS == 0, "vfork row changed: update procs.c");

/* ---- variadic exec -------------------------------------------------------------------------------------- */

_Static_assert(IOTRACE_FN_EXECL_SLOTS == IOTRACE_FN_EXECVE_SLOTS && IOTRACE_FN_EXECV_SLOTS == IOTRACE_FN_EXECVE_SLOTS &&
                   IOTRACE_FN_EXECLE_SLOTS == IOTRACE_FN_EXECVE_SLOTS &&
                   IOTRACE_FN_EXECLP_SLOTS == IOTRACE_FN_EXECVPE_SLOTS &&
                   IOTRACE_FN_EXECVP_SLOTS == IOTRACE_FN_EXECVPE_SLOTS,
               "execv/execl/execle rows must record what execve records, execvp/execlp what execvpe records");

extern char **environ;

/* argv of at most this many entries is built on the stack; longer lists go to the untraced real function */
#define EXECL_MAX_ARGS 4096

static void record_as(int32_t generated_type, int32_t id)
{
    iotrace_record_as_type = generated_type;
    iotrace_record_as_id = id;
}

/* Counts the list after arg up to its NULL (arg itself included); -1 when longer than EXECL_MAX_ARGS. */
static int count_args(const char *arg, va_list ap)
{
    int n = 0;
    for (const char *a = arg; a != NULL; a = va_arg(ap, const char *))
        if (++n > EXECL_MAX_ARGS)
            return -1;
    return n;
}

/* Declares argv[] of an execl-style call in the caller's frame (no malloc: we may be in a vfork child) and fills
 * it from `arg` and the va_list `ap` started after it, leaving `ap` after the list's terminating NULL (execle's
 * envp follows it). A list longer than EXECL_MAX_ARGS fails the call with E2BIG. */
#define EXECL_ARGV(argv, arg, ap)                                                                                 \
    va_list count_ap_;                                                                                            \
    va_copy(count_ap_, ap);                                                                                       \
    const int n_ = count_args(arg, count_ap_);                                                                    \
    va_end(count_ap_);                                                                                            \
    if (n_ < 0) {                                                                                                 \
        va_end(ap);                                                                                               \
        errno = E2BIG;                                                                                            \
        return -1;                                                                                                \
    }                                                                                                             \
    char *argv[n_ + 1];                                                                                           \
    argv[0] = (char *)(arg);                                                                                      \
    for (int i_ = 1; i_ < n_; i_++)                                                                               \
        argv[i_] = va_arg(ap, char *);                                                                            \
    argv[n_] = NULL;                                                                                              \
    if (n_ > 0)                                                                                                   \
        (void)va_arg(ap, char *) /* the terminating NULL */

/* Runs the wrapper of execve (vector_type IOTRACE_FN_EXECVE) or execvpe, its record named after the caller (id). */
static int exec_recorded_as(int32_t vector_type, int32_t id, const char *path_or_file, char *const argv[],
                            char *const envp[])
{
    record_as(vector_type, id);
    const int ret = IOTRACE_FN_EXECVE == vector_type ? execve(path_or_file, argv, envp)
                                                      : execvpe(path_or_file, argv, envp);
    record_as(0, 0);
    return ret;
}

IOTRACE_EXPORT int execl(const char *path, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    EXECL_ARGV(argv, arg, ap);
    va_end(ap);
    return exec_recorded_as(IOTRACE_FN_EXECVE, IOTRACE_FN_EXECL, path, argv, environ);
}

IOTRACE_EXPORT int execlp(const char *file, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    EXECL_ARGV(argv, arg, ap);
    va_end(ap);
    return exec_recorded_as(IOTRACE_FN_EXECVPE, IOTRACE_FN_EXECLP, file, argv, environ);
}

IOTRACE_EXPORT int execle(const char *path, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    EXECL_ARGV(argv, arg, ap);
    char *const *envp = va_arg(ap, char *const *);
    va_end(ap);
    return exec_recorded_as(IOTRACE_FN_EXECVE, IOTRACE_FN_EXECLE, path, argv, envp);
}

/* execv/execvp are execve/execvpe with environ (as in glibc): the env is kept by those wrappers */
IOTRACE_EXPORT int execv(const char *path, char *const argv[])
{
    return exec_recorded_as(IOTRACE_FN_EXECVE, IOTRACE_FN_EXECV, path, argv, environ);
}

IOTRACE_EXPORT int execvp(const char *file, char *const argv[])
{
    return exec_recorded_as(IOTRACE_FN_EXECVPE, IOTRACE_FN_EXECVP, file, argv, environ);
}

/* ---- environment kept across exec -------------------------------------------------------------------------- */

#define KEPT_MAX 64
static const char *kept[KEPT_MAX]; /* "NAME=value" strings of the initial environment (never freed) */
static int kept_count;

/* Remembers LD_PRELOAD and IOTRACE_* as the process started with them (called once per image at init). */
void iotrace_env_remember(void)
{
    kept_count = 0;
    if (environ == NULL)
        return;
    for (char **e = environ; *e != NULL && kept_count < KEPT_MAX; e++)
        if (strncmp(*e, "LD_PRELOAD=", 11) == 0 || strncmp(*e, "IOTRACE_", 8) == 0)
            kept[kept_count++] = *e;
}

static size_t name_length(const char *entry)
{
    const char *eq = strchr(entry, '=');
    return eq != NULL ? (size_t)(eq - entry) + 1 : strlen(entry);
}

static const char *find_entry(char *const *envp, const char *entry)
{
    size_t n = name_length(entry);
    if (envp != NULL)
        for (char *const *e = envp; *e != NULL; e++)
            if (strncmp(*e, entry, n) == 0)
                return *e;
    return NULL;
}

/* the preload value of the start: is every library of it in the value given (as a whole word)? */
static int preload_contains(const char *given, const char *ours)
{
    const char *g = given + 11, *o = ours + 11;
    while (*o != '\0') {
        size_t len = strcspn(o, ": ");
        if (len > 0) {
            int found = 0;
            for (const char *p = g; *p != '\0';) {
                size_t plen = strcspn(p, ": ");
                if (plen == len && strncmp(p, o, len) == 0) {
                    found = 1;
                    break;
                }
                p += plen;
                p += strspn(p, ": ");
            }
            if (!found)
                return 0;
        }
        o += len;
        o += strspn(o, ": ");
    }
    return 1;
}

/*
 * envp itself when it has every kept variable (LD_PRELOAD containing our libraries), else a copy in buf with the
 * missing ones added (a foreign LD_PRELOAD gets ours in front of it). No malloc: this runs in vfork children.
 * When the copy does not fit in buf, envp unchanged and IOTRACE_STATUS_ENV_NOT_KEPT in *status.
 */
char *const *iotrace_keep_env(char *const *envp, void *buf, size_t size, uint16_t *status)
{
    int missing = 0;
    const char *preload_given = NULL;
    for (int i = 0; i < kept_count; i++) {
        const char *given = find_entry(envp, kept[i]);
        if (given == NULL)
            missing++;
        else if (strncmp(kept[i], "LD_PRELOAD=", 11) == 0 && !preload_contains(given, kept[i]))
            preload_given = given;
    }
    if (missing == 0 && preload_given == NULL)
        return envp;

    size_t count = 0;
    if (envp != NULL)
        while (envp[count] != NULL)
            count++;
    size_t pointers = (count + (size_t)kept_count + 1) * sizeof(char *);
    size_t merged = preload_given != NULL ? strlen(preload_given) + strlen(kept[0]) + 2 : 0;
    if (pointers + merged > size) {
        *status |= IOTRACE_STATUS_ENV_NOT_KEPT;
        return envp;
    }
    char **out = buf;
    char *text = (char *)buf + pointers;
    size_t k = 0;
    for (size_t i = 0; i < count; i++) {
        if (envp[i] == preload_given) {
            /* ours first, then theirs: LD_PRELOAD=<our value>:<their value> */
            const char *ours = NULL;
            for (int j = 0; j < kept_count; j++)
                if (strncmp(kept[j], "LD_PRELOAD=", 11) == 0)
                    ours = kept[j];
            size_t ol = strlen(ours), tl = strlen(preload_given + 11);
            memcpy(text, ours, ol);
            text[ol] = ':';
            memcpy(text + ol + 1, preload_given + 11, tl + 1);
            out[k++] = text;
        } else {
            out[k++] = envp[i];
        }
    }
    for (int i = 0; i < kept_count; i++)
        if (find_entry(envp, kept[i]) == NULL)
            out[k++] = (char *)kept[i];
    out[k] = NULL;
    *status |= IOTRACE_STATUS_ENV_ADDED;
    return out;
}

/* ---- threads ------------------------------------------------------------------------------------------------ */

_Static_assert(IOTRACE_FN_PTHREAD_CREATE_SLOTS == 1 && IOTRACE_FN_PTHREAD_CREATE_STRINGS == 0,
               "pthread_create row changed: update procs.c");

typedef int (*pthread_create_fn)(pthread_t *, const pthread_attr_t *, iotrace_start_routine, void *);

/* what the new thread needs and tells: on the creating thread's stack, which waits until `ready` */
struct thread_start {
    iotrace_start_routine routine;
    void *arg;
    int tid;
    int ready;
};

static void *thread_trampoline(void *p)
{
    struct thread_start *start = p;
    iotrace_start_routine routine = start->routine;
    void *arg = start->arg;
    start->tid = sys_gettid();
    __atomic_store_n(&start->ready, 1, __ATOMIC_RELEASE);
    /* start is not touched after this (the creator may have returned already: a spurious wake is harmless) */
    syscall(SYS_futex, &start->ready, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    return routine(arg);
}

IOTRACE_EXPORT int pthread_create(pthread_t *thread, const pthread_attr_t *attr, iotrace_start_routine start_routine,
                                  void *arg)
{
    static pthread_create_fn real;
    pthread_create_fn r = __atomic_load_n(&real, __ATOMIC_RELAXED);
    if (r == NULL) {
        int saved = errno;
        r = (pthread_create_fn)dlsym(RTLD_NEXT, "pthread_create");
        errno = saved;
        if (r == NULL)
            return ENOSYS;
        __atomic_store_n(&real, r, __ATOMIC_RELAXED);
    }
    int saved = errno;
    if (!iotrace_enter()) {
        errno = saved;
        return r(thread, attr, start_routine, arg);
    }
    struct thread_start start = {start_routine, arg, 0, 0};
    int64_t t0 = iotrace_now_ns();
    iotrace_release();
    errno = saved;
    int ret = r(thread, attr, thread_trampoline, &start);
    int err = errno;
    if (ret == 0)
        while (!__atomic_load_n(&start.ready, __ATOMIC_ACQUIRE))
            syscall(SYS_futex, &start.ready, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    int64_t t1 = iotrace_now_ns();
    iotrace_reenter();
    uint64_t buf[(IOTRACE_RECORD_HEADER_LENGTH + IOTRACE_EVENT_ARGS + 8 + 7) / 8];
    struct iotrace_event ev;
    iotrace_ev_init(&ev, buf, sizeof buf, IOTRACE_FN_PTHREAD_CREATE_SLOTS);
    iotrace_ev_slot(&ev, 0, (uint64_t)(int64_t)start.tid);
    iotrace_ev_publish(&ev, IOTRACE_FN_PTHREAD_CREATE, t0, t1, (uint64_t)(int64_t)ret,
                       ret != 0 ? IOTRACE_STATUS_FAILED : 0, ret);
    iotrace_leave();
    errno = err;
    return ret;
}
