/*
 * mmap_more DIR — calls about memory mappings: msync, madvise, posix_madvise, mremap (grow, shrink, move).
 * Built twice (see the Makefile): build/mmap_more plainly, build/mmap_more-lfs with -O2 -D_FORTIFY_SOURCE=2
 * -D_FILE_OFFSET_BITS=64 (mmap and ftruncate become mmap64 and ftruncate64). P is the page size. Calls, in order:
 *   open(DIR/map.dat, O_CREAT|O_TRUNC|O_RDWR, 0600) = 3;  ftruncate(3, 4P) = 0
 *   mmap(NULL, 2P, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = A     (the program writes 2P bytes into it)
 *   msync(A, 2P, MS_SYNC) = 0;  msync(A + P, P, MS_ASYNC|MS_INVALIDATE) = 0
 *   madvise(A, 2P, MADV_SEQUENTIAL) = 0;  posix_madvise(A, P, POSIX_MADV_WILLNEED) = 0
 *   mremap(A, 2P, 4P, MREMAP_MAYMOVE) = B                          grown: map.dat is mapped at [B, B+4P)
 *   msync(B + 3P, P, MS_SYNC) = 0                                   inside the grown part: map.dat
 *   mmap(NULL, P, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = C
 *   madvise(C, P, MADV_DONTNEED) = 0                                 anonymous: not a file
 *   mremap(B, 4P, P, 0) = B                                         shrunk to [B, B+P)
 *   madvise(B + P, P, MADV_NORMAL) = -1 ENOMEM                      no longer mapped
 *   msync(B, P, MS_SYNC|MS_ASYNC) = -1 EINVAL
 *   posix_madvise(B, P, 12345) = EINVAL
 *   mmap(NULL, P, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = D  (a place to move to)
 *   mremap(B, P, P, MREMAP_MAYMOVE|MREMAP_FIXED, D) = D             moved: map.dat is mapped at [D, D+P)
 *   msync(D, P, MS_SYNC) = 0;  munmap(D, P) = 0;  munmap(C, P) = 0;  close(3) = 0
 * Printed: "pages <P> <A> <B> <C> <D>" (addresses in hex, as the trace writes them).
 */
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    int fd = open(path_in(argv[1], "map.dat"), O_CREAT | O_TRUNC | O_RDWR, 0600);
    CHECK(fd == 3);
    CHECK(ftruncate(fd, (off_t)(4 * page)) == 0);
    char *a = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(a != MAP_FAILED);
    memset(a, 'm', 2 * page);
    CHECK(msync(a, 2 * page, MS_SYNC) == 0);
    CHECK(msync(a + page, page, MS_ASYNC | MS_INVALIDATE) == 0);
    CHECK(madvise(a, 2 * page, MADV_SEQUENTIAL) == 0);
    CHECK(posix_madvise(a, page, POSIX_MADV_WILLNEED) == 0);
    char *b = mremap(a, 2 * page, 4 * page, MREMAP_MAYMOVE);
    CHECK(b != MAP_FAILED);
    CHECK(msync(b + 3 * page, page, MS_SYNC) == 0);
    char *c = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(c != MAP_FAILED);
    CHECK(madvise(c, page, MADV_DONTNEED) == 0);
    CHECK(mremap(b, 4 * page, page, 0) == b);
    CHECK(madvise(b + page, page, MADV_NORMAL) == -1 && errno == ENOMEM);
    CHECK(msync(b, page, MS_SYNC | MS_ASYNC) == -1 && errno == EINVAL);
    CHECK(posix_madvise(b, page, 12345) == EINVAL);
    char *d = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(d != MAP_FAILED);
    CHECK(mremap(b, page, page, MREMAP_MAYMOVE | MREMAP_FIXED, d) == d);
    CHECK(msync(d, page, MS_SYNC) == 0);
    CHECK(munmap(d, page) == 0);
    CHECK(munmap(c, page) == 0);
    CHECK(close(fd) == 0);
    printf("pages %zu %p %p %p %p\n", page, (void *)a, (void *)b, (void *)c, (void *)d);
    return 0;
}
