/*
 * procs DIR MODE — process creation and exec with the calls each process makes. Output: one line per child
 * "child <pid>" (or "thread <tid>") so the test can find the processes. Modes:
 *   vfork_exec   open(DIR/parent.dat)=3, write(3,10); vfork; child: open(DIR/vchild.dat)=4, write(4,5), close(4),
 *                close(3), execl(self, self, DIR, "child", NULL); parent: write(3,10), waitpid, close(3)
 *   vfork_exit   as vfork_exec, but the child ends with _exit(7) instead of exec; the parent checks status 7
 *   spawn_clean  posix_spawn(self DIR child) with envp = {"PATH=/usr/bin:/bin", NULL}: no LD_PRELOAD, no IOTRACE_*
 *   spawn_foreign  as spawn_clean, envp = {"LD_PRELOAD=libm.so.6", NULL}: ours is put in front of it
 *   execle_clean fork; the child execle(self, self, DIR, "child", "marked", NULL, {"HOME=/", "PROCS_MARK=1",
 *                NULL}); the exec'd child checks PROCS_MARK arrived beside what the tracer put back; the parent waits
 *   execvp_clearenv  fork; the child clearenv() (environ emptied), then execvp(self, {self, DIR, "child"})
 *   fexecve      fork; the child opens self O_RDONLY|O_CLOEXEC (fd 3) and fexecve(3, {self, DIR, "child"}, {"HOME=/"})
 *   execveat     fork; the child opens the directory of self (fd 3) and execveat(3, <base name of self>,
 *                {self, DIR, "child"}, {"HOME=/"}, 0)
 *   _Fork        _Fork() (no atfork handlers); the child: open(DIR/child.dat)=3, write(3, 7), close(3), _exit(0)
 *   killed       fork; the child opens DIR/child.dat, writes 7 bytes, then kill(getpid(), SIGKILL); the parent's
 *                waitpid sees status 9
 *   popen        parent_start, close(3); f = popen("cat DIR/parent.dat", "r"); fread(buf, 1, 64, f) = 10 (EOF);
 *                pclose(f) = 0
 *   system       system("exit 3") (wait status 768), then system("cat DIR/parent.dat > DIR/sys.out")
 *   threads      pthread_create twice; each thread prints its tid and writes 4 bytes to DIR/thread.dat (fd 3)
 *   clone_vfork  open(DIR/parent.dat)=3, write(3,10); clone(CLONE_VM|CLONE_VFORK|SIGCHLD) on a stack of its own:
 *                child: open(DIR/vchild.dat)=4, write(4,5), close(4), close(3), _exit(7); parent as vfork_exit
 *   child        open(DIR/child.dat, O_CREAT|O_TRUNC|O_WRONLY)=3, write(3, 7), close(3); exit(0), or exit(42) when
 *                IOTRACE_DIR or an LD_PRELOAD naming libiotrace is missing from its environment (the tracer keeps
 *                them for children whose parent passed a cleaned environment; this program is only run traced)
 */
#include "common.h"
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *self;
static const char *dir;

static void parent_start(void)
{
    CHECK(open(path_in(dir, "parent.dat"), O_CREAT | O_TRUNC | O_WRONLY, 0600) == 3);
    CHECK(write(3, "0123456789", 10) == 10);
}

static void parent_end(pid_t child, int expected_status)
{
    CHECK(write(3, "0123456789", 10) == 10);
    int status;
    CHECK(waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == expected_status);
    CHECK(close(3) == 0);
    printf("child %d\n", (int)child);
}

static void do_vfork(int exec)
{
    parent_start();
    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        /* only async-signal-safe calls, no return from this function */
        if (open(path_in(dir, "vchild.dat"), O_CREAT | O_TRUNC | O_WRONLY, 0600) != 4) _exit(90);
        if (write(4, "abcde", 5) != 5) _exit(91);
        if (close(4) != 0 || close(3) != 0) _exit(92);
        if (exec) {
            execl(self, self, dir, "child", (char *)NULL);
            _exit(93);
        }
        _exit(7);
    }
    CHECK(pid > 0);
    parent_end(pid, exec ? 0 : 7);
}

static int clone_child(void *arg)
{
    (void)arg;
    if (open(path_in(dir, "vchild.dat"), O_CREAT | O_TRUNC | O_WRONLY, 0600) != 4) _exit(90);
    if (write(4, "abcde", 5) != 5) _exit(91);
    if (close(4) != 0 || close(3) != 0) _exit(92);
    _exit(7);
}

static void *thread_main(void *arg)
{
    (void)arg;
    printf("thread %ld\n", (long)syscall(SYS_gettid));
    CHECK(write(3, "tttt", 4) == 4);
    return NULL;
}

