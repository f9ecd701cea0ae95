/*
 * Names of sockets and other non-file descriptors, computed by the @post items of their functions.tbl rows
 * (section "sockets and other non-file handles"): the kernel's name of a new descriptor (as /proc/<pid>/fd shows
 * it: socket:[N], anon_inode:[eventfd], /memfd:NAME (deleted), ...), socket addresses as text ("tcp:127.0.0.1:80",
 * "udp6:[::1]:53", "unix:/path", "unix:@abstract"), descriptors received with SCM_RIGHTS, and mmsg byte sums.
 * The texts live in per-thread buffers (no allocation): the wrapper encodes them right after computing them, with
 * its guard held, so no nested traced call on the same thread can overwrite them meanwhile.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "iotrace_runtime.h"
#include "sys.h"
#include "util.h"

/* small: initial-exec TLS comes out of the static TLS block */
#define KERNEL_NAME_MAX 288   /* "/memfd:" + a name of up to 249 bytes + " (deleted)", and every anon_inode name */
#define SOCKADDR_TEXT_MAX 160 /* "unix:" + 108 path bytes; "udp6:[<45>]:65535"; "inet<type>-..." */

static IOTRACE_TLS char kernel_names[2][KERNEL_NAME_MAX];
static IOTRACE_TLS char sockaddr_text[SOCKADDR_TEXT_MAX];

const char *iotrace_fd_kernel_name(long fd, int which)
{
    char *out = kernel_names[which & 1];
    out[0] = '\0';
    if (fd < 0)
        return out;
    char link[64];
    iotrace_fmt(link, sizeof link, "/proc/self/fd/%d", (int)fd);
    ssize_t n = sys_readlink(link, out, KERNEL_NAME_MAX - 1);
    out[n > 0 ? n : 0] = '\0';
    return out;
}

/* the transport protocol of an inet socket by name (tcp, udp, ...; the caller appends "6" for IPv6) */
static const char *inet_protocol(int fd, char *spare, size_t cap)
{
    int protocol = -1;
    socklen_t len = sizeof protocol;
    if (fd < 0 || syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) != 0)
        protocol = -1;
    switch (protocol) {
    case IPPROTO_TCP:
        return "tcp";
    case IPPROTO_UDP:
        return "udp";
    case IPPROTO_SCTP:
        return "sctp";
    case IPPROTO_UDPLITE:
        return "udplite";
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
        return "icmp";
    default:
        iotrace_fmt(spare, cap, "ipproto%d-", protocol); /* "ipproto41-:..." and "ipproto41-6:[...]" */
        return spare;
    }
}

/* The text of a socket address of `len` bytes; "" when there is none. */
static const char *format_sockaddr(int fd, const struct sockaddr *addr, socklen_t len)
{
    char *out = sockaddr_text;
    out[0] = '\0';
    if (addr == NULL || len < sizeof(sa_family_t))
        return out;
    char protocol[24];
    char ip[INET6_ADDRSTRLEN];
    switch (addr->sa_family) {
    case AF_UNSPEC: /* connect(AF_UNSPEC) dissolves an association: no address */
        break;
    case AF_INET: {
        const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
        if (len < sizeof *in || inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip) == NULL)
            break;
        iotrace_fmt(out, SOCKADDR_TEXT_MAX, "%s:%s:%u", inet_protocol(fd, protocol, sizeof protocol), ip,
                    (unsigned)ntohs(in->sin_port));
        break;
    }
    case AF_INET6: {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
        if (len < sizeof *in6 || inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip) == NULL)
            break;
        iotrace_fmt(out, SOCKADDR_TEXT_MAX, "%s6:[%s]:%u", inet_protocol(fd, protocol, sizeof protocol), ip,
                    (unsigned)ntohs(in6->sin6_port));
        break;
    }
    case AF_UNIX: {
        const struct sockaddr_un *un = (const struct sockaddr_un *)addr;
        size_t n = len - offsetof(struct sockaddr_un, sun_path);
        if (n > sizeof un->sun_path)
            n = sizeof un->sun_path;
        size_t o = 0;
        memcpy(out, "unix:", 5);
        o = 5;
        if (n > 0 && un->sun_path[0] == '\0') {
            /* abstract: every byte counts, a NUL inside is shown as '@' (as ss does) */
            for (size_t i = 0; i < n && o < SOCKADDR_TEXT_MAX - 1; i++)
                out[o++] = un->sun_path[i] == '\0' ? '@' : un->sun_path[i];
        } else {
            for (size_t i = 0; i < n && un->sun_path[i] != '\0' && o < SOCKADDR_TEXT_MAX - 1; i++)
                out[o++] = un->sun_path[i];
        }
        out[o] = '\0';
        break;
    }
    default:
        iotrace_fmt(out, SOCKADDR_TEXT_MAX, "family%u:", (unsigned)addr->sa_family);
        break;
    }
    return out;
}

