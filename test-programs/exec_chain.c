/*
 * exec_chain DIR — two incarnations of one pid.
 * First: open(DIR/before.txt, O_CREAT|O_WRONLY, 0600) = 3; write(3, 6) = 6; close(3);
 *        execve(/proc/self/exe, [exec_chain, DIR, second], environ).
 * Second (argv[2] == "second"): open(DIR/after.txt, O_CREAT|O_WRONLY, 0600) = 3; write(3, 5) = 5 twice; close(3).
 */
#include "common.h"
#include <fcntl.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
    CHECK(argc >= 2);
    const char *dir = argv[1];
    if (argc == 3 && strcmp(argv[2], "second") == 0) {
        int fd = open(path_in(dir, "after.txt"), O_CREAT | O_WRONLY, 0600);
        CHECK(fd == 3);
        CHECK(write(fd, "after", 5) == 5);
        CHECK(write(fd, "after", 5) == 5);
        CHECK(close(fd) == 0);
        return 0;
    }
    int fd = open(path_in(dir, "before.txt"), O_CREAT | O_WRONLY, 0600);
    CHECK(fd == 3);
    CHECK(write(fd, "before", 6) == 6);
    CHECK(close(fd) == 0);
    char *args[] = {argv[0], (char *)dir, "second", NULL};
    execve("/proc/self/exe", args, environ);
    CHECK(!"execve failed");
}
