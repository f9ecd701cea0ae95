/*
 * A stopped system call as the event of the functions.tbl row it is traced as: the row's scalar items in slot
 * order, then its strings (iotrace_format.h section 3), exactly as the shim's wrapper of that row writes them, so
 * that the collector decodes, resolves (fnres effects) and writes it like any other record. Arguments come from
 * PTRACE_GET_SYSCALL_INFO (per ABI: i386 values are 32 bits, signed ones sign-extended), memory from the tracee with
 * process_vm_readv (never through a shared mapping: after fork or exec it is not the same memory).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/mman.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "iotrace_fn_ids.h"
#include "tracer.h"

/* The rows the table records calls as; their layouts are written out below: a changed row must change this file. */
_Static_assert(IOTRACE_FN_FD_DISCOVERED_SLOTS == 2 && IOTRACE_FN_FD_DISCOVERED_STRINGS == 1, "fd_discovered row");
_Static_assert(IOTRACE_FN_MAP_DISCOVERED_SLOTS == 1 && IOTRACE_FN_MAP_DISCOVERED_STRINGS == 1, "map_discovered row");
_Static_assert(IOTRACE_FN_FORK_SLOTS == 0 && IOTRACE_FN_FORK_STRINGS == 0, "fork row changed");
_Static_assert(IOTRACE_FN_OPEN_SLOTS == 2 && IOTRACE_FN_OPEN_STRINGS == 1, "open row changed");
_Static_assert(IOTRACE_FN_OPENAT_SLOTS == 3 && IOTRACE_FN_OPENAT_STRINGS == 1, "openat row changed");
_Static_assert(IOTRACE_FN_OPENAT2_SLOTS == 4 && IOTRACE_FN_OPENAT2_STRINGS == 1, "openat2 row changed");
_Static_assert(IOTRACE_FN_CREAT_SLOTS == 1 && IOTRACE_FN_CREAT_STRINGS == 1, "creat row changed");
_Static_assert(IOTRACE_FN_CLOSE_SLOTS == 1 && IOTRACE_FN_CLOSE_RANGE_SLOTS == 3, "close rows changed");
_Static_assert(IOTRACE_FN_DUP_SLOTS == 1 && IOTRACE_FN_DUP2_SLOTS == 2 && IOTRACE_FN_DUP3_SLOTS == 3, "dup rows");
_Static_assert(IOTRACE_FN_FCNTL_SLOTS == 8 && IOTRACE_FN_MMAP_SLOTS == 6 && IOTRACE_FN_MREMAP_SLOTS == 5, "rows");
_Static_assert(IOTRACE_FN_SOCKET_SLOTS == 3 && IOTRACE_FN_SOCKET_STRINGS == 1, "socket row changed");
_Static_assert(IOTRACE_FN_ACCEPT_SLOTS == 1 && IOTRACE_FN_ACCEPT4_SLOTS == 2 && IOTRACE_FN_ACCEPT_STRINGS == 1,
               "accept rows changed");
_Static_assert(IOTRACE_FN_PIPE_SLOTS == 3 && IOTRACE_FN_PIPE2_SLOTS == 4, "pipe rows changed");
_Static_assert(IOTRACE_FN_EVENTFD_SLOTS == 2 && IOTRACE_FN_EVENTFD_STRINGS == 1, "eventfd row changed");
_Static_assert(IOTRACE_FN_MEMFD_CREATE_SLOTS == 1 && IOTRACE_FN_MEMFD_CREATE_STRINGS == 2, "memfd_create row");
_Static_assert(IOTRACE_FN_OPEN == 16 && IOTRACE_FN_OPENAT == 18 && IOTRACE_FN_OPENAT2 == 600 &&
                   IOTRACE_FN_CREAT == 24 && IOTRACE_FN_CLOSE == 26 && IOTRACE_FN_CLOSE_RANGE == 116 &&
                   IOTRACE_FN_DUP == 39 && IOTRACE_FN_DUP2 == 40 && IOTRACE_FN_DUP3 == 41 && IOTRACE_FN_FCNTL == 42 &&
                   IOTRACE_FN_MMAP == 43 && IOTRACE_FN_MREMAP == 119 && IOTRACE_FN_SOCKET == 350 &&
                   IOTRACE_FN_ACCEPT == 355 && IOTRACE_FN_ACCEPT4 == 356 && IOTRACE_FN_PIPE == 105 &&
                   IOTRACE_FN_PIPE2 == 106 && IOTRACE_FN_EVENTFD == 360 && IOTRACE_FN_MEMFD_CREATE == 361,
               "the rows of gen/gen-syscalls.sh are not functions.tbl's");

