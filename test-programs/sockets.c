/*
 * sockets DIR — sockets and other non-file descriptors, in one process (no fork). Built twice (see the Makefile):
 * build/sockets plainly, build/sockets-lfs with -O2 -D_FORTIFY_SOURCE=2 -D_FILE_OFFSET_BITS=64, where recv and
 * recvfrom with a length the compiler cannot check become __recv_chk/__recvfrom_chk, pread pread64, mmap mmap64.
 * Descriptors are always the lowest free numbers, so every fd below is fixed. Calls, in order:
 *  socketpair:  socketpair(UNIX, STREAM) = 0 {3,4}; write(3, 4) = 4; read(4, 4) = 4; send(4, 4) = 4;
 *               recv(3, 4) = 4; close(3); close(4)
 *  unix stream: socket(UNIX, STREAM) = 3; bind(3, DIR/s.sock); listen(3, 4); socket(UNIX, STREAM) = 4;
 *               connect(4, DIR/s.sock); accept(3, NULL, NULL) = 5; write(4, 5) = 5; read(5, 5) = 5;
 *               close(5); close(4); close(3); unlink(DIR/s.sock)
 *  SCM_RIGHTS:  open(DIR/passed.txt, O_CREAT|O_TRUNC|O_RDWR) = 3; write(3, 11) = 11; socketpair = 0 {4,5};
 *               sendmsg(4, 1 byte + fd 3) = 1; close(3); recvmsg(5) = 1 (fd 3 received, named DIR/passed.txt);
 *               pread(3, 64, 0) = 11; close(3); close(4); close(5)
 *  tcp:         socket(INET, STREAM) = 3; setsockopt(3, SOL_SOCKET, SO_REUSEADDR); bind(3, 127.0.0.1:0);
 *               getsockname(3) (port P); listen(3, 4); socket(INET, STREAM) = 4; connect(4, 127.0.0.1:P);
 *               accept4(3, &peer, CLOEXEC) = 5 (peer port C); send(4, 3) = 3; recv(5, 3) = 3; sockatmark(5) = 0;
 *               shutdown(4, SHUT_WR);
 *               recv(5, 3) = 0 (eof); close(5); close(4); socket(INET, STREAM|NONBLOCK) = 4;
 *               connect(4, 127.0.0.1:P) = 0 or -1 EINPROGRESS; close(4); close(3);
 *               socket(INET, STREAM) = 3; connect(3, 127.0.0.1:P) = -1 ECONNREFUSED; close(3)
 *  udp:         socket(INET, DGRAM) = 3; bind(3, 127.0.0.1:0); getsockname(3) (port U); getsockopt(3, SO_TYPE);
 *               socket(INET, DGRAM) = 4; sendto(4, 8, 127.0.0.1:U) = 8; recvfrom(3, 64) = 8 (from port B);
 *               sendmmsg(4, 3 + 5 bytes) = 2; recvmmsg(3, 2) = 2 (8 bytes); sendmsg(4, 1, to U) = 1;
 *               recvmsg(3) = 1; close(4); close(3)
 *  others:      eventfd(0, CLOEXEC) = 3; write(3, 8) = 8; epoll_create1(CLOEXEC) = 4; epoll_ctl(4, ADD, 3) = 0;
 *               epoll_wait(4, 4, 0) = 1; read(3, 8) = 8; epoll_pwait(4, 4, 0) = 0;
 *               epoll_pwait2(4, 4, {0, 0}) = 0 (or -1 ENOSYS before Linux 5.11); eventfd_write(3, 2) = 0;
 *               eventfd_read(3) = 0; close(4); close(3);  epoll_create(4) = 3; close(3)
 *               memfd_create("iotrace-memfd", 0) = 3; write(3, 6) = 6; mmap(6, READ, SHARED, 3); munmap; close(3)
 *               inotify_init1(CLOEXEC) = 3; inotify_add_watch(3, DIR, IN_CREATE) = 1; inotify_rm_watch(3, 1) = 0;
 *               close(3);  inotify_init() = 3; close(3)
 *               timerfd_create(MONOTONIC, 0) = 3; timerfd_settime(3, 1 s) = 0; timerfd_gettime(3) = 0; close(3)
 *               signalfd(-1, {SIGUSR1}, 0) = 3; close(3)
 *               socket(UNIX, DGRAM) = 3; bind(3, abstract "\0iotrace-<pid>"); close(3)
 *               socket(INET, 9999) = -1 EINVAL
 *  tcp6:        socket(INET6, STREAM) = 3; bind(3, [::1]:0) (fails without an IPv6 loopback: then no getsockname);
 *               getsockname(3) (port Q); close(3)
 * Prints one line "P C U B Q" (the ports the kernel chose; Q -1 without IPv6).
 */
