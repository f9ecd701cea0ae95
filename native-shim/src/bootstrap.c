/*
 * Start-up and process life cycle: the constructor (or the first traced call, whichever comes first) resolves the
 * real symbols, reads the configuration, joins or creates the session, creates the ring, names the open fds and
 * makes sure a collector runs. A pthread_atfork child handler gives every fork child its own ring; the destructor
 * marks the ring EXITED.
 */
#include <dlfcn.h>
#include <pthread.h>

#include "clock.h"
#include "collector.h"
#include "config.h"
#include "iotrace_mpi.h"
#include "iotrace_runtime.h"
#include "ptrace_fallback.h"
#include "session.h"
#include "spill.h"
#include "sys.h"

int iotrace_state;
/*
 * The per-thread state every traced call reads (64 bytes), defined together so that it lies on one or two cache
 * lines instead of four: the kernel's work in the real call evicts them, and each line costs a miss when the
 * wrapper goes on (declared in iotrace_runtime.h, iotrace_mpi.h and clock.h; per-thread buffers stay in their files).
 */
IOTRACE_TLS int iotrace_guard;
IOTRACE_TLS int iotrace_defer_depth;
IOTRACE_TLS uint32_t iotrace_deferred_length;
IOTRACE_TLS int iotrace_tid_cache;
IOTRACE_TLS int iotrace_vfork_child;
IOTRACE_TLS int32_t iotrace_record_as_type; /* the record type iotrace_record_as_id replaces, or 0 */
IOTRACE_TLS int32_t iotrace_record_as_id;
IOTRACE_TLS int iotrace_mpi_io_depth;
IOTRACE_TLS uintptr_t iotrace_guard_frame;
__thread struct iotrace_clock_anchor iotrace_clock_anchor __attribute__((tls_model("initial-exec")));

/* set while this thread is inside dlsym: a wrapper called from there gets no real symbol instead of recursing */
static IOTRACE_TLS int resolving;

void *iotrace_real_resolve(int index)
{
    if (resolving)
        return NULL;
    resolving = 1;
    int saved = errno;
    void *p = dlsym(RTLD_NEXT, iotrace_real_names[index]);
    errno = saved;
    resolving = 0;
    if (p != NULL)
        __atomic_store_n(&iotrace_real_fns[index], p, __ATOMIC_RELAXED);
    return p;
}

static void atfork_child(void)
{
    iotrace_tid_cache = 0;
    if (__atomic_load_n(&iotrace_state, __ATOMIC_ACQUIRE) != IOTRACE_READY)
        return;
    int guard = iotrace_guard;
    int saved = errno;
    iotrace_guard = IOTRACE_GUARD_INTERNAL;
    /* the parent's ring stays mapped (shared with the parent) but is never written from here on */
    int parent_pid = iotrace_cur.pid;
    uint64_t parent_ticks = iotrace_cur.start_ticks;
    iotrace_spill_forget();
    iotrace_collector_fork_child();
    if (iotrace_session_fork_child(parent_pid, parent_ticks) != 0) {
        iotrace_cur.map = NULL;
        __atomic_store_n(&iotrace_state, IOTRACE_OFF, __ATOMIC_RELEASE);
    }
    iotrace_guard = guard;
    errno = saved;
}

/* In a fork child after the call: the atfork handler ran unless the fork skipped it (_Fork). */
void iotrace_fork_child_ensure(void)
{
    if (__atomic_load_n(&iotrace_state, __ATOMIC_ACQUIRE) == IOTRACE_READY && sys_getpid() != iotrace_cur.pid)
        atfork_child();
}

/* Runs exactly once per process image (the CAS elects the thread); 1 if tracing is on afterwards. */
static int init(void)
{
    int expected = IOTRACE_UNINIT;
    if (!__atomic_compare_exchange_n(&iotrace_state, &expected, IOTRACE_INITIALISING, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return expected == IOTRACE_READY;
    int guard = iotrace_guard;
    int saved = errno;
    iotrace_guard = IOTRACE_GUARD_INTERNAL;

    for (int i = 0; i < IOTRACE_REAL_COUNT; i++)
        if (iotrace_real_fns[i] == NULL)
            iotrace_real_resolve(i);
    iotrace_config_load();
    iotrace_clock_init(iotrace_cfg.clock_realtime);
    iotrace_env_remember();

    int state = IOTRACE_OFF;
    if (iotrace_cfg.disable) {
        iotrace_debugf("IOTRACE_DISABLE=1: running untraced");
    } else if (iotrace_session_start() != 0) {
        iotrace_debugf("no session or ring: running untraced");
    } else if (pthread_atfork(NULL, NULL, atfork_child) != 0) {
        iotrace_debugf("pthread_atfork failed: running untraced");
        iotrace_set_state(IOTRACE_STATE_EXITED);
    } else {
        state = IOTRACE_READY;
    }
    __atomic_store_n(&iotrace_state, state, __ATOMIC_RELEASE);
    if (state == IOTRACE_READY) {
        iotrace_mpi_rank_from_env(); /* first: every record of an MPI rank carries its rank */
        iotrace_fd_scan();
        iotrace_collector_locate();
        iotrace_collector_ensure();
        iotrace_ptrace_start();
    }
    iotrace_config_flush_errors(iotrace_sess.out_dir);

    iotrace_guard = guard;
    errno = saved;
    return state == IOTRACE_READY;
}

int iotrace_init_lazily(void)
{
    return init();
}

__attribute__((constructor)) static void iotrace_constructor(void)
{
    init();
}

__attribute__((destructor)) static void iotrace_destructor(void)
{
    if (__atomic_load_n(&iotrace_state, __ATOMIC_ACQUIRE) == IOTRACE_READY && sys_getpid() == iotrace_cur.pid)
        iotrace_set_state(IOTRACE_STATE_EXITED);
}

/* in a vfork child (ours, or one made by a raw syscall: hence the pid check) the ring state is the parent's */
void iotrace_exec_begin(void)
{
    /* the collector spawn's intermediate child, if not yet reaped: the new image would never reap it */
    iotrace_collector_reap(1);
    if (__atomic_load_n(&iotrace_state, __ATOMIC_ACQUIRE) == IOTRACE_READY && !iotrace_in_vfork_child())
        iotrace_set_state(IOTRACE_STATE_EXEC_PENDING);
}

void iotrace_exec_failed(void)
{
    if (__atomic_load_n(&iotrace_state, __ATOMIC_ACQUIRE) == IOTRACE_READY && !iotrace_in_vfork_child())
        iotrace_set_state(IOTRACE_STATE_ACTIVE);
}

int iotrace_in_vfork_child(void)
{
    return iotrace_vfork_child ||
           (__atomic_load_n(&iotrace_state, __ATOMIC_ACQUIRE) == IOTRACE_READY && sys_getpid() != iotrace_cur.pid);
}