int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* argument i as its kind reads it: 32-bit ABI values are 32 bits; fds and ints are sign-extended */
static uint64_t arg(const struct thread *t, int i)
{
    int kind = iotrace_sc_info[t->sc].args[i];
    uint64_t v = t->args[i];
    if (kind == IOTRACE_ARG_FD || kind == IOTRACE_ARG_INT)
        return (uint64_t)(int64_t)(int32_t)v;
    if (t->abi32 || kind == IOTRACE_ARG_UINT || kind == IOTRACE_ARG_OFLAGS || kind == IOTRACE_ARG_MODE ||
        kind == IOTRACE_ARG_DUPFLAGS || kind == IOTRACE_ARG_FCNTLCMD || kind == IOTRACE_ARG_MAPFLAGS ||
        kind == IOTRACE_ARG_PROT || kind == IOTRACE_ARG_CLOSERANGEFLAGS || kind == IOTRACE_ARG_MREMAPFLAGS)
        return v & 0xffffffffu;
    return v;
}

/* copies up to len bytes of tracee memory; bytes read */
static size_t peek(pid_t tid, uint64_t addr, void *out, size_t len)
{
    size_t got = 0;
    while (got < len) { /* page by page: a string may end just before an unmapped page */
        size_t to_page = 4096 - ((addr + got) & 4095);
        size_t want = len - got < to_page ? len - got : to_page;
        struct iovec local = {(char *)out + got, want};
        struct iovec remote = {(void *)(uintptr_t)(addr + got), want};
        ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
        if ((size_t)n < want)
            break;
    }
    return got;
}

/* the NUL-terminated string at addr into t->path (at most IOTRACE_MAX_STRING bytes: longer is TRUNCATED) */
static void peek_string(pid_t tid, uint64_t addr, struct thread *t)
{
    t->path_len = 0;
    t->truncated = 0;
    size_t got = 0;
    while (got < IOTRACE_MAX_STRING) {
        size_t to_page = 4096 - ((addr + got) & 4095);
        size_t want = IOTRACE_MAX_STRING - got < to_page ? IOTRACE_MAX_STRING - got : to_page;
        size_t n = peek(tid, addr + got, t->path + got, want);
        char *nul = memchr(t->path + got, '\0', n);
        if (nul != NULL) {
            t->path_len = (uint16_t)(nul - t->path);
            return;
        }
        got += n;
        if (n < want)
            break;
    }
    t->path_len = (uint16_t)got;
    t->truncated = got == IOTRACE_MAX_STRING;
}

/* At the entry stop: what must be read before the call (the path or name, openat2's struct open_how). */
void record_entry(struct thread *t, pid_t tid)
{
    const struct iotrace_sc_info *info = &iotrace_sc_info[t->sc];
    t->path_len = 0;
    t->truncated = 0;
    memset(t->how, 0, sizeof t->how);
    for (int i = 0; i < info->nargs; i++) {
        int kind = info->args[i];
        if (kind == IOTRACE_ARG_PATH || kind == IOTRACE_ARG_STR)
            peek_string(tid, arg(t, i), t);
        else if (kind == IOTRACE_ARG_OPENHOW) {
            uint64_t size = arg(t, i + 1);
            peek(tid, arg(t, i), t->how, size < sizeof t->how ? (size_t)size : sizeof t->how);
        }
    }
}

/* the kernel's name of a descriptor of the tracee (socket:[123], anon_inode:[eventfd], /memfd:x (deleted)) */
static uint16_t fd_name(pid_t tid, int64_t fd, char *out, size_t cap)
{
    char link[64];
    snprintf(link, sizeof link, "/proc/%d/fd/%d", tid, (int)fd);
    ssize_t n = fd < 0 ? -1 : readlink(link, out, cap);
    return n > 0 ? (uint16_t)n : 0;
}

struct writer {
    unsigned char *b;
    uint32_t len;
};

static void slot(struct writer *w, uint64_t v)
{
    memcpy(w->b + w->len, &v, 8);
    w->len += 8;
}