const char *iotrace_sockaddr_text(long fd, const void *addr, long len)
{
    return format_sockaddr((int)fd, addr, len < 0 ? 0 : (socklen_t)len);
}

const char *iotrace_sockaddr_out(long ret, long fd, const void *addr, const unsigned int *len)
{
    if (ret < 0 || addr == NULL || len == NULL) {
        sockaddr_text[0] = '\0';
        return sockaddr_text;
    }
    return format_sockaddr((int)fd, addr, *len);
}

/* the local (getsockname) or peer (getpeername) address of fd, through the raw system call */
static const char *socket_end(int fd, long sys)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (fd < 0 || syscall(sys, fd, &ss, &len) != 0)
        len = 0;
    return format_sockaddr(fd, (const struct sockaddr *)&ss, len < sizeof ss ? len : sizeof ss);
}

const char *iotrace_sock_bound(long ret, long fd, const void *addr, long len)
{
    /* after a successful bind the kernel's address: port 0 became the port actually bound */
    return ret == 0 ? socket_end((int)fd, SYS_getsockname) : iotrace_sockaddr_text(fd, addr, len);
}

const char *iotrace_sock_peer(long ret)
{
    if (ret < 0) {
        sockaddr_text[0] = '\0';
        return sockaddr_text;
    }
    const char *peer = socket_end((int)ret, SYS_getpeername);
    /* a unix client that never bound has no address: the connection is named by the server's address */
    if (strcmp(peer, "unix:") == 0)
        return socket_end((int)ret, SYS_getsockname);
    return peer;
}

/* msg_name of a sendmsg/recvmsg that succeeded (msg was readable) */
const char *iotrace_msg_sockaddr(long ret, long fd, const struct msghdr *msg)
{
    if (ret < 0 || msg == NULL) {
        sockaddr_text[0] = '\0';
        return sockaddr_text;
    }
    return format_sockaddr((int)fd, msg->msg_name, msg->msg_namelen);
}

/* Descriptors the kernel installed from SCM_RIGHTS control messages: named as first-use discoveries (how=2). */
static long received_fds(struct msghdr *msg)
{
    long count = 0;
    if (msg == NULL || msg->msg_control == NULL)
        return 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0))
            continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        const unsigned char *data = CMSG_DATA(c);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, data + i * sizeof fd, sizeof fd);
            iotrace_fd_received(fd);
            count++;
        }
    }
    return count;
}

long iotrace_msg_received_fds(long ret, struct msghdr *msg)
{
    return ret < 0 ? 0 : received_fds(msg);
}

long iotrace_mmsg_received_fds(long ret, struct mmsghdr *vec)
{
    long count = 0;
    for (long i = 0; i < ret; i++)
        count += received_fds(&vec[i].msg_hdr);
    return count;
}

uint64_t iotrace_mmsg_bytes(long ret, const struct mmsghdr *vec)
{
    uint64_t bytes = 0;
    for (long i = 0; i < ret; i++)
        bytes += vec[i].msg_len;
    return bytes;
}
