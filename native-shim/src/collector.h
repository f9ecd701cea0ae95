/* The session's collector: probing R/collector.lock and spawning one, invisibly to the program. */
#ifndef IOTRACE_COLLECTOR_H
#define IOTRACE_COLLECTOR_H

/* Where the launcher is (IOTRACE_COLLECTOR, else iotrace-collector beside this library); call once at init. */
void iotrace_collector_locate(void);

/* After the ring exists: if no collector holds the lock, spawn one handing it the locked fd. */
void iotrace_collector_ensure(void);

/* Back-off probe: 1 if some process holds R/collector.lock (result cached for 10 ms). */
int iotrace_collector_lock_held(void);

/* forget the cached probe */
void iotrace_collector_forget(void);

/* Become a detached helper (see collector.c): only keep_fd survives into the program argv[0]; never returns. */
void __attribute__((noreturn)) iotrace_exec_detached(int keep_fd, char *const argv[], char *const envp[]);

/* Start argv[0] detached from the program (not its child; see collector.c) and wait until it is; 0, or -1 with
   errno. argv: at most 11 entries. */
int iotrace_spawn_detached(int keep_fd, char *const argv[], char *const envp[]);

/* Reap the intermediate child of the last spawn, if it has exited (block: wait for it). Async-signal-safe. */
void iotrace_collector_reap(int block);

/* fork child: the parent's spawn is not ours; forget the cached probe */
void iotrace_collector_fork_child(void);

#endif /* IOTRACE_COLLECTOR_H */
