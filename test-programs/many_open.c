/*
 * many_open DIR N — N files open at once (RLIMIT_NOFILE raised to its hard limit first, not traced):
 *   open(DIR/m-I, O_CREAT|O_TRUNC|O_WRONLY, 0600) for I = 0..N-1, all kept open (descriptors 3..N+2);
 *   then write(fd of m-I, "I\n") for each I; then close each. Prints "open N".
 */
#include "common.h"
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    CHECK(argc == 3);
    int n = atoi(argv[2]);
    struct rlimit limit;
    CHECK(getrlimit(RLIMIT_NOFILE, &limit) == 0);
    limit.rlim_cur = limit.rlim_max;
    CHECK(setrlimit(RLIMIT_NOFILE, &limit) == 0);
    int *fds = calloc((size_t)n, sizeof *fds);
    CHECK(fds != NULL);
    char name[32];
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "m-%d", i);
        fds[i] = open(path_in(argv[1], name), O_CREAT | O_TRUNC | O_WRONLY, 0600);
        CHECK(fds[i] >= 0);
    }
    for (int i = 0; i < n; i++) {
        int len = snprintf(name, sizeof name, "%d\n", i);
        CHECK(write(fds[i], name, (size_t)len) == len);
    }
    for (int i = 0; i < n; i++)
        CHECK(close(fds[i]) == 0);
    printf("open %d\n", n);
    return 0;
}
