/*
 * spawn_loops DIR N — process creation in loops (issue 8): N children each by
 *   1. vfork + execv of this program in "child" mode,
 *   2. posix_spawn of this program in "child" mode,
 *   3. `sh -c 'echo I > DIR/sh-I.dat'` through system(),
 * the parent waiting for each before the next. A child "spawn_loops child DIR NAME" writes "NAME\n" to
 * DIR/NAME.dat (open, write, close) and exits 0. Prints "vfork N spawn N sh N" (children that exited 0).
 */
#include "common.h"
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int child(const char *dir, const char *name)
{
    char file[64];
    snprintf(file, sizeof file, "%s.dat", name);
    int fd = open(path_in(dir, file), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    char line[64];
    int n = snprintf(line, sizeof line, "%s\n", name);
    CHECK(write(fd, line, (size_t)n) == n);
    CHECK(close(fd) == 0);
    return 0;
}

static int exited_zero(pid_t pid)
{
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "child") == 0)
        return child(argv[2], argv[3]);
    CHECK(argc == 3);
    const char *dir = argv[1];
    int n = atoi(argv[2]);
    int vforked = 0, spawned = 0, shelled = 0;
    char name[32];
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "vfork-%d", i);
        char *args[] = {argv[0], "child", (char *)dir, name, NULL};
        pid_t pid = vfork();
        if (pid == 0) {
            execv(argv[0], args);
            _exit(127);
        }
        CHECK(pid > 0);
        vforked += exited_zero(pid);
    }
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "spawn-%d", i);
        char *args[] = {argv[0], "child", (char *)dir, name, NULL};
        pid_t pid;
        CHECK(posix_spawn(&pid, argv[0], NULL, NULL, args, environ) == 0);
        spawned += exited_zero(pid);
    }
    for (int i = 0; i < n; i++) {
        char command[4200];
        snprintf(command, sizeof command, "echo sh-%d > '%s/sh-%d.dat'", i, dir, i);
        int status = system(command);
        shelled += WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    printf("vfork %d spawn %d sh %d\n", vforked, spawned, shelled);
    return 0;
}
