/*
 * dup_fcntl DIR — descriptor aliases. Calls, in order:
 *   open(DIR/dup.dat, O_CREAT|O_TRUNC|O_WRONLY, 0600) = 3
 *   dup(3) = 4; dup2(3, 10) = 10; dup3(3, 11, O_CLOEXEC) = 11; fcntl(3, F_DUPFD_CLOEXEC, 20) = 20
 *   write(N, 1 byte) for N = 3, 4, 10, 11, 20 (five writes, each 1 byte)
 *   dup2(10, 1) = 1 (stdout now names DIR/dup.dat); write(1, 6 bytes) = 6
 *   close(N) for N = 4, 10, 11, 20, 3
 */
#include "common.h"
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    int fd = open(path_in(argv[1], "dup.dat"), O_CREAT | O_TRUNC | O_WRONLY, 0600);
    CHECK(fd == 3);
    CHECK(dup(fd) == 4);
    CHECK(dup2(fd, 10) == 10);
    CHECK(dup3(fd, 11, O_CLOEXEC) == 11);
    CHECK(fcntl(fd, F_DUPFD_CLOEXEC, 20) == 20);
    int fds[] = {3, 4, 10, 11, 20};
    for (int i = 0; i < 5; i++) CHECK(write(fds[i], "x", 1) == 1);
    CHECK(dup2(10, 1) == 1);
    CHECK(write(1, "stdout", 6) == 6);
    int closing[] = {4, 10, 11, 20, 3};
    for (int i = 0; i < 5; i++) CHECK(close(closing[i]) == 0);
    return 0;
}
