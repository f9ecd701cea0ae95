/*
 * static_handles DIR — built statically (build/static_handles-static) for iotrace run --ptrace-only, where no shim
 * can load: open(DIR/static.dat, O_WRONLY|O_CREAT|O_TRUNC, 0600) = 3, write(3, "static", 6), dup(3) = 4, close(4),
 * close(3); fork: the child opens DIR/child.dat (O_WRONLY|O_CREAT|O_TRUNC) = 3, writes "child", closes it and
 * _exits 0; the parent waits for it, makes a socketpair (3, 4: a call the tracer does not record), writes "ping"
 * to 3, reads it from 4, closes both and exits with status 5. Prints nothing.
 */
#include "common.h"
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    int fd = open(path_in(argv[1], "static.dat"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd == 3);
    CHECK(write(fd, "static", 6) == 6);
    CHECK(dup(fd) == 4);
    CHECK(close(4) == 0);
    CHECK(close(3) == 0);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        int cfd = open(path_in(argv[1], "child.dat"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        CHECK(cfd == 3 && write(cfd, "child", 5) == 5 && close(cfd) == 0);
        _exit(0);
    }
    int status;
    CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    int pair[2];
    char buf[4];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0 && pair[0] == 3 && pair[1] == 4);
    CHECK(write(3, "ping", 4) == 4 && read(4, buf, 4) == 4 && memcmp(buf, "ping", 4) == 0);
    CHECK(close(3) == 0 && close(4) == 0);
    return 5;
}
