/*
 * basic_io DIR — POSIX descriptor I/O with known results. Calls, in order (fd numbers assume 0-2 open):
 *   open(DIR/basic.dat, O_CREAT|O_TRUNC|O_RDWR, 0640) = 3
 *   write(3, 100) = 100; write(3, 200) = 200; write(3, 300) = 300
 *   pwrite(3, 50, 1000) = 50          file is now 1050 bytes
 *   pread(3, 100, 0) = 100
 *   lseek(3, 0, SEEK_SET) = 0
 *   readv(3, 2 iovecs of 10 + 20) = 30
 *   writev(3, 2 iovecs of 5 + 6) = 11
 *   lseek(3, 0, SEEK_END) = 1050
 *   read(3, 64) = 0 (eof)
 *   fsync(3) = 0; fdatasync(3) = 0
 *   close(3) = 0
 *   open(DIR/missing/none, O_RDONLY) = -1 ENOENT
 *   read(3, 10) = -1 EBADF
 *   creat(DIR/created.dat, 0600) = 3; write(3, 7) = 7; close(3) = 0
 */
#include "common.h"
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    const char *dir = argv[1];
    char buf[1024];
    memset(buf, 'a', sizeof buf);

    int fd = open(path_in(dir, "basic.dat"), O_CREAT | O_TRUNC | O_RDWR, 0640);
    CHECK(fd == 3);
    CHECK(write(fd, buf, 100) == 100);
    CHECK(write(fd, buf, 200) == 200);
    CHECK(write(fd, buf, 300) == 300);
    CHECK(pwrite(fd, buf, 50, 1000) == 50);
    CHECK(pread(fd, buf, 100, 0) == 100);
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    struct iovec in[2] = {{buf, 10}, {buf + 10, 20}};
    CHECK(readv(fd, in, 2) == 30);
    struct iovec out[2] = {{buf, 5}, {buf + 5, 6}};
    CHECK(writev(fd, out, 2) == 11);
    CHECK(lseek(fd, 0, SEEK_END) == 1050);
    CHECK(read(fd, buf, 64) == 0);
    CHECK(fsync(fd) == 0);
    CHECK(fdatasync(fd) == 0);
    CHECK(close(fd) == 0);

    CHECK(open(path_in(dir, "missing/none"), O_RDONLY) == -1 && errno == ENOENT);
    CHECK(read(fd, buf, 10) == -1 && errno == EBADF);

    fd = creat(path_in(dir, "created.dat"), 0600);
    CHECK(fd == 3);
    CHECK(write(fd, "created", 7) == 7);
    CHECK(close(fd) == 0);
    return 0;
}
