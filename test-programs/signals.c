/*
 * signals DIR — the application's signal handlers keep working under the tracer, and calls made inside them
 * are traced like any other:
 *   1. a SIGALRM handler (setitimer every 200 µs) writes one byte "s" to a pipe each time it runs (then dup()s the
 *      pipe's write end and close()s the copy), interrupting
 *      the main loop, which makes 20000 write(fd, buf, 64) calls to DIR/main.dat; then the timer is stopped, the
 *      pipe's write end closed and its bytes counted with read();
 *   2. a SIGSEGV handler: the program reads through a NULL pointer, the handler siglongjmps back, and the program
 *      then writes "after\n" to DIR/after.dat (open, write, close).
 * Prints "handler N main 20000 segv 1" (N = times the SIGALRM handler ran = bytes read back from the pipe).
 */
#include "common.h"
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

static int pipe_write_end = -1;
static volatile sig_atomic_t handled;
static sigjmp_buf recover;

static void on_alarm(int sig)
{
    (void)sig;
    int saved = errno; /* a handler must leave errno as it found it */
    if (write(pipe_write_end, "s", 1) == 1)
        handled++;
    int copy = dup(pipe_write_end); /* and a descriptor opened and closed inside the handler */
    if (copy >= 0)
        close(copy);
    errno = saved;
}

static void on_segv(int sig)
{
    (void)sig;
    siglongjmp(recover, 1);
}

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    int ends[2];
    CHECK(pipe(ends) == 0);
    pipe_write_end = ends[1];
    CHECK(fcntl(ends[1], F_SETFL, O_NONBLOCK) == 0); /* a full pipe must not block the handler */
    struct sigaction alarm_action = {0};
    alarm_action.sa_handler = on_alarm;
    alarm_action.sa_flags = SA_RESTART;
    CHECK(sigaction(SIGALRM, &alarm_action, NULL) == 0);
    struct itimerval every = {{0, 200}, {0, 200}};
    CHECK(setitimer(ITIMER_REAL, &every, NULL) == 0);

    int fd = open(path_in(argv[1], "main.dat"), O_CREAT | O_TRUNC | O_WRONLY, 0600);
    CHECK(fd >= 0);
    char buf[64];
    memset(buf, 'm', sizeof buf);
    long writes = 0;
    for (int i = 0; i < 20000; i++) {
        CHECK(write(fd, buf, sizeof buf) == (ssize_t)sizeof buf);
        writes++;
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    CHECK(setitimer(ITIMER_REAL, &off, NULL) == 0);
    CHECK(close(fd) == 0);
    CHECK(close(ends[1]) == 0);
    long back = 0;
    char drain[4096];
    ssize_t n;
    while ((n = read(ends[0], drain, sizeof drain)) > 0)
        back += n;
    CHECK(n == 0 && close(ends[0]) == 0);
    CHECK(back == handled);

    struct sigaction segv_action = {0};
    segv_action.sa_handler = on_segv;
    CHECK(sigaction(SIGSEGV, &segv_action, NULL) == 0);
    int segv = 0;
    if (sigsetjmp(recover, 1) == 0) {
        volatile int *nothing = NULL;
        (void)*nothing;
    } else {
        segv = 1;
    }
    int after = open(path_in(argv[1], "after.dat"), O_CREAT | O_TRUNC | O_WRONLY, 0600);
    CHECK(after >= 0 && write(after, "after\n", 6) == 6 && close(after) == 0);
    printf("handler %ld main %ld segv %d\n", back, writes, segv);
    return 0;
}
