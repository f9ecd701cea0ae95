/* IOTRACE_* environment variables, read once per process image (the constructor, or the first traced call). */
#ifndef IOTRACE_CONFIG_H
#define IOTRACE_CONFIG_H

#include <stdint.h>

#include "util.h"

#define IOTRACE_DEFAULT_RING_SIZE         33554432u /* 32 MiB: absorbs ~500k events while the collector JVM starts; pages are reserved as the ring fills */
#define IOTRACE_MIN_RING_SIZE             65536u
#define IOTRACE_MAX_RING_SIZE             (1u << 30) /* agrona positions are Java ints */
#define IOTRACE_DEFAULT_HEARTBEAT_TIMEOUT 3000

struct iotrace_config {
    uint32_t ring_size;                     /* IOTRACE_RING_SIZE */
    int64_t heartbeat_timeout_ms;           /* IOTRACE_HEARTBEAT_TIMEOUT_MS */
    char dir[IOTRACE_PATH_MAX];             /* IOTRACE_DIR as given, "" when unset */
    char runtime_dir[IOTRACE_PATH_MAX];     /* IOTRACE_RUNTIME_DIR, default /dev/shm */
    char collector[IOTRACE_PATH_MAX];       /* IOTRACE_COLLECTOR, "" = beside the library */
    int collector_none;                     /* IOTRACE_COLLECTOR=none */
    int debug;                              /* IOTRACE_DEBUG=1 */
    int disable;                            /* IOTRACE_DISABLE=1 */
    int clock_realtime;                     /* IOTRACE_CLOCK=realtime: clock_gettime for every timestamp */
    int64_t linger_ms;                      /* IOTRACE_COLLECTOR_LINGER_MS (read by the collector; the ptrace
                                               tracer lingers as long), default 500 */
    int ptrace_on;                          /* IOTRACE_PTRACE=on */
    char errors[2048];                      /* one line per bad value, flushed once O is known */
    uint32_t errors_len;
};

extern struct iotrace_config iotrace_cfg;

void iotrace_config_load(void);

/* Appends the collected bad-value lines to O/iotrace-config-errors.log (stderr too with IOTRACE_DEBUG=1). */
void iotrace_config_flush_errors(const char *out_dir);

#define IOTRACE_DEFAULT_RUNTIME_DIR "/dev/shm"
/* One line "bad NAME='VALUE': why" for iotrace-config-errors.log (written once the trace directory is known). */
void iotrace_config_error(const char *name, const char *value, const char *why);

#endif /* IOTRACE_CONFIG_H */
