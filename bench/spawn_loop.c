/*
 * Start-up benchmark: spawn_loop N [VAR=value ...] -- PROG ARGS: runs PROG N times one after the other (posix_spawn
 * + waitpid, the given variables added to this environment for the child only) and prints "ms_per_run <value>".
 * This program itself stays untraced: give it LD_PRELOAD as one of the VAR=value arguments.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: spawn_loop N [VAR=value ...] -- PROG ARGS\n");
        return 2;
    }
    long n = atol(argv[1]);
    int i = 2;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strchr(argv[i], '=') == NULL || putenv(argv[i]) != 0) {
            fprintf(stderr, "spawn_loop: not VAR=value: %s\n", argv[i]);
            return 2;
        }
    if (i + 1 >= argc || n <= 0) {
        fprintf(stderr, "spawn_loop: need N > 0 and -- PROG\n");
        return 2;
    }
    char **child_env = environ;
    long long start = now_ns();
    for (long k = 0; k < n; k++) {
        pid_t pid;
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
        if (posix_spawn(&pid, argv[i + 1], &actions, NULL, argv + i + 1, child_env) != 0) {
            perror("posix_spawn");
            return 1;
        }
        posix_spawn_file_actions_destroy(&actions);
        int status;
        if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "spawn_loop: %s failed\n", argv[i + 1]);
            return 1;
        }
    }
    printf("ms_per_run %.4f\n", (double)(now_ns() - start) / n / 1e6);
    return 0;
}
