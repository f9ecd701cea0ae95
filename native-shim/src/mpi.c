/*
 * MPI-IO support (functions.tbl section "MPI-IO", ids 500..599): the helpers of the generated MPI wrappers, the
 * handwritten Wait/Test family, the rank record and the clock sync with rank 0.
 *
 * No libmpi at link time: PMPI_* are found with dlsym when first needed, and the library is told apart at run time
 * (Open MPI exports its predefined objects, ompi_mpi_byte...; otherwise the MPICH ABI: MPICH, Intel MPI, MVAPICH,
 * whose predefined handles are integer constants of its mpi.h). Facts used, from both mpi.h:
 *   Open MPI 4.1: handles are pointers; MPI_STATUS_IGNORE NULL; MPI_Status 24 bytes; MPI_Request 8 bytes.
 *   MPICH 4.0:    handles are int (MPI_File: a pointer); MPI_STATUS_IGNORE (MPI_Status *)1; MPI_Status 20 bytes;
 *                 MPI_BYTE 0x4c00010d, MPI_COMM_WORLD 0x44000000, MPI_INFO_NULL 0x1c000000.
 *   Both: MPI_SUCCESS 0, MPI_UNDEFINED -32766.
 */
#include <dlfcn.h>
#include <sys/mman.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iotrace_runtime.h"
#include "sys.h"
#include "util.h"

#define MPI_UNDEFINED_VALUE (-32766)
#define MPICH_BYTE 0x4c00010du
#define MPICH_COMM_WORLD 0x44000000u
#define MPICH_INFO_NULL 0x1c000000u
#define MPI_ERR_OTHER_VALUE 15 /* returned only when a PMPI symbol is missing (cannot happen with a real library) */

enum { IMPL_UNKNOWN = 0, IMPL_OPEN_MPI = 1, IMPL_MPICH = 2 };
static int impl;

static int implementation(void)
{
    int i = __atomic_load_n(&impl, __ATOMIC_RELAXED);
    if (i == IMPL_UNKNOWN) {
        i = dlsym(RTLD_DEFAULT, "ompi_mpi_byte") != NULL ? IMPL_OPEN_MPI : IMPL_MPICH;
        __atomic_store_n(&impl, i, __ATOMIC_RELAXED);
    }
    return i;
}

static void *open_mpi_object(const char *name)
{
    return dlsym(RTLD_DEFAULT, name);
}

static iotrace_mpi_handle mpi_byte(void)
{
    return implementation() == IMPL_MPICH ? MPICH_BYTE : (iotrace_mpi_handle)open_mpi_object("ompi_mpi_byte");
}

static iotrace_mpi_handle comm_world(void)
{
    return implementation() == IMPL_MPICH ? MPICH_COMM_WORLD : (iotrace_mpi_handle)open_mpi_object("ompi_mpi_comm_world");
}

static int is_info_null(iotrace_mpi_handle info)
{
    if (implementation() == IMPL_MPICH)
        return (uint32_t)info == MPICH_INFO_NULL;
    return info == 0 || (void *)info == open_mpi_object("ompi_mpi_info_null");
}

static int is_status_ignore(const void *status)
{
    return status == NULL || (implementation() == IMPL_MPICH && (uintptr_t)status == 1);
}

static size_t status_bytes(void)
{
    return implementation() == IMPL_MPICH ? 20 : 24;
}

static size_t request_bytes(void)
{
    return implementation() == IMPL_MPICH ? 4 : 8;
}

/* request i of an array (or the one request) of the library's handle width */
static uint64_t request_at(const void *requests, int i)
{
    if (requests == NULL)
        return 0;
    if (request_bytes() == 4) {
        uint32_t v;
        memcpy(&v, (const char *)requests + 4 * (size_t)i, 4);
        return v;
    }
    uint64_t v;
    memcpy(&v, (const char *)requests + 8 * (size_t)i, 8);
    return v;
}

/* ---- PMPI entry points, found lazily ------------------------------------------------------------------------ */

enum {
    P_TYPE_SIZE, P_TYPE_SIZE_X, P_GET_COUNT, P_GET_COUNT_C, P_INFO_NKEYS, P_INFO_NTHKEY, P_INFO_GET,
    P_COMM_RANK, P_COMM_SIZE, P_SEND, P_ISEND, P_IPROBE, P_RECV, P_CANCEL, P_REQUEST_FREE,
    P_WAIT, P_WAITALL, P_WAITANY, P_WAITSOME, P_TEST_REAL, P_TESTALL, P_TESTANY, P_TESTSOME, P_COUNT
};
static const char *const pmpi_names[P_COUNT] = {
    [P_TYPE_SIZE] = "PMPI_Type_size", [P_TYPE_SIZE_X] = "PMPI_Type_size_x", [P_GET_COUNT] = "PMPI_Get_count",
    [P_GET_COUNT_C] = "PMPI_Get_count_c", [P_INFO_NKEYS] = "PMPI_Info_get_nkeys",
    [P_INFO_NTHKEY] = "PMPI_Info_get_nthkey", [P_INFO_GET] = "PMPI_Info_get", [P_COMM_RANK] = "PMPI_Comm_rank",
    [P_COMM_SIZE] = "PMPI_Comm_size", [P_SEND] = "PMPI_Send", [P_ISEND] = "PMPI_Isend", [P_IPROBE] = "PMPI_Iprobe",
    [P_RECV] = "PMPI_Recv", [P_CANCEL] = "PMPI_Cancel", [P_REQUEST_FREE] = "PMPI_Request_free",
    [P_WAIT] = "PMPI_Wait", [P_WAITALL] = "PMPI_Waitall", [P_WAITANY] = "PMPI_Waitany",
    [P_WAITSOME] = "PMPI_Waitsome", [P_TEST_REAL] = "PMPI_Test", [P_TESTALL] = "PMPI_Testall",
    [P_TESTANY] = "PMPI_Testany", [P_TESTSOME] = "PMPI_Testsome",
};
static void *pmpi_fns[P_COUNT];
static char pmpi_missing[P_COUNT];

