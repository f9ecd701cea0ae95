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
 * Prints "ns_per_call <wall> cpu_ns_per_call <cpu>": wall-clock time and the CPU time of the timing thread(s)
 * (CLOCK_THREAD_CPUTIME_ID: user + system, without the time spent waiting for a CPU, so less disturbed by other
 * processes of a shared machine). The files are removed at the end.
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

static long long clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ns per call of one timed loop: wall-clock and the calling thread's CPU time */
struct per_call {
    double wall;
    double cpu;
};

struct stopwatch {
    long long wall;
    long long cpu;
};

static struct stopwatch start_watch(void)
{
    return (struct stopwatch){clock_ns(CLOCK_MONOTONIC), clock_ns(CLOCK_THREAD_CPUTIME_ID)};
}

static struct per_call stop_watch(struct stopwatch w, long n)
{
    return (struct per_call){(double)(clock_ns(CLOCK_MONOTONIC) - w.wall) / n,
                             (double)(clock_ns(CLOCK_THREAD_CPUTIME_ID) - w.cpu) / n};
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static char block[BLOCK];

static struct per_call loop_write(const char *path, long n)
{
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    if (fd < 0)
        die("open");
    struct stopwatch watch = start_watch();
    for (long i = 0; i < n; i++) {
        if ((i & 1023) == 0)
            lseek(fd, 0, SEEK_SET);
        if (write(fd, block, BLOCK) != BLOCK)
            die("write");
    }
    struct per_call t = stop_watch(watch, n);
    close(fd);
    unlink(path);
    return t;
}

static struct per_call loop_pread(const char *path, long n)
{
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
    if (fd < 0)
        die("open");
    for (int i = 0; i < 256; i++)
        if (write(fd, block, BLOCK) != BLOCK)
            die("write");
    char buf[BLOCK];
    struct stopwatch watch = start_watch();
    for (long i = 0; i < n; i++)
        if (pread(fd, buf, BLOCK, (off_t)(i & 255) * BLOCK) != BLOCK)
            die("pread");
    struct per_call t = stop_watch(watch, n);
    close(fd);
    unlink(path);
    return t;
}

static struct per_call loop_openclose(const char *path, long n)
{
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    if (fd < 0)
        die("open");
    close(fd);
    struct stopwatch watch = start_watch();
    for (long i = 0; i < n; i++) {
        fd = open(path, O_RDONLY);
        if (fd < 0)
            die("open");
        close(fd);
    }
    struct per_call t = stop_watch(watch, n);
    unlink(path);
    return t;
}

static struct per_call loop_fwrite1(const char *path, long n)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        die("fopen");
    struct stopwatch watch = start_watch();
    for (long i = 0; i < n; i++) {
        if ((i & 65535) == 0)
            rewind(f);
        if (fwrite("x", 1, 1, f) != 1)
            die("fwrite");
    }
    struct per_call t = stop_watch(watch, n);
    fclose(f);
    unlink(path);
    return t;
}

struct thread_arg {
    char path[4096];
    long n;
    pthread_barrier_t *barrier;
    struct per_call per_call;
};

static void *write_thread(void *p)
{
    struct thread_arg *a = p;
    pthread_barrier_wait(a->barrier);
    a->per_call = loop_write(a->path, a->n);
    return NULL;
}

static struct per_call loop_write2t(const char *dir, long n)
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
    return (struct per_call){(args[0].per_call.wall + args[1].per_call.wall) / 2,
                             (args[0].per_call.cpu + args[1].per_call.cpu) / 2};
}

/* one timed loop of MODE; wall -1 for an unknown mode */
static struct per_call run(const char *mode, long n, const char *dir)
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
    return (struct per_call){-1, -1};
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
    if (warmup > 0 && run(argv[1], warmup, argv[3]).wall < 0) {
        fprintf(stderr, "io_loop: unknown mode %s\n", argv[1]);
        return 2;
    }
    struct per_call t = run(argv[1], n, argv[3]);
    if (t.wall < 0) {
        fprintf(stderr, "io_loop: unknown mode %s\n", argv[1]);
        return 2;
    }
    printf("ns_per_call %.1f cpu_ns_per_call %.1f\n", t.wall, t.cpu);
    return 0;
}
