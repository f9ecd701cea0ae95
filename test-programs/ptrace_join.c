/*
 * ptrace_join FILE [wait] — one process tree of a session traced by the ptrace fallback: prints "tracer <pid>" (the
 * TracerPid of /proc/self/status: the session's tracer it joined, or one of its own), makes a raw (inline
 * `syscall`) openat of FILE (created), writes "x" to it and raw-closes it (a bypass no wrapper sees: recorded only
 * by the tracer), prints "done", and with "wait" reads one byte of stdin before it exits (keeping its tracer
 * busy meanwhile). Exit 0; a failing raw call (ENOSYS from a filter without its tracer) prints it and exits 1.
 */
#include "common.h"
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

static long raw_syscall4(long nr, long a1, long a2, long a3, long a4)
{
    long ret;
    register long r10 __asm__("r10") = a4;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10) : "rcx", "r11", "memory");
    return ret;
}

static long tracer_pid(void)
{
    char buf[4096];
    FILE *f = fopen("/proc/self/status", "r");
    CHECK(f != NULL);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *line = strstr(buf, "\nTracerPid:");
    return line != NULL ? strtol(line + 11, NULL, 10) : -1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: ptrace_join FILE [wait]\n");
        return 2;
    }
    printf("tracer %ld\n", tracer_pid());
    fflush(stdout);
    long fd = raw_syscall4(SYS_openat, AT_FDCWD, (long)argv[1], O_CREAT | O_WRONLY | O_TRUNC, 0600);
    if (fd < 0) {
        printf("raw openat: %s\n", strerror((int)-fd));
        return 1;
    }
    CHECK(write((int)fd, "x", 1) == 1);
    long rc = raw_syscall4(SYS_close, fd, 0, 0, 0);
    if (rc != 0) {
        printf("raw close: %s\n", strerror((int)-rc));
        return 1;
    }
    printf("done\n");
    fflush(stdout);
    if (argc > 2 && strcmp(argv[2], "wait") == 0) {
        char go;
        CHECK(read(0, &go, 1) >= 0);
    }
    return 0;
}