static void *pmpi(int which)
{
    void *p = __atomic_load_n(&pmpi_fns[which], __ATOMIC_RELAXED);
    if (p != NULL || pmpi_missing[which])
        return p;
    int saved = errno;
    p = dlsym(RTLD_DEFAULT, pmpi_names[which]);
    errno = saved;
    if (p == NULL)
        pmpi_missing[which] = 1;
    else
        __atomic_store_n(&pmpi_fns[which], p, __ATOMIC_RELAXED);
    return p;
}

typedef int (*type_size_fn)(iotrace_mpi_handle, int *);
typedef int (*type_size_x_fn)(iotrace_mpi_handle, long long *);
typedef int (*get_count_fn)(const void *, iotrace_mpi_handle, int *);
typedef int (*get_count_c_fn)(const void *, iotrace_mpi_handle, long long *);

/* ---- byte counts ---------------------------------------------------------------------------------------------- */

static int64_t type_size(iotrace_mpi_handle datatype)
{
    type_size_x_fn sx = (type_size_x_fn)pmpi(P_TYPE_SIZE_X);
    if (sx != NULL) {
        long long size = 0;
        return sx(datatype, &size) == 0 ? (int64_t)size : -1;
    }
    type_size_fn s = (type_size_fn)pmpi(P_TYPE_SIZE);
    int size = 0;
    return s != NULL && s(datatype, &size) == 0 ? size : -1;
}

int64_t iotrace_mpi_type_bytes(long long count, iotrace_mpi_handle datatype)
{
    int64_t size = type_size(datatype);
    return size < 0 || count < 0 ? -1 : (int64_t)count * size;
}

/* elements of `datatype` a completed status counts, times its size; -1 when not known */
static int64_t bytes_of_status(const void *status, iotrace_mpi_handle datatype)
{
    if (is_status_ignore(status))
        return -1;
    long long count = -1;
    get_count_c_fn cc = (get_count_c_fn)pmpi(P_GET_COUNT_C);
    if (cc != NULL) {
        if (cc(status, datatype, &count) != 0)
            return -1;
    } else {
        get_count_fn c = (get_count_fn)pmpi(P_GET_COUNT);
        int n = 0;
        if (c == NULL || c(status, datatype, &n) != 0)
            return -1;
        count = n;
    }
    if (count == MPI_UNDEFINED_VALUE || count < 0)
        return -1;
    return iotrace_mpi_type_bytes(count, datatype);
}

void *iotrace_mpi_status_or_own(void *status, uint64_t *own)
{
    if (!is_status_ignore(status))
        return status;
    memset(own, 0, IOTRACE_MPI_STATUS_WORDS * 8);
    return own;
}

int64_t iotrace_mpi_status_bytes(int ret, void *status, iotrace_mpi_handle datatype)
{
    return ret == 0 ? bytes_of_status(status, datatype) : -1;
}

uint64_t iotrace_mpi_file_out(int ret, const void *fh_out)
{
    uint64_t v = 0;
    if (ret == 0 && fh_out != NULL)
        memcpy(&v, fh_out, 8); /* MPI_File is a pointer in both libraries */
    return v;
}

uint64_t iotrace_mpi_file_in(const void *fh)
{
    uint64_t v = 0;
    if (fh != NULL)
        memcpy(&v, fh, 8);
    return v;
}

int64_t iotrace_mpi_offset_out(int ret, const void *offset_out)
{
    int64_t v = -1;
    if (ret == 0 && offset_out != NULL)
        memcpy(&v, offset_out, 8);
    return v;
}

/* ---- info hints ----------------------------------------------------------------------------------------------- */

typedef int (*info_nkeys_fn)(iotrace_mpi_handle, int *);
typedef int (*info_nthkey_fn)(iotrace_mpi_handle, int, char *);
typedef int (*info_get_fn)(iotrace_mpi_handle, const char *, int, char *, int *);

static IOTRACE_TLS char info_text[2048];

const char *iotrace_mpi_info_text(iotrace_mpi_handle info)
{
    info_text[0] = '\0';
    if (is_info_null(info))
        return info_text;
    info_nkeys_fn nkeys = (info_nkeys_fn)pmpi(P_INFO_NKEYS);
    info_nthkey_fn nthkey = (info_nthkey_fn)pmpi(P_INFO_NTHKEY);
    info_get_fn get = (info_get_fn)pmpi(P_INFO_GET);
    int n = 0;
    if (nkeys == NULL || nthkey == NULL || get == NULL || nkeys(info, &n) != 0)
        return info_text;
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        char key[256] = {0};  /* MPI_MAX_INFO_KEY: 255 in MPICH, 36 in Open MPI */
        char value[1025] = {0}; /* MPI_MAX_INFO_VAL: 1024 in MPICH, 256 in Open MPI */
        int flag = 0;
        if (nthkey(info, i, key) != 0 || get(info, key, 1024, value, &flag) != 0 || !flag)
            continue;
        int w = iotrace_fmt(info_text + used, sizeof info_text - used, "%s%s=%s", used ? ";" : "", key, value);
        if (w < 0 || used + (size_t)w >= sizeof info_text - 1)
            break;
        used += (size_t)w;
    }
    return info_text;
}

/* ---- outstanding file requests and split collectives: lock-free open addressing ------------------------------- */

