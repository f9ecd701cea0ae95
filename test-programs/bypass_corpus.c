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
 *   int 0x80 (the i386 ABI) open(DIR/i386.dat, O_CREAT|O_WRONLY|O_TRUNC, 0600) = 3 (path in the low 4 GiB),
 *   write(3, "i386", 4), int 0x80 close(3)
 *   raw openat2(AT_FDCWD, DIR/raw.dat, {O_RDONLY, 0, RESOLVE_NO_SYMLINKS}) = 3, read(3, 3 bytes), raw close(3)
 *   shm_open("/iotrace-bypass-shm-<pid>", O_CREAT|O_RDWR, 0600) = 3 (glibc: __open64_nocancel inside),
 *   ftruncate(3, 4096), mmap(4096, shared, 3), munmap, close(3), shm_unlink
 *   mkstemp(DIR/tmp.XXXXXX) = 3, write(3, "tmp", 3), close(3), unlink;  tmpfile() + fputs + fclose
 *   getpwnam("root") (glibc: nsswitch.conf and /etc/passwd opened and closed inside)
 *   posix_spawn(/bin/true) with the file action open(3, DIR/spawn.dat, O_WRONLY|O_CREAT|O_TRUNC, 0600): the
 *   open runs in the vfork-like child before its exec; waitpid
 *   fork; the child execs this program with "exec-child DIR", which makes raw openat(DIR/exec.dat) = 3,
 *   write(3, "exec", 4), raw close(3); the parent waits
 *   fork; the child stops itself (SIGSTOP); the parent sees it stopped (waitpid WUNTRACED), continues it (SIGCONT)
 *   and waits for its exit
 *   wait() = -1 ECHILD: no child is left (nothing of the tracer's is ours)
 * Prints nothing.
 */
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* a syscall instruction of our own: no libc function, no wrapper */
static long raw_syscall4(long nr, long a1, long a2, long a3, long a4)
{
    long ret;
    register long r10 __asm__("r10") = a4;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10) : "rcx", "r11", "memory");
    return ret;
}

/* an i386 system call (int 0x80) from this 64-bit program: arguments are 32 bits */
static long int80_syscall3(long nr, long a1, long a2, long a3)
{
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a1), "c"(a2), "d"(a3) : "memory");
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
    if (argc == 3 && strcmp(argv[1], "exec-child") == 0) {
        raw_write_file(path_in(argv[2], "exec.dat"), "exec");
        return 0;
    }
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

    char *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    CHECK(low != MAP_FAILED);
    snprintf(low, 4096, "%s", path_in(dir, "i386.dat"));
    long fd32 = int80_syscall3(5 /* i386 open */, (long)low, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    CHECK(fd32 == 3);
    CHECK(write(3, "i386", 4) == 4);
    CHECK(int80_syscall3(6 /* i386 close */, 3, 0, 0) == 0);
    CHECK(munmap(low, 4096) == 0);

    struct open_how how = {.flags = O_RDONLY, .mode = 0, .resolve = RESOLVE_NO_SYMLINKS};
    long fd2 = raw_syscall4(SYS_openat2, AT_FDCWD, (long)path_in(dir, "raw.dat"), (long)&how, sizeof how);
    CHECK(fd2 == 3);
    char buf[8];
    CHECK(read(3, buf, 3) == 3);
    CHECK(raw_syscall4(SYS_close, 3, 0, 0, 0) == 0);

    char shm[64];
    snprintf(shm, sizeof shm, "/iotrace-bypass-shm-%d", (int)getpid());
    int shm_fd = shm_open(shm, O_CREAT | O_RDWR, 0600);
    CHECK(shm_fd == 3);
    CHECK(ftruncate(3, 4096) == 0);
    void *map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, 3, 0);
    CHECK(map != MAP_FAILED);
    CHECK(munmap(map, 4096) == 0);
    CHECK(close(3) == 0);
    CHECK(shm_unlink(shm) == 0);

    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path_in(dir, "tmp.XXXXXX"));
    CHECK(mkstemp(tmp) == 3);
    CHECK(write(3, "tmp", 3) == 3);
    CHECK(close(3) == 0);
    CHECK(unlink(tmp) == 0);
    FILE *tf = tmpfile();
    CHECK(tf != NULL);
    CHECK(fputs("tmpfile", tf) >= 0);
    CHECK(fclose(tf) == 0);

    CHECK(getpwnam("root") != NULL);

    posix_spawn_file_actions_t actions;
    CHECK(posix_spawn_file_actions_init(&actions) == 0);
    CHECK(posix_spawn_file_actions_addopen(&actions, 3, path_in(dir, "spawn.dat"), O_WRONLY | O_CREAT | O_TRUNC,
                                           0600) == 0);
    char *true_argv[] = {"/bin/true", NULL};
    pid_t spawned;
    CHECK(posix_spawn(&spawned, "/bin/true", &actions, NULL, true_argv, environ) == 0);
    CHECK(waitpid(spawned, &status, 0) == spawned && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(posix_spawn_file_actions_destroy(&actions) == 0);

    child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        char *exec_argv[] = {argv[0], "exec-child", (char *)dir, NULL};
        execv("/proc/self/exe", exec_argv);
        _exit(127);
    }
    CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);

    child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        raise(SIGSTOP);
        _exit(7);
    }
    CHECK(waitpid(child, &status, WUNTRACED) == child && WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
    CHECK(kill(child, SIGCONT) == 0);
    CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 7);

    errno = 0;
    CHECK(wait(NULL) == -1 && errno == ECHILD);
    return 0;
}
