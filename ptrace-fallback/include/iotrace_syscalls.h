/*
 * The system calls the ptrace fallback stops (handle-creating and -destroying ones, and where no shim runs the reads,
 * writes and metadata calls too), per ABI: the types of the
 * generated table iotrace_syscalls.gen.h (gen/gen-syscalls.sh, from the kernel headers). Included by the tracer
 * (ptrace-fallback/src) and by the shim's seccomp filter builder (native-shim/src/ptrace_fallback.c).
 */
#ifndef IOTRACE_SYSCALLS_H
#define IOTRACE_SYSCALLS_H

#include <stddef.h>

/* how an argument is read and recorded */
enum iotrace_arg_kind {
    IOTRACE_ARG_NONE,
    IOTRACE_ARG_FD,              /* int: sign-extended from 32 bits (AT_FDCWD, -1) */
    IOTRACE_ARG_INT,             /* int, sign-extended */
    IOTRACE_ARG_UINT,            /* unsigned int */
    IOTRACE_ARG_ULONG,           /* unsigned long (32 bits in the i386 ABI) */
    IOTRACE_ARG_PTR,             /* an address */
    IOTRACE_ARG_SIZE,            /* size_t */
    IOTRACE_ARG_PATH,            /* NUL-terminated path, read from the tracee */
    IOTRACE_ARG_STR,             /* NUL-terminated string, read from the tracee */
    IOTRACE_ARG_OFLAGS,          /* open flags (int) */
    IOTRACE_ARG_MODE,            /* mode_t; recorded only when the flags create (O_CREAT, O_TMPFILE) */
    IOTRACE_ARG_DUPFLAGS,        /* dup3 flags */
    IOTRACE_ARG_FCNTLCMD,        /* fcntl command */
    IOTRACE_ARG_MAPFLAGS,        /* mmap flags */
    IOTRACE_ARG_PROT,            /* mmap protection */
    IOTRACE_ARG_OFF,             /* file offset in bytes */
    IOTRACE_ARG_PGOFF,           /* file offset in 4096-byte units (mmap2) */
    IOTRACE_ARG_MREMAPFLAGS,     /* mremap flags */
    IOTRACE_ARG_CLOSERANGEFLAGS, /* close_range flags */
    IOTRACE_ARG_OPENHOW,         /* openat2's struct open_how *: flags, mode, resolve read from the tracee */
    IOTRACE_ARG_FDPAIR,          /* int[2] the kernel fills (pipe): read from the tracee after the call */
    IOTRACE_ARG_OFF64,           /* a 64-bit offset: one register, two in the i386 ABI (low, then high) */
    IOTRACE_ARG_OFFLO,           /* preadv's pos_l: the whole offset in 64-bit ABIs, its low half in i386 */
    IOTRACE_ARG_OFFHI,           /* preadv's pos_h: the high half in i386, ignored elsewhere (not recorded) */
    IOTRACE_ARG_OFFPTR,          /* off_t * of a transfer (sendfile): 4 bytes in i386; NULL: the fd's offset */
    IOTRACE_ARG_LOFFPTR,         /* loff_t * of a transfer (sendfile64, copy_file_range, splice) */
    IOTRACE_ARG_STATBUF,         /* struct stat * the call fills (the ABI's: i386's old one for fstat) */
    IOTRACE_ARG_STAT64BUF,       /* struct stat64 * (i386 fstat64, fstatat64) */
    IOTRACE_ARG_STATXBUF,        /* struct statx * */
    IOTRACE_ARG_ADDR,            /* an address the record keeps (munmap's): PTR is one it leaves out */
};

/* which calls a filter stops (iotrace_filter.h) */
enum iotrace_call_class {
    IOTRACE_CLASS_HANDLE, /* makes or ends a handle: stopped by every filter unless a wrapper made it */
    IOTRACE_CLASS_DATA,   /* reads, writes, metadata: the shim records them itself; stopped only where no shim
                           * runs (iotrace-ptrace --own-rings, i.e. iotrace run --ptrace-only, and --attach) */
    IOTRACE_CLASS_INPUT,  /* a data call whose row's result is read_bytes: 0 is end of input (status EOF) */
};

/* which stop the tracer needs: the entry only (the record is complete before the call) or the exit too */
enum iotrace_stop { IOTRACE_STOP_ENTRY, IOTRACE_STOP_EXIT };

struct iotrace_sc_info {
    const char *name;  /* the system call's name (the kernel's) */
    int row;           /* the functions.tbl row it is recorded as */
    int call_class;    /* enum iotrace_call_class */
    int stop;          /* enum iotrace_stop */
    int nargs;
    unsigned char args[6]; /* enum iotrace_arg_kind of each argument */
};

struct iotrace_sc_number {
    int nr;  /* the number in one ABI */
    int sc;  /* enum iotrace_sc */
};

/*
 * Shim -> tracer: an image exec'd inside a traced tree runs under the seccomp filter of an earlier image (a filter
 * cannot be removed), whose allowed instruction pointers are meaningless in the new address space. Its shim
 * therefore calls close(IOTRACE_PTRACE_REGISTER_FD, sites, count), which the filter always stops: the tracer reads
 * `count` u64 instruction pointers at `sites` (each the address after an allowed syscall instruction;
 * IOTRACE_PTRACE_SITE_SYS_ONLY marks libc syscall()'s, allowed only for the calls the shim records as rows), lets
 * later stops at those sites pass unrecorded, and the call fails with EBADF.
 */
#define IOTRACE_PTRACE_REGISTER_FD   0x696f7472 /* "iotr" */
#define IOTRACE_PTRACE_SITE_SYS_ONLY (1ULL << 63)

#include "iotrace_syscalls.gen.h"

#define IOTRACE_SC_TABLE_LENGTH(table) (sizeof(table) / sizeof((table)[0]))

/* the handle calls the shim's wrapper of libc's syscall() records as their own rows (functions.tbl flag `sys`):
 * at libc syscall()'s instruction only these pass the filter unstopped */
static const int iotrace_sc_sys_recorded[] = {
    IOTRACE_SC_OPEN, IOTRACE_SC_OPENAT, IOTRACE_SC_OPENAT2, IOTRACE_SC_CREAT, IOTRACE_SC_CLOSE, IOTRACE_SC_DUP,
    IOTRACE_SC_DUP2, IOTRACE_SC_DUP3, IOTRACE_SC_FCNTL, IOTRACE_SC_MMAP, IOTRACE_SC_MEMFD_CREATE,
};

static inline int iotrace_sc_is_sys_recorded(int sc)
{
    for (size_t i = 0; i < IOTRACE_SC_TABLE_LENGTH(iotrace_sc_sys_recorded); i++)
        if (iotrace_sc_sys_recorded[i] == sc)
            return 1;
    return 0;
}

#endif /* IOTRACE_SYSCALLS_H */
