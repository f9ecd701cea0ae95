/* Clocks. CLOCK_REALTIME through glibc's clock_gettime, which is the vDSO: no system call on the hot path. */
#ifndef IOTRACE_CLOCK_H
#define IOTRACE_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t iotrace_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* epoch milliseconds: the unit of the collector's heartbeat in the ring trailer */
static inline int64_t iotrace_now_ms(void)
{
    return iotrace_now_ns() / 1000000LL;
}

/* relative sleep that never comes back into the shim (nanosleep is not wrapped, but keep it a raw call) */
void iotrace_sleep_ns(int64_t ns);

#endif /* IOTRACE_CLOCK_H */
