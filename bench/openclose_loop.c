/*
 * ptrace-fallback benchmark workload: N openat("/dev/null") + close pairs, made either through libc (MODE libc: the
 * shim's wrappers see them, the fallback's filter lets them through) or with the program's own syscall instruction
 * (MODE raw: no wrapper sees them; with IOTRACE_PTRACE=on each one stops for the tracer). Timed inside the program.
 * Prints "ns_per_pair <value>".
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long raw4(long nr, long a1, long a2, long a3, long a4)
{
    long ret;
    register long r10 __asm__("r10") = a4;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10) : "rcx", "r11", "memory");
    return ret;
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "libc") != 0 && strcmp(argv[1], "raw") != 0)) {
        fprintf(stderr, "usage: openclose_loop libc|raw N\n");
        return 2;
    }
    int raw = strcmp(argv[1], "raw") == 0;
    long n = atol(argv[2]);
    long long t0 = now_ns();
    for (long i = 0; i < n; i++) {
        long fd = raw ? raw4(SYS_openat, AT_FDCWD, (long)"/dev/null", O_RDONLY, 0) : openat(AT_FDCWD, "/dev/null", O_RDONLY);
        if (fd < 0)
            return 1;
        if (raw ? raw4(SYS_close, fd, 0, 0, 0) : close((int)fd))
            return 1;
    }
    printf("ns_per_pair %.1f\n", (double)(now_ns() - t0) / (double)n);
    return 0;
}
