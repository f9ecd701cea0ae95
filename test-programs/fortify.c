/*
 * fortify DIR — built with -O2 -D_FORTIFY_SOURCE=2 (see the Makefile), as distributions build their packages:
 * glibc's headers then call the checking variants whenever the compiler cannot prove a call safe. The flags and
 * counts below are read from volatile variables so that they are not compile-time constants. Calls, in order, as the binary makes
 * them (check with `nm -D build/fortify`):
 *   open(DIR/fortify.dat, O_CREAT|O_TRUNC|O_WRONLY, 0600) = 3; write(3, 64 bytes) = 64; close(3) = 0
 *   __open_2(DIR/fortify.dat, O_RDONLY) = 3              (open without a mode and non-constant flags)
 *   __read_chk(3, buf, 16, 64) = 16                       (read with a non-constant count)
 *   __pread_chk(3, buf, 16, 32, 64) = 16                  (pread at offset 32)
 *   open(DIR, O_RDONLY|O_DIRECTORY) = 4
 *   __openat_2(4, "fortify.dat", O_RDONLY) = 5;  close(5) = 0;  close(4) = 0
 *   close(3) = 0
 *   fopen(DIR/fortify.dat, "r") = S; __fread_chk(buf, 64, 1, 16, S) = 16; fclose(S) = 0
 */
#include "common.h"
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    const char *file = path_in(argv[1], "fortify.dat");
    char buf[64];
    memset(buf, 'f', sizeof buf);
    int fd = open(file, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    CHECK(fd == 3);
    CHECK(write(fd, buf, sizeof buf) == (ssize_t)sizeof buf);
    CHECK(close(fd) == 0);

    static volatile int opaque_flags = O_RDONLY;
    static volatile size_t opaque_count = 16;
    int rdonly = opaque_flags;   /* not a constant: a fortified open without mode becomes __open_2 */
    size_t count = opaque_count; /* not a constant: a fortified read becomes __read_chk */
    fd = open(file, rdonly);
    CHECK(fd == 3);
    CHECK(read(fd, buf, count) == 16);
    CHECK(pread(fd, buf, count, 32) == 16);
    int dirfd = open(argv[1], O_RDONLY | O_DIRECTORY);
    CHECK(dirfd == 4);
    int at = openat(dirfd, "fortify.dat", rdonly);
    CHECK(at == 5);
    CHECK(close(at) == 0);
    CHECK(close(dirfd) == 0);
    CHECK(close(fd) == 0);

    FILE *stream = fopen(file, "r");
    CHECK(stream != NULL);
    CHECK(fread(buf, 1, count, stream) == 16);
    CHECK(fclose(stream) == 0);
    return 0;
}
