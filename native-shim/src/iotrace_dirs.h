/*
 * Types and record helpers of the directories / metadata / glibc-internal handles family (functions.tbl ids
 * 300..): the headers their prototypes need, and the C expressions their rows use. Included by iotrace_runtime.h
 * before the generated header. Everything here is async-signal-safe and leaves errno alone.
 */
#ifndef IOTRACE_DIRS_H
#define IOTRACE_DIRS_H

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <link.h>
#include <semaphore.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/types.h>
#include <utime.h>

/* scandir's function-pointer parameters, named so that a table row can spell them */
typedef int (*iotrace_dirent_filter_t)(const struct dirent *);
typedef int (*iotrace_dirent_compar_t)(const struct dirent **, const struct dirent **);
typedef int (*iotrace_dirent64_filter_t)(const struct dirent64 *);
typedef int (*iotrace_dirent64_compar_t)(const struct dirent64 **, const struct dirent64 **);
/* glob's error callback */
typedef int (*iotrace_glob_errfunc_t)(const char *, int);

/* the descriptor behind a DIR* (through the real dirfd, not our wrapper); -1 for NULL */
int iotrace_dir_fd(DIR *dir);

/* the name of the entry readdir returned, NULL at the end or on error */
#define IOTRACE_DIRENT_NAME(entry) ((entry) != NULL ? (entry)->d_name : NULL)
/* readdir_r: the name of the entry it stored in *result, NULL at the end or on error */
#define IOTRACE_DIRENT_R_NAME(ret, result) \
    ((ret) == 0 && *(result) != NULL ? (*(result))->d_name : NULL) /* ret 0: *result was written */

/* the size a successful statx filled in, 0 when it failed */
#define IOTRACE_STATX_SIZE(ret, buf) ((ret) == 0 ? (uint64_t)(buf)->stx_size : 0)

/* glob: the number of paths in pglob after the call (GLOB_APPEND counts the earlier ones too) */
#define IOTRACE_GLOB_COUNT(pglob) ((pglob) != NULL ? (uint64_t)(pglob)->gl_pathc : 0)

/* room for a path built or copied by the helpers below (a compound literal in the row: the wrapper's stack) */
#define IOTRACE_PATH_ROOM 4097
#define IOTRACE_SCRATCH ((char[IOTRACE_PATH_ROOM]){0})

/*
 * The file behind a POSIX shm or semaphore name, as glibc builds it: "/dev/shm/" + prefix + name without its
 * leading slashes (shm_open: prefix "", sem_open: prefix "sem."). Written into scratch; NULL for a NULL name.
 */
const char *iotrace_shm_path(char *scratch, const char *prefix, const char *name);

/* the bytes readlink stored (not NUL-terminated) as a string in scratch; NULL when it failed */
const char *iotrace_link_target(char *scratch, ssize_t ret, const char *buf);

/* the file of a dlopen handle (its link map's name, absolute when the loader searched for it); NULL if none */
const char *iotrace_dl_path(void *handle);
/* the file an fd names, as /proc/self/fd shows it (read with the system call, not our readlink); NULL if unknown */
const char *iotrace_fd_path(char *scratch, int fd);

/* dlopen: the file it loaded, else (failed) the name it was given */
#define IOTRACE_DL_FILE(ret, filename) ((ret) != NULL && iotrace_dl_path(ret) != NULL ? iotrace_dl_path(ret) : (filename))
/* dlclose: the file copied into scratch before the call (which may unload the library and free its name) */
const char *iotrace_dl_path_copy(char *scratch, void *handle);

#endif /* IOTRACE_DIRS_H */
