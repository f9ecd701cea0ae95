/*
 * Event encoding (strings) and publishing: ring first; when the ring is full, back off while a collector is alive,
 * otherwise switch this incarnation to its spill file for good (sticky, so each thread's order is kept).
 */
#include <signal.h>
#include <string.h>

#include "collector.h"
#include "config.h"
#include "iotrace_runtime.h"
#include "ring.h"
#include "session.h"
#include "spill.h"

#define BACKOFF_MIN_NS 1000LL
#define BACKOFF_MAX_NS 1000000LL

void iotrace_ev_strn(struct iotrace_event *ev, const char *s, size_t n)
{
    if (n > IOTRACE_MAX_STRING) {
        n = IOTRACE_MAX_STRING;
        ev->status |= IOTRACE_STATUS_TRUNCATED;
    }
    if (ev->len + 2 > ev->cap) /* cannot happen with generated buffer sizes: be safe anyway */
        return;
    size_t room = ev->cap - ev->len - 2;
    if (n > room) {
        n = room;
        ev->status |= IOTRACE_STATUS_TRUNCATED;
    }
    uint16_t len16 = (uint16_t)n;
    memcpy(ev->rec + ev->len, &len16, 2);
    if (n > 0)
        memcpy(ev->rec + ev->len + 2, s, n);
    ev->len += 2 + (uint32_t)n;
}

void iotrace_ev_str(struct iotrace_event *ev, const char *s)
{
    if (s == NULL) {
        iotrace_ev_strn(ev, "", 0);
        return;
    }
    iotrace_ev_strn(ev, s, strnlen(s, IOTRACE_MAX_STRING + 1));
}

void iotrace_ev_argv(struct iotrace_event *ev, char *const *argv)
{
    if (ev->len + 2 > ev->cap)
        return;
    uint32_t count_at = ev->len;
    uint16_t count = 0;
    ev->len += 2;
    if (argv != NULL) {
        for (; argv[count] != NULL; count++) {
            if (count == UINT16_MAX || ev->len + 2 > ev->cap) {
                ev->status |= IOTRACE_STATUS_TRUNCATED; /* no room for more strings */
                break;
            }
            iotrace_ev_str(ev, argv[count]);
        }
    }
    memcpy(ev->rec + count_at, &count, 2);
}

void iotrace_ev_empty_strings(struct iotrace_event *ev, int count)
{
    for (int i = 0; i < count; i++)
        iotrace_ev_strn(ev, "", 0);
}

static uint32_t *hdr_spilling(void)
{
    return iotrace_hdr(IOTRACE_HDR_SPILLING);
}

static void count_lost(void)
{
    __atomic_fetch_add((uint64_t *)iotrace_hdr(IOTRACE_HDR_LOST_EVENTS), 1, __ATOMIC_RELAXED);
}

/* a collector is alive: its heartbeat is fresh, or it holds the lock (a starting JVM has not beaten yet) */
static int collector_alive(void)
{
    int64_t heartbeat = iotrace_ring_heartbeat(iotrace_cur.data, iotrace_cur.capacity);
    if (heartbeat != 0 && iotrace_now_ms() - heartbeat < iotrace_cfg.heartbeat_timeout_ms)
        return 1;
    return iotrace_collector_lock_held();
}

static void spill(unsigned char *rec, uint32_t record_length, int32_t type)
{
    if (iotrace_spill_write(rec, record_length, type) != 0)
        count_lost();
}

/* ---- events of signal handlers that interrupted a wrapper's bookkeeping (see iotrace_enter) -------------------- */


/* Deferred records, 8-byte aligned, each: u32 record length (the event's rec, header room included), i32 type, rec */
#define DEFERRED_CAPACITY 8192
#define DEFERRED_ENTRY_HEADER 8
static IOTRACE_TLS unsigned char deferred[DEFERRED_CAPACITY] __attribute__((aligned(8)));

/* same stack as the guard owner: a frame above the owner's means the owner is gone (a handler siglongjmp'ed out of
   the bookkeeping it interrupted); frames further away than any stack is big are taken to be another stack */
