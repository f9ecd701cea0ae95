/*
 * fork_child DIR — a fork child without exec that outlives its parent. Prints "child <pid>" on stdout.
 * Parent: open(DIR/shared.txt, O_CREAT|O_TRUNC|O_WRONLY, 0600) = 3; write(3, 6); fork() = child; exits.
 * Child: waits until its parent is gone (getppid changes, at most 5 s), sleeps 100 ms more, then
 *   write(3, 5) = 5 (the inherited descriptor); open(DIR/child.txt, O_CREAT|O_WRONLY, 0600) = 4;
 *   write(4, 5) = 5 three times; close(4); close(3); _exit(0).
 */
#include "common.h"
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    int fd = open(path_in(argv[1], "shared.txt"), O_CREAT | O_TRUNC | O_WRONLY, 0600);
    CHECK(fd == 3);
    CHECK(write(fd, "parent", 6) == 6);
    pid_t parent = getpid();
    pid_t child = fork();
    CHECK(child >= 0);
    if (child > 0) {
        printf("child %d\n", (int)child);
        return 0;
    }
    struct timespec tick = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 500 && getppid() == parent; i++) nanosleep(&tick, NULL);
    struct timespec more = {0, 100 * 1000 * 1000};
    nanosleep(&more, NULL);
    CHECK(write(3, "child", 5) == 5);
    int own = open(path_in(argv[1], "child.txt"), O_CREAT | O_WRONLY, 0600);
    CHECK(own == 4);
    for (int i = 0; i < 3; i++) CHECK(write(own, "child", 5) == 5);
    CHECK(close(own) == 0);
    CHECK(close(3) == 0);
    _exit(0);
}
