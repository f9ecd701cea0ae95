/*
 * Raw system calls for the shim's own I/O. The shim exports open/read/write/mmap/... itself, so calling those
 * libc names from inside the shim would come back into our wrappers; syscall(2) never does, is async-signal-safe
 * and can be used in fork and clone children. Failures return -1 with errno set, like the libc functions.
 */
#ifndef IOTRACE_SYS_H
#define IOTRACE_SYS_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "raw_syscall.h"

static inline int sys_openat(int dirfd, const char *path, int flags, int mode)
{
    return (int)syscall(SYS_openat, dirfd, path, flags, mode);
}
static inline int sys_open(const char *path, int flags, int mode)
{
    return sys_openat(AT_FDCWD, path, flags, mode);
}
static inline ssize_t sys_read(int fd, void *buf, size_t n) { return syscall(SYS_read, fd, buf, n); }
static inline ssize_t sys_write(int fd, const void *buf, size_t n) { return syscall(SYS_write, fd, buf, n); }
static inline ssize_t sys_pread(int fd, void *buf, size_t n, off_t off) { return syscall(SYS_pread64, fd, buf, n, off); }
static inline int sys_close(int fd) { return (int)syscall(SYS_close, fd); }
static inline int sys_ftruncate(int fd, off_t len) { return (int)syscall(SYS_ftruncate, fd, len); }
static inline int sys_fallocate(int fd, int mode, off_t off, off_t len)
{
    return (int)syscall(SYS_fallocate, fd, mode, off, len);
}
static inline void *sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}
static inline int sys_munmap(void *addr, size_t len) { return (int)syscall(SYS_munmap, addr, len); }
static inline ssize_t sys_readlink(const char *path, char *buf, size_t n)
{
    return syscall(SYS_readlinkat, AT_FDCWD, path, buf, n);
}
static inline long sys_getdents64(int fd, void *buf, size_t n) { return syscall(SYS_getdents64, fd, buf, n); }
static inline int sys_mkdir(const char *path, int mode) { return (int)syscall(SYS_mkdirat, AT_FDCWD, path, mode); }
static inline int sys_lstat(const char *path, struct stat *st)
{
    return (int)syscall(SYS_newfstatat, AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}
static inline int sys_fstat(int fd, struct stat *st) { return (int)syscall(SYS_fstat, fd, st); }
static inline int sys_rename(const char *from, const char *to)
{
    return (int)syscall(SYS_renameat, AT_FDCWD, from, AT_FDCWD, to);
}
static inline int sys_symlink(const char *target, const char *path)
{
    return (int)syscall(SYS_symlinkat, target, AT_FDCWD, path);
}
static inline int sys_unlink(const char *path) { return (int)syscall(SYS_unlinkat, AT_FDCWD, path, 0); }
static inline int sys_access(const char *path, int mode) { return (int)syscall(SYS_faccessat, AT_FDCWD, path, mode); }
static inline int sys_flock(int fd, int op) { return (int)syscall(SYS_flock, fd, op); }
static inline int sys_fcntl(int fd, int cmd, long arg) { return (int)syscall(SYS_fcntl, fd, cmd, arg); }
static inline int sys_dup2(int from, int to)
{
#ifdef SYS_dup2
    return (int)syscall(SYS_dup2, from, to);
#else /* aarch64 has dup3 only, which refuses from == to (dup2 then checks that from is open) */
    if (from == to)
        return sys_fcntl(from, F_GETFD, 0) < 0 ? -1 : to;
    return (int)syscall(SYS_dup3, from, to, 0);
#endif
}
static inline long sys_getcwd(char *buf, size_t n) { return syscall(SYS_getcwd, buf, n); }
static inline int sys_getpid(void) { return (int)syscall(SYS_getpid); }
static inline int sys_getppid(void) { return (int)syscall(SYS_getppid); }
static inline int sys_gettid(void) { return (int)syscall(SYS_gettid); }
static inline int sys_geteuid(void) { return (int)syscall(SYS_geteuid); }
static inline __attribute__((noreturn)) void sys_exit_group(int code)
{
    for (;;)
        syscall(SYS_exit_group, code);
}

#endif /* IOTRACE_SYS_H */
