/*
 * tracer_death DIR — bypass calls before and after its ptrace fallback's tracer is killed (IOTRACE_PTRACE=on):
 * raw (inline `syscall`) openat + write + raw close of DIR/before.dat, opendir/closedir of DIR (glibc's internal
 * open and close); prints "ready" and waits for a byte on stdin (the test kills the tracer meanwhile and waits for
 * its heir); then the same with DIR/after.dat, getpwnam("root") (nss opens inside glibc), a thread making raw
 * openat/close of DIR/thread.dat, a fork child making raw openat/close of DIR/child.dat, a fork + exec of itself
 * ("exec-child DIR": raw openat/close of DIR/exec.dat, exit 6). Any call that fails (ENOSYS from a filter left
 * without its tracer) is printed; prints "after: ok" and exits 0 when none did.
 *
 * tracer_death loop DIR SECONDS: raw openat + close of DIR/loop.dat without pause for SECONDS; prints how many
 * pairs ran and how many failed, by errno (to measure what a tracer's death costs while a thread is busy).
 */
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long raw_syscall4(long nr, long a1, long a2, long a3, long a4)
{
    long ret;
    register long r10 __asm__("r10") = a4;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10) : "rcx", "r11", "memory");
    return ret;
}

static int failures;

static void raw_file(const char *path, const char *text)
{
    long fd = raw_syscall4(SYS_openat, AT_FDCWD, (long)path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    if (fd < 0) {
        printf("raw openat %s: %s\n", path, strerror((int)-fd));
        failures++;
        return;
    }
    if (write((int)fd, text, strlen(text)) != (ssize_t)strlen(text))
        failures++;
    long rc = raw_syscall4(SYS_close, fd, 0, 0, 0);
    if (rc != 0) {
        printf("raw close %s: %s\n", path, strerror((int)-rc));
        failures++;
    }
}

static void list_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        printf("opendir: %s\n", strerror(errno));
        failures++;
        return;
    }
    while (readdir(d) != NULL)
        ;
    if (closedir(d) != 0) {
        printf("closedir: %s\n", strerror(errno));
        failures++;
    }
}

static const char *dir;

static void *thread_main(void *arg)
{
    (void)arg;
    raw_file(path_in(dir, "thread.dat"), "thread");
    return NULL;
}

static int loop(const char *loop_dir, int seconds)
{
    const char *path = path_in(loop_dir, "loop.dat");
    long pairs = 0, failed = 0, enosys = 0;
    time_t end = time(NULL) + seconds;
    while (time(NULL) < end) {
        for (int i = 0; i < 1000; i++) {
            long fd = raw_syscall4(SYS_openat, AT_FDCWD, (long)path, O_CREAT | O_RDONLY, 0600);
            long rc = fd >= 0 ? raw_syscall4(SYS_close, fd, 0, 0, 0) : fd;
            pairs++;
            if (fd < 0 || rc != 0) {
                failed++;
                enosys += fd == -ENOSYS || rc == -ENOSYS;
            }
        }
    }
    printf("pairs %ld failed %ld enosys %ld\n", pairs, failed, enosys);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "exec-child") == 0) {
        raw_file(path_in(argv[2], "exec.dat"), "exec");
        return failures == 0 ? 6 : 1;
    }
    if (argc == 4 && strcmp(argv[1], "loop") == 0)
        return loop(argv[2], atoi(argv[3]));
    CHECK(argc == 2);
    setvbuf(stdout, NULL, _IOLBF, 0);
    dir = argv[1];
    raw_file(path_in(dir, "before.dat"), "before");
    list_dir(dir);
    printf("ready\n");
    char c;
    CHECK(read(0, &c, 1) == 1);

    raw_file(path_in(dir, "after.dat"), "after");
    list_dir(dir);
    errno = 0;
    if (getpwnam("root") == NULL) {
        printf("getpwnam: %s\n", strerror(errno));
        failures++;
    }
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, thread_main, NULL) == 0);
    CHECK(pthread_join(thread, NULL) == 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        raw_file(path_in(dir, "child.dat"), "child");
        _exit(failures == 0 ? 0 : 1);
    }
    int status;
    CHECK(waitpid(child, &status, 0) == child);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        printf("fork child: status %d\n", status);
        failures++;
    }
    child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        execl(argv[0], argv[0], "exec-child", dir, (char *)NULL);
        _exit(127);
    }
    CHECK(waitpid(child, &status, 0) == child);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 6) {
        printf("exec child: status %d\n", status);
        failures++;
    }
    printf(failures == 0 ? "after: ok\n" : "after: %d failures\n", failures);
    return failures == 0 ? 0 : 1;
}
