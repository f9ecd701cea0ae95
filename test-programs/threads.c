/*
 * threads DIR [THREADS [WRITES]] — concurrency: THREADS threads (default 8) each open DIR/thread-<t>.dat and
 * make WRITES writes (default 10000) of ((i % 64) + 1) bytes, i = 0..WRITES-1, then close it. The sizes let a
 * test check the per-thread order of the records.
 */
#include "common.h"
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

static const char *dir;
static long writes = 10000;

static void *worker(void *arg)
{
    long t = (long)arg;
    char name[4096], buf[64];
    memset(buf, 't', sizeof buf);
    snprintf(name, sizeof name, "%s/thread-%ld.dat", dir, t); /* not path_in: its buffers are shared */
    int fd = open(name, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    CHECK(fd >= 0);
    for (long i = 0; i < writes; i++) CHECK(write(fd, buf, (i % 64) + 1) == (i % 64) + 1);
    CHECK(close(fd) == 0);
    return NULL;
}

int main(int argc, char **argv)
{
    CHECK(argc >= 2);
    dir = argv[1];
    long threads = argc > 2 ? atol(argv[2]) : 8;
    writes = argc > 3 ? atol(argv[3]) : writes;
    pthread_t ids[256];
    CHECK(threads > 0 && threads <= 256);
    for (long t = 0; t < threads; t++) CHECK(pthread_create(&ids[t], NULL, worker, (void *)t) == 0);
    for (long t = 0; t < threads; t++) CHECK(pthread_join(ids[t], NULL) == 0);
    return 0;
}
