/*
 * The shim's overhead measured within one process, traced and untraced calls taking turns:
 *   LD_PRELOAD=libiotrace_shared.so paired_loop MODE N DIR [WARMUP]
 * Blocks of BLOCK calls alternate between the program's ordinary calls (through the shim's wrappers when it is
 * preloaded) and the same calls made through libc's own definitions (dlsym on libc's handle), which the shim
 * does not see. A shared machine's slow and fast minutes then fall on both halves alike, which
 * separate traced and untraced runs cannot promise (here the same untraced loop ran 30% slower or faster from one
 * minute to the next). Without the shim both halves are libc's: the difference is the harness's own noise.
 * Every call is timed with the TSC (ticks converted with the rate measured over the run).
 * MODE: write (4 KiB, rewound every 1024 calls), pread (4 KiB from a cached 1 MiB file), openclose (one "call" is
 * an open+close pair), fwrite1 (1 byte to a fully buffered FILE*), write2t (write in 2 threads at once; the
 * threads change halves together, by the clock, so that traced calls meet traced calls as in a traced program).
 * WARMUP: that many traced calls first, untimed (past the first pass over the ring).
 * Prints one line: "traced_median <ns> untraced_median <ns> added_median <ns> traced_mean <ns> untraced_mean <ns>
 * added_mean <ns>" (means over all timed calls of each half, so the tail of expensive calls counts there).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
static inline unsigned long long ticks(void) { return __rdtsc(); }
#else
static inline unsigned long long ticks(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}
#endif

#define BLOCK 256      /* calls per turn: long enough for a warm path, short enough to share the machine's minute */
#define IO_SIZE 4096
/* write2t: the halves take turns by the clock, windows of 2^19 TSC ticks (~0.2 ms here, ~256 calls) */
#define TURN_SHIFT 19

/* the two ways to each call: [0] the program's (the shim's wrapper when preloaded), [1] libc's own */
static ssize_t (*write_fn[2])(int, const void *, size_t);
static ssize_t (*pread_fn[2])(int, void *, size_t, off_t);
static int (*open_fn[2])(const char *, int, ...);
static int (*close_fn[2])(int);
static size_t (*fwrite_fn[2])(const void *, size_t, size_t, FILE *);
static off_t (*lseek_fn[2])(int, off_t, int);

static void die(const char *what)
{
    perror(what);
    exit(1);
}

/* libc's own definition (RTLD_NEXT would find the preloaded shim's: it comes right after the program) */
static void *libc_symbol(const char *name)
{
    static void *libc;
    if (libc == NULL && (libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD)) == NULL) {
        fprintf(stderr, "paired_loop: libc.so.6 not loaded: %s\n", dlerror());
        exit(1);
    }
    void *p = dlsym(libc, name);
    if (p == NULL) {
        fprintf(stderr, "paired_loop: libc has no %s\n", name);
        exit(1);
    }
    return p;
}

static void bind_calls(void)
{
    write_fn[0] = write;
    pread_fn[0] = pread;
    open_fn[0] = open;
    close_fn[0] = close;
    fwrite_fn[0] = fwrite;
    lseek_fn[0] = lseek;
    write_fn[1] = (ssize_t(*)(int, const void *, size_t))libc_symbol("write");
    pread_fn[1] = (ssize_t(*)(int, void *, size_t, off_t))libc_symbol("pread");
    open_fn[1] = (int (*)(const char *, int, ...))libc_symbol("open");
    close_fn[1] = (int (*)(int))libc_symbol("close");
    fwrite_fn[1] = (size_t(*)(const void *, size_t, size_t, FILE *))libc_symbol("fwrite");
    lseek_fn[1] = (off_t(*)(int, off_t, int))libc_symbol("lseek");
}

/* one half's timed calls */
struct half {
    uint32_t *ticks;
    long count;
};

struct run {
    const char *mode;
    const char *path;
    long n; /* calls per half */
    long warmup;
    int clock_turns; /* take the halves by the clock (write2t) instead of by call counts */
    struct half half[2];
};

static char block_data[IO_SIZE];

/* call number i (counted over both halves: they share the file's offset) of MODE through way w (0 the program's,
   1 libc's) on the state prepared by run_loop */
struct loop_state {
    int fd;
    FILE *file;
    char buf[IO_SIZE];
};

static inline void one_call(const struct run *r, struct loop_state *s, int w, long i)
{
    switch (r->mode[0]) {
    case 'w': /* write, write2t */
        if ((i & 1023) == 0)
            lseek_fn[w](s->fd, 0, SEEK_SET);
        if (write_fn[w](s->fd, block_data, IO_SIZE) != IO_SIZE)
            die("write");
        break;
    case 'p':
        if (pread_fn[w](s->fd, s->buf, IO_SIZE, (off_t)(i & 255) * IO_SIZE) != IO_SIZE)
            die("pread");
        break;
    case 'o': {
        int fd = open_fn[w](r->path, O_RDONLY);
        if (fd < 0)
            die("open");
        close_fn[w](fd);
        break;
    }
    case 'f':
        if ((i & 65535) == 0)
            rewind(s->file);
        if (fwrite_fn[w]("x", 1, 1, s->file) != 1)
            die("fwrite");
        break;
    }
}