#include "common.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* not a compile-time constant: fortified builds check recv/recvfrom lengths at run time (__recv_chk) */
static volatile size_t three = 3;
static volatile size_t sixty_four = 64;

static struct sockaddr_un unix_address(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    CHECK(strlen(path) < sizeof a.sun_path);
    strcpy(a.sun_path, path);
    return a;
}

static struct sockaddr_in loopback(unsigned port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static unsigned local_port(int fd)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    CHECK(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    return ntohs(a.sin_port);
}

static void socket_pair(void)
{
    int sv[2];
    char buf[8];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 && sv[0] == 3 && sv[1] == 4);
    CHECK(write(3, "ping", 4) == 4);
    CHECK(read(4, buf, 4) == 4);
    CHECK(send(4, "pong", 4, 0) == 4);
    CHECK(recv(3, buf, 4, 0) == 4);
    CHECK(close(3) == 0 && close(4) == 0);
}

static void unix_stream(const char *dir)
{
    char buf[8];
    struct sockaddr_un a = unix_address(path_in(dir, "s.sock"));
    CHECK(socket(AF_UNIX, SOCK_STREAM, 0) == 3);
    CHECK(bind(3, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(listen(3, 4) == 0);
    CHECK(socket(AF_UNIX, SOCK_STREAM, 0) == 4);
    CHECK(connect(4, (struct sockaddr *)&a, sizeof a) == 0); /* completes against the backlog */
    CHECK(accept(3, NULL, NULL) == 5);
    CHECK(write(4, "hello", 5) == 5);
    CHECK(read(5, buf, 5) == 5);
    CHECK(close(5) == 0 && close(4) == 0 && close(3) == 0);
    CHECK(unlink(path_in(dir, "s.sock")) == 0);
}

static void pass_descriptor(const char *dir)
{
    char buf[64];
    CHECK(open(path_in(dir, "passed.txt"), O_CREAT | O_TRUNC | O_RDWR, 0600) == 3);
    CHECK(write(3, "passed-data", 11) == 11);
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 && sv[0] == 4 && sv[1] == 5);

    union {
        struct cmsghdr align;
        char bytes[CMSG_SPACE(sizeof(int))];
    } control;
    memset(&control, 0, sizeof control);
    struct iovec one = {"x", 1};
    struct msghdr msg = {.msg_iov = &one, .msg_iovlen = 1, .msg_control = control.bytes,
                         .msg_controllen = sizeof control.bytes};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    int passed = 3;
    memcpy(CMSG_DATA(c), &passed, sizeof passed);
    CHECK(sendmsg(4, &msg, 0) == 1);
    CHECK(close(3) == 0);

    char byte;
    struct iovec in = {&byte, 1};
    memset(&control, 0, sizeof control);
    struct msghdr received = {.msg_iov = &in, .msg_iovlen = 1, .msg_control = control.bytes,
                              .msg_controllen = sizeof control.bytes};
    CHECK(recvmsg(5, &received, 0) == 1);
    c = CMSG_FIRSTHDR(&received);
    CHECK(c != NULL && c->cmsg_type == SCM_RIGHTS);
    int got;
    memcpy(&got, CMSG_DATA(c), sizeof got);
    CHECK(got == 3);
    CHECK(pread(3, buf, 64, 0) == 11);
    CHECK(close(3) == 0 && close(4) == 0 && close(5) == 0);
}

static void tcp(unsigned *server_port, unsigned *client_port)
{
    char buf[8];
    struct sockaddr_in any = loopback(0);
    int yes = 1;
    CHECK(socket(AF_INET, SOCK_STREAM, 0) == 3);
    CHECK(setsockopt(3, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes) == 0);
    CHECK(bind(3, (struct sockaddr *)&any, sizeof any) == 0);
    *server_port = local_port(3);
    CHECK(listen(3, 4) == 0);
    CHECK(socket(AF_INET, SOCK_STREAM, 0) == 4);
    struct sockaddr_in server = loopback(*server_port);
    CHECK(connect(4, (struct sockaddr *)&server, sizeof server) == 0);
    struct sockaddr_in peer;
    socklen_t len = sizeof peer;
    CHECK(accept4(3, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC) == 5);
    *client_port = ntohs(peer.sin_port);
    CHECK(send(4, "abc", 3, 0) == 3);
    CHECK(recv(5, buf, three, MSG_WAITALL) == 3);
    CHECK(sockatmark(5) == 0);
    CHECK(shutdown(4, SHUT_WR) == 0);
    CHECK(recv(5, buf, three, 0) == 0);
    CHECK(close(5) == 0 && close(4) == 0);
    /* a non-blocking connect: done at once or still in progress (EINPROGRESS), named by the peer either way */
    CHECK(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0) == 4);
    CHECK(connect(4, (struct sockaddr *)&server, sizeof server) == 0 || errno == EINPROGRESS);
    CHECK(close(4) == 0 && close(3) == 0);
    CHECK(socket(AF_INET, SOCK_STREAM, 0) == 3);
    CHECK(connect(3, (struct sockaddr *)&server, sizeof server) == -1 && errno == ECONNREFUSED);
    CHECK(close(3) == 0);
}

