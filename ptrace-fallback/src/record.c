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
#include <stddef.h>
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

/* the data rows (iotrace-ptrace --own-rings and --attach only): their items are the call's arguments in order
 * (record_data below); these counts are the rows' scalar slots and strings */
_Static_assert(IOTRACE_FN_READ == 27 && IOTRACE_FN_READ_SLOTS == 2 && IOTRACE_FN_WRITE == 28 &&
                   IOTRACE_FN_WRITE_SLOTS == 2 && IOTRACE_FN_PREAD64 == 30 && IOTRACE_FN_PREAD64_SLOTS == 3 &&
                   IOTRACE_FN_PWRITE64 == 32 && IOTRACE_FN_PWRITE64_SLOTS == 3 && IOTRACE_FN_READV == 33 &&
                   IOTRACE_FN_READV_SLOTS == 2 && IOTRACE_FN_WRITEV == 34 && IOTRACE_FN_WRITEV_SLOTS == 2 &&
                   IOTRACE_FN_PREADV == 62 && IOTRACE_FN_PREADV_SLOTS == 3 && IOTRACE_FN_PWRITEV == 64 &&
                   IOTRACE_FN_PWRITEV_SLOTS == 3 && IOTRACE_FN_PREADV2 == 66 && IOTRACE_FN_PREADV2_SLOTS == 4 &&
                   IOTRACE_FN_PWRITEV2 == 68 && IOTRACE_FN_PWRITEV2_SLOTS == 4,
               "read/write rows changed");
_Static_assert(IOTRACE_FN_LSEEK == 35 && IOTRACE_FN_LSEEK_SLOTS == 3 && IOTRACE_FN_LSEEK64 == 36 &&
                   IOTRACE_FN_LSEEK64_SLOTS == 3 && IOTRACE_FN_FSYNC == 37 && IOTRACE_FN_FSYNC_SLOTS == 1 &&
                   IOTRACE_FN_FDATASYNC == 38 && IOTRACE_FN_FDATASYNC_SLOTS == 1 && IOTRACE_FN_FTRUNCATE == 72 &&
                   IOTRACE_FN_FTRUNCATE_SLOTS == 2 && IOTRACE_FN_FTRUNCATE64 == 73 &&
                   IOTRACE_FN_FTRUNCATE64_SLOTS == 2 && IOTRACE_FN_FALLOCATE == 74 && IOTRACE_FN_FALLOCATE_SLOTS == 4,
               "offset rows changed");
_Static_assert(IOTRACE_FN_TRUNCATE == 70 && IOTRACE_FN_TRUNCATE_SLOTS == 1 && IOTRACE_FN_TRUNCATE_STRINGS == 1 &&
                   IOTRACE_FN_TRUNCATE64 == 71 && IOTRACE_FN_TRUNCATE64_SLOTS == 1 && IOTRACE_FN_READAHEAD == 76 &&
                   IOTRACE_FN_READAHEAD_SLOTS == 3 && IOTRACE_FN_SYNCFS == 77 && IOTRACE_FN_SYNCFS_SLOTS == 1 &&
                   IOTRACE_FN_SYNC_FILE_RANGE == 78 && IOTRACE_FN_SYNC_FILE_RANGE_SLOTS == 4 &&
                   IOTRACE_FN_FLOCK == 79 && IOTRACE_FN_FLOCK_SLOTS == 2 && IOTRACE_FN_CHDIR == 55 &&
                   IOTRACE_FN_CHDIR_STRINGS == 1 && IOTRACE_FN_FCHDIR == 56 && IOTRACE_FN_FCHDIR_SLOTS == 1,
               "file and directory rows changed");
_Static_assert(IOTRACE_FN_MUNMAP == 45 && IOTRACE_FN_MUNMAP_SLOTS == 2 && IOTRACE_FN_MSYNC == 120 &&
                   IOTRACE_FN_MSYNC_SLOTS == 3,
               "mapping rows changed");
