/* Throwaway: N write(SIZE) to PATH (never unlinks it: safe for /dev/null); prints ns per call. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200000;
    const char *path = argc > 2 ? argv[2] : "/dev/null";
    static char buf[4096];
    int fd = open(path, O_WRONLY | O_CREAT, 0600);
    if (fd < 0) { perror("open"); return 1; }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++) {
        if ((i & 1023) == 0) lseek(fd, 0, SEEK_SET);
        if (write(fd, buf, sizeof buf) != sizeof buf) { perror("write"); return 1; }
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
    close(fd);
    return 0;
}