static void udp(unsigned *receiver_port, unsigned *sender_port)
{
    char buf[64];
    struct sockaddr_in any = loopback(0);
    CHECK(socket(AF_INET, SOCK_DGRAM, 0) == 3);
    CHECK(bind(3, (struct sockaddr *)&any, sizeof any) == 0);
    *receiver_port = local_port(3);
    int type = 0;
    socklen_t type_len = sizeof type;
    CHECK(getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &type_len) == 0 && type == SOCK_DGRAM);
    struct sockaddr_in to = loopback(*receiver_port);
    CHECK(socket(AF_INET, SOCK_DGRAM, 0) == 4);
    CHECK(sendto(4, "datagram", 8, 0, (struct sockaddr *)&to, sizeof to) == 8);
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    CHECK(recvfrom(3, buf, sixty_four, 0, (struct sockaddr *)&from, &len) == 8);
    *sender_port = ntohs(from.sin_port);

    struct iovec parts[2] = {{"abc", 3}, {"defgh", 5}};
    struct mmsghdr out[2];
    memset(out, 0, sizeof out);
    for (int i = 0; i < 2; i++) {
        out[i].msg_hdr.msg_name = &to;
        out[i].msg_hdr.msg_namelen = sizeof to;
        out[i].msg_hdr.msg_iov = &parts[i];
        out[i].msg_hdr.msg_iovlen = 1;
    }
    CHECK(sendmmsg(4, out, 2, 0) == 2);
    char in0[16], in1[16];
    struct iovec into[2] = {{in0, sizeof in0}, {in1, sizeof in1}};
    struct mmsghdr vec[2];
    memset(vec, 0, sizeof vec);
    for (int i = 0; i < 2; i++) {
        vec[i].msg_hdr.msg_iov = &into[i];
        vec[i].msg_hdr.msg_iovlen = 1;
    }
    CHECK(recvmmsg(3, vec, 2, 0, NULL) == 2 && vec[0].msg_len == 3 && vec[1].msg_len == 5);

    struct iovec x = {"x", 1};
    struct msghdr msg = {.msg_name = &to, .msg_namelen = sizeof to, .msg_iov = &x, .msg_iovlen = 1};
    CHECK(sendmsg(4, &msg, 0) == 1);
    struct iovec back = {buf, sizeof buf};
    struct msghdr got = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &back, .msg_iovlen = 1};
    CHECK(recvmsg(3, &got, 0) == 1);
    CHECK(close(4) == 0 && close(3) == 0);
}

