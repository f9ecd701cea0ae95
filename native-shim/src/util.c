#include "util.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "sys.h"

int iotrace_debug_enabled;

size_t iotrace_strlcpy(char *dst, const char *src, size_t cap)
{
    size_t n = strlen(src);
    if (cap > 0) {
        size_t c = n < cap - 1 ? n : cap - 1;
        memcpy(dst, src, c);
        dst[c] = '\0';
    }
    return n;
}

struct out {
    char *buf;
    size_t cap;
    size_t len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->cap)
        o->buf[o->len] = c;
    o->len++;
}

static void put_u(struct out *o, unsigned long long v, unsigned base)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v != 0);
    while (n > 0)
        put(o, tmp[--n]);
}

size_t iotrace_vfmt(char *buf, size_t cap, const char *fmt, va_list ap)
{
    struct out o = {buf, cap, 0};
    for (const char *p = fmt; *p != '\0'; p++) {
        if (*p != '%') {
            put(&o, *p);
            continue;
        }
        p++;
        int longs = 0;
        while (*p == 'l') {
            longs++;
            p++;
        }
        switch (*p) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            for (s = s != NULL ? s : "(null)"; *s != '\0'; s++)
                put(&o, *s);
            break;
        }
        case 'c':
            put(&o, (char)va_arg(ap, int));
            break;
        case 'd': {
            long long v = longs == 0 ? va_arg(ap, int) : longs == 1 ? va_arg(ap, long) : va_arg(ap, long long);
            if (v < 0) {
                put(&o, '-');
                put_u(&o, 0ULL - (unsigned long long)v, 10);
            } else {
                put_u(&o, (unsigned long long)v, 10);
            }
            break;
        }
        case 'u':
        case 'x': {
            unsigned long long v = longs == 0   ? va_arg(ap, unsigned)
                                   : longs == 1 ? va_arg(ap, unsigned long)
                                                : va_arg(ap, unsigned long long);
            put_u(&o, v, *p == 'u' ? 10 : 16);
            break;
        }
        case '%':
            put(&o, '%');
            break;
        case '\0':
            p--;
            break;
        default:
            put(&o, '%');
            put(&o, *p);
            break;
        }
    }
    if (cap > 0)
        buf[o.len < cap ? o.len : cap - 1] = '\0';
    return o.len;
}

