/*
 * Helpers of the stdio (FILE*) rows of functions.tbl, used in their record expressions. None of them changes a
 * stream's state or the caller's errno as the program can see it.
 */
#include "iotrace_runtime.h"
#include "sys.h"
#include "util.h"

/* one path per thread: the generated wrapper copies it into its event right after computing it */
static IOTRACE_TLS char stream_path[IOTRACE_MAX_STRING + 1];

const char *iotrace_stream_path(FILE *stream)
{
    int fd = iotrace_stream_fd(stream);
    stream_path[0] = '\0';
    if (fd < 0)
        return stream_path;
    char link[64];
    iotrace_fmt(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = sys_readlink(link, stream_path, sizeof stream_path - 1);
    stream_path[n > 0 ? n : 0] = '\0';
    return stream_path;
}

int64_t iotrace_stream_tell(FILE *stream)
{
    if (stream == NULL)
        return -1;
    /* the real ftello64: only reports the position (no flush, no buffer change); an unseekable stream says -1 */
    iotrace_real_ftello64_t real_ftello = (iotrace_real_ftello64_t)iotrace_real(IOTRACE_REAL_FTELLO64);
    if (real_ftello == NULL)
        return -1;
    int saved = errno;
    /* pipes, sockets and terminals cannot seek: asking would add a failing lseek (ESPIPE) to the program's syscalls */
    int fd = iotrace_stream_fd(stream);
    struct stat st;
    if (fd >= 0 && (sys_fstat(fd, &st) != 0 || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode))) {
        errno = saved;
        return -1;
    }
    int64_t position = real_ftello(stream);
    errno = saved;
    return position;
}

size_t iotrace_strlen(const char *s)
{
    return s != NULL ? strlen(s) : 0;
}

size_t iotrace_wcslen(const wchar_t *s)
{
    return s != NULL ? wcslen(s) : 0;
}
