/*
 * data_calls DIR N K — the reads and writes of iotrace run --ptrace-only, built twice: dynamically (build/data_calls,
 * traced by the shim) and statically (build/data_calls-static, where no shim loads and ptrace alone sees them).
 * Every call is made through the libc function of the system call's own name, so that both traces name the same
 * functions. N must be a multiple of K, K >= 2. On DIR/data.dat:
 *   openat(AT_FDCWD, DIR/data.dat, O_RDWR|O_CREAT|O_TRUNC, 0600); K x write of N/K bytes; lseek(fd, 0, SEEK_SET);
 *   pread64 of N/K bytes at offset N/K; read of N bytes (all of it, from 0); read at the end (0: end of file);
 *   writev of 2 buffers (100 + 200 bytes, at offset N); fsync; ftruncate to N/2; fstat (its size: N/2); close.
 * Prints one line per call after the open, in order: the function's name and its result (bytes, new offset, 0),
 * e.g. "write 4096"; fstat prints the size it found.
 */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    CHECK(argc == 4);
    long total = atol(argv[2]), calls = atol(argv[3]);
    CHECK(calls >= 2 && total > 0 && total % calls == 0);
    long chunk = total / calls;
    char *buf = malloc((size_t)total + 300);
    CHECK(buf != NULL);
    memset(buf, 'd', (size_t)total + 300);
    int fd = openat(AT_FDCWD, path_in(argv[1], "data.dat"), O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    for (long i = 0; i < calls; i++) {
        ssize_t n = write(fd, buf, (size_t)chunk);
        CHECK(n == chunk);
        printf("write %zd\n", n);
    }
    off_t at = lseek(fd, 0, SEEK_SET);
    CHECK(at == 0);
    printf("lseek %lld\n", (long long)at);
    ssize_t n = pread64(fd, buf, (size_t)chunk, chunk);
    CHECK(n == chunk);
    printf("pread64 %zd\n", n);
    n = read(fd, buf, (size_t)total);
    CHECK(n == total);
    printf("read %zd\n", n);
    n = read(fd, buf, (size_t)total);
    CHECK(n == 0);
    printf("read %zd\n", n);
    struct iovec iov[2] = {{buf, 100}, {buf + 100, 200}};
    n = writev(fd, iov, 2);
    CHECK(n == 300);
    printf("writev %zd\n", n);
    CHECK(fsync(fd) == 0);
    printf("fsync 0\n");
    CHECK(ftruncate(fd, total / 2) == 0);
    printf("ftruncate 0\n");
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    printf("fstat %lld\n", (long long)st.st_size);
    CHECK(close(fd) == 0);
    printf("close 0\n");
    free(buf);
    return 0;
}
