/*
 * Foundation benchmark workload: N writes of SIZE bytes to PATH (default 200000 x 4096 to /dev/shm),
 * timed inside the program so process start-up does not count. Prints "ns_per_call <value>".
 * The file is truncated every 1024 writes so tmpfs does not grow to N*SIZE bytes.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    long iterations = argc > 1 ? atol(argv[1]) : 200000;
    size_t size = argc > 2 ? (size_t)atol(argv[2]) : 4096;
    const char *path = argc > 3 ? argv[3] : "/dev/shm/iotrace-bench-write.dat";
    char *buf = malloc(size);
    memset(buf, 'b', size);
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    if (fd < 0) { perror("open"); return 1; }
    long long start = now_ns();
    for (long i = 0; i < iterations; i++) {
        if ((i & 1023) == 0) lseek(fd, 0, SEEK_SET);
        if (write(fd, buf, size) != (ssize_t)size) { perror("write"); return 1; }
    }
    long long elapsed = now_ns() - start;
    struct stat st;
    /* only remove what this program created: never a device such as /dev/null */
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) unlink(path);
    close(fd);
    printf("ns_per_call %.1f\n", (double)elapsed / iterations);
    return 0;
}
