/*
 * The known-fd table: one byte per fd the collector has a name for. Lock-free (byte stores; the one exchange is
 * on discovery, so that of two threads discovering the same fd only one names it).
 * An fd the shim has never seen is named from /proc/self/fd before it is used (fd_discovered, how=1), so the
 * collector can resolve every later event of it; fds open at start are named the same way with how=0.
 */
#include <errno.h>
#include <string.h>

#include "iotrace_runtime.h"
#include "spill.h"
#include "sys.h"
#include "util.h"

_Static_assert(IOTRACE_FN_FD_DISCOVERED_SLOTS == 2 && IOTRACE_FN_FD_DISCOVERED_STRINGS == 1,
               "fd_discovered row changed: update iotrace_fd_discover");

uint8_t iotrace_fd_known[IOTRACE_FD_MAX];
int iotrace_fd_highest = -1;

static void emit_discovered(int fd, int how, const char *path, size_t len)
{
    uint64_t buf[(IOTRACE_RECORD_HEADER_LENGTH + IOTRACE_EVENT_ARGS + 2 * 8 + 2 + IOTRACE_MAX_STRING + 7) / 8];
    struct iotrace_event ev;
    iotrace_ev_init(&ev, buf, sizeof buf, IOTRACE_FN_FD_DISCOVERED_SLOTS);
    iotrace_ev_slot(&ev, 0, (uint64_t)(int64_t)fd);
    iotrace_ev_slot(&ev, 1, (uint64_t)(int64_t)how);
    iotrace_ev_strn(&ev, path, len);
    int64_t now = iotrace_now_ns();
    iotrace_ev_publish(&ev, IOTRACE_FN_FD_DISCOVERED, now, now, 0, 0, 0);
}

/* The kernel's name of fd (/proc/self/fd/<fd>) into path (not terminated); -1 when fd is not open. */
static ssize_t fd_link(int fd, char *path, size_t cap)
{
    char link[64];
    iotrace_fmt(link, sizeof link, "/proc/self/fd/%d", fd);
    return sys_readlink(link, path, cap);
}

void iotrace_fd_discover(int fd, int how)
{
    if (fd < 0 || fd >= IOTRACE_FD_MAX || fd == iotrace_spill_fd())
        return;
    int saved = errno;
    char path[IOTRACE_MAX_STRING + 1];
    ssize_t n = fd_link(fd, path, sizeof path);
    if (n >= 0) {
        /* only the thread that marks the fd names it */
        if (iotrace_vfork_child) { /* the table is the parent's: the child keeps its own */
            iotrace_vfork_fd_mark(fd, 1);
            emit_discovered(fd, how, path, (size_t)n);
        }
        else {
            iotrace_fd_raise_highest(fd);
            if (__atomic_exchange_n(&iotrace_fd_known[fd], 1, __ATOMIC_RELAXED) == 0)
                emit_discovered(fd, how, path, (size_t)n); /* > 4096 bytes: cut, TRUNCATED */
        }
    }
    /* not open (EBADF/ENOENT): nothing to name, the call will fail by itself */
    errno = saved;
}

/* A descriptor received in an SCM_RIGHTS message (how=2): always named, whatever the bit said (a number the shim
 * still thought known was closed behind its back, or the kernel would not have handed it out). */
void iotrace_fd_received(int fd)
{
    if (fd < 0 || fd >= IOTRACE_FD_MAX || fd == iotrace_spill_fd())
        return;
    int saved = errno;
    char path[IOTRACE_MAX_STRING + 1];
    ssize_t n = fd_link(fd, path, sizeof path);
    if (n >= 0) {
        iotrace_fd_set(fd);
        emit_discovered(fd, 2, path, (size_t)n);
    }
    errno = saved;
}

struct fd_list {
    int fds[4096];
    int count;
};

static void collect_fd(int fd, void *list)
{
    struct fd_list *l = list;
    if (l->count < (int)(sizeof l->fds / sizeof l->fds[0]))
        l->fds[l->count++] = fd;
}

/* Names every fd open at start (how=0), through a raw /proc/self/fd listing (no malloc, no traced opendir). */
void iotrace_fd_scan(void)
{
    /* collect first, name afterwards: naming while the listing is open would report the listing's own fd */
    static struct fd_list open_fds;
    open_fds.count = 0;
    iotrace_each_open_fd(collect_fd, &open_fds);
    for (int i = 0; i < open_fds.count; i++)
        iotrace_fd_discover(open_fds.fds[i], 0);
}

void iotrace_fd_clear_range(unsigned int first, unsigned int last)
{
    int highest = __atomic_load_n(&iotrace_fd_highest, __ATOMIC_RELAXED);
    if (highest < 0 || first > (unsigned int)highest || first > last)
        return;
    if (last > (unsigned int)highest)
        last = (unsigned int)highest; /* close_range(3, ~0U): no sweep over a million untouched entries */
    for (unsigned int fd = first; fd <= last; fd++)
        if (__atomic_load_n(&iotrace_fd_known[fd], __ATOMIC_RELAXED) != 0) /* read first: clean pages stay clean */
            __atomic_store_n(&iotrace_fd_known[fd], 0, __ATOMIC_RELAXED);
}
