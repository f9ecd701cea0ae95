/*
 * What the generated wrappers (build/gen/iotrace_wrappers.gen.c) and the runtime share: the tracing state and
 * re-entrancy guard, real-symbol lookup, event encoding and publishing, the known-fd table, exec hooks.
 * Everything here is async-signal-safe: no malloc, no stdio, no locks.
 */
#ifndef IOTRACE_RUNTIME_H
#define IOTRACE_RUNTIME_H

#include <errno.h>
#include <pthread.h>
#include <spawn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "iotrace_format.h"
/* parameter types of rows the generated header cannot spell inline */
typedef void *(*iotrace_start_routine)(void *);

#include "iotrace_functions.gen.h"

#define IOTRACE_EXPORT __attribute__((visibility("default")))
/* initial-exec: a TLS access is one %fs-relative load, no __tls_get_addr (which may malloc) */
#define IOTRACE_TLS __thread __attribute__((tls_model("initial-exec")))

/* ---- tracing state ---------------------------------------------------------------------------------------- */

enum {
    IOTRACE_UNINIT = 0,       /* nothing done yet: the first traced call (or the constructor) initialises */
    IOTRACE_INITIALISING = 1, /* another thread initialises: calls meanwhile go untraced */
    IOTRACE_READY = 2,        /* a ring exists: trace */
    IOTRACE_OFF = 3,          /* disabled or failed: every wrapper is a plain forward to the real function */
};
extern int iotrace_state;

/* set while the shim works on this thread: calls made meanwhile (our own I/O, signal handlers) go untraced */
extern IOTRACE_TLS int iotrace_guard;
extern IOTRACE_TLS int iotrace_tid_cache;
/* set (by the vfork trampoline) while this thread's memory is a vfork child's: its records are tagged
   IOTRACE_STATUS_VFORK_CHILD and it leaves the known-fd table and the ring state alone (they are the parent's) */
extern IOTRACE_TLS int iotrace_vfork_child;
/* execl* run the execv/execvp/execve wrappers: their records get the execl* type instead */
extern IOTRACE_TLS int32_t iotrace_record_as_type;
extern IOTRACE_TLS int32_t iotrace_record_as_id;

int iotrace_init_lazily(void);

/* Returns 1 (guard taken) when this call is to be traced. */
static inline int iotrace_enter(void)
{
    if (iotrace_guard)
        return 0;
    int st = __atomic_load_n(&iotrace_state, __ATOMIC_ACQUIRE);
    if (__builtin_expect(st != IOTRACE_READY, 0)) {
        if (st != IOTRACE_UNINIT || !iotrace_init_lazily())
            return 0;
    }
    iotrace_guard = 1;
    return 1;
}

static inline void iotrace_leave(void) { iotrace_guard = 0; }
static inline void iotrace_reenter(void) { iotrace_guard = 1; }

static inline int iotrace_tid(void)
{
    int tid = iotrace_tid_cache;
    if (__builtin_expect(tid == 0, 0)) {
        tid = gettid();
        iotrace_tid_cache = tid;
    }
    return tid;
}

/* ---- real symbols ----------------------------------------------------------------------------------------- */

void *iotrace_real_resolve(int index);

static inline void *iotrace_real(int index)
{
    void *p = __atomic_load_n(&iotrace_real_fns[index], __ATOMIC_RELAXED);
    return __builtin_expect(p != NULL, 1) ? p : iotrace_real_resolve(index);
}

/* ---- events ----------------------------------------------------------------------------------------------- */

/*
 * An event being encoded in a stack buffer: rec[0..8) is room for the record header (filled only for the spill
 * file, whose framing is the ring's), the payload (section 3 of iotrace_format.h) follows.
 */
struct iotrace_event {
    unsigned char *rec;
    uint32_t cap;    /* bytes of rec */
    uint32_t len;    /* bytes used, record header included */
    uint16_t status; /* TRUNCATED collected while encoding strings */
};

#define IOTRACE_EV_PAYLOAD(ev) ((ev)->rec + IOTRACE_RECORD_HEADER_LENGTH)

static inline void iotrace_ev_init(struct iotrace_event *ev, void *buf, size_t size, unsigned slots)
{
    ev->rec = buf;
    ev->cap = (uint32_t)size;
    ev->len = IOTRACE_RECORD_HEADER_LENGTH + IOTRACE_EVENT_ARGS + IOTRACE_ARG_SLOT_LENGTH * slots;
    ev->status = 0;
}

static inline void iotrace_ev_slot(struct iotrace_event *ev, unsigned slot, uint64_t value)
{
    memcpy(IOTRACE_EV_PAYLOAD(ev) + IOTRACE_EVENT_ARGS + IOTRACE_ARG_SLOT_LENGTH * slot, &value, 8);
}

/* strings are appended in table order; out of line so no nonnull attribute of a libc prototype reaches them */
void iotrace_ev_str(struct iotrace_event *ev, const char *s);
void iotrace_ev_strn(struct iotrace_event *ev, const char *s, size_t n);
void iotrace_ev_argv(struct iotrace_event *ev, char *const *argv);
void iotrace_ev_empty_strings(struct iotrace_event *ev, int count);

