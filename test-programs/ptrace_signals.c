/*
 * ptrace_signals DIR STATIC_PROGRAM — what job control and child processes look like to a program traced with the
 * ptrace fallback (IOTRACE_PTRACE=on); every line it prints must be the same untraced.
 *
 * An opener thread makes raw (inline `syscall`) openat + close of DIR/loop.dat and appends one byte to
 * DIR/progress after each pair, every 2 ms, until told to stop; a reader thread is blocked in read() of a pipe;
 * a sleeper thread is in nanosleep. The main thread prints "running", then waits for a byte on stdin: meanwhile the
 * test stops and continues the whole program (SIGSTOP, SIGCONT, SIGTSTP, SIGCONT) and checks that DIR/progress does
 * not grow while it is stopped.
 * Then, for SIGSTOP and SIGTSTP: a forked child with a thread blocked in read() is stopped by the parent; the
 * parent's waitpid(WUNTRACED) reports it stopped by that signal, SIGCONT is reported by waitpid(WCONTINUED); a
 * waitpid(WNOHANG) in between reports nothing. The child exits 4 when told.
 * vfork + exec of STATIC_PROGRAM (statically linked: no shim, handle calls still stopped by the inherited filter)
 * with DIR/static, and vfork + exec of this program in mode "exec-child DIR" (raw openat of DIR/exec.dat, exit 6).
 * The threads are stopped and joined; the opener reports how many raw calls failed (none may: no ENOSYS).
 * wait() = -1 ECHILD at the end. Exits 0.
 */
#include "common.h"
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
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

static const char *dir;
static volatile int stop_opener;
static int reader_pipe[2];
static long opened, failures, last_error;

static void *opener(void *arg)
{
    (void)arg;
    int progress = open(path_in(dir, "progress"), O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC, 0600);
    CHECK(progress >= 0);
    struct timespec pause = {0, 2000000};
    while (!stop_opener) {
        long fd = raw_syscall4(SYS_openat, AT_FDCWD, (long)path_in(dir, "loop.dat"), O_CREAT | O_RDONLY, 0600);
        if (fd < 0 || raw_syscall4(SYS_close, fd, 0, 0, 0) != 0) {
            failures++;
            last_error = fd < 0 ? -fd : 0;
        } else {
            opened++;
        }
        CHECK(write(progress, "+", 1) == 1);
        nanosleep(&pause, NULL);
    }
    close(progress);
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    char c;
    CHECK(read(reader_pipe[0], &c, 1) == 1);
    return NULL;
}

static void *sleeper(void *arg)
{
    (void)arg;
    while (!stop_opener) {
        struct timespec pause = {0, 50000000};
        nanosleep(&pause, NULL);
    }
    return NULL;
}

static void *child_reader(void *arg)
{
    char c;
    CHECK(read(*(int *)arg, &c, 1) >= 0);
    return NULL;
}

/* a child with a thread blocked in read(), stopped and continued by us with `sig`; exits 4 when told */
static void stop_a_child(int sig)
{
    int go[2];
    CHECK(pipe(go) == 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        close(go[1]);
        pthread_t thread;
        int self[2];
        CHECK(pipe(self) == 0);
        CHECK(pthread_create(&thread, NULL, child_reader, &self[0]) == 0);
        char c;
        CHECK(read(go[0], &c, 1) == 1);
        CHECK(write(self[1], "x", 1) == 1);
        CHECK(pthread_join(thread, NULL) == 0);
        _exit(4);
    }
    close(go[0]);
    int status;
    CHECK(kill(child, sig) == 0);
    CHECK(waitpid(child, &status, WUNTRACED) == child);
    printf("child %s: stopped=%d by %s\n", strsignal(sig), WIFSTOPPED(status), strsignal(WSTOPSIG(status)));
    printf("child waitpid WNOHANG while stopped: %d\n", (int)waitpid(child, &status, WNOHANG | WUNTRACED));
    CHECK(kill(child, SIGCONT) == 0);
    CHECK(waitpid(child, &status, WCONTINUED) == child);
    printf("child continued=%d\n", WIFCONTINUED(status));
    CHECK(write(go[1], "g", 1) == 1);
    CHECK(waitpid(child, &status, 0) == child);
    printf("child exited=%d status=%d\n", WIFEXITED(status), WEXITSTATUS(status));
    close(go[1]);
}

/* vfork + exec: the parent sleeps until the child has exec'd or exited, the child shares its memory until then */
static int vfork_exec(char *const argv[])
{
    pid_t child = vfork();
    if (child == 0) {
        execv(argv[0], argv);
        _exit(127);
    }
    CHECK(child > 0);
    int status;
    CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status));
    return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "exec-child") == 0) {
        long fd = raw_syscall4(SYS_openat, AT_FDCWD, (long)path_in(argv[2], "exec.dat"),
                               O_CREAT | O_WRONLY | O_TRUNC, 0600);
        CHECK(fd >= 0 && write((int)fd, "exec", 4) == 4 && raw_syscall4(SYS_close, fd, 0, 0, 0) == 0);
        return 6;
    }
    CHECK(argc == 3);
    /* a process group of its own, whose parent (the test) is in another group of the session: never orphaned, so
     * SIGTSTP stops it (the kernel discards SIGTSTP sent to an orphaned group, as under a backgrounded make) */
    (void)setpgid(0, 0); /* (fails for a session leader, whose group is its own already) */
    setvbuf(stdout, NULL, _IOLBF, 0);
    dir = argv[1];
    CHECK(pipe2(reader_pipe, O_CLOEXEC) == 0); /* the exec'd programs get 0, 1 and 2 only */
    pthread_t threads[3];
    CHECK(pthread_create(&threads[0], NULL, opener, NULL) == 0);
    CHECK(pthread_create(&threads[1], NULL, reader, NULL) == 0);
    CHECK(pthread_create(&threads[2], NULL, sleeper, NULL) == 0);
    printf("running\n");
    char c;
    CHECK(read(0, &c, 1) == 1); /* the test stops and continues us meanwhile */

    stop_a_child(SIGSTOP);
    stop_a_child(SIGTSTP);

    char static_dir[4096];
    snprintf(static_dir, sizeof static_dir, "%s/static", dir);
    CHECK(mkdir(static_dir, 0700) == 0);
    printf("vfork exec static: %d\n", vfork_exec((char *const[]){argv[2], static_dir, NULL}));
    printf("vfork exec dynamic: %d\n", vfork_exec((char *const[]){argv[0], "exec-child", (char *)dir, NULL}));

    stop_opener = 1;
    CHECK(write(reader_pipe[1], "r", 1) == 1);
    for (int i = 0; i < 3; i++)
        CHECK(pthread_join(threads[i], NULL) == 0);
    printf("raw open+close failures: %ld (last errno %ld); some succeeded: %d\n", failures, last_error, opened > 0);
    errno = 0;
    int waited = (int)wait(NULL);
    printf("wait at the end: %d %s\n", waited, strerror(errno));
    return 0;
}
