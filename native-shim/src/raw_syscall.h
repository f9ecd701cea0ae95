/*
 * The shim's own system calls. The shim exports syscall() itself (libc's syscall() is traced), so inside the shim
 * the name syscall is redirected here: a system call made by the shim never comes back into a wrapper, works
 * while the real symbols are being resolved, in vfork/clone children and in signal handlers. Same convention as
 * libc's: -1 with errno set on failure.
 */
#ifndef IOTRACE_RAW_SYSCALL_H
#define IOTRACE_RAW_SYSCALL_H

#include <sys/syscall.h>
#include <unistd.h>

long iotrace_raw_syscall(long number, ...);

/* The same call, errno untouched: the kernel's result (-4095..-1: -errno). */
long iotrace_raw_syscall_result(long number, long a1, long a2, long a3, long a4, long a5, long a6);

#define syscall iotrace_raw_syscall

#endif /* IOTRACE_RAW_SYSCALL_H */
