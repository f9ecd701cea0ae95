/* The ptrace fallback, shim side (ptrace_fallback.c): IOTRACE_PTRACE=on starts the tracer for this process tree. */
#ifndef IOTRACE_PTRACE_FALLBACK_H
#define IOTRACE_PTRACE_FALLBACK_H

/* Called once per image after the ring exists; does nothing unless IOTRACE_PTRACE=on. */
void iotrace_ptrace_start(void);

#endif /* IOTRACE_PTRACE_FALLBACK_H */