int main(int argc, char **argv)
{
    CHECK(argc == 3 || argc == 4);
    self = argv[0];
    dir = argv[1];
    const char *mode = argv[2];
    if (strcmp(mode, "child") == 0) {
        CHECK(open(path_in(dir, "child.dat"), O_CREAT | O_TRUNC | O_WRONLY, 0600) == 3);
        CHECK(write(3, "1234567", 7) == 7);
        CHECK(close(3) == 0);
        const char *preload = getenv("LD_PRELOAD");
        /* "marked": the parent passed PROCS_MARK in its env, which must arrive beside what the tracer put back */
        const int marked = argc > 3 && strcmp(argv[3], "marked") == 0;
        exit(getenv("IOTRACE_DIR") != NULL && preload != NULL && strstr(preload, "libiotrace") != NULL &&
                     (!marked || getenv("PROCS_MARK") != NULL)
                 ? 0
                 : 42);
    } else if (strcmp(mode, "vfork_exec") == 0) {
        do_vfork(1);
    } else if (strcmp(mode, "vfork_exit") == 0) {
        do_vfork(0);
    } else if (strcmp(mode, "clone_vfork") == 0) {
        static char stack[256 * 1024] __attribute__((aligned(16)));
        parent_start();
        fflush(stdout);
        pid_t pid = clone(clone_child, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
        CHECK(pid > 0);
        parent_end(pid, 7);
    } else if (strcmp(mode, "spawn_clean") == 0 || strcmp(mode, "spawn_foreign") == 0) {
        char *child_argv[] = {(char *)self, (char *)dir, "child", NULL};
        char *clean_env[] = {strcmp(mode, "spawn_clean") == 0 ? "PATH=/usr/bin:/bin" : "LD_PRELOAD=libm.so.6", NULL};
        pid_t pid;
        CHECK(posix_spawn(&pid, self, NULL, NULL, child_argv, clean_env) == 0);
        int status;
        CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
        printf("child %d\n", (int)pid);
    } else if (strcmp(mode, "execle_clean") == 0) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            char *clean_env[] = {"HOME=/", "PROCS_MARK=1", NULL};
            execle(self, self, dir, "child", "marked", (char *)NULL, clean_env);
            _exit(93);
        }
        int status;
        CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
        printf("child %d\n", (int)pid);
    } else if (strcmp(mode, "execvp_clearenv") == 0) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            char *child_argv[] = {(char *)self, (char *)dir, "child", NULL};
            clearenv();
            execvp(self, child_argv);
            _exit(93);
        }
        int status;
        CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
        printf("child %d\n", (int)pid);
    } else if (strcmp(mode, "fexecve") == 0 || strcmp(mode, "execveat") == 0) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            char *child_argv[] = {(char *)self, (char *)dir, "child", NULL};
            char *clean_env[] = {"HOME=/", NULL};
            if (strcmp(mode, "fexecve") == 0) {
                CHECK(open(self, O_RDONLY | O_CLOEXEC) == 3);
                fexecve(3, child_argv, clean_env);
            } else {
                char self_dir[4096];
                snprintf(self_dir, sizeof self_dir, "%s", self);
                char *slash = strrchr(self_dir, '/');
                CHECK(slash != NULL);
                *slash = '\0';
                CHECK(open(self_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) == 3);
                execveat(3, slash + 1, child_argv, clean_env, 0);
            }
            _exit(93);
        }
        int status;
        CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
        printf("child %d\n", (int)pid);
    } else if (strcmp(mode, "_Fork") == 0) {
        fflush(stdout);
        pid_t pid = _Fork();
        if (pid == 0) {
            CHECK(open(path_in(dir, "child.dat"), O_CREAT | O_TRUNC | O_WRONLY, 0600) == 3);
            CHECK(write(3, "1234567", 7) == 7);
            CHECK(close(3) == 0);
            _exit(0);
        }
        int status;
        CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
        printf("child %d\n", (int)pid);
    } else if (strcmp(mode, "killed") == 0) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            CHECK(open(path_in(dir, "child.dat"), O_CREAT | O_TRUNC | O_WRONLY, 0600) == 3);
            CHECK(write(3, "1234567", 7) == 7);
            kill(getpid(), SIGKILL);
        }
        int status;
        CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        printf("child %d\n", (int)pid);
    } else if (strcmp(mode, "popen") == 0) {
        parent_start();
        CHECK(close(3) == 0);
        char command[8192];
        snprintf(command, sizeof command, "cat %s", path_in(dir, "parent.dat"));
        FILE *f = popen(command, "r");
        CHECK(f != NULL);
        char buf[64];
        CHECK(fread(buf, 1, sizeof buf, f) == 10);
        CHECK(pclose(f) == 0);
    } else if (strcmp(mode, "system") == 0) {
        parent_start();
        CHECK(close(3) == 0);
        CHECK(system("exit 3") == 3 << 8);
        char command[8192];
        snprintf(command, sizeof command, "cat %s > %s", path_in(dir, "parent.dat"), path_in(dir, "sys.out"));
        CHECK(system(command) == 0);
    } else if (strcmp(mode, "threads") == 0) {
        CHECK(open(path_in(dir, "thread.dat"), O_CREAT | O_TRUNC | O_WRONLY, 0600) == 3);
        pthread_t threads[2];
        for (int i = 0; i < 2; i++) {
            CHECK(pthread_create(&threads[i], NULL, thread_main, NULL) == 0);
            CHECK(pthread_join(threads[i], NULL) == 0);
        }
    } else {
        CHECK(!"unknown mode");
    }
    return 0;
}
