/*
 * The trace session (output dir O, runtime dir R) and this process's current incarnation (its ring file).
 * See docs/ARCHITECTURE.md "Session and collector protocol" and iotrace_format.h section 1.
 */
#ifndef IOTRACE_SESSION_H
#define IOTRACE_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct iotrace_session {
    char out_dir[IOTRACE_PATH_MAX]; /* O, absolute, no trailing slash */
    char run_dir[IOTRACE_PATH_MAX]; /* R = runtime dir/iotrace-<uid>/<id> */
    char id[17];                    /* 16 hex digits of FNV-1a-64(O) */
};

struct iotrace_incarnation {
    unsigned char *map; /* the whole ring file, MAP_SHARED, never unmapped */
    size_t map_len;
    unsigned char *data; /* agrona data area (map + 16384); the trailer follows it */
    uint32_t capacity;
    int pid;
    int incarnation;
    uint64_t start_ticks; /* /proc/self/stat field 22 */
    int64_t reserved;     /* bytes of the data area whose pages exist (see iotrace_ring_reserve_more) */
};

extern struct iotrace_session iotrace_sess;
extern struct iotrace_incarnation iotrace_cur;

/* Finds or creates the session and creates this image's ring (origin START or EXEC). 0 on success. */
int iotrace_session_start(void);

/* In a fork child: a new ring for the new pid in the same session (origin FORK). 0 on success. */
int iotrace_session_fork_child(int parent_pid, uint64_t parent_start_ticks);

/* header field access */
static inline void *iotrace_hdr(size_t offset)
{
    return iotrace_cur.map + offset;
}

void iotrace_set_state(int state);

/* Populates the next chunk of ring pages; 0 on success, -1 when memory (tmpfs) is exhausted. */
int iotrace_ring_reserve_more(void);

#endif /* IOTRACE_SESSION_H */
