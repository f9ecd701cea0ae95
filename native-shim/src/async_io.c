/*
 * Helpers of the record items of the asynchronous I/O rows of functions.tbl (POSIX aio, io_uring through
 * syscall()): reading aiocb lists. Called with the guard held,
 * so the per-thread buffer is never used by two calls at once (a signal handler's calls go untraced meanwhile).
 */
#include <aio.h>
#include <errno.h>
#include <string.h>

#include "iotrace_runtime.h"
#include "sys.h"
#include "util.h"

/* one string item per record uses it: the lio_listio description or the /proc name of a new descriptor */
static IOTRACE_TLS char scratch[256];

int iotrace_aiocb_list_fd(const void *const *list, int nent)
{
    for (int i = 0; list != NULL && i < nent; i++) {
        const struct aiocb *cb = list[i];
        if (cb != NULL)
            return cb->aio_fildes;
    }
    return -1;
}

const char *iotrace_lio_describe(const void *const *list, int nent)
{
    size_t len = 0;
    scratch[0] = '\0';
    for (int i = 0; list != NULL && i < nent; i++) {
        const struct aiocb *cb = list[i];
        if (cb == NULL)
            continue;
        char entry[96];
        const int op = cb->aio_lio_opcode;
        const char *name = op == LIO_READ ? "read" : op == LIO_WRITE ? "write" : op == LIO_NOP ? "nop" : NULL;
        size_t n = name != NULL
            ? iotrace_fmt(entry, sizeof entry, "%s%d:%s:%lld:%llu", len ? " " : "", cb->aio_fildes, name,
                          (long long)cb->aio_offset, (unsigned long long)cb->aio_nbytes)
            : iotrace_fmt(entry, sizeof entry, "%s%d:%d:%lld:%llu", len ? " " : "", cb->aio_fildes, op,
                          (long long)cb->aio_offset, (unsigned long long)cb->aio_nbytes);
        if (len + n >= sizeof scratch)
            break; /* cut at whole entries */
        memcpy(scratch + len, entry, n + 1);
        len += n;
    }
    return scratch;
}

