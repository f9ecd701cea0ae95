/*
 * The slow path of iotrace_now_ns (clock.h): a new anchor for this thread, and the process-wide TSC scale
 * measured against the first anchor. Async-signal-safe: a handler interrupting any of this on the same thread
 * sees either no anchor or a complete one, and skips calibration while another call is at it.
 */
#include "clock.h"
#include "collector.h"

#include <string.h>

#include "sys.h"

int iotrace_clock_tsc;
uint64_t iotrace_clock_scale;

/* a clock_gettime that took longer than this between its two TSC reads was interrupted: not an anchor. The anchor
 * takes the pair's midpoint, so it may be off by half this: 2^10 ticks (~0.4 us at 2.6 GHz; an undisturbed pair
 * takes ~150) keeps that under the 1 us iotrace_clock_floor smooths over. 2^13 (3 us) let a pair interrupted for
 * 2-3 us on a loaded VM put a thread's timestamps ~1.1 us ahead for a whole span: the next anchor stepped back
 * past the floor, a close then started before its open ended, and the collector could not name it */
#define PAIR_MAX_TICKS (1ULL << 10)
/* the scale is measured over at least this (~3 ms at 3 GHz): pair jitter / baseline < 1e-5 */
#define BASELINE_MIN_TICKS (1ULL << 23)

static uint64_t base_tsc; /* the process's first anchor: the scale is measured from it */
static int64_t base_ns;
static int calibrating;

static void calibrate(uint64_t tsc, int64_t ns)
{
    int expected = 0;
    if (!__atomic_compare_exchange_n(&calibrating, &expected, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return; /* another thread (or the code this handler interrupted) is at it */
    if (base_tsc == 0 || tsc < base_tsc || ns < base_ns) {
        base_tsc = tsc;
        base_ns = ns;
    } else if (tsc - base_tsc >= BASELINE_MIN_TICKS) {
        uint64_t scale = (uint64_t)(((unsigned __int128)(uint64_t)(ns - base_ns) << 32) / (tsc - base_tsc));
        uint64_t old = __atomic_load_n(&iotrace_clock_scale, __ATOMIC_RELAXED);
        uint64_t diff = scale > old ? scale - old : old - scale;
        if (old != 0 && diff > old / 1000) {
            /* the realtime clock was set (or the TSC jumped): measure again from here, meanwhile keep the old
             * scale (the anchors themselves follow the new time at once) */
            base_tsc = tsc;
            base_ns = ns;
        } else {
            __atomic_store_n(&iotrace_clock_scale, scale, __ATOMIC_RELAXED);
        }
    }
    __atomic_store_n(&calibrating, 0, __ATOMIC_RELEASE);
}

int64_t iotrace_clock_reanchor(uint64_t before)
{
    /* a thread's anchor is renewed at least every millisecond while it makes traced calls: the collector spawn's
     * intermediate child is reaped here, off the program's start-up path (collector.c) */
    iotrace_collector_reap(0);
#ifdef IOTRACE_HAVE_TSC
    int64_t ns = iotrace_realtime_ns();
    uint64_t after = __rdtsc();
    if (after - before > PAIR_MAX_TICKS)
        return iotrace_clock_floor(ns); /* interrupted or migrated in between: use the time, not the pair */
    uint64_t tsc = before + (after - before) / 2;
    calibrate(tsc, ns);
    iotrace_clock_anchor.tsc = 0;
    __asm__ volatile("" ::: "memory");
    iotrace_clock_anchor.ns = ns;
    __asm__ volatile("" ::: "memory");
    iotrace_clock_anchor.tsc = tsc;
    return iotrace_clock_floor(ns);
#else
    (void)before;
    return iotrace_realtime_ns();
#endif
}

#ifdef IOTRACE_HAVE_TSC
/* CPUID 0x80000007 EDX bit 8: the TSC ticks at a constant rate in every power state */
static int invariant_tsc(void)
{
    unsigned a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000000u), "c"(0));
    if (a < 0x80000007u)
        return 0;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000007u), "c"(0));
    return (d >> 8) & 1;
}
#endif

void iotrace_clock_init(int realtime_only)
{
#ifdef IOTRACE_HAVE_TSC
    if (realtime_only || !invariant_tsc())
        return;
    /* the kernel's own verdict: it keeps CLOCK_REALTIME with the TSC only when the TSC is stable and in step
     * across CPUs (its watchdog switches away otherwise, and so do we at the next process start) */
    char source[16] = "";
    int fd = sys_open("/sys/devices/system/clocksource/clocksource0/current_clocksource", O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return;
    ssize_t n = sys_read(fd, source, sizeof source - 1);
    sys_close(fd);
    if (n == 4 && memcmp(source, "tsc\n", 4) == 0)
        __atomic_store_n(&iotrace_clock_tsc, 1, __ATOMIC_RELEASE);
#else
    (void)realtime_only;
#endif
}
