/*
 * largefile DIR — built with -D_FILE_OFFSET_BITS=64 (see the Makefile), so glibc's headers redirect every call to
 * its 64-bit variant; offsets beyond 4 GiB show any 32-bit truncation. Calls, in order (G = 5 GiB = 5368709120):
 *   open64(DIR/large.dat, O_CREAT|O_TRUNC|O_RDWR, 0600) = 3
 *   pwrite64(3, 8 bytes, G) = 8                    (a sparse file of G + 8 bytes)
 *   pread64(3, 8 bytes, G) = 8
 *   lseek64(3, 0, SEEK_END) = G + 8
 *   mmap64(NULL, 4096, PROT_READ, MAP_SHARED, 3, G) = A;  munmap(A, 4096) = 0
 *   openat64(AT_FDCWD, DIR/large.dat, O_RDONLY) = 4;  close(4) = 0
 *   close(3) = 0
 *   fopen64(DIR/large.dat, "r") = S;  fclose(S) = 0
 */
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    CHECK(sizeof(off_t) == 8);
    const off_t g = 5LL * 1024 * 1024 * 1024;
    const char *file = path_in(argv[1], "large.dat");
    char buf[8];
    int fd = open(file, O_CREAT | O_TRUNC | O_RDWR, 0600);
    CHECK(fd == 3);
    CHECK(pwrite(fd, "largefil", 8, g) == 8);
    CHECK(pread(fd, buf, 8, g) == 8 && memcmp(buf, "largefil", 8) == 0);
    CHECK(lseek(fd, 0, SEEK_END) == g + 8);
    void *a = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, g);
    CHECK(a != MAP_FAILED);
    CHECK(munmap(a, 4096) == 0);
    int at = openat(AT_FDCWD, file, O_RDONLY);
    CHECK(at == 4);
    CHECK(close(at) == 0);
    CHECK(close(fd) == 0);
    FILE *stream = fopen(file, "r");
    CHECK(stream != NULL);
    CHECK(fclose(stream) == 0);
    return 0;
}