#define SLOTS 4096 /* power of two */
#define KEY_EMPTY 0
#define KEY_DELETED UINT64_MAX
#define KEY_BUSY (UINT64_MAX - 1)

struct slot {
    uint64_t key;
    uint64_t fh;
    uint64_t datatype;
    int is_write;
};
static struct slot request_table[SLOTS]; /* key: the request */
static struct slot splits[SLOTS];   /* key: the MPI_File of a pending split collective (_begin .. _end) */
static int requests_live;           /* file requests outstanding: Wait/Test look only when > 0 */

static uint32_t hash(uint64_t key)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (uint32_t)key & (SLOTS - 1);
}

static int table_put(struct slot *t, uint64_t key, uint64_t fh, uint64_t datatype, int is_write)
{
    uint32_t h = hash(key);
    for (uint32_t n = 0; n < SLOTS; n++, h = (h + 1) & (SLOTS - 1)) {
        uint64_t k = __atomic_load_n(&t[h].key, __ATOMIC_ACQUIRE);
        if (k == key) { /* reused value: overwrite */
            t[h].fh = fh;
            t[h].datatype = datatype;
            t[h].is_write = is_write;
            return 0;
        }
        if ((k == KEY_EMPTY || k == KEY_DELETED) &&
            __atomic_compare_exchange_n(&t[h].key, &k, KEY_BUSY, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
            t[h].fh = fh;
            t[h].datatype = datatype;
            t[h].is_write = is_write;
            __atomic_store_n(&t[h].key, key, __ATOMIC_RELEASE);
            return 1;
        }
    }
    return -1; /* full: this request goes untraced at completion */
}

static struct slot *table_find(struct slot *t, uint64_t key)
{
    uint32_t h = hash(key);
    for (uint32_t n = 0; n < SLOTS; n++, h = (h + 1) & (SLOTS - 1)) {
        uint64_t k = __atomic_load_n(&t[h].key, __ATOMIC_ACQUIRE);
        if (k == key)
            return &t[h];
        if (k == KEY_EMPTY)
            return NULL;
    }
    return NULL;
}

static void table_remove(struct slot *s)
{
    __atomic_store_n(&s->key, KEY_DELETED, __ATOMIC_RELEASE);
}

uint64_t iotrace_mpi_request_out(int ret, const void *request, iotrace_mpi_handle fh, iotrace_mpi_handle datatype,
                                 int is_write)
{
    if (ret != 0 || request == NULL)
        return 0;
    uint64_t req = request_at(request, 0);
    if (req != 0 && table_put(request_table, req, (uint64_t)fh, (uint64_t)datatype, is_write) == 1)
        __atomic_fetch_add(&requests_live, 1, __ATOMIC_RELAXED);
    return req;
}

int64_t iotrace_mpi_split_begin(iotrace_mpi_handle fh, long long count, iotrace_mpi_handle datatype)
{
    table_put(splits, (uint64_t)fh, (uint64_t)fh, (uint64_t)datatype, 0);
    return iotrace_mpi_type_bytes(count, datatype);
}

int64_t iotrace_mpi_split_end_bytes(int ret, void *status, iotrace_mpi_handle fh)
{
    struct slot *s = table_find(splits, (uint64_t)fh);
    if (s == NULL)
        return -1;
    int64_t bytes = ret == 0 ? bytes_of_status(status, (iotrace_mpi_handle)s->datatype) : -1;
    table_remove(s);
    return bytes;
}

/* ---- meta records: rank and clock sync ------------------------------------------------------------------------ */

_Static_assert(IOTRACE_FN_MPI_RANK_SLOTS == 3 && IOTRACE_FN_MPI_CLOCK_SYNC_SLOTS == 7,
               "mpi_rank/mpi_clock_sync rows changed: update mpi.c");

static void emit_meta(int32_t type, unsigned slots, const int64_t *values)
{
    uint64_t buf[(IOTRACE_RECORD_HEADER_LENGTH + IOTRACE_EVENT_ARGS + 8 * 8) / 8];
    struct iotrace_event ev;
    iotrace_ev_init(&ev, buf, sizeof buf, slots);
    for (unsigned i = 0; i < slots; i++)
        iotrace_ev_slot(&ev, i, (uint64_t)values[i]);
    int64_t now = iotrace_now_ns();
    iotrace_ev_publish(&ev, type, now, now, 0, 0, 0);
}

static int env_int(const char *const *names, int fallback)
{
    for (; *names != NULL; names++) {
        const char *v = getenv(*names);
        if (v != NULL && *v >= '0' && *v <= '9')
            return atoi(v);
    }
    return fallback;
}

/* The world rank the launcher gave the process (Open MPI, PMIx launchers such as srun --mpi=pmix, and the PMI-1/2
 * launchers: MPICH's hydra, Intel MPI, srun --mpi=pmi2). Not MPI_LOCALRANKID / OMPI_COMM_WORLD_LOCAL_RANK: those
 * count the ranks of one node. */
static const char *const rank_vars[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", NULL};
static const char *const size_vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", NULL};

void iotrace_mpi_rank_from_env(void)
{
    int rank = env_int(rank_vars, -1);
    if (rank < 0)
        return;
    int64_t values[3] = {rank, env_int(size_vars, -1), 0};
    emit_meta(IOTRACE_FN_MPI_RANK, 3, values);
}

typedef int (*comm_int_fn)(iotrace_mpi_handle, int *);
typedef int (*send_fn)(const void *, int, iotrace_mpi_handle, int, int, iotrace_mpi_handle);
typedef int (*isend_fn)(const void *, int, iotrace_mpi_handle, int, int, iotrace_mpi_handle, void *);
typedef int (*request_fn)(void *);
typedef int (*iprobe_fn)(int, int, iotrace_mpi_handle, int *, void *);
typedef int (*recv_fn)(void *, int, iotrace_mpi_handle, int, int, iotrace_mpi_handle, void *);

/* The clock sync (MPI_Init: phase 0, MPI_Finalize: phase 1). Rank 0 serves the other ranks in the order they arrive
 * (a late or dead one holds up nobody else): SYNC_ROUNDS ping-pongs each on MPI_COMM_WORLD, tag SYNC_TAG. Every
 * message is MSG_WORDS int64: the sender's clock, rank, the phase (a message of another phase is dropped), its pid
 * and host (FNV-1a of the node name and the pid namespace), so that after phase 0 a process waiting for another one
 * on its host sees it die (a failed rank: no hang in our code, the launcher may leave the job running). Waits end at
 * a deadline too: SYNC_IDLE_NS for the first message of a session (rank 0: since the last rank served), SYNC_ROUND_NS
 * within a session. Ranks rank 0 stopped waiting for get a GIVE_UP message, so one that arrives later does not wait. */
#define SYNC_TAG 32765                         /* <= 32767, the smallest MPI_TAG_UB a library may have */
#define SYNC_ROUNDS 8
#define SYNC_IDLE_NS (30LL * 1000000000LL)     /* no rank arrives for this long: the rest are given up */
#define SYNC_ROUND_NS (1LL * 1000000000LL)     /* a rank in a session answers within this */
#define SYNC_SPIN_NS (2LL * 1000000LL)         /* polling without sleeps for this long per message */
#define SYNC_LIVENESS_NS (10LL * 1000000LL)    /* how often a wait looks whether the awaited processes still live */
#define GIVE_UP INT64_MIN                      /* MSG_TIME of rank 0's "no (more) sync for you" */
enum { MSG_TIME, MSG_RANK, MSG_PHASE, MSG_PID, MSG_HOST, MSG_WORDS };
enum { GOT = 0, TIMED_OUT = -1, ALL_GONE = -2, FAILED = -3 };

static int my_rank = -1; /* from MPI_Init; a fork child inherits it */
static int world_size;

int iotrace_mpi_known_rank(void)
{
    return my_rank >= 0 ? my_rank : env_int(rank_vars, -1);
}

struct peer {
    int32_t pid;       /* 0: not known yet (phase 0) */
    uint8_t same_host; /* on this process's host and pid namespace: its liveness can be seen */
    uint8_t done;      /* served, or given up, in the current phase */
};
static struct peer *peers;   /* rank 0: one per rank (an anonymous mapping, kept: it is needed at MPI_Finalize) */
static struct peer rank_zero; /* the other ranks: rank 0 */
static int64_t self_host;

static int64_t host_id(void)
{
    char text[600] = {0};
    struct utsname u;
    if (syscall(SYS_uname, &u) == 0)
        iotrace_strlcpy(text, u.nodename, 300);
    size_t used = strlen(text);
    ssize_t n = sys_readlink("/proc/self/ns/pid", text + used, sizeof text - used - 1);
    (void)n;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const char *c = text; *c != '\0'; c++)
        h = (h ^ (unsigned char)*c) * 0x100000001b3ULL;
    return (int64_t)(h & INT64_MAX); /* never GIVE_UP-like */
}

/* a process of this host that has exited (or is a zombie): it will never answer */
static int process_gone(int32_t pid)
{
    if (pid <= 0)
        return 0;
    if (syscall(SYS_kill, pid, 0) != 0)
        return errno == ESRCH;
    char path[64], stat[512];
    iotrace_fmt(path, sizeof path, "/proc/%d/stat", pid);
    ssize_t n = iotrace_read_file(path, stat, sizeof stat - 1);
    if (n <= 0)
        return 1;
    stat[n] = '\0';
    const char *paren = strrchr(stat, ')');
    return paren != NULL && (paren[2] == 'Z' || paren[2] == 'X');
}

static int peer_gone(const struct peer *p)
{
    return p->same_host && process_gone(p->pid);
}

/* rank 0: mark the ranks not yet served that are seen dead; returns how many are left to wait for */
static int mark_gone(int *left, int *dead)
{
    for (int r = 1; r < world_size; r++) {
        if (!peers[r].done && peer_gone(&peers[r])) {
            peers[r].done = 1;
            (*left)--;
            (*dead)++;
        }
    }
    return *left;
}

static void send_message(int to, int phase, int64_t time)
{
    send_fn send = (send_fn)pmpi(P_SEND);
    int64_t msg[MSG_WORDS] = {time, my_rank, phase, (int64_t)sys_getpid(), self_host};
    send(msg, (int)sizeof msg, mpi_byte(), to, SYNC_TAG, comm_world());
}

/* Wait before `deadline` for a message of this phase from rank `source`, or (source < 0, rank 0) from any rank not
 * yet served: MPI_Iprobe on each candidate, then MPI_Recv of the message found. No receive stays posted when the wait
 * ends (nothing to cancel), and no MPI_ANY_SOURCE receive (MPICH 4.0 with ch4:ucx did not match one with messages
 * already queued from ranks on the same node). watch: the process waited for (source >= 0). */
static int await_message(int64_t *msg, int source, int phase, int64_t deadline, const struct peer *watch, int *left,
                         int *dead, int *from)
{
    iprobe_fn iprobe = (iprobe_fn)pmpi(P_IPROBE);
    recv_fn recv = (recv_fn)pmpi(P_RECV);
    uint64_t status[IOTRACE_MPI_STATUS_WORDS];
    if (iprobe == NULL || recv == NULL)
        return FAILED;
    /* Poll without sleeping at first: a sleep (>= 50 us with the kernel's timer slack) on one side only would
     * skew the measured offset by half of it (offset error = (reply noticed late - ping noticed late) / 2). */
    int64_t spin_until = iotrace_now_ns() + SYNC_SPIN_NS, look_at = iotrace_now_ns() + SYNC_LIVENESS_NS;
    static int next_candidate = 1; /* rank 0 probes from where it last found one: no rank waits behind the others */
    for (;;) {
        int found = -1;
        if (source >= 0) {
            int flag = 0;
            if (iprobe(source, SYNC_TAG, comm_world(), &flag, status) != 0)
                return FAILED;
            found = flag ? source : -1;
        } else {
            for (int k = 0; k < world_size - 1 && found < 0; k++) {
                int r = 1 + (next_candidate - 1 + k) % (world_size - 1);
                int flag = 0;
                if (peers[r].done)
                    continue;
                if (iprobe(r, SYNC_TAG, comm_world(), &flag, status) != 0)
                    return FAILED;
                if (flag)
                    found = r;
            }
        }
        if (found >= 0) {
            if (recv(msg, MSG_WORDS * 8, mpi_byte(), found, SYNC_TAG, comm_world(), status) != 0)
                return FAILED;
            if (msg[MSG_PHASE] == phase) {
                if (source < 0)
                    next_candidate = found % (world_size - 1) + 1;
                *from = found;
                return GOT;
            }
            continue; /* a late message of the other phase (its sender gave up waiting then): dropped */
        }
        int64_t now = iotrace_now_ns();
        if (now >= look_at) {
            look_at = now + SYNC_LIVENESS_NS;
            if (source >= 0 ? peer_gone(watch) : mark_gone(left, dead) == 0)
                return ALL_GONE;
        }
        if (now > deadline)
            return TIMED_OUT;
        if (now < spin_until) {
            sched_yield(); /* an oversubscribed node: let the peer run */
            continue;
        }
        struct timespec pause = {0, 1000};
        nanosleep(&pause, NULL);
    }
}

/* rank 0: serve the ranks as they come; values: dead, timed out */
static void serve_ranks(int phase, int *dead, int *timed_out)
{
    int left = world_size - 1;
    for (int r = 1; r < world_size; r++)
        peers[r].done = 0;
    int64_t idle_deadline = iotrace_now_ns() + SYNC_IDLE_NS;
    while (left > 0) {
        int64_t msg[MSG_WORDS];
        int r = -1;
        if (await_message(msg, -1, phase, idle_deadline, NULL, &left, dead, &r) != GOT)
            break;
        peers[r].pid = (int32_t)msg[MSG_PID];
        peers[r].same_host = msg[MSG_HOST] == self_host;
        for (int i = 0; i < SYNC_ROUNDS; i++) {
            if (i > 0 && await_message(msg, r, phase, iotrace_now_ns() + SYNC_ROUND_NS, &peers[r], NULL, NULL,
                                       &r) != GOT)
                break; /* it stopped answering: it counts as served */
            send_message(r, phase, iotrace_now_ns());
        }
        peers[r].done = 1;
        left--;
        idle_deadline = iotrace_now_ns() + SYNC_IDLE_NS;
    }
    /* the ranks still awaited: told, so that one arriving later does not wait for an answer */
    isend_fn isend = (isend_fn)pmpi(P_ISEND);
    request_fn request_free = (request_fn)pmpi(P_REQUEST_FREE);
    static int64_t give_up[MSG_WORDS]; /* static: the sends may complete after this returns */
    give_up[MSG_TIME] = GIVE_UP;
    give_up[MSG_RANK] = 0;
    give_up[MSG_PHASE] = phase;
    give_up[MSG_PID] = (int64_t)sys_getpid();
    give_up[MSG_HOST] = self_host;
    for (int r = 1; r < world_size; r++) {
        if (peers[r].done)
            continue;
        peers[r].done = 1;
        (*timed_out)++;
        uint64_t req = 0;
        if (isend != NULL && request_free != NULL &&
            isend(give_up, (int)sizeof give_up, mpi_byte(), r, SYNC_TAG, comm_world(), &req) == 0)
            request_free(&req);
    }
}

/* Offset of this rank's clock to rank 0's, by ping-pong; emits mpi_clock_sync */
static void clock_sync(int phase)
{
    if (pmpi(P_SEND) == NULL || my_rank < 0 || world_size < 1)
        return;
    int saved = errno;
    if (self_host == 0)
        self_host = host_id();
    int64_t best_offset = 0, best_rtt = 0, rounds = SYNC_ROUNDS;
    int dead = 0, timed_out = 0;
    if (my_rank == 0) {
        if (peers == NULL && world_size > 1) {
            void *m = sys_mmap(NULL, (size_t)world_size * sizeof *peers, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            peers = m == MAP_FAILED ? NULL : m;
        }
        if (peers != NULL)
            serve_ranks(phase, &dead, &timed_out);
    } else {
        best_rtt = INT64_MAX;
        for (int i = 0; i < SYNC_ROUNDS; i++) {
            int64_t t1 = iotrace_now_ns(), msg[MSG_WORDS];
            send_message(0, phase, t1);
            /* the first answer comes when rank 0 gets to this rank; then each within a round trip */
            int from = 0;
            int got = await_message(msg, 0, phase, t1 + (i == 0 ? SYNC_IDLE_NS : SYNC_ROUND_NS), &rank_zero, NULL,
                                    NULL, &from);
            if (got != GOT || msg[MSG_TIME] == GIVE_UP) {
                dead += got == ALL_GONE;
                timed_out += got == TIMED_OUT || (got == GOT && msg[MSG_TIME] == GIVE_UP);
                rounds = -1;
                break;
            }
            int64_t t2 = iotrace_now_ns();
            rank_zero.pid = (int32_t)msg[MSG_PID];
            rank_zero.same_host = msg[MSG_HOST] == self_host;
            if (t2 - t1 < best_rtt) {
                best_rtt = t2 - t1;
                best_offset = t1 + (t2 - t1) / 2 - msg[MSG_TIME]; /* rank 0 read its clock half way, on average */
            }
        }
        if (rounds < 0)
            best_offset = best_rtt = 0;
    }
    int64_t values[7] = {phase, best_offset, best_rtt, 0, rounds, dead, timed_out};
    emit_meta(IOTRACE_FN_MPI_CLOCK_SYNC, 7, values);
    errno = saved;
}

int iotrace_mpi_after_init(int ret)
{
    if (ret != 0)
        return -1;
    comm_int_fn rank = (comm_int_fn)pmpi(P_COMM_RANK);
    comm_int_fn size = (comm_int_fn)pmpi(P_COMM_SIZE);
    int r = -1, n = 0;
    if (rank == NULL || size == NULL || rank(comm_world(), &r) != 0 || size(comm_world(), &n) != 0)
        return -1;
    my_rank = r;
    world_size = n;
    int64_t values[3] = {r, n, 1};
    emit_meta(IOTRACE_FN_MPI_RANK, 3, values);
    clock_sync(0);
    return r;
}

int iotrace_mpi_before_finalize(void)
{
    clock_sync(1);
    return my_rank;
}

/* ---- MPI_Wait / MPI_Test family, MPI_Request_free, MPI_Cancel (handwritten: non-file requests pass through with no
 * record) ------------------------------------------------------------------------------------------------------- */

#define LOCAL_MAX 64 /* arrays up to this many requests use the stack; larger ones one mapping per call */

struct tracked {
    int index;  /* in the caller's request array */
    uint64_t request;
    struct slot *slot;
};

/* The file requests among a call's requests, and the statuses it writes when the caller ignores them (so that their
 * byte counts can be read). */
struct scan {
    struct tracked *t; /* in ascending index order */
    int n;
    void *mapped;      /* the mapping of a large call, or NULL */
    size_t mapped_len;
    struct tracked local_t[LOCAL_MAX];
    uint64_t local_statuses[LOCAL_MAX * IOTRACE_MPI_STATUS_WORDS];
};

static struct slot *file_request(const void *requests, int i)
{
    uint64_t req = request_at(requests, i);
    return req != 0 ? table_find(request_table, req) : NULL;
}

/* Finds the file requests among requests[0..count): 0 when there is none, and the call is passed through untouched.
 * With `statuses` (an array call's status array), an ignored one (MPI_STATUSES_IGNORE) is replaced by ours. */
static int scan_begin(struct scan *s, const void *requests, int count, void **statuses)
{
    s->n = 0;
    s->mapped = NULL;
    if (__atomic_load_n(&requests_live, __ATOMIC_RELAXED) <= 0 || requests == NULL || count <= 0)
        return 0;
    int n = 0;
    for (int i = 0; i < count; i++)
        n += file_request(requests, i) != NULL;
    if (n == 0)
        return 0;
    int own_statuses = statuses != NULL && is_status_ignore(*statuses);
    size_t t_len = n > LOCAL_MAX ? (size_t)n * sizeof(struct tracked) : 0;
    size_t st_len = own_statuses && count > LOCAL_MAX ? (size_t)count * status_bytes() : 0;
    s->t = s->local_t;
    if (t_len + st_len > 0) {
        void *m = sys_mmap(NULL, t_len + st_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) {
            /* no memory: follow the first LOCAL_MAX; the caller's ignored statuses stay ignored (bytes unknown) */
            n = n > LOCAL_MAX ? LOCAL_MAX : n;
            own_statuses = own_statuses && count <= LOCAL_MAX;
        } else {
            s->mapped = m;
            s->mapped_len = t_len + st_len;
            if (t_len > 0)
                s->t = m;
            if (st_len > 0)
                *statuses = (char *)m + t_len; /* zero-filled */
        }
    }
    if (own_statuses && count <= LOCAL_MAX) {
        memset(s->local_statuses, 0, (size_t)count * status_bytes());
        *statuses = s->local_statuses;
    }
    for (int i = 0; i < count && s->n < n; i++) {
        struct slot *slot = file_request(requests, i);
        if (slot != NULL) {
            s->t[s->n].index = i;
            s->t[s->n].request = request_at(requests, i);
            s->t[s->n].slot = slot;
            s->n++;
        }
    }
    return s->n;
}

static void scan_end(struct scan *s)
{
    if (s->mapped != NULL)
        sys_munmap(s->mapped, s->mapped_len);
}

/* the tracked entry for array index i, or NULL (t is in ascending index order) */
static const struct tracked *tracked_at(const struct scan *s, int i)
{
    int lo = 0, hi = s->n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (s->t[mid].index == i)
            return &s->t[mid];
        if (s->t[mid].index < i)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

static void forget(const struct tracked *t)
{
    table_remove(t->slot);
    __atomic_fetch_sub(&requests_live, 1, __ATOMIC_RELAXED);
}

/* one record per file request a Wait/Test call completed (or failed on); a completed one is forgotten */
static void record_request(int32_t type, int64_t t0, int64_t t1, int ret, const struct tracked *t, const void *status)
{
    _Static_assert(IOTRACE_FN_MPI_WAIT_CAPS_SLOTS == 4, "MPI_Wait row changed: update mpi.c");
    uint64_t buf[(IOTRACE_RECORD_HEADER_LENGTH + IOTRACE_EVENT_ARGS + 4 * 8) / 8];
    struct iotrace_event ev;
    iotrace_ev_init(&ev, buf, sizeof buf, 4);
    iotrace_ev_slot(&ev, 0, t->request);
    iotrace_ev_slot(&ev, 1, (uint64_t)(ret == 0));
    iotrace_ev_slot(&ev, 2, (uint64_t)t->slot->is_write);
    int64_t bytes = ret == 0 ? bytes_of_status(status, (iotrace_mpi_handle)t->slot->datatype) : -1;
    iotrace_ev_slot(&ev, 3, (uint64_t)bytes);
    iotrace_ev_publish(&ev, type, t0, t1, (uint64_t)(int64_t)ret, ret != 0 ? IOTRACE_STATUS_FAILED : 0, 0);
    if (ret == 0)
        forget(t);
}

/* status i of a caller's array (NULL when ignored) */
static const void *status_at(const void *statuses, int i)
{
    return is_status_ignore(statuses) ? NULL : (const char *)statuses + status_bytes() * (size_t)i;
}

/* The traced part around a real call: the same shape as a generated wrapper's. */
#define MPI_WAIT_TRACED(call, after)                                                                             \
    do {                                                                                                         \
        int it_saved = errno;                                                                                    \
        if (!iotrace_enter()) {                                                                                  \
            errno = it_saved;                                                                                    \
            int it_ret = call;                                                                                   \
            scan_end(&scan);                                                                                     \
            return it_ret;                                                                                       \
        }                                                                                                        \
        int64_t t0 = iotrace_now_ns();                                                                           \
        iotrace_release();                                                                                       \
        errno = it_saved;                                                                                        \
        iotrace_mpi_io_depth++;                                                                                  \
        int ret = call;                                                                                          \
        iotrace_mpi_io_depth--;                                                                                  \
        int it_err = errno;                                                                                      \
        int64_t t1 = iotrace_now_ns();                                                                           \
        iotrace_reenter();                                                                                       \
        after;                                                                                                   \
        iotrace_leave();                                                                                         \
        scan_end(&scan);                                                                                         \
        errno = it_err;                                                                                          \
        return ret;                                                                                              \
    } while (0)

typedef int (*wait_fn)(void *, void *);
typedef int (*waitall_fn)(int, void *, void *);
typedef int (*waitany_fn)(int, void *, int *, void *);
typedef int (*waitsome_fn)(int, void *, int *, int *, void *);
typedef int (*testone_fn)(void *, int *, void *);
typedef int (*testall_fn)(int, void *, int *, void *);
typedef int (*testany_fn)(int, void *, int *, int *, void *);

IOTRACE_EXPORT int MPI_Wait(void *request, void *status)
{
    wait_fn real = (wait_fn)pmpi(P_WAIT);
    struct scan scan;
    if (real == NULL)
        return MPI_ERR_OTHER_VALUE;
    if (scan_begin(&scan, request, 1, NULL) == 0)
        return real(request, status);
    status = iotrace_mpi_status_or_own(status, scan.local_statuses);
    MPI_WAIT_TRACED(real(request, status), record_request(IOTRACE_FN_MPI_WAIT_CAPS, t0, t1, ret, &scan.t[0], status));
}

IOTRACE_EXPORT int MPI_Test(void *request, int *flag, void *status)
{
    testone_fn real = (testone_fn)pmpi(P_TEST_REAL);
    struct scan scan;
    if (real == NULL)
        return MPI_ERR_OTHER_VALUE;
    if (scan_begin(&scan, request, 1, NULL) == 0)
        return real(request, flag, status);
    status = iotrace_mpi_status_or_own(status, scan.local_statuses);
    /* only a Test that completes the request is recorded (polling loops would flood the trace) */
    MPI_WAIT_TRACED(real(request, flag, status),
                    if (ret != 0 || *flag) record_request(IOTRACE_FN_MPI_TEST_CAPS, t0, t1, ret, &scan.t[0], status));
}

static void record_all(int32_t type, int64_t t0, int64_t t1, int ret, const struct scan *s, const void *statuses)
{
    for (int k = 0; k < s->n; k++)
        record_request(type, t0, t1, ret, &s->t[k], status_at(statuses, s->t[k].index));
}

IOTRACE_EXPORT int MPI_Waitall(int count, void *requests, void *statuses)
{
    waitall_fn real = (waitall_fn)pmpi(P_WAITALL);
    struct scan scan;
    if (real == NULL)
        return MPI_ERR_OTHER_VALUE;
    if (scan_begin(&scan, requests, count, &statuses) == 0)
        return real(count, requests, statuses);
    MPI_WAIT_TRACED(real(count, requests, statuses),
                    record_all(IOTRACE_FN_MPI_WAITALL_CAPS, t0, t1, ret, &scan, statuses));
}

IOTRACE_EXPORT int MPI_Testall(int count, void *requests, int *flag, void *statuses)
{
    testall_fn real = (testall_fn)pmpi(P_TESTALL);
    struct scan scan;
    if (real == NULL)
        return MPI_ERR_OTHER_VALUE;
    if (scan_begin(&scan, requests, count, &statuses) == 0)
        return real(count, requests, flag, statuses);
    MPI_WAIT_TRACED(real(count, requests, flag, statuses),
                    if (ret != 0 || *flag) record_all(IOTRACE_FN_MPI_TESTALL_CAPS, t0, t1, ret, &scan, statuses));
}

static void record_one_of(int32_t type, int64_t t0, int64_t t1, int ret, const struct scan *s, int index,
                          const void *status)
{
    const struct tracked *hit = tracked_at(s, index);
    if (hit != NULL)
        record_request(type, t0, t1, ret, hit, status);
}

IOTRACE_EXPORT int MPI_Waitany(int count, void *requests, int *index, void *status)
{
    waitany_fn real = (waitany_fn)pmpi(P_WAITANY);
    struct scan scan;
    if (real == NULL)
        return MPI_ERR_OTHER_VALUE;
    if (scan_begin(&scan, requests, count, NULL) == 0)
        return real(count, requests, index, status);
    status = iotrace_mpi_status_or_own(status, scan.local_statuses);
    MPI_WAIT_TRACED(real(count, requests, index, status),
                    if (ret == 0 && *index != MPI_UNDEFINED_VALUE)
                        record_one_of(IOTRACE_FN_MPI_WAITANY_CAPS, t0, t1, ret, &scan, *index, status));
}

IOTRACE_EXPORT int MPI_Testany(int count, void *requests, int *index, int *flag, void *status)
{
    testany_fn real = (testany_fn)pmpi(P_TESTANY);
    struct scan scan;
    if (real == NULL)
        return MPI_ERR_OTHER_VALUE;
    if (scan_begin(&scan, requests, count, NULL) == 0)
        return real(count, requests, index, flag, status);
    status = iotrace_mpi_status_or_own(status, scan.local_statuses);
    MPI_WAIT_TRACED(real(count, requests, index, flag, status),
                    if (ret == 0 && *flag && *index != MPI_UNDEFINED_VALUE)
                        record_one_of(IOTRACE_FN_MPI_TESTANY_CAPS, t0, t1, ret, &scan, *index, status));
}

static void record_some(int32_t type, int64_t t0, int64_t t1, int ret, const struct scan *s, int outcount,
                        const int *indices, const void *statuses)
{
    if (ret != 0 || outcount == MPI_UNDEFINED_VALUE || indices == NULL)
        return;
    for (int k = 0; k < outcount; k++)
        record_one_of(type, t0, t1, ret, s, indices[k], status_at(statuses, k));
}

/* Waitsome and Testsome have the same signature and the same recording: one body for both */
#define IOTRACE_MPI_SOME(name, real_index, record_type)                                                          \
    IOTRACE_EXPORT int name(int incount, void *requests, int *outcount, int *indices, void *statuses)            \
    {                                                                                                            \
        waitsome_fn real = (waitsome_fn)pmpi(real_index);                                                        \
        struct scan scan;                                                                                        \
        if (real == NULL)                                                                                        \
            return MPI_ERR_OTHER_VALUE;                                                                          \
        if (scan_begin(&scan, requests, incount, &statuses) == 0)                                                \
            return real(incount, requests, outcount, indices, statuses);                                        \
        MPI_WAIT_TRACED(real(incount, requests, outcount, indices, statuses),                                    \
                        record_some(record_type, t0, t1, ret, &scan, *outcount, indices, statuses));             \
    }

IOTRACE_MPI_SOME(MPI_Waitsome, P_WAITSOME, IOTRACE_FN_MPI_WAITSOME_CAPS)
IOTRACE_MPI_SOME(MPI_Testsome, P_TESTSOME, IOTRACE_FN_MPI_TESTSOME_CAPS)

/* MPI_Request_free of a file request: recorded, and forgotten at once (the request value may name a point-to-point
 * request next: a mapping kept until a completion that no call will ever report would be taken for it).
 * MPI_Cancel of a file request: recorded; the request stays until the Wait/Test that completes it. */
static void record_free_or_cancel(int32_t type, int64_t t0, int64_t t1, int ret, const struct tracked *t)
{
    _Static_assert(IOTRACE_FN_MPI_REQUEST_FREE_CAPS_SLOTS == 3 && IOTRACE_FN_MPI_CANCEL_CAPS_SLOTS == 2,
                   "MPI_Request_free/MPI_Cancel rows changed: update mpi.c");
    int freed = type == IOTRACE_FN_MPI_REQUEST_FREE_CAPS && ret == 0;
    uint64_t buf[(IOTRACE_RECORD_HEADER_LENGTH + IOTRACE_EVENT_ARGS + 3 * 8) / 8];
    struct iotrace_event ev;
    unsigned slots = type == IOTRACE_FN_MPI_REQUEST_FREE_CAPS ? 3 : 2;
    iotrace_ev_init(&ev, buf, sizeof buf, slots);
    iotrace_ev_slot(&ev, 0, t->request);
    iotrace_ev_slot(&ev, 1, (uint64_t)t->slot->is_write);
    if (slots == 3)
        iotrace_ev_slot(&ev, 2, (uint64_t)freed);
    iotrace_ev_publish(&ev, type, t0, t1, (uint64_t)(int64_t)ret, ret != 0 ? IOTRACE_STATUS_FAILED : 0, 0);
    if (freed)
        forget(t);
}

typedef int (*request_one_fn)(void *);

IOTRACE_EXPORT int MPI_Request_free(void *request)
{
    request_one_fn real = (request_one_fn)pmpi(P_REQUEST_FREE);
    struct scan scan;
    if (real == NULL)
        return MPI_ERR_OTHER_VALUE;
    if (scan_begin(&scan, request, 1, NULL) == 0)
        return real(request);
    MPI_WAIT_TRACED(real(request), record_free_or_cancel(IOTRACE_FN_MPI_REQUEST_FREE_CAPS, t0, t1, ret, &scan.t[0]));
}

IOTRACE_EXPORT int MPI_Cancel(void *request)
{
    request_one_fn real = (request_one_fn)pmpi(P_CANCEL);
    struct scan scan;
    if (real == NULL)
        return MPI_ERR_OTHER_VALUE;
    if (scan_begin(&scan, request, 1, NULL) == 0)
        return real(request);
    MPI_WAIT_TRACED(real(request), record_free_or_cancel(IOTRACE_FN_MPI_CANCEL_CAPS, t0, t1, ret, &scan.t[0]));
}
