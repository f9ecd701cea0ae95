/*
 * failed_close DIR — streams whose closing call fails still give their descriptor back, and the number is then
 * reused behind the tracer's back (a raw openat, which no wrapper sees):
 *   fclose of a stream on /dev/full whose flush fails (EOF, ENOSPC): glibc closes the descriptor anyway;
 *   freopen to a path that cannot be opened (NULL, ENOENT): glibc has closed the old descriptor first.
 * Each time the freed number is opened raw as DIR/after_fclose.dat / DIR/after_freopen.dat and written once
 * with libc's write: that write's record must name the new file, not the stream's old one.
 * Prints "fclose <ret> <errno> fd <n> freopen <null?> <errno> fd <n>".
 */
#include "common.h"
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

static int raw_openat(const char *path)
{
    long ret;
    register long r10 __asm__("r10") = 0600;
    __asm__ volatile("syscall" : "=a"(ret) : "0"((long)SYS_openat), "D"((long)AT_FDCWD), "S"(path),
                     "d"((long)(O_CREAT | O_TRUNC | O_WRONLY)), "r"(r10) : "rcx", "r11", "memory");
    return (int)ret;
}

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    const char *dir = argv[1];

    FILE *full = fopen("/dev/full", "w");
    CHECK(full != NULL);
    int full_fd = fileno(full);
    CHECK(fputs("x", full) >= 0); /* buffered: the flush inside fclose fails */
    int closed = fclose(full);
    int close_errno = errno;
    CHECK(closed == EOF && close_errno == ENOSPC);
    int again = raw_openat(path_in(dir, "after_fclose.dat"));
    CHECK(again == full_fd);
    CHECK(write(again, "abc", 3) == 3);
    CHECK(close(again) == 0);

    FILE *stream = fopen(path_in(dir, "before_freopen.dat"), "w");
    CHECK(stream != NULL);
    int stream_fd = fileno(stream);
    FILE *reopened = freopen(path_in(dir, "missing/x.dat"), "w", stream);
    int reopen_errno = errno;
    CHECK(reopened == NULL && reopen_errno == ENOENT);
    int reused = raw_openat(path_in(dir, "after_freopen.dat"));
    CHECK(reused == stream_fd);
    CHECK(write(reused, "defg", 4) == 4);
    CHECK(close(reused) == 0);

    printf("fclose %d %d fd %d freopen null %d fd %d\n", closed, close_errno, full_fd, reopen_errno, stream_fd);
    return 0;
}
