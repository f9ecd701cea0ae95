/*
 * fork_storm DIR [FORKS [THREADS]] — fork safety: THREADS threads (default 8) each open DIR/busy-<t>.dat and
 * write 16 bytes, then sleep 1 ms (nanosleep: not traced), in a loop until the main thread is done; meanwhile the main thread forks FORKS times (default
 * 1000). Each child opens DIR/child.dat (O_WRONLY|O_APPEND, created by main before the storm), writes exactly its
 * 8-byte tag "c%06d\n" with its index, closes it and leaves with _exit(0); the parent waits for each child before
 * the next fork. Then the threads stop, close their files, and main prints "forks N threads T" on stdout.
 * A fork taken while another thread is inside a wrapper must neither hang nor lose the child's records.
 */
#include "common.h"
#include <fcntl.h>
#include <pthread.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *dir;
static volatile int stop;

static void *busy(void *arg)
{
    char name[4096];
    snprintf(name, sizeof name, "%s/busy-%ld.dat", dir, (long)arg);
    int fd = open(name, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    CHECK(fd >= 0);
    const struct timespec pause = {0, 1000000};
    while (!stop) {
        CHECK(write(fd, "0123456789abcdef", 16) == 16);
        nanosleep(&pause, NULL); /* a steady stream of calls, not gigabytes of trace */
    }
    CHECK(close(fd) == 0);
    return NULL;
}

int main(int argc, char **argv)
{
    CHECK(argc >= 2);
    dir = argv[1];
    const long forks = argc > 2 ? atol(argv[2]) : 1000;
    const long threads = argc > 3 ? atol(argv[3]) : 8;
    CHECK(threads > 0 && threads <= 64);
    int created = open(path_in(dir, "child.dat"), O_CREAT | O_TRUNC | O_WRONLY, 0600);
    CHECK(created >= 0 && close(created) == 0);
    pthread_t ids[64];
    for (long t = 0; t < threads; t++) CHECK(pthread_create(&ids[t], NULL, busy, (void *)t) == 0);
    const char *child_path = path_in(dir, "child.dat");
    for (long i = 0; i < forks; i++) {
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            char tag[32];
            snprintf(tag, sizeof tag, "c%06ld\n", i % 1000000);
            int fd = open(child_path, O_WRONLY | O_APPEND);
            if (fd < 0 || write(fd, tag, 8) != 8 || close(fd) != 0)
                _exit(98);
            _exit(0);
        }
        int status;
        CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    stop = 1;
    for (long t = 0; t < threads; t++) CHECK(pthread_join(ids[t], NULL) == 0);
    printf("forks %ld threads %ld\n", forks, threads);
    return 0;
}
