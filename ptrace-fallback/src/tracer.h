/*
 * iotrace-ptrace internals: the processes and threads of the traced tree (procs.c), their rings (procs.c) and the
 * decoding of a stopped system call into an event of its functions.tbl row (record.c). Single-threaded: only the
 * tracer's one loop (tracer.c) touches these tables.
 */
#ifndef IOTRACE_TRACER_H
#define IOTRACE_TRACER_H

#include <stdint.h>
#include <sys/types.h>

#include "iotrace_format.h"
#include "iotrace_syscalls.h"

#define MAX_SITES        64
#define IOTRACE_RING_SUFFIX_C ".ring"
#define MAX_EVENT        (IOTRACE_EVENT_ARGS + 8 * 8 + 2 * (2 + IOTRACE_MAX_STRING))
#define PENDING_CAPACITY (256 * 1024) /* events of an image whose ring does not exist yet */
#define NAMED_FDS        4096         /* descriptors below this are named at their first use by a data call */

/* one process (thread group) of the traced tree */
struct proc {
    pid_t tgid;
    pid_t ppid;
    uint64_t start_ticks;
    /* the ring the events go to: the shim's (found in the session dir), or one of our own (--own-rings) */
    int ring_fd;
    unsigned char *map;
    size_t map_len;
    uint32_t capacity;
    int64_t reserved;
    int incarnation;  /* of the mapped ring */
    int min_incarnation; /* after an exec: the new image's ring is newer than this */
    int own_ring;     /* we created it: we mark it EXITED when the process ends */
    /* an image exec'd under an earlier image's filter: every handle call stops; the shim's sites (registered
     * with IOTRACE_PTRACE_REGISTER_FD) pass unrecorded */
    int execd;
    int registered;
    int nsites;
    uint64_t sites[MAX_SITES];
    pid_t vfork_parent; /* a vfork child: shares its parent's memory and writes into its ring (VFORK_CHILD) */
    /* events made before the image's ring existed (the loader's opens after an exec): flushed into the ring when
     * the shim registers, minus those at its sites (its own start-up calls) */
    unsigned char *pending;
    uint32_t pending_len;
    uint64_t dropped; /* events no ring ever took */
    /* --own-rings, --attach: the descriptors a data call has used since their last close (named for the collector
     * at their first use: one made by a call we do not record, socketpair say, gets its name from /proc) */
    uint64_t used_fds[NAMED_FDS / 64];
};

/* one thread */
struct thread {
    pid_t tid;
    pid_t tgid;
    int announced;   /* its creator's clone/fork/vfork event was seen */
    int held;        /* its first stop came before that event: resumed when the event arrives */
    int in_call;     /* between the seccomp stop and the syscall-exit stop of `sc` */
    int sc;
    int abi32;
    uint64_t args[6];
    uint64_t ip;
    int64_t t0;
    char path[IOTRACE_MAX_STRING];   /* the call's first path or string argument */
    uint16_t path_len;
    char path2[IOTRACE_MAX_STRING];  /* its second (rename's new path) */
    uint16_t path2_len;
    int truncated;
    uint64_t how[3]; /* openat2's struct open_how */
};

/* procs.c */
extern const char *run_dir;
extern int own_rings;
extern uint32_t own_ring_capacity;
struct proc *proc_find(pid_t tgid);
struct proc *proc_get(pid_t tgid);
void proc_forget(struct proc *p);
struct thread *thread_find(pid_t tid);
struct thread *thread_get(pid_t tid);
void thread_forget(pid_t tid);
#define MAX_THREADS_LISTED 8192
int thread_list(pid_t *tids, int max); /* the tids of every thread we hold; their count */
int thread_count(void);
pid_t tgid_of(pid_t tid);
void proc_exec(struct proc *p);
int proc_site_allowed(const struct proc *p, uint64_t ip, int sc);
void proc_register(struct proc *p, pid_t tid, uint64_t sites_addr, uint64_t count);
/* hands one event (payload of `length` bytes, record type `row`) to the ring of p; ip: where the call was made */
void proc_publish(struct proc *p, int32_t row, const unsigned char *payload, uint32_t length, uint64_t ip, int sc);
void proc_exited(struct proc *p);
void proc_ensure_ring(struct proc *p); /* --own-rings: create it now */
void proc_detach_all(void);           /* iotrace attach detached: every ring of ours gets nothing more */

void proc_save_sites(const struct proc *p); /* R/<pid>.ptrace-sites: what an heir needs (heir.c) */
void proc_adopted(struct proc *p);          /* taken over from a dead tracer: its image and sites */

/* heir.c: the successor of a killed tracer */
void heir_wait(pid_t tracer);
int heir_adopt(int (*seize)(pid_t));

/* service.c: the session's tracer, joined by later process trees over R/ptrace.sock (protocol there) */
struct pollfd;
int service_try_listen(void);
int service_listening(void);
int service_pending(void);
void service_close(void);
int service_pollfds(struct pollfd *fds, int max);
int64_t service_timeout_ns(void);
void service_handle(int (*seize)(pid_t));

/* attach.c: iotrace attach PID */
void attach_seed(pid_t pid);          /* the process's open descriptors and file mappings, from /proc */
void record_open_descriptors(pid_t pid); /* its open descriptors alone (fd_discovered, how 0: open at start) */

/* record.c: the event of the call t stopped in (entry: before the call, exit: after it; rval its result), of the
 * row *row (the call's own, or the row the shim would record this form of it as: fstat for an fstatat of "") */
uint32_t record_build(struct thread *t, pid_t tid, int at_exit, int64_t rval, int failed, unsigned char *out,
                      int32_t *row);
void record_entry(struct thread *t, pid_t tid);
uint32_t record_meta(unsigned char *out, pid_t tid, int64_t now, int64_t result, const uint64_t *slots, int nslots,
                     const char *text, uint16_t text_len, uint16_t extra_status);
int64_t now_ns(void);

#endif /* IOTRACE_TRACER_H */
