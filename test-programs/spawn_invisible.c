/*
 * spawn_invisible DIR — the collector the tracer spawns at start-up is not the program's child, and the helper
 * process that detaches it does not outlive the program's next traced calls:
 *   1. first thing in main: waitpid(-1, WNOHANG) fails with ECHILD (the program has no children it can wait for);
 *   2. write(fd, 1 byte) to DIR/io.dat in a loop for 20 ms of CLOCK_MONOTONIC (the tracer's reaping point is a
 *      thread's clock anchor, renewed every millisecond of traced calls);
 *   3. counts the processes whose parent is this one (/proc/<pid>/stat, field 4): none, not even a zombie;
 *   4. fork()s a child that _exit(3)s: waitpid(-1, 0) returns exactly that child with status 3, and a second
 *      waitpid(-1, WNOHANG) fails with ECHILD.
 * Prints "early_wait ECHILD children 0 own_child 3 then ECHILD writes N".
 * spawn_invisible DIR --exec-first: first execs itself as `spawn_invisible DIR --after-exec` (the exec is the
 * process's first call after the tracer spawned the collector), which counts the children it inherited at once,
 * before any call of its own, prints "after_exec_children N " and goes on as above.
 */
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int count_children(void)
{
    DIR *proc = opendir("/proc");
    CHECK(proc != NULL);
    int count = 0;
    pid_t self = getpid();
    struct dirent *entry;
    while ((entry = readdir(proc)) != NULL) {
        if (entry->d_name[0] < '1' || entry->d_name[0] > '9')
            continue;
        char path[300], stat[512];
        snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
        int fd = open(path, O_RDONLY);
        if (fd < 0)
            continue; /* exited meanwhile */
        ssize_t n = read(fd, stat, sizeof stat - 1);
        close(fd);
        if (n <= 0)
            continue;
        stat[n] = '\0';
        const char *after_name = strrchr(stat, ')'); /* the name may hold spaces and parentheses */
        char state;
        int ppid;
        if (after_name != NULL && sscanf(after_name + 1, " %c %d", &state, &ppid) == 2 && ppid == self) {
            fprintf(stderr, "child: %s", stat);
            count++;
        }
    }
    closedir(proc);
    return count;
}

static const char *wait_outcome(int options)
{
    int status;
    pid_t got = waitpid(-1, &status, options);
    if (got < 0 && errno == ECHILD)
        return "ECHILD";
    fprintf(stderr, "waitpid(-1) returned %d (errno %d, status %#x)\n", (int)got, errno, status);
    return "UNEXPECTED";
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[2], "--exec-first") == 0) {
        execl("/proc/self/exe", argv[0], argv[1], "--after-exec", (char *)NULL);
        CHECK(0);
    }
    if (argc == 3 && strcmp(argv[2], "--after-exec") == 0)
        printf("after_exec_children %d ", count_children());
    else if (argc != 2) {
        fprintf(stderr, "usage: spawn_invisible DIR [--exec-first]\n");
        return 2;
    }
    const char *early = wait_outcome(WNOHANG);

    int fd = open(path_in(argv[1], "io.dat"), O_CREAT | O_TRUNC | O_WRONLY, 0644);
    CHECK(fd >= 0);
    long writes = 0;
    double start = now_ms();
    while (now_ms() - start < 20.0) {
        CHECK(write(fd, "x", 1) == 1);
        writes++;
    }
    close(fd);
    int children = count_children();

    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0)
        _exit(3);
    int status;
    pid_t got = waitpid(-1, &status, 0);
    int own = got == child && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    const char *then = wait_outcome(WNOHANG);
    printf("early_wait %s children %d own_child %d then %s writes %ld\n", early, children, own, then, writes);
    return 0;
}