/* Fills the fixed fields and hands the record to the ring (or spill file). Needs the guard held. */
void iotrace_ev_publish(struct iotrace_event *ev, int32_t type, int64_t t0, int64_t t1, uint64_t result,
                        uint16_t status, int err);

/* ---- known fds -------------------------------------------------------------------------------------------- */

#define IOTRACE_FD_MAX (1 << 20) /* fds beyond are treated as known */
extern uint64_t iotrace_fd_bits[IOTRACE_FD_MAX / 64];

void iotrace_fd_discover(int fd, int how);
/* a vfork child's own known fds (the shared table is the parent's): the fds it opened itself */
int iotrace_vfork_fd_known(int fd);
void iotrace_vfork_fd_mark(int fd, int known);
void iotrace_fd_scan(void); /* every fd open at start: how=0 */

/* An fd argument: if the shim has never seen it, name it (fd_discovered, how=1) before the call. */
static inline void iotrace_fd_use(int fd)
{
    if (fd < 0 || fd >= IOTRACE_FD_MAX) /* also AT_FDCWD and "no fd" (-1) */
        return;
    uint64_t bit = 1ULL << (fd & 63);
    if (__builtin_expect((__atomic_load_n(&iotrace_fd_bits[fd >> 6], __ATOMIC_RELAXED) & bit) != 0, 1))
        return;
    if (__builtin_expect(iotrace_vfork_child, 0) && iotrace_vfork_fd_known(fd))
        return;
    iotrace_fd_discover(fd, 1);
}

static inline void iotrace_fd_set(int fd)
{
    if (__builtin_expect(iotrace_vfork_child, 0)) {
        iotrace_vfork_fd_mark(fd, 1);
        return;
    }
    if (fd >= 0 && fd < IOTRACE_FD_MAX)
        __atomic_fetch_or(&iotrace_fd_bits[fd >> 6], 1ULL << (fd & 63), __ATOMIC_RELAXED);
}

static inline void iotrace_fd_clear(int fd)
{
    if (__builtin_expect(iotrace_vfork_child, 0)) {
        iotrace_vfork_fd_mark(fd, 0);
        return;
    }
    if (fd >= 0 && fd < IOTRACE_FD_MAX)
        __atomic_fetch_and(&iotrace_fd_bits[fd >> 6], ~(1ULL << (fd & 63)), __ATOMIC_RELAXED);
}

/* fileno without the stream lock and without touching errno; -1 for NULL or a stream without fd */
static inline int iotrace_stream_fd(FILE *stream)
{
    return stream != NULL ? stream->_fileno : -1;
}

/* the size a stat-family call filled in (struct stat or stat64), 0 when it failed */
#define IOTRACE_STAT_SIZE(ret, buf) ((ret) == 0 ? (uint64_t)(buf)->st_size : 0) /* ret 0: buf was written */

/* the two ends a successful pipe()/pipe2() wrote, -1 when it failed */
#define IOTRACE_PIPE_END(ret, fds, i) ((ret) == 0 ? (fds)[i] : -1)

/* inode of a descriptor (pipes are named pipe:[inode], as /proc/<pid>/fd shows them); 0 when unknown */
static inline uint64_t iotrace_fd_inode(int fd)
{
    struct stat st;
    return fd >= 0 && syscall(SYS_fstat, fd, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

/* feof/ferror without the stream lock (and NULL-safe: fread/fwrite of 0 bytes never touch the stream) */
static inline int iotrace_stream_eof(FILE *stream)
{
    return stream != NULL && feof_unlocked(stream);
}

static inline int iotrace_stream_error(FILE *stream)
{
    return stream != NULL && ferror_unlocked(stream);
}

/* ---- exec ------------------------------------------------------------------------------------------------- */

void iotrace_exec_begin(void);  /* header state EXEC_PENDING */
void iotrace_exec_failed(void); /* back to ACTIVE */
int iotrace_in_vfork_child(void);
void iotrace_fork_child_ensure(void); /* a fork child without atfork handlers (_Fork) gets its ring */

/* ---- processes (src/procs.c, src/vfork.S) ------------------------------------------------------------------- */

void iotrace_env_remember(void);
/* room for the environment copy of a keep_env wrapper (on its stack: no malloc in a vfork child) */
#define IOTRACE_KEEP_ENV_BYTES 32768
char *const *iotrace_keep_env(char *const *envp, void *buf, size_t size, uint16_t *status);
/* the child pid a successful posix_spawn stored, 0 when it failed */
#define IOTRACE_SPAWNED_PID(ret, pid) ((ret) == 0 && (pid) != NULL ? *(pid) : 0)
/* the status a successful wait stored, -1 when it stored none (WNOHANG and no child ended, NULL pointer, failure) */
#define IOTRACE_WAIT_STATUS(ret, ws) ((ret) > 0 && (ws) != NULL ? (int64_t)*(ws) : -1)
void iotrace_vfork_enter(void);
long iotrace_vfork_leave(long raw);

#endif /* IOTRACE_RUNTIME_H */
