/*
 * async_io DIR — POSIX aio, memfd, libc's syscall() and io_uring through syscall(). Built twice (see the Makefile):
 * build/async_io plainly, build/async_io-lfs with -O2 -D_FORTIFY_SOURCE=2 -D_FILE_OFFSET_BITS=64, where glibc's
 * headers turn open and the aio calls into their 64-bit variants (open64, aio_write64, ...). Calls, in order:
 *   open(DIR/aio.dat, O_CREAT|O_TRUNC|O_RDWR, 0600) = 3
 *   aio_write(w: fd 3, 16 bytes at 0) = 0;  aio_suspend([w], 1) = 0;  aio_error(w) = 0;  aio_return(w) = 16
 *   aio_read(r: fd 3, 3 bytes at 6) = 0;    aio_suspend([r], 1) = 0;  aio_return(r) = 3 ("aio")
 *   aio_fsync(O_SYNC, f: fd 3) = 0;         aio_suspend([f], 1) = 0;  aio_return(f) = 0
 *   aio_fsync(12345, f) = -1 EINVAL
 *   lio_listio(LIO_WAIT, [write 4 bytes at 16, read 5 bytes at 0], 2) = 0;  aio_return = 4;  aio_return = 5
 *   aio_read(b: fd 99, not open, 1 byte) = 0;  aio_suspend([b], 1) = 0;  aio_error(b) = EBADF;
 *   aio_return(b) = -1 (errno untouched: the record's errno is the request's, EBADF)
 *   aio_cancel(3, NULL) = AIO_ALLDONE
 *   close(3) = 0
 *   memfd_create("iotrace-memfd", 0) = 3;  write(3, 1 byte) = 1;  close(3) = 0
 *   syscall(SYS_openat, AT_FDCWD, DIR/sys.dat, O_CREAT|O_TRUNC|O_RDWR, 0600) = 3
 *   syscall(SYS_write, 3, "syscall!", 8) = 8;  syscall(SYS_lseek, 3, 0, SEEK_SET) = 0
 *   syscall(SYS_read, 3, buf, 100) = 8;  syscall(SYS_pread64, 3, buf, 3, 4) = 3;  syscall(SYS_dup, 3) = 4
 *   syscall(SYS_close, 4) = 0;  syscall(SYS_close, 3) = 0;  syscall(SYS_close, 3) = -1 EBADF
 *   syscall(SYS_getpid) = pid (generic record);  syscall(SYS_getcwd, buf, 4096) = length + 1 (generic record)
 *   syscall(SYS_arch_prctl, ARCH_GET_FS, &base) = 0 (passed on untraced: arch_prctl may move the TLS);  syscall(SYS_openat, AT_FDCWD, DIR/missing/none, O_RDONLY) = -1 ENOENT
 *   syscall(SYS_io_uring_setup, 4, &params) = ring fd or -1 (containers may forbid io_uring); if a ring:
 *     mmap of its SQ ring, CQ ring and SQE array (fd = ring), one NOP submitted with
 *     syscall(SYS_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS) = 1, munmap x3, close(ring) = 0
 * Prints "pid <pid>", "io_uring <setup result> <errno>" and "getcwd <result>" on stdout.
 */
#include "common.h"
#include <aio.h>
#include <asm/prctl.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static void wait_for(struct aiocb *cb)
{
    const struct aiocb *list[1] = {cb};
    CHECK(aio_suspend(list, 1, NULL) == 0);
}

