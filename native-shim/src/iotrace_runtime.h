/*
 * What the generated wrappers (build/gen/iotrace_wrappers.gen.c) and the runtime share: the tracing state and
 * re-entrancy guard, real-symbol lookup, event encoding and publishing, the known-fd table, exec hooks.
 * Everything here is async-signal-safe: no malloc, no stdio, no locks.
 */
#ifndef IOTRACE_RUNTIME_H
#define IOTRACE_RUNTIME_H

#include <aio.h>
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
#include <wchar.h>

#include "clock.h"
#include "raw_syscall.h"
#include "iotrace_format.h"
#include "iotrace_dirs.h" /* types of the directories/metadata family's prototypes */
#include "iotrace_mpi.h"  /* MPI handle types and the helpers of the MPI-IO rows (src/mpi.c) */
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

/*
 * The per-thread re-entrancy guard. IOTRACE_GUARD_WRAPPER: a wrapper is encoding or publishing an event (it is
 * released during the real call, so calls the real call makes are traced); a wrapper entered meanwhile can only be a
 * signal handler's call, and is recorded into this thread's deferred buffer, never into the ring (the interrupted
 * wrapper may hold an uncommitted ring claim: waiting for ring space there would wait for ourselves). The
 * interrupted wrapper publishes the deferred events when it leaves. IOTRACE_GUARD_INTERNAL: the shim's own work
 * (initialisation, fork handling): calls made meanwhile are ours and go untraced.
 */
#define IOTRACE_GUARD_WRAPPER 1
#define IOTRACE_GUARD_INTERNAL 2
extern IOTRACE_TLS int iotrace_guard;
extern IOTRACE_TLS uintptr_t iotrace_guard_frame; /* stack address of the wrapper holding IOTRACE_GUARD_WRAPPER */
extern IOTRACE_TLS int iotrace_defer_depth;        /* > 0: this thread runs a wrapper nested in another (deferred) */
extern IOTRACE_TLS uint32_t iotrace_deferred_length; /* bytes of events waiting in the deferred buffer */
extern IOTRACE_TLS int iotrace_tid_cache;
/* set (by the vfork trampoline) while this thread's memory is a vfork child's: its records are tagged
   IOTRACE_STATUS_VFORK_CHILD and it leaves the known-fd table and the ring state alone (they are the parent's) */
extern IOTRACE_TLS int iotrace_vfork_child;
/* execl* run the execv/execvp/execve wrappers: their records get the execl* type instead */
extern IOTRACE_TLS int32_t iotrace_record_as_type;
extern IOTRACE_TLS int32_t iotrace_record_as_id;

int iotrace_init_lazily(void);
int iotrace_enter_nested(uintptr_t frame);
void iotrace_deferred_flush(void);

/* Returns 1 (guard taken, or nested in a wrapper this call interrupted) when this call is to be traced. */
static inline int iotrace_enter(void)
{
    char frame_marker;
    uintptr_t frame = (uintptr_t)&frame_marker;
    if (__builtin_expect(iotrace_guard != 0, 0))
        return iotrace_enter_nested(frame);
    int st = __atomic_load_n(&iotrace_state, __ATOMIC_ACQUIRE);
    if (__builtin_expect(st != IOTRACE_READY, 0)) {
        if (st != IOTRACE_UNINIT || !iotrace_init_lazily())
            return 0;
    }
    iotrace_guard_frame = frame;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    iotrace_guard = IOTRACE_GUARD_WRAPPER;
    return 1;
}

