/* Record helpers of the directories / metadata / glibc-internal handles family (see iotrace_dirs.h). */
#include "iotrace_runtime.h"

typedef int (*dirfd_fn)(DIR *);

int iotrace_dir_fd(DIR *dir)
{
    if (dir == NULL)
        return -1;
    dirfd_fn real = (dirfd_fn)iotrace_real(IOTRACE_REAL_DIRFD);
    return real != NULL ? real(dir) : -1;
}

const char *iotrace_shm_path(char *scratch, const char *prefix, const char *name)
{
    static const char dir[] = "/dev/shm/";
    if (name == NULL)
        return NULL;
    while (*name == '/')
        name++;
    size_t at = 0;
    for (const char *part[] = {dir, prefix, name}, **p = part; p < part + 3; p++)
        for (const char *c = *p; *c != '\0' && at < IOTRACE_PATH_ROOM - 1; c++)
            scratch[at++] = *c;
    scratch[at] = '\0';
    return scratch;
}

const char *iotrace_link_target(char *scratch, ssize_t ret, const char *buf)
{
    if (ret < 0 || buf == NULL)
        return NULL;
    size_t n = (size_t)ret < IOTRACE_PATH_ROOM - 1 ? (size_t)ret : IOTRACE_PATH_ROOM - 1;
    memcpy(scratch, buf, n);
    scratch[n] = '\0';
    return scratch;
}

const char *iotrace_dl_path(void *handle)
{
    /* a dlopen handle is the library's struct link_map (glibc): no dlinfo call, which could set dlerror */
    const struct link_map *map = handle;
    return map != NULL && map->l_name != NULL && map->l_name[0] != '\0' ? map->l_name : NULL;
}

const char *iotrace_dl_path_copy(char *scratch, void *handle)
{
    const char *path = iotrace_dl_path(handle);
    if (path == NULL)
        return NULL;
    size_t n = strnlen(path, IOTRACE_PATH_ROOM - 1);
    memcpy(scratch, path, n);
    scratch[n] = '\0';
    return scratch;
}

const char *iotrace_fd_path(char *scratch, int fd)
{
    if (fd < 0)
        return NULL;
    char link[40] = "/proc/self/fd/";
    size_t at = strlen(link);
    char digits[12];
    int n = 0;
    for (unsigned v = (unsigned)fd; n == 0 || v != 0; v /= 10)
        digits[n++] = (char)('0' + v % 10);
    while (n > 0)
        link[at++] = digits[--n];
    link[at] = '\0';
    long len = syscall(SYS_readlinkat, AT_FDCWD, link, scratch, IOTRACE_PATH_ROOM - 1);
    if (len <= 0 || scratch[0] != '/')
        return NULL; /* not a file of the directory tree (socket:[...], anon_inode:...) */
    scratch[len] = '\0';
    return scratch;
}
