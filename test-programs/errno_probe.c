/*
 * errno_probe DIR — the differential test's program: makes calls that succeed and fail and prints each result
 * and errno on stdout ("name result errno"), so a traced and an untraced run can be compared line by line.
 * errno is set to 1234 before every call, so a tracer that clobbers errno on success shows up too.
 */
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#define PROBE(name, expr) do { errno = 1234; long r_ = (long)(expr); int e_ = errno; \
                               printf("%s %ld %d\n", name, r_ == -1 ? -1L : (r_ < 0 ? r_ : (r_ > 1000000 ? 1 : r_)), e_); } while (0)

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    const char *dir = argv[1];
    char buf[128];
    memset(buf, 'e', sizeof buf);
    PROBE("open_missing", open(path_in(dir, "no/such/file"), O_RDONLY));
    PROBE("open_dir_for_write", open(dir, O_WRONLY));
    PROBE("open_excl_new", open(path_in(dir, "probe.dat"), O_CREAT | O_EXCL | O_RDWR, 0600));
    PROBE("open_excl_again", open(path_in(dir, "probe.dat"), O_CREAT | O_EXCL | O_RDWR, 0600));
    PROBE("write", write(3, buf, 100));
    PROBE("write_badfd", write(99, buf, 10));
    PROBE("read_eof", read(3, buf, 10));
    PROBE("pread", pread(3, buf, 50, 10));
    PROBE("lseek_bad_whence", lseek(3, 0, 42));
    PROBE("lseek_end", lseek(3, 0, SEEK_END));
    PROBE("dup2_badfd", dup2(77, 78));
    PROBE("fcntl_dupfd", fcntl(3, F_DUPFD, 40));
    PROBE("close_dup", close(40));
    PROBE("close_twice", close(40));
    PROBE("mmap_badfd", mmap(NULL, 4096, PROT_READ, MAP_SHARED, 55, 0) == MAP_FAILED ? -1 : 0);
    PROBE("fsync", fsync(3));
    PROBE("close", close(3));
    PROBE("read_closed", read(3, buf, 10));
    errno = 1234;
    FILE *f = fopen(path_in(dir, "no/such/file"), "r");
    printf("fopen_missing %d %d\n", f == NULL ? -1 : 0, errno);
    PROBE("chdir_missing", chdir(path_in(dir, "nope")));
    return 0;
}
