/*
 * write_loop PATH ITERATIONS SIZE [STOPFILE] — one thread, a long run of writes whose sizes give away their order.
 *   open(PATH, O_CREAT|O_TRUNC|O_WRONLY, 0600) = 3
 *   write(3, (i % SIZE) + 1 bytes) for i = 0, 1, ... : ITERATIONS writes, or, when STOPFILE is given, until
 *     STOPFILE exists (it is looked for with stat() before every 100th write: stat records in between; ITERATIONS
 *     is then only a safety limit). After each 100 writes the program sleeps 1 ms (at most ~100,000 writes/s),
 *     so that it keeps writing at a moderate pace for as long as the test needs.
 *   close(3) = 0
 * Prints "started" (after the first 1000 writes) and, at the end, "wrote N" on stdout (N = the number of writes).
 * Used to kill the collector while the program is writing: the test checks that exactly N write records, in
 * order, come out of the collector plus `recover`.
 */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    CHECK(argc == 4 || argc == 5);
    const char *stopfile = argc == 5 ? argv[4] : NULL;
    long iterations = atol(argv[2]);
    long size = atol(argv[3]);
    CHECK(iterations > 0 && size > 0 && size <= 4096);
    static char buf[4096];
    memset(buf, 'w', sizeof buf);
    int fd = open(argv[1], O_CREAT | O_TRUNC | O_WRONLY, 0600);
    CHECK(fd == 3);
    struct timespec pause_ = {0, 1000 * 1000};
    struct stat st;
    long i = 0;
    for (; i < iterations; i++) {
        if (i % 100 == 0 && i > 0) {
            if (i == 1000) {
                printf("started\n");
                fflush(stdout);
            }
            nanosleep(&pause_, NULL);
            if (stopfile != NULL && stat(stopfile, &st) == 0) break;
        }
        CHECK(write(fd, buf, (i % size) + 1) == (i % size) + 1);
    }
    CHECK(close(fd) == 0);
    printf("wrote %ld\n", i);
    return 0;
}