/* one NOP through a ring built by hand (liburing does the same; here only libc's syscall() is used) */
static void io_uring_nop(int ring, const struct io_uring_params *p)
{
    size_t sq_size = p->sq_off.array + p->sq_entries * sizeof(unsigned);
    size_t cq_size = p->cq_off.cqes + p->cq_entries * sizeof(struct io_uring_cqe);
    size_t sqes_size = p->sq_entries * sizeof(struct io_uring_sqe);
    char *sq = mmap(NULL, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
    CHECK(sq != MAP_FAILED);
    char *cq = mmap(NULL, cq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_CQ_RING);
    CHECK(cq != MAP_FAILED);
    struct io_uring_sqe *sqes =
        mmap(NULL, sqes_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
    CHECK(sqes != MAP_FAILED);
    unsigned tail = *(unsigned *)(sq + p->sq_off.tail);
    unsigned index = tail & *(unsigned *)(sq + p->sq_off.ring_mask);
    memset(&sqes[index], 0, sizeof sqes[index]);
    sqes[index].opcode = IORING_OP_NOP;
    sqes[index].user_data = 42;
    ((unsigned *)(sq + p->sq_off.array))[index] = index;
    __atomic_store_n((unsigned *)(sq + p->sq_off.tail), tail + 1, __ATOMIC_RELEASE);
    CHECK(syscall(SYS_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) == 1);
    unsigned head = *(unsigned *)(cq + p->cq_off.head);
    CHECK(head != __atomic_load_n((unsigned *)(cq + p->cq_off.tail), __ATOMIC_ACQUIRE));
    struct io_uring_cqe *cqe = (struct io_uring_cqe *)(cq + p->cq_off.cqes) + (head & *(unsigned *)(cq + p->cq_off.ring_mask));
    CHECK(cqe->user_data == 42 && cqe->res == 0);
    CHECK(munmap(sqes, sqes_size) == 0);
    CHECK(munmap(cq, cq_size) == 0);
    CHECK(munmap(sq, sq_size) == 0);
}

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    const char *dir = argv[1];
    int fd = open(path_in(dir, "aio.dat"), O_CREAT | O_TRUNC | O_RDWR, 0600);
    CHECK(fd == 3);

    static char text[] = "hello aio world!";
    struct aiocb w = {.aio_fildes = fd, .aio_buf = text, .aio_nbytes = 16, .aio_offset = 0};
    CHECK(aio_write(&w) == 0);
    wait_for(&w);
    CHECK(aio_error(&w) == 0);
    CHECK(aio_return(&w) == 16);

    char got[8] = {0};
    struct aiocb r = {.aio_fildes = fd, .aio_buf = got, .aio_nbytes = 3, .aio_offset = 6};
    CHECK(aio_read(&r) == 0);
    wait_for(&r);
    CHECK(aio_return(&r) == 3 && memcmp(got, "aio", 3) == 0);

    struct aiocb f = {.aio_fildes = fd};
    CHECK(aio_fsync(O_SYNC, &f) == 0);
    wait_for(&f);
    CHECK(aio_return(&f) == 0);
    CHECK(aio_fsync(12345, &f) == -1 && errno == EINVAL);

    char head[8] = {0};
    static char lio_text[] = "LIO!";
    struct aiocb lw = {.aio_fildes = fd, .aio_lio_opcode = LIO_WRITE, .aio_buf = lio_text, .aio_nbytes = 4,
                       .aio_offset = 16};
    struct aiocb lr = {.aio_fildes = fd, .aio_lio_opcode = LIO_READ, .aio_buf = head, .aio_nbytes = 5,
                       .aio_offset = 0};
    struct aiocb *list[2] = {&lw, &lr};
    CHECK(lio_listio(LIO_WAIT, list, 2, NULL) == 0);
    CHECK(aio_return(&lw) == 4);
    CHECK(aio_return(&lr) == 5 && memcmp(head, "hello", 5) == 0);
    struct aiocb bad = {.aio_fildes = 99, .aio_buf = got, .aio_nbytes = 1};
    CHECK(aio_read(&bad) == 0);
    wait_for(&bad);
    CHECK(aio_error(&bad) == EBADF);
    errno = 0;
    CHECK(aio_return(&bad) == -1 && errno == 0);
    CHECK(aio_cancel(fd, NULL) == AIO_ALLDONE);
    CHECK(close(fd) == 0);

    int mfd = memfd_create("iotrace-memfd", 0);
    CHECK(mfd == 3);
    CHECK(write(mfd, "m", 1) == 1);
    CHECK(close(mfd) == 0);

    char buf[100];
    long sfd = syscall(SYS_openat, AT_FDCWD, path_in(dir, "sys.dat"), O_CREAT | O_TRUNC | O_RDWR, 0600);
    CHECK(sfd == 3);
    CHECK(syscall(SYS_write, sfd, "syscall!", 8) == 8);
    CHECK(syscall(SYS_lseek, sfd, 0, SEEK_SET) == 0);
    CHECK(syscall(SYS_read, sfd, buf, sizeof buf) == 8);
    CHECK(syscall(SYS_pread64, sfd, buf, 3, 4) == 3 && memcmp(buf, "all", 3) == 0);
    CHECK(syscall(SYS_dup, sfd) == 4);
    CHECK(syscall(SYS_close, 4) == 0);
    CHECK(syscall(SYS_close, sfd) == 0);
    CHECK(syscall(SYS_close, sfd) == -1 && errno == EBADF);
    long pid = syscall(SYS_getpid);
    CHECK(pid == getpid());
    static char cwd[4096];
    long cwd_len = syscall(SYS_getcwd, cwd, sizeof cwd);
    CHECK(cwd_len == (long)strlen(cwd) + 1);
    unsigned long fs_base = 0;
    CHECK(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_base) == 0 && fs_base != 0);
    CHECK(syscall(SYS_openat, AT_FDCWD, path_in(dir, "missing/none"), O_RDONLY) == -1 && errno == ENOENT);

    struct io_uring_params params;
    memset(&params, 0, sizeof params);
    errno = 0;
    long ring = syscall(SYS_io_uring_setup, 4, &params);
    int setup_errno = ring < 0 ? errno : 0;
    if (ring >= 0) {
        io_uring_nop((int)ring, &params);
        CHECK(close((int)ring) == 0);
    }
    printf("pid %ld\nio_uring %ld %d\ngetcwd %ld\n", pid, ring, setup_errno, cwd_len);
    return 0;
}