_Static_assert(IOTRACE_FN_COPY_FILE_RANGE == 110 && IOTRACE_FN_COPY_FILE_RANGE_SLOTS == 6 &&
                   IOTRACE_FN_SENDFILE == 111 && IOTRACE_FN_SENDFILE_SLOTS == 4 && IOTRACE_FN_SENDFILE64 == 112 &&
                   IOTRACE_FN_SENDFILE64_SLOTS == 4 && IOTRACE_FN_SPLICE == 113 && IOTRACE_FN_SPLICE_SLOTS == 6,
               "transfer rows changed");
_Static_assert(IOTRACE_FN_FSTAT == 84 && IOTRACE_FN_FSTAT_SLOTS == 2 && IOTRACE_FN_FSTAT64 == 85 &&
                   IOTRACE_FN_FSTAT64_SLOTS == 2 && IOTRACE_FN_FSTATAT == 86 && IOTRACE_FN_FSTATAT_SLOTS == 3 &&
                   IOTRACE_FN_FSTATAT_STRINGS == 1 && IOTRACE_FN_FSTATAT64 == 87 && IOTRACE_FN_FSTATAT64_SLOTS == 3 &&
                   IOTRACE_FN_STATX == 315 && IOTRACE_FN_STATX_SLOTS == 4 && IOTRACE_FN_STATX_STRINGS == 1 &&
                   IOTRACE_FN_GETDENTS64 == 3029 && IOTRACE_FN_GETDENTS64_SLOTS == 2,
               "stat and directory rows changed");
_Static_assert(IOTRACE_FN_UNLINK == 93 && IOTRACE_FN_UNLINK_STRINGS == 1 && IOTRACE_FN_UNLINKAT == 94 &&
                   IOTRACE_FN_UNLINKAT_SLOTS == 2 && IOTRACE_FN_RENAME == 95 && IOTRACE_FN_RENAME_STRINGS == 2 &&
                   IOTRACE_FN_RENAMEAT == 96 && IOTRACE_FN_RENAMEAT_SLOTS == 2 && IOTRACE_FN_RENAMEAT2 == 326 &&
                   IOTRACE_FN_RENAMEAT2_SLOTS == 3 && IOTRACE_FN_RENAMEAT2_STRINGS == 2 && IOTRACE_FN_MKDIR == 90 &&
                   IOTRACE_FN_MKDIR_SLOTS == 1 && IOTRACE_FN_MKDIRAT == 91 && IOTRACE_FN_MKDIRAT_SLOTS == 2 &&
                   IOTRACE_FN_RMDIR == 92 && IOTRACE_FN_RMDIR_STRINGS == 1,
               "path rows changed");

int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* the register of argument i: in the i386 ABI each 64-bit offset before it takes two */
static int reg_of(const struct thread *t, int i)
{
    int reg = i;
    for (int j = 0; t->abi32 && j < i; j++)
        reg += iotrace_sc_info[t->sc].args[j] == IOTRACE_ARG_OFF64;
    return reg < 6 ? reg : 5;
}

/* argument i as its kind reads it: 32-bit ABI values are 32 bits; fds, ints and i386 offsets are sign-extended;
 * 64-bit offsets in the i386 ABI are two registers, low then high */