static void run_loop(struct run *r)
{
    struct loop_state s;
    s.fd = -1;
    s.file = NULL;
    if (r->mode[0] == 'f') {
        if ((s.file = fopen(r->path, "w")) == NULL)
            die("fopen");
    }
    else if (r->mode[0] == 'o') {
        if ((s.fd = open(r->path, O_CREAT | O_TRUNC | O_WRONLY, 0600)) < 0)
            die("open");
        close(s.fd);
    }
    else if ((s.fd = open(r->path, O_CREAT | O_TRUNC | O_RDWR, 0600)) < 0)
        die("open");
    if (r->mode[0] == 'p')
        for (int i = 0; i < 256; i++)
            if (write(s.fd, block_data, IO_SIZE) != IO_SIZE)
                die("write");
    for (long i = 0; i < r->warmup; i++)
        one_call(r, &s, 0, i);
    for (int w = 0; w < 2; w++) {
        r->half[w].ticks = calloc((size_t)r->n, sizeof(uint32_t));
        if (r->half[w].ticks == NULL)
            die("calloc");
        r->half[w].count = 0;
    }
    if (r->clock_turns) {
        /* both threads in the same half at the same time: a traced call meets the other thread's traced calls,
           as in a traced program, not its untraced ones half of the time */
        for (long i = 0; r->half[0].count < r->n || r->half[1].count < r->n; i++) {
            int w = (int)((ticks() >> TURN_SHIFT) & 1);
            if (r->half[w].count >= r->n)
                w ^= 1;
            struct half *h = &r->half[w];
            unsigned long long start = ticks();
            one_call(r, &s, w, r->warmup + i);
            h->ticks[h->count++] = (uint32_t)(ticks() - start);
        }
    }
    else
        for (long done = 0; done < 2 * r->n; done += BLOCK) {
            int w = (int)((done / BLOCK) & 1);
            struct half *h = &r->half[w];
            for (long k = 0; k < BLOCK && h->count < r->n; k++) {
                unsigned long long start = ticks();
                one_call(r, &s, w, r->warmup + done + k);
                h->ticks[h->count++] = (uint32_t)(ticks() - start);
            }
        }
    if (s.file != NULL)
        fclose(s.file);
    else
        close(s.fd);
    unlink(r->path);
}

static void *run_thread(void *p)
{
    run_loop(p);
    return NULL;
}

static int by_value(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* median and mean of the halves w of all runs (ticks) */
static void summarise(struct run *runs, int count, int w, double *median, double *mean)
{
    long total = 0;
    for (int t = 0; t < count; t++)
        total += runs[t].half[w].count;
    uint32_t *all = malloc((size_t)total * sizeof *all);
    if (all == NULL)
        die("malloc");
    long at = 0;
    double sum = 0;
    for (int t = 0; t < count; t++)
        for (long i = 0; i < runs[t].half[w].count; i++) {
            all[at++] = runs[t].half[w].ticks[i];
            sum += runs[t].half[w].ticks[i];
        }
    qsort(all, (size_t)total, sizeof *all, by_value);
    *median = total % 2 ? all[total / 2] : ((double)all[total / 2 - 1] + all[total / 2]) / 2;
    *mean = sum / (double)total;
    free(all);
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: paired_loop write|pread|openclose|fwrite1|write2t N DIR [WARMUP]\n");
        return 2;
    }
    const char *mode = argv[1];
    long n = atol(argv[2]);
    long warmup = argc == 5 ? atol(argv[4]) : 0;
    int threads = strcmp(mode, "write2t") == 0 ? 2 : 1;
    if (strcmp(mode, "write") != 0 && strcmp(mode, "pread") != 0 && strcmp(mode, "openclose") != 0 &&
        strcmp(mode, "fwrite1") != 0 && threads == 1) {
        fprintf(stderr, "paired_loop: unknown mode %s\n", mode);
        return 2;
    }
    if (n <= 0 || warmup < 0) {
        fprintf(stderr, "paired_loop: N must be positive (and WARMUP not negative): %s\n", argv[2]);
        return 2;
    }
    bind_calls();
    memset(block_data, 'b', sizeof block_data);
    struct run runs[2];
    char paths[2][4096];
    for (int t = 0; t < threads; t++) {
        snprintf(paths[t], sizeof paths[t], "%s/paired-%s-%d.dat", argv[3], mode, t);
        runs[t] = (struct run){mode, paths[t], n, warmup, threads == 2, {{NULL, 0}, {NULL, 0}}};
    }

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC_RAW, &t0);
    unsigned long long k0 = ticks();
    if (threads == 1)
        run_loop(&runs[0]);
    else {
        pthread_t ids[2];
        for (int t = 0; t < threads; t++)
            if (pthread_create(&ids[t], NULL, run_thread, &runs[t]) != 0)
                die("pthread_create");
        for (int t = 0; t < threads; t++)
            pthread_join(ids[t], NULL);
    }
    unsigned long long k1 = ticks();
    clock_gettime(CLOCK_MONOTONIC_RAW, &t1);
    double ns_per_tick = ((t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / (double)(k1 - k0);

    double median[2], mean[2];
    for (int w = 0; w < 2; w++) {
        summarise(runs, threads, w, &median[w], &mean[w]);
        median[w] *= ns_per_tick;
        mean[w] *= ns_per_tick;
    }
    printf("traced_median %.1f untraced_median %.1f added_median %.1f traced_mean %.1f untraced_mean %.1f "
           "added_mean %.1f\n",
           median[0], median[1], median[0] - median[1], mean[0], mean[1], mean[0] - mean[1]);
    return 0;
}