size_t iotrace_fmt(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = iotrace_vfmt(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}

ssize_t iotrace_read_file(const char *path, char *buf, size_t cap)
{
    int fd = sys_open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
    if (fd < 0)
        return -1;
    size_t got = 0;
    while (got < cap) {
        ssize_t n = sys_read(fd, buf + got, cap - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    sys_close(fd);
    return (ssize_t)got;
}

uint64_t iotrace_proc_start_ticks(int pid)
{
    char path[64];
    char stat[1024];
    if (pid == 0)
        iotrace_strlcpy(path, "/proc/self/stat", sizeof path);
    else
        iotrace_fmt(path, sizeof path, "/proc/%d/stat", pid);
    ssize_t n = iotrace_read_file(path, stat, sizeof stat - 1);
    if (n <= 0)
        return 0;
    stat[n] = '\0';
    /* the command name (field 2) may contain spaces and ')': fields are counted after its last ')' */
    char *p = strrchr(stat, ')');
    if (p == NULL)
        return 0;
    p++;
    int field = 2;
    while (*p != '\0' && field < 22) {
        if (*p == ' ') {
            field++;
            while (*p == ' ')
                p++;
        } else {
            p++;
        }
    }
    uint64_t v = 0;
    while (*p >= '0' && *p <= '9')
        v = v * 10 + (uint64_t)(*p++ - '0');
    return v;
}

/* mkdir -p that starts from the full path: an existing directory costs one mkdir, and no failing mkdir of every
   ancestor shows up in the program's syscalls (strace, the transparency test) */
int iotrace_mkdirs(const char *path, int mode)
{
    char tmp[IOTRACE_PATH_MAX];
    size_t length = iotrace_strlcpy(tmp, path, sizeof tmp);
    if (length >= sizeof tmp || length == 0)
        return -1;
    while (length > 1 && tmp[length - 1] == '/')
        tmp[--length] = '\0';
    struct stat st;
    if (syscall(SYS_newfstatat, AT_FDCWD, tmp, &st, 0) == 0 && S_ISDIR(st.st_mode))
        return 0; /* the usual case, without a failing mkdir */
    /* walk up to the deepest ancestor that exists (or could be made) */
    size_t end = length;
    for (;;) {
        if (sys_mkdir(tmp, mode) == 0 || errno == EEXIST)
            break;
        if (errno != ENOENT)
            return -1;
        char *slash = strrchr(tmp, '/');
        if (slash == NULL || slash == tmp)
            return -1;
        *slash = '\0';
    }
    /* then down again, making each missing component */
    for (size_t at = strlen(tmp); at < end; at = strlen(tmp)) {
        tmp[at] = '/';
        if (sys_mkdir(tmp, mode) != 0 && errno != EEXIST)
            return -1;
    }
    return 0;
}

int iotrace_write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = sys_write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

void iotrace_debugf(const char *fmt, ...)
{
    if (!iotrace_debug_enabled)
        return;
    int saved = errno;
    char line[1024];
    size_t n = iotrace_fmt(line, sizeof line, "iotrace: [%d] ", sys_getpid());
    va_list ap;
    va_start(ap, fmt);
    if (n < sizeof line)
        n += iotrace_vfmt(line + n, sizeof line - n, fmt, ap);
    va_end(ap);
    if (n > sizeof line - 2)
        n = sizeof line - 2;
    line[n++] = '\n';
    iotrace_write_all(2, line, n);
    errno = saved;
}

void iotrace_sleep_ns(int64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000LL), (long)(ns % 1000000000LL)};
    syscall(SYS_nanosleep, &ts, NULL);
}

int iotrace_each_dirent(int dirfd, int (*fn)(const char *name, void *arg), void *arg)
{
    char buf[4096] __attribute__((aligned(8)));
    long n;
    while ((n = sys_getdents64(dirfd, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n;) {
            struct {
                uint64_t ino;
                int64_t off;
                unsigned short reclen;
                unsigned char type;
                char name[];
            } *d = (void *)(buf + off);
            off += d->reclen;
            if (d->name[0] == '.' && (d->name[1] == 0 || (d->name[1] == '.' && d->name[2] == 0)))
                continue;
            int stop = fn(d->name, arg);
            if (stop)
                return stop;
        }
    }
    return 0;
}

struct open_fd_walk {
    int listing_fd;
    void (*fn)(int fd, void *arg);
    void *arg;
};

static int open_fd_entry(const char *name, void *arg)
{
    struct open_fd_walk *walk = arg;
    if (name[0] < '0' || name[0] > '9')
        return 0;
    int fd = 0;
    for (const char *p = name; *p >= '0' && *p <= '9'; p++)
        fd = fd * 10 + (*p - '0');
    if (fd != walk->listing_fd)
        walk->fn(fd, walk->arg);
    return 0;
}

void iotrace_each_open_fd(void (*fn)(int fd, void *arg), void *arg)
{
    int dir = sys_open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (dir < 0)
        return;
    struct open_fd_walk walk = {dir, fn, arg};
    iotrace_each_dirent(dir, open_fd_entry, &walk);
    sys_close(dir);
}

/* Strict UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF): the collector is Java, which reads paths
 * as UTF-8 strings; a directory name that is not valid UTF-8 would reach it changed, and the trace would be written
 * somewhere else. */
int iotrace_valid_utf8(const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    while (*p != '\0') {
        unsigned c = *p++;
        int more;
        unsigned min;
        if (c < 0x80)
            continue;
        else if (c >= 0xc2 && c <= 0xdf)
            more = 1, min = 0x80, c &= 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
            more = 2, min = 0x800, c &= 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
            more = 3, min = 0x10000, c &= 0x07;
        else
            return 0;
        for (; more > 0; more--, p++) {
            if ((*p & 0xc0) != 0x80)
                return 0;
            c = (c << 6) | (*p & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            return 0;
    }
    return 1;
}