#define SAME_STACK_SPAN (64u << 20)

__attribute__((noinline, cold)) static void publish_record(unsigned char *rec, uint32_t record_length,
                                                          int32_t type);

int iotrace_enter_nested(uintptr_t frame)
{
    if (iotrace_guard != IOTRACE_GUARD_WRAPPER || __atomic_load_n(&iotrace_state, __ATOMIC_ACQUIRE) != IOTRACE_READY)
        return 0;
    uintptr_t owner = iotrace_guard_frame;
    if (frame > owner && frame - owner < SAME_STACK_SPAN) {
        stack_t ss;
        if (sigaltstack(NULL, &ss) == 0 && !(ss.ss_flags & SS_ONSTACK)) {
            /* stale guard: take it over as an ordinary wrapper (events the lost owner deferred go out at leave) */
            iotrace_defer_depth = 0;
            iotrace_guard_frame = frame;
            return 1;
        }
    }
    iotrace_defer_depth++;
    return 1;
}

/* In a nested wrapper: the record waits in this thread's buffer. A full buffer (a handler making many calls inside
   one interrupted wrapper) gets one ring attempt that never waits, else the event is counted as lost. */
static int defer_record(unsigned char *rec, uint32_t record_length, int32_t type)
{
    uint32_t entry = (DEFERRED_ENTRY_HEADER + record_length + 7u) & ~7u;
    uint32_t at = __atomic_load_n(&iotrace_deferred_length, __ATOMIC_RELAXED);
    do {
        if (at + entry > DEFERRED_CAPACITY)
            return -1;
        /* a compare-and-swap is one instruction: a handler nested in this one reserves after us */
    } while (!__atomic_compare_exchange_n(&iotrace_deferred_length, &at, at + entry, 0, __ATOMIC_RELAXED,
                                          __ATOMIC_RELAXED));
    memcpy(deferred + at, &record_length, 4);
    memcpy(deferred + at + 4, &type, 4);
    memcpy(deferred + at + DEFERRED_ENTRY_HEADER, rec, record_length);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    return 0;
}