static void str(struct writer *w, const char *s, uint16_t n)
{
    memcpy(w->b + w->len, &n, 2);
    memcpy(w->b + w->len + 2, s, n);
    w->len += 2u + n;
}

/* mode is recorded only when the flags create a file (as the wrappers read the variadic mode) */
static uint64_t mode_if_created(uint64_t flags, uint64_t mode)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? mode : 0;
}

uint32_t record_build(struct thread *t, pid_t tid, int at_exit, int64_t rval, int failed, unsigned char *out)
{
    struct writer w = {out, IOTRACE_EVENT_ARGS};
    int64_t t1 = at_exit ? now_ns() : t->t0;
    int64_t result = failed ? -1 : rval;
    uint16_t err = failed ? (uint16_t)-rval : 0;
    char name[512];
    uint16_t name_len = 0;
    int pipefd[2] = {-1, -1};

    switch (t->sc) {
    case IOTRACE_SC_OPEN:
        slot(&w, arg(t, 1));
        slot(&w, mode_if_created(arg(t, 1), arg(t, 2)));
        break;
    case IOTRACE_SC_OPENAT:
        slot(&w, arg(t, 0));
        slot(&w, arg(t, 2));
        slot(&w, mode_if_created(arg(t, 2), arg(t, 3)));
        break;
    case IOTRACE_SC_OPENAT2:
        slot(&w, arg(t, 0));
        slot(&w, t->how[0]);
        slot(&w, t->how[1]);
        slot(&w, t->how[2]);
        break;
    case IOTRACE_SC_CREAT:
        slot(&w, arg(t, 1));
        break;
    case IOTRACE_SC_CLOSE: {
        /* taken at the entry (its result changes nothing for the handles): a close of an open descriptor
         * releases it whatever it returns, one of a descriptor that is not open fails with EBADF */
        struct stat st;
        char link[64];
        snprintf(link, sizeof link, "/proc/%d/fd/%d", tid, (int)arg(t, 0));
        failed = (int64_t)arg(t, 0) < 0 || fstatat(AT_FDCWD, link, &st, AT_SYMLINK_NOFOLLOW) != 0;
        result = failed ? -1 : 0;
        err = failed ? EBADF : 0;
        slot(&w, arg(t, 0));
        break;
    }
    case IOTRACE_SC_CLOSE_RANGE: /* taken at the entry: fails only for bad arguments */
        failed = arg(t, 0) > arg(t, 1) || (arg(t, 2) & ~(uint64_t)(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC));
        result = failed ? -1 : 0;
        err = failed ? EINVAL : 0;
        slot(&w, arg(t, 0));
        slot(&w, arg(t, 1));
        slot(&w, arg(t, 2));
        break;
    case IOTRACE_SC_DUP:
    case IOTRACE_SC_DUP2:
    case IOTRACE_SC_DUP3:
        for (int i = 0; i < iotrace_sc_info[t->sc].nargs; i++)
            slot(&w, arg(t, i));
        break;
    case IOTRACE_SC_FCNTL: /* only F_DUPFD and F_DUPFD_CLOEXEC stop: fd cmd arg, no struct flock (-1: not read) */
    case IOTRACE_SC_FCNTL64:
        slot(&w, arg(t, 0));
        slot(&w, arg(t, 1));
        slot(&w, (uint64_t)(int64_t)(int32_t)arg(t, 2));
        slot(&w, (uint64_t)-1);
        for (int i = 0; i < 4; i++)
            slot(&w, 0);
        break;
    case IOTRACE_SC_MMAP:
    case IOTRACE_SC_MMAP2:
        for (int i = 0; i < 5; i++)
            slot(&w, arg(t, i));
        slot(&w, t->sc == IOTRACE_SC_MMAP2 ? arg(t, 5) * 4096 : arg(t, 5));
        if (t->abi32 && !failed)
            result = (int64_t)((uint64_t)rval & 0xffffffffu);
        break;
    case IOTRACE_SC_MREMAP:
        for (int i = 0; i < 4; i++)
            slot(&w, arg(t, i));
        slot(&w, (arg(t, 3) & MREMAP_FIXED) ? arg(t, 4) : 0);
        break;
    case IOTRACE_SC_SOCKET:
        for (int i = 0; i < 3; i++)
            slot(&w, arg(t, i));
        name_len = failed ? 0 : fd_name(tid, rval, name, sizeof name);
        str(&w, name, name_len);
        break;
    case IOTRACE_SC_ACCEPT:
    case IOTRACE_SC_ACCEPT4:
        slot(&w, arg(t, 0));
        if (t->sc == IOTRACE_SC_ACCEPT4)
            slot(&w, arg(t, 3));
        name_len = failed ? 0 : fd_name(tid, rval, name, sizeof name); /* socket:[inode]: not the peer address */
        str(&w, name, name_len);
        break;
    case IOTRACE_SC_PIPE:
    case IOTRACE_SC_PIPE2: {
        if (t->sc == IOTRACE_SC_PIPE2)
            slot(&w, arg(t, 1));
        if (!failed)
            peek(tid, arg(t, 0), pipefd, sizeof pipefd);
        struct stat st;
        char link[64];
        snprintf(link, sizeof link, "/proc/%d/fd/%d", tid, pipefd[0]);
        slot(&w, (uint64_t)(int64_t)pipefd[0]);
        slot(&w, (uint64_t)(int64_t)pipefd[1]);
        slot(&w, !failed && stat(link, &st) == 0 ? (uint64_t)st.st_ino : 0);
        break;
    }
    case IOTRACE_SC_EVENTFD:
    case IOTRACE_SC_EVENTFD2:
        slot(&w, arg(t, 0));
        slot(&w, t->sc == IOTRACE_SC_EVENTFD2 ? arg(t, 1) : 0);
        name_len = failed ? 0 : fd_name(tid, rval, name, sizeof name);
        str(&w, name, name_len);
        break;
    case IOTRACE_SC_MEMFD_CREATE:
        slot(&w, arg(t, 1));
        str(&w, t->path, t->path_len);
        name_len = failed ? 0 : fd_name(tid, rval, name, sizeof name);
        str(&w, name, name_len);
        break;
    default:
        return 0;
    }
    /* the path of the path rows comes last (their one string) */
    if (t->sc == IOTRACE_SC_OPEN || t->sc == IOTRACE_SC_OPENAT || t->sc == IOTRACE_SC_OPENAT2 ||
        t->sc == IOTRACE_SC_CREAT)
        str(&w, t->path, failed && err == EFAULT ? 0 : t->path_len);

    int32_t tid32 = tid;
    uint16_t status = IOTRACE_STATUS_SOURCE_SYSCALL | (failed ? IOTRACE_STATUS_FAILED : 0) |
                      (t->truncated ? IOTRACE_STATUS_TRUNCATED : 0);
    memcpy(out + IOTRACE_EVENT_TIME_START, &t->t0, 8);
    memcpy(out + IOTRACE_EVENT_TIME_END, &t1, 8);
    memcpy(out + IOTRACE_EVENT_RESULT, &result, 8);
    memcpy(out + IOTRACE_EVENT_TID, &tid32, 4);
    memcpy(out + IOTRACE_EVENT_ERRNO, &err, 2);
    memcpy(out + IOTRACE_EVENT_STATUS, &status, 2);
    return w.len;
}

