/* Throwaway test workload for the shim (not part of CI). Modes:
 *   basic            a bit of everything + errno checks; prints "ok" or the failed check
 *   writes N         N write(4 KiB) to /dev/null
 *   threads T N      T threads x N writes of 1 byte to /dev/null
 *   fork             parent and child each write once
 *   exec             write, then execve(self, "writes", "3")
 *   execfail         execve of a missing file, then write
 *   closespill N     N writes, closing fds 3..1023 every 1000 writes (program closes our spill fd)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "check failed line %d: %s (errno %d)\n", __LINE__, #c, errno); exit(1); } } while (0)

static char page[4096];

static void *thread_main(void *arg)
{
    long n = (long)arg;
    int fd = open("/dev/null", O_WRONLY);
    for (long i = 0; i < n; i++)
        CHECK(write(fd, "x", 1) == 1);
    close(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "basic";
    if (getenv("WL_DELAY_MS") != NULL) /* lets a test consumer attach to the ring first */
        usleep(1000 * atoi(getenv("WL_DELAY_MS")));
    if (strcmp(mode, "basic") == 0) {
        char path[] = "/tmp/iotrace-test-XXXXXX";
        int fd = mkstemp(path); /* untraced open: discovered on first use */
        CHECK(fd >= 0);
        errno = 4242;
        CHECK(write(fd, "hello\n", 6) == 6);
        CHECK(errno == 4242); /* success leaves errno alone */
        CHECK(lseek(fd, 0, SEEK_SET) == 0);
        char buf[16];
        CHECK(read(fd, buf, sizeof buf) == 6);
        CHECK(read(fd, buf, sizeof buf) == 0); /* EOF */
        int d = dup(fd);
        CHECK(d >= 0);
        int d2 = fcntl(fd, F_DUPFD_CLOEXEC, 100);
        CHECK(d2 >= 100);
        CHECK(close(d) == 0 && close(d2) == 0);
        CHECK(close(fd) == 0);
        errno = 0;
        CHECK(close(fd) == -1 && errno == EBADF);
        CHECK(open("/nonexistent/x", O_RDONLY) == -1 && errno == ENOENT);
        CHECK(open(NULL, O_RDONLY) == -1 && errno == EFAULT);
        int fd2 = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        CHECK(fd2 >= 0);
        CHECK(pwrite(fd2, "abc", 3, 0) == 3);
        close(fd2);
        FILE *f = fopen(path, "r");
        CHECK(f != NULL);
        CHECK(fread(buf, 1, sizeof buf, f) == 9);
        CHECK(feof(f));
        CHECK(fclose(f) == 0);
        f = fopen(path, "a");
        CHECK(fwrite("zz", 1, 2, f) == 2);
        CHECK(fclose(f) == 0);
        CHECK(fopen("/nonexistent/y", "r") == NULL && errno == ENOENT);
        int at = openat(AT_FDCWD, path, O_RDONLY);
        CHECK(at >= 0);
        CHECK(dup2(at, 50) == 50);
        close(at);
        close(50);
        CHECK(chdir("/tmp") == 0);
        CHECK(unlink(path) == 0);
        errno = 777;
        CHECK(getpid() > 0 && errno == 777);
        printf("ok\n");
        return 0;
    }
    if (strcmp(mode, "writes") == 0) {
        long n = argc > 2 ? atol(argv[2]) : 1;
        int fd = open("/dev/null", O_WRONLY);
        for (long i = 0; i < n; i++)
            CHECK(write(fd, page, sizeof page) == sizeof page);
        close(fd);
        return 0;
    }
    if (strcmp(mode, "threads") == 0) {
        int t = argc > 2 ? atoi(argv[2]) : 8;
        long n = argc > 3 ? atol(argv[3]) : 10000;
        pthread_t th[64];
        for (int i = 0; i < t; i++)
            pthread_create(&th[i], NULL, thread_main, (void *)n);
        for (int i = 0; i < t; i++)
            pthread_join(th[i], NULL);
        return 0;
    }
    if (strcmp(mode, "fork") == 0) {
        int fd = open("/dev/null", O_WRONLY);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            CHECK(write(fd, "child", 5) == 5);
            _exit(0);
        }
        CHECK(write(fd, "parent", 6) == 6);
        int st;
        CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
        CHECK(waitpid(-1, &st, WNOHANG) == -1 && errno == ECHILD); /* the collector is not our child */
        return 0;
    }
    if (strcmp(mode, "exec") == 0) {
        CHECK(write(1, "", 0) == 0);
        char *args[] = {argv[0], "writes", "3", NULL};
        execve("/proc/self/exe", args, __environ);
        CHECK(0);
    }
    if (strcmp(mode, "execfail") == 0) {
        char *args[] = {"nope", NULL};
        CHECK(execve("/nonexistent/prog", args, __environ) == -1 && errno == ENOENT);
        CHECK(write(1, "", 0) == 0);
        return 0;
    }
    if (strcmp(mode, "closespill") == 0) {
        long n = argc > 2 ? atol(argv[2]) : 100000;
        int fd = open("/dev/null", O_WRONLY);
        for (long i = 0; i < n; i++) {
            if (i % 1000 == 999)
                for (int c = 3; c < 1024; c++)
                    if (c != fd)
                        close(c);
            CHECK(write(fd, "y", 1) == 1);
        }
        return 0;
    }
    fprintf(stderr, "unknown mode\n");
    return 2;
}
