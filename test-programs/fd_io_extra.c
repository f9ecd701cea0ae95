/*
 * fd_io_extra DIR — two-descriptor transfers, fcntl commands and locks, close_range/closefrom, advice and
 * allocation. Built twice (see the Makefile): build/fd_io_extra plainly, build/fd_io_extra-lfs with -O2
 * -D_FORTIFY_SOURCE=2 -D_FILE_OFFSET_BITS=64, where glibc's headers turn fcntl, sendfile, posix_fadvise and
 * posix_fallocate into fcntl64, sendfile64, posix_fadvise64 and posix_fallocate64. Calls, in order:
 *   open(DIR/in.dat, O_CREAT|O_TRUNC|O_RDWR, 0600) = 3;  write(3, 100 bytes) = 100
 *   open(DIR/out.dat, O_CREAT|O_TRUNC|O_RDWR, 0600) = 4
 *   copy_file_range(3, &0, 4, NULL, 40, 0) = 40          in.dat -> out.dat
 *   sendfile(4, 3, &40, 30) = 30                          in.dat -> out.dat
 *   pipe([5, 6]) = 0
 *   splice(3, &70, 6, NULL, 20, SPLICE_F_MOVE) = 20       in.dat -> pipe
 *   pipe([7, 8]) = 0
 *   tee(5, 8, 20, 0) = 20                                 pipe -> pipe
 *   splice(5, NULL, 4, NULL, 20, 0) = 20                  pipe -> out.dat
 *   vmsplice(6, 10 bytes, 1, 0) = 10
 *   fcntl(3, F_GETFL) = O_RDWR|O_LARGEFILE (the kernel's own 0100000 on 64-bit);  fcntl(3, F_SETFL, O_APPEND|O_NONBLOCK) = 0
 *   fcntl(3, F_GETFD) = 0;  fcntl(3, F_SETFD, FD_CLOEXEC) = 0;  fcntl(3, F_GETFD) = FD_CLOEXEC
 *   fcntl(3, F_SETLK, {F_WRLCK, SEEK_SET, 10, 20}) = 0
 *   fcntl(3, F_GETLK, {F_WRLCK, SEEK_SET, 0, 0}) = 0      answers F_UNLCK: our own lock does not conflict
 *   fcntl(3, F_OFD_SETLKW, {F_RDLCK, SEEK_SET, 50, 5, 0}) = 0
 *   fcntl(3, F_OFD_GETLK, {F_WRLCK, SEEK_SET, 10, 5, 0}) = 0   answers our F_SETLK lock: write, 10, 20, our pid
 *   fcntl(3, F_SETLK, (struct flock *)8) = -1 EFAULT     the struct is not read by the tracer either
 *   fcntl(99, F_GETLK, NULL) = -1 EBADF
 *   fcntl(5, F_GETPIPE_SZ) = N (printed: "pipe <N>");  fcntl(5, F_SETPIPE_SZ, 8192) = 8192
 *   fcntl(3, F_DUPFD, 20) = 20;  fcntl(3, F_DUPFD_CLOEXEC, 21) = 21;  dup2(3, 22) = 22
 *   close_range(20, 21, 0) = 0
 *   [raw dup3(4, 20) syscall, not a libc call: fd 20 names out.dat behind the tracer's back]
 *   write(20, 1 byte) = 1                                 the tracer names fd 20 afresh: out.dat
 *   close_range(22, ~0U, CLOSE_RANGE_CLOEXEC) = 0         fd 22 stays open
 *   write(22, 1 byte) = 1                                 in.dat
 *   closefrom(20) = (void)
 *   [raw dup3(4, 22)];  write(22, 1 byte) = 1             out.dat
 *   posix_fadvise(3, 0, 100, POSIX_FADV_SEQUENTIAL) = 0;  posix_fadvise(3, 0, 0, 99) = EINVAL
 *   posix_fallocate(4, 0, 4096) = 0;  posix_fallocate(6, 0, 10) = ESPIPE
 *   sync()
 *   fcntl(3, F_GETLEASE) = L;  fcntl(3, F_ADD_SEALS, F_SEAL_SHRINK|F_SEAL_GROW) = S;  fcntl(3, F_GET_SEALS) = G
 *   open(DIR, O_RDONLY|O_DIRECTORY) = D;  fcntl(D, F_NOTIFY, DN_CREATE|DN_MULTISHOT) = N;  fcntl(D, F_NOTIFY, 0)
 *   close(D)           (lease, seal and dnotify support differ between file systems: printed as
 *                       "lease L <errno> seals S <errno> G <errno> notify N <errno>", errno 0 on success)
 *   __fcntl(3, F_GETFD) = FD_CLOEXEC                      (glibc's other name of fcntl)
 *   close(N) for N = 22, 8, 7, 6, 5, 4, 3
 */
#include "common.h"
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

extern int __fcntl(int fd, int cmd, ...); /* exported by glibc, declared by no header */

