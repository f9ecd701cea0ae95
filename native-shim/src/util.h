/* Small async-signal-safe helpers: bounded strings, a tiny formatter, /proc reading, mkdir -p, debug output. */
#ifndef IOTRACE_UTIL_H
#define IOTRACE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IOTRACE_PATH_MAX 4096

/* Copies at most cap-1 bytes and NUL-terminates; returns the length of src (>= cap means cut). */
size_t iotrace_strlcpy(char *dst, const char *src, size_t cap);

/* 1 when text (NUL-terminated) is strict UTF-8: no overlong forms, surrogates or code points past U+10FFFF. */
int iotrace_valid_utf8(const char *text);

/*
 * snprintf subset without malloc or locale: %s %c %d %u %ld %lu %lld %llu %x %lx %llx %%.
 * Always NUL-terminates; returns the length it wanted to write.
 */
size_t iotrace_vfmt(char *buf, size_t cap, const char *fmt, va_list ap);
size_t iotrace_fmt(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Reads up to cap bytes of a small file (/proc, session file); returns bytes read or -1. */
ssize_t iotrace_read_file(const char *path, char *buf, size_t cap);

/* Field 22 (starttime, clock ticks since boot) of /proc/<pid>/stat; 0 when unreadable. pid 0 = self. */
uint64_t iotrace_proc_start_ticks(int pid);

/* mkdir -p with mode for the missing components; 0 on success (the directory exists afterwards). */
int iotrace_mkdirs(const char *path, int mode);

/* Writes all bytes (retrying short writes and EINTR); 0 on success. */
int iotrace_write_all(int fd, const void *buf, size_t n);

/*
 * Calls fn(name, arg) for every entry of the open directory dirfd except "." and "..", stopping when fn returns
 * nonzero (that value is returned). Raw getdents64 on a stack buffer: no malloc, async-signal-safe, and no
 * opendir that our own wrappers could see.
 */
int iotrace_each_dirent(int dirfd, int (*fn)(const char *name, void *arg), void *arg);

/* Calls fn(fd, arg) for every descriptor listed in /proc/self/fd, except the listing's own. */
void iotrace_each_open_fd(void (*fn)(int fd, void *arg), void *arg);

/* IOTRACE_DEBUG=1: one "iotrace: ..." line on stderr via a raw write. Never otherwise. */
extern int iotrace_debug_enabled;
void iotrace_debugf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* IOTRACE_UTIL_H */
