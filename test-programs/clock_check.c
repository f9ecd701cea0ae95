/*
 * clock_check DIR: the traced timestamps against the program's own CLOCK_REALTIME readings.
 * Two threads each make 3000 write(fd, 8 bytes) calls to DIR/clock-<t>.dat and read CLOCK_REALTIME just before
 * and just after each; every 100 calls a thread sleeps 2 ms (the shim's per-thread clock anchor goes stale and
 * is renewed). Afterwards each thread's readings (3000 pairs of int64 ns: before, after) go, in one write, to
 * DIR/clock-<t>.times. A record's time_start and time_end must lie within [before, after] of its call.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define CALLS 3000

static const char *dir;

static int64_t realtime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *run(void *arg)
{
    long t = (long)arg;
    static int64_t times[2][CALLS][2];
    char name[64];
    snprintf(name, sizeof name, "clock-%ld.dat", t);
    int fd = open(path_in(dir, name), O_CREAT | O_TRUNC | O_WRONLY, 0600);
    CHECK(fd >= 0);
    for (int i = 0; i < CALLS; i++) {
        if (i % 100 == 99) {
            struct timespec pause = {0, 2000000};
            nanosleep(&pause, NULL);
        }
        times[t][i][0] = realtime();
        CHECK(write(fd, &i, sizeof i) == sizeof i);
        times[t][i][1] = realtime();
    }
    CHECK(close(fd) == 0);
    snprintf(name, sizeof name, "clock-%ld.times", t);
    fd = open(path_in(dir, name), O_CREAT | O_TRUNC | O_WRONLY, 0600);
    CHECK(fd >= 0);
    CHECK(write(fd, times[t], sizeof times[t]) == (ssize_t)sizeof times[t]);
    CHECK(close(fd) == 0);
    return NULL;
}

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    dir = argv[1];
    pthread_t threads[2];
    for (long t = 0; t < 2; t++)
        CHECK(pthread_create(&threads[t], NULL, run, (void *)t) == 0);
    for (int t = 0; t < 2; t++)
        CHECK(pthread_join(threads[t], NULL) == 0);
    return 0;
}
