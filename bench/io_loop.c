/*
 * Benchmark workloads of issue 7, timed inside the program so process start-up does not count:
 *   io_loop MODE N DIR [WARMUP]   (WARMUP: that many calls first, untimed; e.g. to get past the first pass over
 *                                  a traced process's ring, whose pages cost a fault each the first time)
 *     write     N x write(4 KiB) to DIR/w.dat (offset rewound every 1024 calls so tmpfs stays small)
 *     pread     N x pread(4 KiB) from a 1 MiB file DIR/r.dat (cached), offsets cycling through it
 *     openclose N x open(DIR/oc.dat, O_RDONLY) + close: one "call" is the pair
 *     fwrite1   N x fwrite of 1 byte to a FILE* on DIR/f.dat (fully buffered, rewound every 65536 calls)
 *     write2t   2 threads each doing N x write(4 KiB) to their own file, started together; the time of each
 *               thread's loop is measured in the thread, the printed figure is the mean of both
 * Prints "ns_per_call <value>". The files are removed at the end.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 4096

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static char block[BLOCK];

static double loop_write(const char *path, long n)
{
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    if (fd < 0)
        die("open");
    long long start = now_ns();
    for (long i = 0; i < n; i++) {
        if ((i & 1023) == 0)
            lseek(fd, 0, SEEK_SET);
        if (write(fd, block, BLOCK) != BLOCK)
            die("write");
    }
    long long elapsed = now_ns() - start;
    close(fd);
    unlink(path);
    return (double)elapsed / n;
}

static double loop_pread(const char *path, long n)
{
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
    if (fd < 0)
        die("open");
    for (int i = 0; i < 256; i++)
        if (write(fd, block, BLOCK) != BLOCK)
            die("write");
    char buf[BLOCK];
    long long start = now_ns();
    for (long i = 0; i < n; i++)
        if (pread(fd, buf, BLOCK, (off_t)(i & 255) * BLOCK) != BLOCK)
            die("pread");
    long long elapsed = now_ns() - start;
    close(fd);
    unlink(path);
    return (double)elapsed / n;
}

static double loop_openclose(const char *path, long n)
{
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    if (fd < 0)
        die("open");
    close(fd);
    long long start = now_ns();
    for (long i = 0; i < n; i++) {
        fd = open(path, O_RDONLY);
        if (fd < 0)
            die("open");
        close(fd);
    }
    long long elapsed = now_ns() - start;
    unlink(path);
    return (double)elapsed / n;
}

static double loop_fwrite1(const char *path, long n)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        die("fopen");
    long long start = now_ns();
    for (long i = 0; i < n; i++) {
        if ((i & 65535) == 0)
            rewind(f);
        if (fwrite("x", 1, 1, f) != 1)
            die("fwrite");
    }
    long long elapsed = now_ns() - start;
    fclose(f);
    unlink(path);
    return (double)elapsed / n;
}

struct thread_arg {
    char path[4096];
    long n;
    pthread_barrier_t *barrier;
    double ns_per_call;
};

static void *write_thread(void *p)
{
    struct thread_arg *a = p;
    pthread_barrier_wait(a->barrier);
    a->ns_per_call = loop_write(a->path, a->n);
    return NULL;
}

static double loop_write2t(const char *dir, long n)
{
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, 2);
    struct thread_arg args[2];
    pthread_t threads[2];
    for (int t = 0; t < 2; t++) {
        snprintf(args[t].path, sizeof args[t].path, "%s/w%d.dat", dir, t);
        args[t].n = n;
        args[t].barrier = &barrier;
        if (pthread_create(&threads[t], NULL, write_thread, &args[t]) != 0)
            die("pthread_create");
    }
    for (int t = 0; t < 2; t++)
        pthread_join(threads[t], NULL);
    return (args[0].ns_per_call + args[1].ns_per_call) / 2;
}

/* one timed loop of MODE; -1 for an unknown mode */
static double run(const char *mode, long n, const char *dir)
{
    char path[4096];
    if (strcmp(mode, "write") == 0) {
        snprintf(path, sizeof path, "%s/w.dat", dir);
        return loop_write(path, n);
    }
    if (strcmp(mode, "pread") == 0) {
        snprintf(path, sizeof path, "%s/r.dat", dir);
        return loop_pread(path, n);
    }
    if (strcmp(mode, "openclose") == 0) {
        snprintf(path, sizeof path, "%s/oc.dat", dir);
        return loop_openclose(path, n);
    }
    if (strcmp(mode, "fwrite1") == 0) {
        snprintf(path, sizeof path, "%s/f.dat", dir);
        return loop_fwrite1(path, n);
    }
    if (strcmp(mode, "write2t") == 0)
        return loop_write2t(dir, n);
    return -1;
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: io_loop write|pread|openclose|fwrite1|write2t N DIR [WARMUP]\n");
        return 2;
    }
    long n = atol(argv[2]);
    long warmup = argc == 5 ? atol(argv[4]) : 0;
    if (n <= 0 || warmup < 0) {
        fprintf(stderr, "io_loop: N must be positive (and WARMUP not negative): %s\n", argv[2]);
        return 2;
    }
    memset(block, 'b', sizeof block);
    if (warmup > 0 && run(argv[1], warmup, argv[3]) < 0) {
        fprintf(stderr, "io_loop: unknown mode %s\n", argv[1]);
        return 2;
    }
    double ns = run(argv[1], n, argv[3]);
    if (ns < 0) {
        fprintf(stderr, "io_loop: unknown mode %s\n", argv[1]);
        return 2;
    }
    printf("ns_per_call %.1f\n", ns);
    return 0;
}
