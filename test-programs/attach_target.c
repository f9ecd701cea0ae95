/*
 * attach_target DIR — a program for iotrace attach: it makes its handles, then waits (blocked in read(0), a second
 * thread blocked in read of its own pipe) for a byte on stdin while the tracer attaches; uses them (phase 2); waits
 * for a second byte while the tracer detaches; and finishes untraced (phase 3). Prints "ready", "phase2 3" and
 * "done", one line each; exits 7.
 *
 * Before the first byte: open(DIR/a.dat, O_RDWR|O_CREAT|O_TRUNC) = 3, open(DIR/b.dat, same) = 4 (4 bytes written),
 * pipe = 5, 6, socket(AF_UNIX, SOCK_DGRAM) = 7, DIR/m.dat (8192 bytes) mapped shared (4096 bytes) through fd 8,
 * which is closed (the mapping is known only from /proc/PID/maps), the thread's pipe = 8, 9.
 * Phase 2: write(3, "hello"), lseek(3, 0, SEEK_SET), read(3) of the 5 bytes, fsync(3), pread(4) of the 4 bytes at 0,
 * fcntl(4, F_DUPFD_CLOEXEC, 20) = 20, close(20), a byte through the pipe (write(6), read(5)),
 * close(5), close(6), close(7), mremap of the mapping to 8192 bytes (MREMAP_MAYMOVE), munmap; a byte to the thread's
 * pipe (write(9)); the thread wakes (its read(8)): dup(3) = 5, close(5), it ends; fork: the child closes 4 (b.dat,
 * inherited), opens DIR/child.dat = 4, writes, closes it and exits 3; the parent reaps it (status 3), closes 3
 * (a.dat), prints "phase2 3".
 * Phase 3: close(4), DIR/c.dat opened, written, closed.
 */
#include "common.h"
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int thread_pipe[2];

static void *helper(void *arg)
{
    (void)arg;
    char c;
    CHECK(read(thread_pipe[0], &c, 1) == 1);
    int copy = dup(3);
    CHECK(copy == 5);
    CHECK(close(copy) == 0);
    return NULL;
}

static void wait_for_byte(void)
{
    char c;
    CHECK(read(0, &c, 1) == 1);
}

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *dir = argv[1];
    CHECK(open(path_in(dir, "a.dat"), O_RDWR | O_CREAT | O_TRUNC, 0600) == 3);
    CHECK(open(path_in(dir, "b.dat"), O_RDWR | O_CREAT | O_TRUNC, 0600) == 4);
    CHECK(write(4, "bbbb", 4) == 4);
    int p[2];
    CHECK(pipe(p) == 0 && p[0] == 5 && p[1] == 6);
    CHECK(socket(AF_UNIX, SOCK_DGRAM, 0) == 7);
    int m = open(path_in(dir, "m.dat"), O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(m == 8 && ftruncate(m, 8192) == 0);
    char *map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
    CHECK(map != MAP_FAILED);
    CHECK(close(m) == 0);
    CHECK(pipe(thread_pipe) == 0 && thread_pipe[0] == 8);
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, helper, NULL) == 0);
    printf("ready\n");

    wait_for_byte(); /* attached meanwhile */
    CHECK(write(3, "hello", 5) == 5);
    char buf[5];
    CHECK(lseek(3, 0, SEEK_SET) == 0 && read(3, buf, 5) == 5 && memcmp(buf, "hello", 5) == 0);
    CHECK(fsync(3) == 0);
    CHECK(pread(4, buf, 4, 0) == 4 && memcmp(buf, "bbbb", 4) == 0);
    CHECK(fcntl(4, F_DUPFD_CLOEXEC, 20) == 20);
    CHECK(close(20) == 0);
    CHECK(write(6, "x", 1) == 1 && read(5, buf, 1) == 1);
    CHECK(close(5) == 0 && close(6) == 0 && close(7) == 0);
    map[0] = 'm';
    char *moved = mremap(map, 4096, 8192, MREMAP_MAYMOVE);
    CHECK(moved != MAP_FAILED && moved[0] == 'm');
    CHECK(munmap(moved, 8192) == 0);
    CHECK(write(thread_pipe[1], "t", 1) == 1);
    CHECK(pthread_join(thread, NULL) == 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        CHECK(close(4) == 0);
        int fd = open(path_in(dir, "child.dat"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        CHECK(fd == 4 && write(fd, "child", 5) == 5 && close(fd) == 0);
        _exit(3);
    }
    int status;
    CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status));
    CHECK(close(3) == 0);
    printf("phase2 %d\n", WEXITSTATUS(status));

    wait_for_byte(); /* detached meanwhile */
    CHECK(close(4) == 0);
    int c = open(path_in(dir, "c.dat"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(c >= 0 && write(c, "after", 5) == 5 && close(c) == 0);
    printf("done\n");
    return 7;
}
