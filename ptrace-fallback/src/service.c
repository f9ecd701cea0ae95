/*
 * The session's tracer: one iotrace-ptrace per session and node traces every process tree of the session that
 * asks it to, so that a traced process does not pay for starting a tracer (and its heir) of its own.
 *
 * Protocol (R = the session's runtime dir; shim side: native-shim/src/ptrace_fallback.c; docs/ARCHITECTURE.md
 * "ptrace fallback: one tracer per session"):
 *
 *   R/ptrace.lock  flock(LOCK_EX) held by the tracer that listens: at most one listener per session.
 *   R/ptrace.sock  its AF_UNIX stream socket (R is 0700: only the session's user can connect).
 *
 *   traced process (first of its tree, not traced yet)       session tracer
 *   connect(R/ptrace.sock)                                    (poll: the listening socket is readable) accept
 *   SO_PEERCRED: the listener's pid T
 *   prctl(PR_SET_PTRACER, T)      (Yama ptrace_scope 1)
 *   write "S"                                                 read "S"; its pid P = SO_PEERCRED of the connection
 *                                                             PTRACE_SEIZE every thread of P (as --pid does)
 *   read the answer  <--------------------------------------  "Y", or "N<errno>" when the seize failed
 *   "Y": install the seccomp filter; anything else (refused,
 *   no socket, EOF, "N", 10 s without an answer): start a tracer of its own (the --pid way) unless
 *   /proc/self/status shows it was seized after all
 *
 * The filter goes in only after "Y": never filtered without a tracer, and the process does nothing but wait
 * while asking. The tracer serves requests from its one loop (tracer.c), between ptrace stops, without blocking:
 * a connection that sends nothing within a second is closed (its process then starts its own tracer).
 *
 * Exit: with no tracee left the listener lingers (--linger-ms, the shim passes IOTRACE_COLLECTOR_LINGER_MS) for
 * new requests; then it unlinks the socket, closes it (connections still queued get EOF: told no, they start their
 * own tracer), releases the lock and exits. A tracer that did not get the lock (one started by a process that
 * was told no while the listener was leaving) traces its own tree and retries the lock for a second, so that the
 * session has a listener again.
 * Death: the heir (heir.c) adopts every tracee of a killed listener, then takes the lock and listens itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tracer.h"

#define MAX_CLIENTS       32
#define REQUEST_WAIT_NS   1000000000LL /* a connection that sends nothing for this long is closed */
#define LOCK_RETRY_NS     10000000LL   /* a tracer that is not the listener retries the lock this often */
#define LOCK_RETRY_COUNT  100

struct client {
    int fd;
    pid_t pid;
    int64_t since;
};

static int lock_fd = -1;
static int listen_fd = -1;
static struct client clients[MAX_CLIENTS];
static int nclients;
static int lock_retries_left = LOCK_RETRY_COUNT;
static int64_t next_lock_try;

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int session_path(char *out, size_t cap, const char *name)
{
    return (size_t)snprintf(out, cap, "%s/%s", run_dir, name) < cap ? 0 : -1;
}

/* Takes R/ptrace.lock and listens on R/ptrace.sock; 0 when this tracer is (now) the session's listener. */
int service_try_listen(void)
{
    if (listen_fd >= 0)
        return 0;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    if (lock_fd < 0) {
        char lock_path[4200];
        if (session_path(lock_path, sizeof lock_path, "ptrace.lock") != 0)
            return -1;
        lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (lock_fd < 0)
            return -1;
    }
    if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0)
        return -1;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int fd = -1;
    if (session_path(path, sizeof path, "ptrace.sock") != 0)
        goto fail; /* a runtime dir too long for a socket name: every process starts its own tracer */
    memcpy(addr.sun_path, path, sizeof path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    unlink(path); /* a dead listener's: we hold the lock, nobody else binds */
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, SOMAXCONN) != 0)
        goto fail;
    listen_fd = fd;
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    flock(lock_fd, LOCK_UN);
    lock_retries_left = 0;
    return -1;
}

int service_listening(void)
{
    return listen_fd >= 0;
}

int service_pending(void)
{
    return nclients;
}

/* Stops listening: socket unlinked and closed (queued connections get EOF), clients dropped, lock released. */
void service_close(void)
{
    if (listen_fd >= 0) {
        char path[4200];
        if (session_path(path, sizeof path, "ptrace.sock") == 0)
            unlink(path);
        close(listen_fd);
        listen_fd = -1;
    }
    for (int i = 0; i < nclients; i++)
        close(clients[i].fd);
    nclients = 0;
    if (lock_fd >= 0) {
        close(lock_fd);
        lock_fd = -1;
    }
}

/* The descriptors to poll (listening socket, clients); their count. */
int service_pollfds(struct pollfd *fds, int max)
{
    int n = 0;
    if (listen_fd >= 0 && n < max)
        fds[n++] = (struct pollfd){listen_fd, POLLIN, 0};
    for (int i = 0; i < nclients && n < max; i++)
        fds[n++] = (struct pollfd){clients[i].fd, POLLIN, 0};
    return n;
}

/* How long poll may sleep for the service (ns; -1: no limit). */
int64_t service_timeout_ns(void)
{
    int64_t now = monotonic_ns(), wait = -1;
    for (int i = 0; i < nclients; i++) {
        int64_t left = clients[i].since + REQUEST_WAIT_NS - now;
        wait = wait < 0 || left < wait ? (left > 0 ? left : 0) : wait;
    }
    if (listen_fd < 0 && lock_retries_left > 0) {
        int64_t left = next_lock_try - now;
        wait = wait < 0 || left < wait ? (left > 0 ? left : 0) : wait;
    }
    return wait;
}

static void drop_client(int i)
{
    close(clients[i].fd);
    clients[i] = clients[--nclients];
}

static void answer(int fd, int error)
{
    char text[16];
    int n = error == 0 ? snprintf(text, sizeof text, "Y") : snprintf(text, sizeof text, "N%d", error);
    if (write(fd, text, (size_t)n) != n) {
        /* the process gave up waiting (it starts its own tracer, whose seize then fails: it stays untraced by
         * the fallback but harmless, it installed no filter) */
    }
}

/* After poll: new connections accepted, requests served with seize(pid) (0 or an errno), idle ones dropped. */
void service_handle(int (*seize)(pid_t))
{
    int64_t now = monotonic_ns();
    if (listen_fd < 0 && lock_retries_left > 0 && now >= next_lock_try) {
        lock_retries_left--;
        next_lock_try = now + LOCK_RETRY_NS;
        service_try_listen();
    }
    while (listen_fd >= 0 && nclients < MAX_CLIENTS) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
            break;
        struct ucred cred;
        socklen_t len = sizeof cred;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.pid <= 0 || cred.uid != geteuid()) {
            close(fd);
            continue;
        }
        clients[nclients++] = (struct client){fd, cred.pid, now};
    }
    for (int i = 0; i < nclients;) {
        char request;
        ssize_t n = read(clients[i].fd, &request, 1);
        if (n < 0 && errno == EAGAIN) {
            if (now - clients[i].since > REQUEST_WAIT_NS)
                drop_client(i);
            else
                i++;
            continue;
        }
        if (n == 1 && request == 'S')
            answer(clients[i].fd, seize(clients[i].pid));
        drop_client(i);
    }
}
