/*
 * phased_writer DIR FIRST SECOND — FIRST writes of 32 bytes to DIR/phased.dat, prints "phase1" on stdout, waits
 * until the file DIR/go exists (polled with stat every 10 ms, at most 60 s), then SECOND more writes and exits.
 * Used to kill the collector between the phases. open = 3; close(3) at the end.
 */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    CHECK(argc == 4);
    long first = atol(argv[2]), second = atol(argv[3]);
    int fd = open(path_in(argv[1], "phased.dat"), O_CREAT | O_TRUNC | O_WRONLY, 0600);
    CHECK(fd == 3);
    char buf[32];
    memset(buf, 'p', sizeof buf);
    for (long i = 0; i < first; i++) CHECK(write(fd, buf, 32) == 32);
    printf("phase1\n");
    fflush(stdout);
    struct stat st;
    struct timespec tick = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 6000 && stat(path_in(argv[1], "go"), &st) != 0; i++) nanosleep(&tick, NULL);
    for (long i = 0; i < second; i++) CHECK(write(fd, buf, 32) == 32);
    CHECK(close(fd) == 0);
    return 0;
}