static void other_descriptors(const char *dir)
{
    uint64_t one = 1, value = 0;
    struct epoll_event ready[4], event = {.events = EPOLLIN};
    CHECK(eventfd(0, EFD_CLOEXEC) == 3);
    CHECK(write(3, &one, sizeof one) == 8);
    CHECK(epoll_create1(EPOLL_CLOEXEC) == 4);
    CHECK(epoll_ctl(4, EPOLL_CTL_ADD, 3, &event) == 0);
    CHECK(epoll_wait(4, ready, 4, 0) == 1);
    CHECK(read(3, &value, sizeof value) == 8 && value == 1);
    CHECK(epoll_pwait(4, ready, 4, 0, NULL) == 0);
    struct timespec no_wait = {0, 0};
    int r = epoll_pwait2(4, ready, 4, &no_wait, NULL);
    CHECK(r == 0 || errno == ENOSYS); /* Linux < 5.11 */
    CHECK(eventfd_write(3, 2) == 0);
    CHECK(eventfd_read(3, &value) == 0 && value == 2);
    CHECK(close(4) == 0 && close(3) == 0);
    CHECK(epoll_create(4) == 3);
    CHECK(close(3) == 0);

    CHECK(memfd_create("iotrace-memfd", 0) == 3);
    CHECK(write(3, "memfd!", 6) == 6);
    void *map = mmap(NULL, 6, PROT_READ, MAP_SHARED, 3, 0);
    CHECK(map != MAP_FAILED && memcmp(map, "memfd!", 6) == 0);
    CHECK(munmap(map, 6) == 0);
    CHECK(close(3) == 0);

    CHECK(inotify_init1(IN_CLOEXEC) == 3);
    CHECK(inotify_add_watch(3, dir, IN_CREATE) == 1);
    CHECK(inotify_rm_watch(3, 1) == 0);
    CHECK(close(3) == 0);
    CHECK(inotify_init() == 3);
    CHECK(close(3) == 0);

    struct itimerspec second = {.it_value = {.tv_sec = 1}}, left;
    CHECK(timerfd_create(CLOCK_MONOTONIC, 0) == 3);
    CHECK(timerfd_settime(3, 0, &second, NULL) == 0);
    CHECK(timerfd_gettime(3, &left) == 0);
    CHECK(close(3) == 0);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    CHECK(signalfd(-1, &mask, 0) == 3);
    CHECK(close(3) == 0);

    struct sockaddr_un abstract = {.sun_family = AF_UNIX};
    int n = snprintf(abstract.sun_path + 1, sizeof abstract.sun_path - 1, "iotrace-%d", (int)getpid());
    CHECK(socket(AF_UNIX, SOCK_DGRAM, 0) == 3);
    CHECK(bind(3, (struct sockaddr *)&abstract, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) == 0);
    CHECK(close(3) == 0);

    CHECK(socket(AF_INET, 9999, 0) == -1 && errno == EINVAL);
}

/* tcp6 on [::1]: returns the bound port, or -1 when the host has no IPv6 loopback (bind fails) */
static int ipv6_loopback(void)
{
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    int port = -1;
    CHECK(socket(AF_INET6, SOCK_STREAM, 0) == 3);
    if (bind(3, (struct sockaddr *)&a, sizeof a) == 0) {
        socklen_t len = sizeof a;
        CHECK(getsockname(3, (struct sockaddr *)&a, &len) == 0);
        port = ntohs(a.sin6_port);
    }
    CHECK(close(3) == 0);
    return port;
}

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    unsigned p, c, u, b;
    socket_pair();
    unix_stream(argv[1]);
    pass_descriptor(argv[1]);
    tcp(&p, &c);
    udp(&u, &b);
    other_descriptors(argv[1]);
    int q = ipv6_loopback();
    printf("%u %u %u %u %d\n", p, c, u, b, q);
    return 0;
}
