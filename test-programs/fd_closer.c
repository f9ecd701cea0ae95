/*
 * fd_closer COUNT — COUNT writes of 1 byte to /dev/null (fd 3); before every 1000th write it closes every other
 * descriptor from 3 to 1023, as daemons and sandboxes do. With no collector the tracer spills to a file whose
 * descriptor the program thereby closes: the tracer must notice and reopen it, losing nothing.
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
    for (long i = 0; i < count; i++) {
        if (i % 1000 == 999)
            for (int c = 4; c < 1024; c++) close(c);
        CHECK(write(fd, "y", 1) == 1);
    }
    return 0;
}
