/*
 * sigkill_victim DIR COUNT — open(DIR/victim.dat) = 3, COUNT writes of 16 bytes, then prints "ready" on stdout
 * and waits to be killed (SIGKILL: no destructor, no exit handler runs).
 */
#include "common.h"
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    CHECK(argc == 3);
    long count = atol(argv[2]);
    int fd = open(path_in(argv[1], "victim.dat"), O_CREAT | O_TRUNC | O_WRONLY, 0600);
    CHECK(fd == 3);
    for (long i = 0; i < count; i++) CHECK(write(fd, "0123456789abcdef", 16) == 16);
    printf("ready\n");
    fflush(stdout);
    for (;;) pause();
}