/* Around the real call: the guard is released (unless this wrapper is nested: the interrupted one still owns it). */
static inline void iotrace_release(void)
{
    if (__builtin_expect(iotrace_defer_depth == 0, 1))
        __atomic_store_n(&iotrace_guard, 0, __ATOMIC_RELAXED);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static inline void iotrace_reenter(void)
{
    if (__builtin_expect(iotrace_defer_depth == 0, 1))
        __atomic_store_n(&iotrace_guard, IOTRACE_GUARD_WRAPPER, __ATOMIC_RELAXED);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
}

/* The wrapper is done: events of signal handlers that interrupted it are published now, guard still held. */
static inline void iotrace_leave(void)
{
    if (__builtin_expect(iotrace_defer_depth != 0, 0)) {
        iotrace_defer_depth--;
        return;
    }
    for (;;) {
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        /* a handler deferred an event: publish it with the guard held (more handlers defer again meanwhile) */
        if (__builtin_expect(__atomic_load_n(&iotrace_deferred_length, __ATOMIC_RELAXED) != 0, 0))
            iotrace_deferred_flush();
        __atomic_store_n(&iotrace_guard, 0, __ATOMIC_RELAXED);
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        /* one more may have arrived between the flush and the release */
        if (__builtin_expect(__atomic_load_n(&iotrace_deferred_length, __ATOMIC_RELAXED) == 0, 1))
            return;
        __atomic_store_n(&iotrace_guard, IOTRACE_GUARD_WRAPPER, __ATOMIC_RELAXED);
    }
}

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
/* one byte per fd, 1 = known: plain byte stores mark and forget (a bitmap needed a locked OR/AND per open and
   close, ~12 ns each here); only the pages of fds in use are ever touched */
extern uint8_t iotrace_fd_known[IOTRACE_FD_MAX];
extern int iotrace_fd_highest; /* no fd above this was ever marked: bounds close_range's sweep */

void iotrace_fd_discover(int fd, int how);
/* a vfork child's own known fds (the shared table is the parent's): the fds it opened itself */
int iotrace_vfork_fd_known(int fd);
void iotrace_vfork_fd_mark(int fd, int known);
void iotrace_fd_scan(void); /* every fd open at start: how=0 */

static inline void iotrace_fd_raise_highest(int fd)
{
    int highest = __atomic_load_n(&iotrace_fd_highest, __ATOMIC_RELAXED);
    while (fd > highest &&
           !__atomic_compare_exchange_n(&iotrace_fd_highest, &highest, fd, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

/* An fd argument: if the shim has never seen it, name it (fd_discovered, how=1) before the call. */
static inline void iotrace_fd_use(int fd)
{
    if (fd < 0 || fd >= IOTRACE_FD_MAX) /* also AT_FDCWD and "no fd" (-1) */
        return;
    if (__builtin_expect(__atomic_load_n(&iotrace_fd_known[fd], __ATOMIC_RELAXED) != 0, 1))
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
    if (fd >= 0 && fd < IOTRACE_FD_MAX) {
        iotrace_fd_raise_highest(fd);
        __atomic_store_n(&iotrace_fd_known[fd], 1, __ATOMIC_RELAXED);
    }
}

static inline void iotrace_fd_clear(int fd)
{
    if (__builtin_expect(iotrace_vfork_child, 0)) {
        iotrace_vfork_fd_mark(fd, 0);
        return;
    }
    if (fd >= 0 && fd < IOTRACE_FD_MAX)
        __atomic_store_n(&iotrace_fd_known[fd], 0, __ATOMIC_RELAXED);
}

/* glibc's flag of streams built on a descriptor (libio's _IO_IS_FILEBUF; not in the public headers): memory
 * streams (open_memstream) lack it and leave _fileno 0, which must not be taken for stdin */
#define IOTRACE_IO_IS_FILEBUF 0x2000

/* close_range/closefrom closed [first, last] (clamped to the table) */
void iotrace_fd_clear_range(unsigned int first, unsigned int last);
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC 4 /* <linux/close_range.h>: mark close-on-exec, do not close */
#endif

/* fileno without the stream lock and without touching errno; -1 for NULL or a stream without fd */
static inline int iotrace_stream_fd(FILE *stream)
{
    if (stream == NULL || (stream->_flags & IOTRACE_IO_IS_FILEBUF) == 0)
        return -1;
    return stream->_fileno >= 0 ? stream->_fileno : -1; /* fopencookie/fmemopen: -2 */
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

/* The struct flock of an fcntl lock command (F_GETLK, F_SETLK, F_SETLKW, F_OFD_*), read after the call; NULL for
 * other commands and when the kernel may not have read it (EBADF comes before the copy, EFAULT is a bad pointer):
 * reading it then could crash the traced program. */
static inline const struct flock *iotrace_fcntl_lock(int cmd, unsigned long arg, long ret, int err)
{
    switch (cmd) {
    case F_GETLK: case F_SETLK: case F_SETLKW: case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW:
        break;
    default:
        return NULL;
    }
    if (arg == 0 || (ret == -1 && (err == EFAULT || err == EBADF)))
        return NULL;
    return (const struct flock *)arg;
}

/* one field of that struct as a record slot; -1 when there is none (l_type -1 tells the collector to skip all) */
#define IOTRACE_FLOCK_FIELD(cmd, arg, ret, err, field)                                                     \
    (iotrace_fcntl_lock((cmd), (arg), (ret), (err)) != NULL                                                 \
         ? (int64_t)iotrace_fcntl_lock((cmd), (arg), (ret), (err))->field                                  \
         : (int64_t)-1)

/* where a transfer (copy_file_range, sendfile, splice) started in a file whose offset was passed by pointer: the
 * kernel advanced *offset by the bytes moved. -1: no pointer (the descriptor's own file offset was used) or the call
 * failed (the pointer may be bad: it is read only after a success, which proves the kernel could read it). */
#define IOTRACE_START_POSITION(ret, offset) \
    ((ret) >= 0 && (offset) != NULL ? (int64_t)*(offset) - (int64_t)(ret) : (int64_t)-1)

/* mremap's fifth argument exists only with MREMAP_FIXED */
#define IOTRACE_MREMAP_TARGET(flags, target) (((flags) & MREMAP_FIXED) ? (target) : NULL)

/* feof/ferror without the stream lock (and NULL-safe: fread/fwrite of 0 bytes never touch the stream) */
/* (the flag bits themselves: feof_unlocked/ferror_unlocked are traced symbols of this library) */
static inline int iotrace_stream_eof(FILE *stream)
{
    return stream != NULL && __feof_unlocked_body(stream);
}

static inline int iotrace_stream_error(FILE *stream)
{
    return stream != NULL && __ferror_unlocked_body(stream);
}

/* ---- libc's syscall() -------------------------------------------------------------------------------------- */

/* One call of syscall(number, ...): the real syscall() and the six arguments it passes on. */
struct iotrace_syscall {
    long (*fn)(long number, ...);
    long number;
    long args[6];
};

/* the real call of a row reached through syscall(): the unchanged number and all six arguments */
#define IOTRACE_SYSCALL_CALL(sc)                                                                                    \
    ((sc)->fn((sc)->number, (sc)->args[0], (sc)->args[1], (sc)->args[2], (sc)->args[3], (sc)->args[4], (sc)->args[5]))

/* argument i of the syscall() being traced (record items of the generic syscall row) */
#define IOTRACE_SYSCALL_ARG(i) (it_sys->args[i])

/* Numbers passed straight on, untraced: a new process or thread would return into our wrapper on a stack it
 * does not own or with the parent's ring (fork/vfork/clone), the call never returns (exit, exec), or it may move
 * the thread's TLS from under the wrapper (arch_prctl ARCH_SET_FS). */
#define IOTRACE_SYSCALL_UNTRACED_CASES                                                                              \
    case SYS_fork: case SYS_vfork: case SYS_clone: case SYS_clone3: case SYS_exit: case SYS_exit_group:             \
    case SYS_execve: case SYS_execveat: case SYS_rt_sigreturn: case SYS_arch_prctl:

/* ---- POSIX aio -------------------------------------------------------------------------------------------- */

/* fields of a struct aiocb (aiocb64 has the same layout on 64-bit), -1/0 for a NULL pointer; functions taking
 * void *, so the nonnull attribute of the aio prototypes does not reach the NULL test */
static inline const struct aiocb *iotrace_aiocb(const void *cb) { return cb; }
#define IOTRACE_AIOCB_FD(cb) (iotrace_aiocb(cb) != NULL ? iotrace_aiocb(cb)->aio_fildes : -1)
#define IOTRACE_AIOCB_OFFSET(cb) (iotrace_aiocb(cb) != NULL ? (int64_t)iotrace_aiocb(cb)->aio_offset : 0)
#define IOTRACE_AIOCB_NBYTES(cb) (iotrace_aiocb(cb) != NULL ? (uint64_t)iotrace_aiocb(cb)->aio_nbytes : 0)
#define IOTRACE_AIOCB_OPCODE(cb) (iotrace_aiocb(cb) != NULL ? iotrace_aiocb(cb)->aio_lio_opcode : -1)
/* the error of a finished request (glibc's aiocb keeps it in __error_code; aio_error returns it) */
#define IOTRACE_AIOCB_ERROR(cb) (iotrace_aiocb((const void *)(uintptr_t)(cb)) != NULL ?                               \
                                 iotrace_aiocb((const void *)(uintptr_t)(cb))->__error_code : 0)

/* the fd of the first non-NULL aiocb of a list (aio_suspend, lio_listio), -1 when there is none */
int iotrace_aiocb_list_fd(const void *const *list, int nent);
#define IOTRACE_AIOCB_LIST_FD(list, nent) iotrace_aiocb_list_fd((const void *const *)(list), (nent))

/* lio_listio's entries as "fd:op:offset:nbytes" separated by spaces (op read, write, nop or the number), in a
 * per-thread buffer (cut at its size): valid until the next call of this thread */
const char *iotrace_lio_describe(const void *const *list, int nent);
#define IOTRACE_LIO_DESCRIBE(list, nent) iotrace_lio_describe((const void *const *)(list), (nent))

/* io_uring_setup's flags (IORING_SETUP_SQPOLL: the kernel submits without io_uring_enter calls): the third u32 of
 * struct io_uring_params (linux/io_uring.h), read before the call; 0 for NULL */
static inline uint32_t iotrace_uring_setup_flags(const void *params)
{
    return params != NULL ? ((const uint32_t *)params)[2] : 0;
}
#define IOTRACE_URING_SETUP_FLAGS(params) iotrace_uring_setup_flags(params)

/* ---- stdio rows (stdio_support.c) ------------------------------------------------------------------------- */

/* what /proc names the descriptor of a stream ("/tmp/#123 (deleted)" for tmpfile); "" when it has none.
 * The text is in a per-thread buffer, valid until the thread's next call. */
const char *iotrace_stream_path(FILE *stream);

/* the stream's position by the real ftello64 (state and errno unchanged), -1 when unseekable or NULL */
int64_t iotrace_stream_tell(FILE *stream);

/* strlen/wcslen of a call's string argument or result, 0 for NULL; out of line so no nonnull attribute of a
 * libc prototype (fputs's s) lets the compiler drop the NULL check */
size_t iotrace_strlen(const char *s);
size_t iotrace_wcslen(const wchar_t *s);
#define IOTRACE_STRLEN(s) iotrace_strlen(s)
#define IOTRACE_WCSLEN(s) iotrace_wcslen(s)

/* ---- sockets and other non-file descriptors (sockets.c): the @post items of their table rows ------------- */

struct msghdr;
struct mmsghdr;
void iotrace_fd_received(int fd); /* SCM_RIGHTS: named as fd_discovered how=2 (fdtable.c) */
/* the kernel's name of fd (/proc/self/fd), in per-thread buffer `which` (0 or 1); "" when fd < 0 */
const char *iotrace_fd_kernel_name(long fd, int which);
/* socket addresses as text ("tcp:127.0.0.1:80", "unix:/path", "" for none), in a per-thread buffer */
const char *iotrace_sockaddr_text(long fd, const void *addr, long len);
const char *iotrace_sockaddr_out(long ret, long fd, const void *addr, const unsigned int *len);
const char *iotrace_sock_bound(long ret, long fd, const void *addr, long len);
const char *iotrace_sock_peer(long ret);
const char *iotrace_msg_sockaddr(long ret, long fd, const struct msghdr *msg);
long iotrace_msg_received_fds(long ret, struct msghdr *msg);
long iotrace_mmsg_received_fds(long ret, struct mmsghdr *vec);
uint64_t iotrace_mmsg_bytes(long ret, const struct mmsghdr *vec);

/* In a @post item of a generated wrapper: the call's pointer arguments may be read (not failed with EFAULT) */
#define IOTRACE_ARGS_READABLE(ret) ((ret) != -1 || it_err != EFAULT)

/* glibc's __SOCKADDR_ARG/__CONST_SOCKADDR_ARG are transparent unions with _GNU_SOURCE: the pointer inside */
#if defined(__USE_GNU) && !defined(__cplusplus)
#define IOTRACE_SOCKADDR(arg) ((const void *)(arg).__sockaddr__)
#else
#define IOTRACE_SOCKADDR(arg) ((const void *)(arg))
#endif

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

/* ---- openat2 (row 600, ptrace fallback section) ---------------------------------------------------------- */

/* field i (0 flags, 1 mode, 2 resolve) of openat2's struct open_how, 0 when the caller's size does not cover it */
#define IOTRACE_OPEN_HOW(how, size, i)                                                                          \
    ((how) != NULL && (size_t)(size) >= 8 * ((size_t)(i) + 1) ? ((const uint64_t *)(how))[i] : 0)

#endif /* IOTRACE_RUNTIME_H */
