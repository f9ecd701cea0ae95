/*
 * mmap DIR — a file mapping and partial unmaps. Prints "mapped 0x<address>" on stdout. Calls, in order:
 *   open(DIR/mapped.dat, O_CREAT|O_TRUNC|O_RDWR, 0600) = 3; write(3, 16384) = 16384
 *   mmap(NULL, 16384, PROT_READ, MAP_SHARED, 3, 0) = A
 *   close(3) = 0                         (the mapping outlives the descriptor)
 *   munmap(A, 4096)                      first page
 *   munmap(A + 12288, 4096)              last page
 *   munmap(A + 4096, 8192)               the middle: nothing of the file stays mapped
 *   mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = B; munmap(B, 4096)
 */
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    static char page[16384];
    int fd = open(path_in(argv[1], "mapped.dat"), O_CREAT | O_TRUNC | O_RDWR, 0600);
    CHECK(fd == 3);
    CHECK(write(fd, page, sizeof page) == (ssize_t)sizeof page);
    char *a = mmap(NULL, 16384, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(a != MAP_FAILED);
    printf("mapped %p\n", (void *)a);
    fflush(stdout);
    CHECK(close(fd) == 0);
    CHECK(munmap(a, 4096) == 0);
    CHECK(munmap(a + 12288, 4096) == 0);
    CHECK(munmap(a + 4096, 8192) == 0);
    char *b = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(b != MAP_FAILED);
    CHECK(munmap(b, 4096) == 0);
    return 0;
}
