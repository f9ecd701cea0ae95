/*
 * burst COUNT — one thread writes COUNT times 8 bytes to /dev/null as fast as it can: with a small ring
 * (IOTRACE_RING_SIZE=65536 holds about 1,000 events) the producer must wait for the collector, never drop.
 */
#include "common.h"
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    long count = atol(argv[1]);
    int fd = open("/dev/null", O_WRONLY);
    CHECK(fd == 3);
    for (long i = 0; i < count; i++) CHECK(write(fd, "burst!!\n", 8) == 8);
    CHECK(close(fd) == 0);
    return 0;
}
