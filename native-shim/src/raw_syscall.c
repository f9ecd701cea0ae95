#include <errno.h>
#include <stdarg.h>

#include "raw_syscall.h"

#if !defined(__x86_64__)
#error "iotrace_raw_syscall is written for x86_64"
#endif

/* Like libc's syscall(): always passes six arguments (unused ones are whatever the caller's registers held). */
long iotrace_raw_syscall(long number, ...)
{
    va_list ap;
    va_start(ap, number);
    long a1 = va_arg(ap, long), a2 = va_arg(ap, long), a3 = va_arg(ap, long);
    long a4 = va_arg(ap, long), a5 = va_arg(ap, long), a6 = va_arg(ap, long);
    va_end(ap);
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    register long r9 __asm__("r9") = a6;
    long ret;
    /* the label marks the instruction after the shim's one syscall site: the ptrace fallback's seccomp filter
     * lets every call from there through (ptrace_fallback.c) */
    __asm__ volatile("syscall\n"
                     ".globl iotrace_raw_syscall_return\n"
                     ".hidden iotrace_raw_syscall_return\n"
                     "iotrace_raw_syscall_return:"
                     : "=a"(ret)
                     : "a"(number), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    if ((unsigned long)ret > -4096UL) {
        errno = (int)-ret;
        return -1;
    }
    return ret;
}