/* An event the tracer makes itself (fd_discovered, map_discovered, fork): `nslots` slots, then one string unless
 * text is NULL; time_start = time_end = now, status SOURCE_SYSCALL | extra_status. Its length. */
uint32_t record_meta(unsigned char *out, pid_t tid, int64_t now, int64_t result, const uint64_t *slots, int nslots,
                     const char *text, uint16_t text_len, uint16_t extra_status)
{
    struct writer w = {out, IOTRACE_EVENT_ARGS};
    for (int i = 0; i < nslots; i++)
        slot(&w, slots[i]);
    if (text != NULL)
        str(&w, text, text_len);
    int32_t tid32 = tid;
    uint16_t status = IOTRACE_STATUS_SOURCE_SYSCALL | extra_status, err = 0;
    memcpy(out + IOTRACE_EVENT_TIME_START, &now, 8);
    memcpy(out + IOTRACE_EVENT_TIME_END, &now, 8);
    memcpy(out + IOTRACE_EVENT_RESULT, &result, 8);
    memcpy(out + IOTRACE_EVENT_TID, &tid32, 4);
    memcpy(out + IOTRACE_EVENT_ERRNO, &err, 2);
    memcpy(out + IOTRACE_EVENT_STATUS, &status, 2);
    return w.len;
}