void iotrace_deferred_flush(void)
{
    uint32_t done = 0;
    for (;;) {
        uint32_t length = __atomic_load_n(&iotrace_deferred_length, __ATOMIC_RELAXED);
        while (done < length) {
            uint32_t record_length;
            int32_t type;
            memcpy(&record_length, deferred + done, 4);
            memcpy(&type, deferred + done + 4, 4);
            publish_record(deferred + done + DEFERRED_ENTRY_HEADER, record_length, type);
            done += (DEFERRED_ENTRY_HEADER + record_length + 7u) & ~7u;
        }
        /* empty the buffer unless a handler appended while we published */
        if (__atomic_compare_exchange_n(&iotrace_deferred_length, &length, 0, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            return;
    }
}

void iotrace_ev_publish(struct iotrace_event *ev, int32_t type, int64_t t0, int64_t t1, uint64_t result,
                        uint16_t status, int err)
{
    if (__atomic_load_n(&iotrace_state, __ATOMIC_ACQUIRE) != IOTRACE_READY)
        return;
    unsigned char *p = IOTRACE_EV_PAYLOAD(ev);
    int32_t tid = iotrace_tid();
    status |= ev->status;
    if (__builtin_expect(iotrace_vfork_child, 0))
        status |= IOTRACE_STATUS_VFORK_CHILD;
    if (__builtin_expect(iotrace_mpi_io_depth != 0, 0))
        status |= IOTRACE_STATUS_IN_MPI; /* made by the real call of an MPI_File_* wrapper of this thread */
    if (__builtin_expect(iotrace_record_as_type == type, 0) && type != 0)
        type = iotrace_record_as_id;
    uint16_t errno16 = (status & IOTRACE_STATUS_FAILED) ? (uint16_t)err : 0;
    iotrace_event_fixed(p, t0, t1, result, tid, errno16, status);

    if (__builtin_expect(iotrace_defer_depth != 0, 0)) {
        if (defer_record(ev->rec, ev->len, type) == 0)
            return;
        if (__atomic_load_n(hdr_spilling(), __ATOMIC_ACQUIRE) != 0 ||
            iotrace_ring_write(iotrace_cur.data, iotrace_cur.capacity, &iotrace_cur.reserved, type,
                               p, ev->len - IOTRACE_RECORD_HEADER_LENGTH) != IOTRACE_RING_OK)
            count_lost();
        return;
    }
    /* the common case in line: not spilling, and the ring takes the record at once */
    if (__builtin_expect(__atomic_load_n(hdr_spilling(), __ATOMIC_ACQUIRE) == 0, 1) &&
        __builtin_expect(iotrace_ring_write_inline(iotrace_cur.data, iotrace_cur.capacity, &iotrace_cur.reserved,
                                                   type, p, ev->len - IOTRACE_RECORD_HEADER_LENGTH) ==
                             IOTRACE_RING_OK, 1))
        return;
    publish_record(ev->rec, ev->len, type);
}

/* The time a record waited for ring space (since: when it first found the ring full, 0 = it did not). */
static void count_wait(int64_t since)
{
    if (since != 0)
        __atomic_fetch_add((uint64_t *)iotrace_hdr(IOTRACE_HDR_FULL_WAIT_NS), (uint64_t)(iotrace_now_ns() - since),
                           __ATOMIC_RELAXED);
}

/* Ring first; a full ring waits while a collector is alive, else this incarnation spills (sticky). Waits are
   counted in the header (full_waits, full_wait_ns): the collector reports them, the program was slowed. */
__attribute__((noinline, cold)) static void publish_record(unsigned char *rec, uint32_t record_length, int32_t type)
{
    unsigned char *p = rec + IOTRACE_RECORD_HEADER_LENGTH;
    uint32_t payload_length = record_length - IOTRACE_RECORD_HEADER_LENGTH;
    if (__atomic_load_n(hdr_spilling(), __ATOMIC_ACQUIRE) != 0) {
        spill(rec, record_length, type);
        return;
    }
    int64_t sleep_ns = BACKOFF_MIN_NS;
    int64_t waited_since = 0; /* when this record first found the ring full */
    for (;;) {
        int rc = iotrace_ring_write(iotrace_cur.data, iotrace_cur.capacity, &iotrace_cur.reserved, type, p,
                                    payload_length);
        if (rc == IOTRACE_RING_OK) {
            count_wait(waited_since);
            return;
        }
        if (rc == IOTRACE_RING_UNRESERVED) {
            if (iotrace_ring_reserve_more() == 0)
                continue;
            /* out of memory for the ring (tmpfs full): the spill file is our only chance */
            __atomic_store_n(hdr_spilling(), 1, __ATOMIC_RELEASE);
            break;
        }
        if (rc == IOTRACE_RING_TOO_LONG) { /* cannot happen: records are at most capacity / 8 */
            count_lost();
            return;
        }
        if (__atomic_load_n(hdr_spilling(), __ATOMIC_ACQUIRE) != 0)
            break;
        if (!collector_alive()) {
            if (__atomic_exchange_n(hdr_spilling(), 1, __ATOMIC_ACQ_REL) == 0)
                iotrace_debugf("ring %d-%d full and no collector alive: spilling to %s/.iotrace-spill",
                               iotrace_cur.pid, iotrace_cur.incarnation, iotrace_sess.out_dir);
            break;
        }
        if (waited_since == 0) {
            waited_since = iotrace_now_ns();
            __atomic_fetch_add((uint64_t *)iotrace_hdr(IOTRACE_HDR_FULL_WAITS), 1, __ATOMIC_RELAXED);
        }
        iotrace_sleep_ns(sleep_ns);
        sleep_ns = sleep_ns * 2 < BACKOFF_MAX_NS ? sleep_ns * 2 : BACKOFF_MAX_NS;
    }
    count_wait(waited_since);
    spill(rec, record_length, type);
}