/* dup3 without libc (nothing the tracer sees): an fd appearing behind its back */
static long raw_dup3(long oldfd, long newfd)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "0"((long)SYS_dup3), "D"(oldfd), "S"(newfd), "d"(0L)
                     : "rcx", "r11", "memory");
    return ret;
}

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    const char *dir = argv[1];
    char buf[100];
    memset(buf, 'e', sizeof buf);
    int in = open(path_in(dir, "in.dat"), O_CREAT | O_TRUNC | O_RDWR, 0600);
    CHECK(in == 3);
    CHECK(write(in, buf, 100) == 100);
    int out = open(path_in(dir, "out.dat"), O_CREAT | O_TRUNC | O_RDWR, 0600);
    CHECK(out == 4);

    off_t in_off = 0;
    CHECK(copy_file_range(in, &in_off, out, NULL, 40, 0) == 40);
    off_t send_off = 40;
    CHECK(sendfile(out, in, &send_off, 30) == 30);
    int p[2], q[2];
    CHECK(pipe(p) == 0 && p[0] == 5 && p[1] == 6);
    off_t splice_off = 70;
    CHECK(splice(in, &splice_off, p[1], NULL, 20, SPLICE_F_MOVE) == 20);
    CHECK(pipe(q) == 0 && q[0] == 7 && q[1] == 8);
    CHECK(tee(p[0], q[1], 20, 0) == 20);
    CHECK(splice(p[0], NULL, out, NULL, 20, 0) == 20);
    struct iovec ten = {buf, 10};
    CHECK(vmsplice(p[1], &ten, 1, 0) == 10);

    CHECK(fcntl(in, F_GETFL) == (O_RDWR | 0100000));
    CHECK(fcntl(in, F_SETFL, O_APPEND | O_NONBLOCK) == 0);
    CHECK(fcntl(in, F_GETFD) == 0);
    CHECK(fcntl(in, F_SETFD, FD_CLOEXEC) == 0);
    CHECK(fcntl(in, F_GETFD) == FD_CLOEXEC);
    struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 10, .l_len = 20};
    CHECK(fcntl(in, F_SETLK, &lock) == 0);
    struct flock query = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    CHECK(fcntl(in, F_GETLK, &query) == 0 && query.l_type == F_UNLCK);
    struct flock ofd = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 50, .l_len = 5, .l_pid = 0};
    CHECK(fcntl(in, F_OFD_SETLKW, &ofd) == 0);
    struct flock ofd_query = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 10, .l_len = 5, .l_pid = 0};
    CHECK(fcntl(in, F_OFD_GETLK, &ofd_query) == 0 && ofd_query.l_type == F_WRLCK && ofd_query.l_pid == getpid());
    CHECK(fcntl(in, F_SETLK, (struct flock *)8) == -1 && errno == EFAULT);
    CHECK(fcntl(99, F_GETLK, NULL) == -1 && errno == EBADF);
    int pipe_size = fcntl(p[0], F_GETPIPE_SZ);
    CHECK(pipe_size > 0);
    printf("pipe %d\n", pipe_size);
    CHECK(fcntl(p[0], F_SETPIPE_SZ, 8192) == 8192);
    CHECK(fcntl(in, F_DUPFD, 20) == 20);
    CHECK(fcntl(in, F_DUPFD_CLOEXEC, 21) == 21);
    CHECK(dup2(in, 22) == 22);

    CHECK(close_range(20, 21, 0) == 0);
    CHECK(raw_dup3(out, 20) == 20);
    CHECK(write(20, "x", 1) == 1);
    CHECK(close_range(22, ~0U, CLOSE_RANGE_CLOEXEC) == 0);
    CHECK(write(22, "y", 1) == 1);
    closefrom(20);
    CHECK(raw_dup3(out, 22) == 22);
    CHECK(write(22, "z", 1) == 1);

    CHECK(posix_fadvise(in, 0, 100, POSIX_FADV_SEQUENTIAL) == 0);
    CHECK(posix_fadvise(in, 0, 0, 99) == EINVAL);
    CHECK(posix_fallocate(out, 0, 4096) == 0);
    CHECK(posix_fallocate(p[1], 0, 10) == ESPIPE);
    sync();
    errno = 0;
    int lease = fcntl(in, F_GETLEASE);
    int lease_errno = lease == -1 ? errno : 0;
    errno = 0;
    int add_seals = fcntl(in, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW);
    int add_seals_errno = add_seals == -1 ? errno : 0;
    errno = 0;
    int seals = fcntl(in, F_GET_SEALS);
    int seals_errno = seals == -1 ? errno : 0;
    int dir_fd = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK(dir_fd >= 0);
    errno = 0;
    int notify = fcntl(dir_fd, F_NOTIFY, DN_CREATE | DN_MULTISHOT);
    int notify_errno = notify == -1 ? errno : 0;
    fcntl(dir_fd, F_NOTIFY, 0); /* cancelled before anything happens in DIR: no SIGIO */
    CHECK(close(dir_fd) == 0);
    printf("lease %d %d seals %d %d %d %d notify %d %d\n", lease, lease_errno, add_seals, add_seals_errno, seals,
           seals_errno, notify, notify_errno);
    CHECK(__fcntl(in, F_GETFD) == FD_CLOEXEC);
    int closing[] = {22, 8, 7, 6, 5, 4, 3};
    for (int i = 0; i < 7; i++) CHECK(close(closing[i]) == 0);
    return 0;
}
