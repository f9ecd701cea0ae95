/*
 * bypass_corpus DIR — handles that no libc wrapper sees: only the ptrace fallback (IOTRACE_PTRACE=on) can record
 * the raw system calls. Calls, in order (fd numbers are the lowest free, so 3 each time):
 *   raw openat(AT_FDCWD, DIR/raw.dat, O_CREAT|O_WRONLY|O_TRUNC, 0600) = 3   (an inline `syscall` instruction)
 *   write(3, "raw", 3) = 3                                                  (libc: the shim sees it)
 *   raw close(3) = 0
 *   raw openat(AT_FDCWD, DIR/missing/none, O_RDONLY) = -1 ENOENT
 *   opendir(DIR) + readdir until NULL + closedir       (glibc: __open64_nocancel / __close_nocancel inside)
 *   sem_open("/iotrace-bypass-<pid>", O_CREAT, 0600, 1) + sem_close + sem_unlink (glibc: open, mmap, close inside)
 *   a thread: raw openat(DIR/thread.dat, O_CREAT|O_WRONLY, 0600) = 3, write(3, "thread", 6), raw close(3); joined
 *   fork; the child: raw openat(DIR/child.dat, O_CREAT|O_WRONLY, 0600) = 3, write(3, "child", 5), raw close(3),
 *   _exit(0); the parent waits for it
 *   raw dup(1) = 3, raw close(3) = 0
 * Prints nothing.
 */
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* a syscall instruction of our own: no libc function, no wrapper */
static long raw_syscall4(long nr, long a1, long a2, long a3, long a4)
{
    long ret;
    register long r10 __asm__("r10") = a4;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10) : "rcx", "r11", "memory");
    return ret;
}

static void raw_write_file(const char *path, const char *text)
{
    long fd = raw_syscall4(SYS_openat, AT_FDCWD, (long)path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    CHECK(fd == 3);
    CHECK(write((int)fd, text, strlen(text)) == (ssize_t)strlen(text));
    CHECK(raw_syscall4(SYS_close, fd, 0, 0, 0) == 0);
}

static void *thread_main(void *dir)
{
    raw_write_file(path_in(dir, "thread.dat"), "thread");
    return NULL;
}

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    const char *dir = argv[1];

    raw_write_file(path_in(dir, "raw.dat"), "raw");
    CHECK(raw_syscall4(SYS_openat, AT_FDCWD, (long)path_in(dir, "missing/none"), O_RDONLY, 0) == -ENOENT);

    DIR *d = opendir(dir);
    CHECK(d != NULL);
    while (readdir(d) != NULL)
        ;
    CHECK(closedir(d) == 0);

    char name[64];
    snprintf(name, sizeof name, "/iotrace-bypass-%d", (int)getpid());
    sem_t *sem = sem_open(name, O_CREAT, 0600, 1);
    CHECK(sem != SEM_FAILED);
    CHECK(sem_close(sem) == 0);
    CHECK(sem_unlink(name) == 0);

    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, thread_main, (void *)dir) == 0);
    CHECK(pthread_join(thread, NULL) == 0);

    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        raw_write_file(path_in(dir, "child.dat"), "child");
        _exit(0);
    }
    int status;
    CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);

    long dup_fd = raw_syscall4(SYS_dup, 1, 0, 0, 0);
    CHECK(dup_fd == 3);
    CHECK(raw_syscall4(SYS_close, dup_fd, 0, 0, 0) == 0);
    return 0;
}
