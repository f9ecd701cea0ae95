#include <errno.h>
#include <stdarg.h>

#include "raw_syscall.h"

#if !defined(__x86_64__) && !defined(__aarch64__)
#error "iotrace_raw_syscall is written for x86_64 and aarch64"
#endif

/* The shim's one system call instruction (never inlined: its return address is a single known place). */
__attribute__((noinline)) long iotrace_raw_syscall_result(long number, long a1, long a2, long a3, long a4, long a5,
                                                          long a6)
{
    long ret;
    /* the label marks the instruction after the shim's one syscall site: the ptrace fallback's seccomp filter
     * lets every call from there through (ptrace_fallback.c) */
#if defined(__x86_64__)
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    register long r9 __asm__("r9") = a6;
    __asm__ volatile("syscall\n"
                     ".globl iotrace_raw_syscall_return\n"
                     ".hidden iotrace_raw_syscall_return\n"
                     "iotrace_raw_syscall_return:"
                     : "=a"(ret)
                     : "a"(number), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
#else /* aarch64: number in x8, arguments in x0-x5, result in x0 (compiled by check-aarch64, not run here) */
    register long x8 __asm__("x8") = number;
    register long x0 __asm__("x0") = a1;
    register long x1 __asm__("x1") = a2;
    register long x2 __asm__("x2") = a3;
    register long x3 __asm__("x3") = a4;
    register long x4 __asm__("x4") = a5;
    register long x5 __asm__("x5") = a6;
    __asm__ volatile("svc #0\n"
                     ".globl iotrace_raw_syscall_return\n"
                     ".hidden iotrace_raw_syscall_return\n"
                     "iotrace_raw_syscall_return:"
                     : "+r"(x0)
                     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                     : "memory");
    ret = x0;
#endif
    return ret;
}

/* Like libc's syscall(): always passes six arguments (unused ones are whatever the caller's registers held). */
long iotrace_raw_syscall(long number, ...)
{
    va_list ap;
    va_start(ap, number);
    long a1 = va_arg(ap, long), a2 = va_arg(ap, long), a3 = va_arg(ap, long);
    long a4 = va_arg(ap, long), a5 = va_arg(ap, long), a6 = va_arg(ap, long);
    va_end(ap);
    long ret = iotrace_raw_syscall_result(number, a1, a2, a3, a4, a5, a6);
    if ((unsigned long)ret > -4096UL) {
        errno = (int)-ret;
        return -1;
    }
    return ret;
}
