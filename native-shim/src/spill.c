/*
 * Spill file writer. Opened lazily by the first thread that needs it (the others wait briefly, bounded); each record
 * is one write(2) on an O_APPEND fd, so records of different threads never interleave. The fd is moved to a high
 * number and checked (fstat identity) before each write: a program that closes "all other fds" or reuses the number
 * must neither lose us our file nor receive our records - we reopen instead.
 */
#include "spill.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "iotrace_format.h"
#include "session.h"
#include "sys.h"
#include "util.h"

enum { SPILL_NONE = 0, SPILL_OPENING = 1, SPILL_OPEN = 2, SPILL_FAILED = 3 };

static int spill_state;
static int spill_fd = -1;
static dev_t spill_dev;
static ino_t spill_ino;

#define SPILL_FD_MIN 700 /* well above what programs normally use, below the common 1024 limit */
#define OPEN_WAIT_NS 20000000000LL /* bound for waiting on another thread's open (never block forever) */

int iotrace_spill_fd(void)
{
    return __atomic_load_n(&spill_state, __ATOMIC_ACQUIRE) == SPILL_OPEN ? spill_fd : -1;
}

void iotrace_spill_forget(void)
{
    if (spill_fd >= 0)
        sys_close(spill_fd); /* our copy of the parent's spill fd */
    spill_fd = -1;
    spill_state = SPILL_NONE;
}

static void spill_path(char *path, size_t cap)
{
    iotrace_fmt(path, cap, "%s/.iotrace-spill/%d-%d.spill", iotrace_sess.out_dir, iotrace_cur.pid,
                iotrace_cur.incarnation);
}

/* the ring header with the spill magic and capacity 0 */
static int write_header(int fd)
{
    const unsigned char *h = iotrace_cur.map;
    uint64_t magic = IOTRACE_SPILL_MAGIC;
    uint32_t zero = 0;
    if (iotrace_write_all(fd, &magic, 8) != 0 ||
        iotrace_write_all(fd, h + 8, IOTRACE_HDR_RING_CAPACITY - 8) != 0 ||
        iotrace_write_all(fd, &zero, 4) != 0 ||
        iotrace_write_all(fd, h + IOTRACE_HDR_RING_CAPACITY + 4,
                          IOTRACE_RING_HEADER_LENGTH - IOTRACE_HDR_RING_CAPACITY - 4) != 0)
        return -1;
    return 0;
}

/* Opens (first time: creates) the spill file; returns the fd or -1. */
static int open_spill(int first)
{
    char path[IOTRACE_PATH_MAX + 64];
    char dir[IOTRACE_PATH_MAX + 32];
    iotrace_fmt(dir, sizeof dir, "%s/.iotrace-spill", iotrace_sess.out_dir);
    struct stat dir_st;
    if (iotrace_mkdirs(dir, 0700) != 0 || sys_lstat(dir, &dir_st) != 0 || !S_ISDIR(dir_st.st_mode)) {
        /* a symbolic link planted at the name would send our spill files elsewhere: refused */
        iotrace_debugf("cannot create %s (or it is not a directory): errno %d", dir, errno);
        return -1;
    }
    spill_path(path, sizeof path);
    int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW;
    int fd = sys_open(path, flags | (first ? O_EXCL : 0), 0600);
    if (fd < 0 && first && errno == EEXIST) {
        /* left by a dead process of the same pid and incarnation that nobody recovered yet: keep it aside */
        char aside[IOTRACE_PATH_MAX + 96];
        iotrace_fmt(aside, sizeof aside, "%s.stale-%lld", path, (long long)iotrace_now_ns());
        sys_rename(path, aside);
        fd = sys_open(path, flags | O_EXCL, 0600);
    }
    if (fd < 0) {
        iotrace_debugf("cannot open spill file %s: errno %d", path, errno);
        return -1;
    }
    int high = sys_fcntl(fd, F_DUPFD_CLOEXEC, SPILL_FD_MIN);
    if (high >= 0) {
        sys_close(fd);
        fd = high;
    }
    struct stat st;
    if (sys_fstat(fd, &st) != 0) {
        sys_close(fd);
        return -1;
    }
    if (st.st_size == 0 && write_header(fd) != 0) {
        iotrace_debugf("cannot write spill header to %s: errno %d", path, errno);
        sys_close(fd);
        if (first)
            sys_unlink(path);
        return -1;
    }
    spill_dev = st.st_dev;
    spill_ino = st.st_ino;
    return fd;
}

/* the fd is still our file (the program may have closed it and reused the number) */
static int still_ours(int fd)
{
    struct stat st;
    return sys_fstat(fd, &st) == 0 && st.st_dev == spill_dev && st.st_ino == spill_ino;
}

/* Returns an open spill fd other than `stale` (a number that is no longer our file), or -1. */
static int get_fd(int stale)
{
    int64_t waited = 0;
    for (;;) {
        int st = __atomic_load_n(&spill_state, __ATOMIC_ACQUIRE);
        if (st == SPILL_OPEN && spill_fd != stale)
            return spill_fd;
        if (st == SPILL_FAILED)
            return -1;
        if (st == SPILL_OPENING) {
            if (waited >= OPEN_WAIT_NS)
                return -1;
            iotrace_sleep_ns(100000);
            waited += 100000;
            continue;
        }
        /* NONE, or OPEN with a lost fd: this thread (re)opens */
        if (!__atomic_compare_exchange_n(&spill_state, &st, SPILL_OPENING, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            continue;
        /* a lost fd is not closed: its number may belong to the program now */
        int first = st == SPILL_NONE;
        int fd = open_spill(first);
        spill_fd = fd;
        __atomic_store_n(&spill_state, fd >= 0 ? SPILL_OPEN : SPILL_FAILED, __ATOMIC_RELEASE);
        return fd;
    }
}

int iotrace_spill_write(unsigned char *rec, uint32_t record_length, int32_t type)
{
    int32_t length = (int32_t)record_length;
    memcpy(rec, &length, 4);
    memcpy(rec + 4, &type, 4);
    uint32_t aligned = (record_length + 7u) & ~7u;
    memset(rec + record_length, 0, aligned - record_length); /* buffers are sized in 8-byte words */

    int saved = errno;
    int rc = -1;
    int fd = get_fd(-1);
    for (int attempt = 0; fd >= 0 && attempt < 2; attempt++) {
        if (!still_ours(fd)) {
            fd = get_fd(fd);
            continue;
        }
        ssize_t n;
        do {
            n = sys_write(fd, rec, aligned);
        } while (n < 0 && errno == EINTR);
        if (n == (ssize_t)aligned) {
            __atomic_fetch_add((uint64_t *)iotrace_hdr(IOTRACE_HDR_SPILLED_EVENTS), 1, __ATOMIC_RELAXED);
            rc = 0;
        }
        /* ENOSPC, EIO, or a short write (a truncated record is ignored by readers): lost */
        break;
    }
    errno = saved;
    return rc;
}
