/*
 * chdir_relative DIR — relative names after chdir and through a directory fd. DIR/sub must exist.
 * Calls, in order:
 *   chdir(DIR/sub) = 0
 *   open("relative.txt", O_CREAT|O_WRONLY, 0600) = 3; write(3, 8) = 8; close(3) = 0
 *   open(DIR, O_RDONLY|O_DIRECTORY) = 3
 *   openat(3, "at.txt", O_CREAT|O_WRONLY, 0600) = 4; write(4, 2) = 2; close(4) = 0
 *   fchdir(3) = 0; close(3) = 0
 *   open("sub/../sub/./relative.txt", O_RDONLY) = 3; read(3, 8) = 8; close(3) = 0
 */
#include "common.h"
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    char buf[16];
    CHECK(chdir(path_in(argv[1], "sub")) == 0);
    int fd = open("relative.txt", O_CREAT | O_WRONLY, 0600);
    CHECK(fd == 3);
    CHECK(write(fd, "relative", 8) == 8);
    CHECK(close(fd) == 0);
    int dirfd = open(argv[1], O_RDONLY | O_DIRECTORY);
    CHECK(dirfd == 3);
    fd = openat(dirfd, "at.txt", O_CREAT | O_WRONLY, 0600);
    CHECK(fd == 4);
    CHECK(write(fd, "at", 2) == 2);
    CHECK(close(fd) == 0);
    CHECK(fchdir(dirfd) == 0);
    CHECK(close(dirfd) == 0);
    fd = open("sub/../sub/./relative.txt", O_RDONLY);
    CHECK(fd == 3);
    CHECK(read(fd, buf, 8) == 8);
    CHECK(close(fd) == 0);
    return 0;
}
