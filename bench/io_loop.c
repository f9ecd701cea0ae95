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
 *     fwrite2t  2 threads each doing fwrite1 on their own FILE*: no system call, so what two threads publishing
 *               into one ring at once cost each other shows undiluted
 * Prints "ns_per_call <wall> cpu_ns_per_call <cpu> median_ns_per_call <median>": the loop's wall-clock time and
 * the CPU time of the timing thread(s) per call (CLOCK_THREAD_CPUTIME_ID: user + system, without the time spent
 * waiting for a CPU), both means over the whole loop; and the median of the calls' own durations (every 8th call
 * timed with the TSC, ~10 ns of it in every such figure, traced or not): the median call, which a preemption, a
 * page fault or a neighbour's burst on a shared machine does not move, where the means pay for every one of them.
 * The files are removed at the end.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
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

/* a call's start and end: the TSC where there is one (one instruction), else the monotonic clock */
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
static inline unsigned long long ticks(void) { return __rdtsc(); }
#else
static inline unsigned long long ticks(void) { return (unsigned long long)clock_ns(CLOCK_MONOTONIC_RAW); }
#endif

/* ns per call of one timed loop: wall-clock and the calling thread's CPU time (means), the median call */
struct per_call {
    double wall;
    double cpu;
    double median;
};

/*
 * The loop's clocks, and each call's duration in TSC ticks (CALL(i, expr) times one call). The ticks become ns
 * with the TSC rate measured over the loop itself against CLOCK_MONOTONIC_RAW.
 */
struct stopwatch {
    long long wall;
    long long cpu;
    long long raw;
    unsigned long long tsc;
    uint32_t *ticks; /* the sampled calls' durations */
};

/* every SAMPLE-th call is timed on its own: the means stay those of the plain loop (+ ~2 ns), the median has
   n / SAMPLE calls */
#define SAMPLE 8
#define CALL(w, i, expr)                                                                                            \
    do {                                                                                                            \
        if (((i) % SAMPLE) == 0) {                                                                                  \
            unsigned long long call_start_ = ticks();                                                               \
            expr;                                                                                                   \
            (w).ticks[(i) / SAMPLE] = (uint32_t)(ticks() - call_start_);                                            \
        } else {                                                                                                    \
            expr;                                                                                                   \
        }                                                                                                           \
    } while (0)

static void die(const char *what);

static struct stopwatch start_watch(long n)
{
    struct stopwatch w;
    size_t sampled = (size_t)(n + SAMPLE - 1) / SAMPLE;
    w.ticks = malloc(sampled * sizeof *w.ticks);
    if (w.ticks == NULL)
        die("malloc");
    memset(w.ticks, 0, sampled * sizeof *w.ticks); /* its pages exist before the loop */
    w.wall = clock_ns(CLOCK_MONOTONIC);
    w.cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    w.raw = clock_ns(CLOCK_MONOTONIC_RAW);
    w.tsc = ticks();
    return w;
}

static int by_ticks(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static struct per_call stop_watch(struct stopwatch w, long n)
{
    unsigned long long tsc = ticks();
    long long raw = clock_ns(CLOCK_MONOTONIC_RAW);
    struct per_call t = {(double)(clock_ns(CLOCK_MONOTONIC) - w.wall) / n,
                         (double)(clock_ns(CLOCK_THREAD_CPUTIME_ID) - w.cpu) / n, 0};
    double ns_per_tick = (double)(raw - w.raw) / (double)(tsc - w.tsc);
    long m = (n + SAMPLE - 1) / SAMPLE;
    qsort(w.ticks, (size_t)m, sizeof *w.ticks, by_ticks);
    t.median = (m % 2 ? w.ticks[m / 2] : (w.ticks[m / 2 - 1] + (double)w.ticks[m / 2]) / 2) * ns_per_tick;
    free(w.ticks);
    return t;
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
    struct stopwatch watch = start_watch(n);
    for (long i = 0; i < n; i++) {
        if ((i & 1023) == 0)
            lseek(fd, 0, SEEK_SET);
        ssize_t written;
        CALL(watch, i, written = write(fd, block, BLOCK));
        if (written != BLOCK)
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
    struct stopwatch watch = start_watch(n);
    for (long i = 0; i < n; i++) {
        ssize_t got;
        CALL(watch, i, got = pread(fd, buf, BLOCK, (off_t)(i & 255) * BLOCK));
        if (got != BLOCK)
            die("pread");
    }
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
    struct stopwatch watch = start_watch(n);
    for (long i = 0; i < n; i++) {
        CALL(watch, i, fd = open(path, O_RDONLY); close(fd));
        if (fd < 0)
            die("open");
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
    struct stopwatch watch = start_watch(n);
    for (long i = 0; i < n; i++) {
        if ((i & 65535) == 0)
            rewind(f);
        size_t put;
        CALL(watch, i, put = fwrite("x", 1, 1, f));
        if (put != 1)
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
    struct per_call (*loop)(const char *path, long n);
    pthread_barrier_t *barrier;
    struct per_call per_call;
};

static void *loop_thread(void *p)
{
    struct thread_arg *a = p;
    pthread_barrier_wait(a->barrier);
    a->per_call = a->loop(a->path, a->n);
    return NULL;
}

/* LOOP in 2 threads at once, each on its own file DIR/<name>0 and 1 */
static struct per_call loop_2t(const char *dir, const char *name, struct per_call (*loop)(const char *, long), long n)
{
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, 2);
    struct thread_arg args[2];
    pthread_t threads[2];
    for (int t = 0; t < 2; t++) {
        snprintf(args[t].path, sizeof args[t].path, "%s/%s%d", dir, name, t);
        args[t].n = n;
        args[t].loop = loop;
        args[t].barrier = &barrier;
        if (pthread_create(&threads[t], NULL, loop_thread, &args[t]) != 0)
            die("pthread_create");
    }
    for (int t = 0; t < 2; t++)
        pthread_join(threads[t], NULL);
    return (struct per_call){(args[0].per_call.wall + args[1].per_call.wall) / 2,
                             (args[0].per_call.cpu + args[1].per_call.cpu) / 2,
                             (args[0].per_call.median + args[1].per_call.median) / 2};
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
        return loop_2t(dir, "w.dat", loop_write, n);
    if (strcmp(mode, "fwrite2t") == 0)
        return loop_2t(dir, "f.dat", loop_fwrite1, n);
    return (struct per_call){-1, -1, -1};
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: io_loop write|pread|openclose|fwrite1|write2t|fwrite2t N DIR [WARMUP]\n");
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
    printf("ns_per_call %.1f cpu_ns_per_call %.1f median_ns_per_call %.1f\n", t.wall, t.cpu, t.median);
    return 0;
}
