/*
 * fd_io_more DIR — vectored, truncating, allocating, advisory and locking descriptor calls. Built twice (see the
 * Makefile): build/fd_io_more plainly, build/fd_io_more-lfs with -O2 -D_FORTIFY_SOURCE=2 -D_FILE_OFFSET_BITS=64,
 * where glibc's headers turn the offset-taking calls into their 64-bit variants (pwritev64, preadv64,
 * pwritev64v2, preadv64v2, ftruncate64, fallocate64, truncate64). Calls, in order:
 *   open(DIR/more.dat, O_CREAT|O_TRUNC|O_RDWR, 0600) = 3
 *   pwritev(3, 10 + 20 bytes, at 0) = 30;      preadv(3, 30 bytes, at 0) = 30
 *   pwritev2(3, 5 bytes, at 30, flags 0) = 5;  preadv2(3, 35 bytes, at 0, flags 0) = 35
 *   ftruncate(3, 100) = 0
 *   fallocate(3, 0, 0, 4096)                   result printed: "fallocate <result> <errno>" (file systems differ)
 *   readahead(3, 0, 4096) = 0;  syncfs(3) = 0;  sync_file_range(3, 0, 0, SYNC_FILE_RANGE_WRITE) = 0
 *   flock(3, LOCK_EX) = 0;  flock(3, LOCK_UN) = 0;  close(3) = 0
 *   truncate(DIR/more.dat, 10) = 0
 *   chdir(DIR) = 0;  truncate("more.dat", 5) = 0
 *   truncate(DIR/missing/none, 0) = -1 ENOENT
 */
#include "common.h"
#include <fcntl.h>
#include <sys/file.h>
#include <sys/uio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    const char *dir = argv[1];
    char buf[64];
    memset(buf, 'm', sizeof buf);
    int fd = open(path_in(dir, "more.dat"), O_CREAT | O_TRUNC | O_RDWR, 0600);
    CHECK(fd == 3);
    struct iovec two[2] = {{buf, 10}, {buf + 10, 20}};
    CHECK(pwritev(fd, two, 2, 0) == 30);
    struct iovec one = {buf, 30};
    CHECK(preadv(fd, &one, 1, 0) == 30);
    struct iovec five = {buf, 5};
    CHECK(pwritev2(fd, &five, 1, 30, 0) == 5);
    struct iovec all = {buf, 35};
    CHECK(preadv2(fd, &all, 1, 0, 0) == 35);
    CHECK(ftruncate(fd, 100) == 0);
    errno = 0;
    int r = fallocate(fd, 0, 0, 4096);
    printf("fallocate %d %d\n", r, r == 0 ? 0 : errno);
    CHECK(readahead(fd, 0, 4096) == 0);
    CHECK(syncfs(fd) == 0);
    CHECK(sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE) == 0);
    CHECK(flock(fd, LOCK_EX) == 0);
    CHECK(flock(fd, LOCK_UN) == 0);
    CHECK(close(fd) == 0);
    CHECK(truncate(path_in(dir, "more.dat"), 10) == 0);
    CHECK(chdir(dir) == 0);
    CHECK(truncate("more.dat", 5) == 0);
    CHECK(truncate(path_in(dir, "missing/none"), 0) == -1 && errno == ENOENT);
    return 0;
}
