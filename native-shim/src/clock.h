/*
 * Clocks. Every timestamp the shim records is CLOCK_REALTIME in nanoseconds.
 *
 * glibc's clock_gettime is the vDSO (no system call) but still costs ~21 ns here, twice per traced call; a bare
 * rdtsc costs ~9 ns. So when the kernel itself keeps time with an invariant TSC (clocksource "tsc"), a call's
 * timestamps are extrapolated from a per-thread anchor: a (TSC, CLOCK_REALTIME) pair taken by clock_gettime at
 * most IOTRACE_TSC_SPAN ticks (< 1 ms) ago, scaled by ns-per-tick measured against the process's first anchor
 * (so the scale gets more precise the longer the process runs, and follows NTP's frequency corrections). The
 * error is bounded by the scale's error over one span: a few ns. Every other case (no usable TSC, a new
 * thread, a stale anchor, IOTRACE_CLOCK=realtime) reads clock_gettime as before. clock.c has the slow path.
 */
#ifndef IOTRACE_CLOCK_H
#define IOTRACE_CLOCK_H

#include <stdint.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define IOTRACE_HAVE_TSC 1
#endif

/* ticks an anchor is used for: 2^21 = 0.5 ms at 4 GHz, 1 ms at 2 GHz */
#define IOTRACE_TSC_SPAN (1ULL << 21)

/* per thread: anchor_tsc 0 means "no anchor" (also while one is being written: a signal handler running
 * in between sees 0 or a complete pair, see iotrace_clock_reanchor) */
struct iotrace_clock_anchor {
    uint64_t tsc;
    int64_t ns;
    int64_t last; /* the thread's last timestamp: they rise strictly within a thread (see iotrace_clock_floor) */
};
extern __thread struct iotrace_clock_anchor iotrace_clock_anchor __attribute__((tls_model("initial-exec")));
extern int iotrace_clock_tsc; /* 1: the TSC is used (decided by iotrace_clock_init) */
/* ns per tick as a 32.32 fixed-point number; 0 while not yet measured */
extern uint64_t iotrace_clock_scale;

static inline int64_t iotrace_realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t iotrace_clock_reanchor(uint64_t tsc);

/* A thread's timestamps rise strictly (the collector's resume logic relies on rising time_start per thread): a
 * value that an anchor's renewal put up to 1 us behind the thread's last one becomes last + 1 ns. A larger step
 * back is the realtime clock being set, and is kept as with clock_gettime. */
static inline int64_t iotrace_clock_floor(int64_t ns)
{
    int64_t last = iotrace_clock_anchor.last;
    if (__builtin_expect(ns <= last, 0) && last - ns < 1000)
        ns = last + 1;
    iotrace_clock_anchor.last = ns;
    return ns;
}

static inline int64_t iotrace_now_ns(void)
{
#ifdef IOTRACE_HAVE_TSC
    if (__builtin_expect(__atomic_load_n(&iotrace_clock_tsc, __ATOMIC_RELAXED), 1)) {
        uint64_t tsc = __rdtsc();
        uint64_t scale = __atomic_load_n(&iotrace_clock_scale, __ATOMIC_RELAXED);
        uint64_t anchor = iotrace_clock_anchor.tsc;
        __asm__ volatile("" ::: "memory"); /* the pair is read in this order (a handler may re-anchor) */
        int64_t ns = iotrace_clock_anchor.ns;
        __asm__ volatile("" ::: "memory");
        uint64_t ticks = tsc - anchor; /* unsigned: a TSC behind the anchor (or no anchor) is "far" */
        if (__builtin_expect(ticks < IOTRACE_TSC_SPAN && scale != 0 && iotrace_clock_anchor.tsc == anchor, 1))
            return iotrace_clock_floor(ns + (int64_t)((ticks * scale) >> 32));
        return iotrace_clock_reanchor(tsc);
    }
#endif
    return iotrace_realtime_ns();
}

/* Decides once per process image whether the TSC is used (IOTRACE_CLOCK=realtime: never). */
void iotrace_clock_init(int realtime_only);

/* epoch milliseconds: the unit of the collector's heartbeat in the ring trailer */
static inline int64_t iotrace_now_ms(void)
{
    return iotrace_realtime_ns() / 1000000LL;
}

/* relative sleep that never comes back into the shim (nanosleep is not wrapped, but keep it a raw call) */
void iotrace_sleep_ns(int64_t ns);

#endif /* IOTRACE_CLOCK_H */