static uint64_t arg(const struct thread *t, int i)
{
    int kind = iotrace_sc_info[t->sc].args[i];
    int reg = reg_of(t, i);
    uint64_t v = t->args[reg];
    if (kind == IOTRACE_ARG_FD || kind == IOTRACE_ARG_INT || (t->abi32 && kind == IOTRACE_ARG_OFF))
        return (uint64_t)(int64_t)(int32_t)v;
    if (t->abi32 && (kind == IOTRACE_ARG_OFF64 || kind == IOTRACE_ARG_OFFLO) && reg < 5)
        return (v & 0xffffffffu) | (t->args[reg + 1] << 32);
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

/* a little-endian unsigned value of `width` bytes at addr (0 when it cannot be read) */
static uint64_t peek_value(pid_t tid, uint64_t addr, size_t width)
{
    uint64_t v = 0;
    if (peek(tid, addr, &v, width) != width)
        return 0;
    return v;
}

/* the NUL-terminated string at addr into out (at most IOTRACE_MAX_STRING bytes: longer is TRUNCATED); its length */
static uint16_t peek_string(pid_t tid, uint64_t addr, char *out, int *truncated)
{
    size_t got = 0;
    while (got < IOTRACE_MAX_STRING) {
        size_t to_page = 4096 - ((addr + got) & 4095);
        size_t want = IOTRACE_MAX_STRING - got < to_page ? IOTRACE_MAX_STRING - got : to_page;
        size_t n = peek(tid, addr + got, out + got, want);
        char *nul = memchr(out + got, '\0', n);
        if (nul != NULL)
            return (uint16_t)(nul - out);
        got += n;
        if (n < want)
            break;
    }
    if (got == IOTRACE_MAX_STRING)
        *truncated = 1;
    return (uint16_t)got;
}

/* At the entry stop: what must be read before the call (its paths or name, openat2's struct open_how). */
void record_entry(struct thread *t, pid_t tid)
{
    const struct iotrace_sc_info *info = &iotrace_sc_info[t->sc];
    int strings = 0;
    t->path_len = 0;
    t->path2_len = 0;
    t->truncated = 0;
    memset(t->how, 0, sizeof t->how);
    for (int i = 0; i < info->nargs; i++) {
        int kind = info->args[i];
        if ((kind == IOTRACE_ARG_PATH || kind == IOTRACE_ARG_STR) && strings++ == 0)
            t->path_len = peek_string(tid, arg(t, i), t->path, &t->truncated);
        else if (kind == IOTRACE_ARG_PATH || kind == IOTRACE_ARG_STR)
            t->path2_len = peek_string(tid, arg(t, i), t->path2, &t->truncated);
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

/* where a transfer began in a file whose offset it was given by pointer: the kernel advanced *offset by the bytes
 * moved (the shim's IOTRACE_START_POSITION, read at the exit stop); -1: no pointer (the fd's own offset) or failed */
static uint64_t start_position(pid_t tid, uint64_t pointer, size_t width, int64_t result)
{
    if (pointer == 0 || result < 0)
        return (uint64_t)-1;
    uint64_t after = peek_value(tid, pointer, width);
    return (uint64_t)((width == 4 ? (int64_t)(int32_t)after : (int64_t)after) - result);
}

/* the size of the file a stat call described: st_size / stx_size of the buffer it filled (0 when it failed) */
static uint64_t stat_size(const struct thread *t, pid_t tid, int kind, uint64_t buf, int failed)
{
    if (failed)
        return 0;
    if (kind == IOTRACE_ARG_STATXBUF)
        return peek_value(tid, buf + offsetof(struct statx, stx_size), 8);
    if (kind == IOTRACE_ARG_STAT64BUF) /* i386 struct stat64: st_size at 44 (long long, 4-byte aligned) */
        return peek_value(tid, buf + 44, 8);
    if (t->abi32) /* i386's old struct stat: st_size at 20 (unsigned long) */
        return peek_value(tid, buf + 20, 4);
    return peek_value(tid, buf + offsetof(struct stat, st_size), 8); /* x86_64 and aarch64 alike */
}

/*
 * A data call (class data/input): the items of its row are the call's arguments in order with the pointers left
 * out, then the size of the struct a stat call fills, and its paths as the strings. The transfers (their rows name
 * the file read first) and i386's _llseek are written out. *result may change (_llseek's is in memory); the row
 * may too (fstatat(fd, "", AT_EMPTY_PATH) is how glibc makes fstat: recorded as the fstat the shim would see).
 */
static void record_data(struct writer *w, struct thread *t, pid_t tid, int failed, int64_t *result, int32_t *row)
{
    const struct iotrace_sc_info *info = &iotrace_sc_info[t->sc];
    switch (t->sc) {
    case IOTRACE_SC__LLSEEK: /* fd, offset_high, offset_low, loff_t *result, whence */
        slot(w, arg(t, 0));
        slot(w, (arg(t, 1) << 32) | arg(t, 2));
        slot(w, arg(t, 4));
        if (!failed)
            *result = (int64_t)peek_value(tid, arg(t, 3), 8);
        return;
    case IOTRACE_SC_SENDFILE:
    case IOTRACE_SC_SENDFILE64: /* out_fd, in_fd, offset, count: the row is in_fd's */
        slot(w, arg(t, 1));
        slot(w, arg(t, 0));
        slot(w, arg(t, 3));
        slot(w, start_position(tid, arg(t, 2), t->abi32 && t->sc == IOTRACE_SC_SENDFILE ? 4 : 8, *result));
        return;
    case IOTRACE_SC_COPY_FILE_RANGE:
    case IOTRACE_SC_SPLICE: /* fd_in, off_in, fd_out, off_out, len, flags */
        slot(w, arg(t, 0));
        slot(w, arg(t, 2));
        slot(w, arg(t, 4));
        slot(w, arg(t, 5));
        slot(w, start_position(tid, arg(t, 1), 8, *result));
        slot(w, start_position(tid, arg(t, 3), 8, *result));
        return;
    case IOTRACE_SC_NEWFSTATAT:
    case IOTRACE_SC_FSTATAT64:
        if (t->path_len == 0 && !t->truncated && (arg(t, 3) & AT_EMPTY_PATH)) {
            *row = t->sc == IOTRACE_SC_NEWFSTATAT ? IOTRACE_FN_FSTAT : IOTRACE_FN_FSTAT64;
            slot(w, arg(t, 0));
            slot(w, stat_size(t, tid, info->args[2], arg(t, 2), failed));
            return;
        }
        break;
    default:
        break;
    }
    int filled = -1; /* the argument a stat call fills */
    for (int i = 0; i < info->nargs; i++) {
        int kind = info->args[i];
        if (kind == IOTRACE_ARG_STATBUF || kind == IOTRACE_ARG_STAT64BUF || kind == IOTRACE_ARG_STATXBUF)
            filled = i;
        else if (kind != IOTRACE_ARG_PTR && kind != IOTRACE_ARG_PATH && kind != IOTRACE_ARG_OFFHI)
            slot(w, arg(t, i));
    }
    if (filled >= 0)
        slot(w, stat_size(t, tid, info->args[filled], arg(t, filled), failed));
    int strings = 0;
    for (int i = 0; i < info->nargs; i++)
        if (info->args[i] == IOTRACE_ARG_PATH && strings++ == 0)
            str(w, t->path, failed && -*result == EFAULT ? 0 : t->path_len);
        else if (info->args[i] == IOTRACE_ARG_PATH)
            str(w, t->path2, failed && -*result == EFAULT ? 0 : t->path2_len);
}

uint32_t record_build(struct thread *t, pid_t tid, int at_exit, int64_t rval, int failed, unsigned char *out,
                      int32_t *row)
{
    struct writer w = {out, IOTRACE_EVENT_ARGS};
    int64_t t1 = at_exit ? now_ns() : t->t0;
    int64_t result = failed ? -1 : rval;
    uint16_t err = failed ? (uint16_t)-rval : 0;
    char name[512];
    uint16_t name_len = 0;
    int pipefd[2] = {-1, -1};
    *row = iotrace_sc_info[t->sc].row;

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
        if (iotrace_sc_info[t->sc].call_class == IOTRACE_CLASS_HANDLE)
            return 0;
        record_data(&w, t, tid, failed, &rval, row); /* rval: the kernel's (-errno when failed) */
        if (!failed)
            result = rval;
        break;
    }
    /* the path of the path rows comes last (their one string) */
    if (t->sc == IOTRACE_SC_OPEN || t->sc == IOTRACE_SC_OPENAT || t->sc == IOTRACE_SC_OPENAT2 ||
        t->sc == IOTRACE_SC_CREAT)
        str(&w, t->path, failed && err == EFAULT ? 0 : t->path_len);

    uint16_t status = IOTRACE_STATUS_SOURCE_SYSCALL | (failed ? IOTRACE_STATUS_FAILED : 0) |
                      (t->truncated ? IOTRACE_STATUS_TRUNCATED : 0);
    if (iotrace_sc_info[t->sc].call_class == IOTRACE_CLASS_INPUT && !failed && result == 0)
        status |= IOTRACE_STATUS_EOF; /* as the shim's read_bytes rows: nothing read is end of input */
    iotrace_event_fixed(out, t->t0, t1, (uint64_t)result, tid, err, status);
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
    iotrace_event_fixed(out, now, now, (uint64_t)result, tid, 0, IOTRACE_STATUS_SOURCE_SYSCALL | extra_status);
    return w.len;
}
