package io.iotrace.core.decode;

import java.util.List;

/**
 * Linux x86_64 flag and command values of the traced calls, and their JSON names (libiotrace's where it has them).
 */
public final class Flags
{
    public static final int O_ACCMODE = 0x3;
    public static final int O_CREAT = 0x40;
    public static final int O_EXCL = 0x80;
    public static final int O_NOCTTY = 0x100;
    public static final int O_TRUNC = 0x200;
    public static final int O_APPEND = 0x400;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_DSYNC = 0x1000;
    public static final int O_ASYNC = 0x2000;
    public static final int O_DIRECT = 0x4000;
    public static final int O_LARGEFILE = 0x8000;
    public static final int O_DIRECTORY = 0x10000;
    public static final int O_NOFOLLOW = 0x20000;
    public static final int O_NOATIME = 0x40000;
    public static final int O_CLOEXEC = 0x80000;
    public static final int O_SYNC_ONLY = 0x100000;
    public static final int O_SYNC = O_SYNC_ONLY | O_DSYNC;
    public static final int O_PATH = 0x200000;
    public static final int O_TMPFILE_ONLY = 0x400000;
    public static final int O_TMPFILE = O_TMPFILE_ONLY | O_DIRECTORY;

    public static final int MAP_TYPE = 0x0f;
    public static final int MAP_ANONYMOUS = 0x20;

    public static final int F_DUPFD = 0;
    public static final int F_DUPFD_CLOEXEC = 1030;

    /** Access mode names, indexed by {@code flags & O_ACCMODE}. */
    public static final List<String> ACCESS_MODES = List.of("read_only", "write_only", "read_and_write", "unknown");

    /** oflags → libiotrace {@code creation}. */
    public static final FlagSet CREATION = FlagSet.of(
        null,
        O_CREAT, 0, "creat",
        O_EXCL, 0, "excl",
        O_NOCTTY, 0, "noctty",
        O_TRUNC, 0, "trunc",
        O_DIRECTORY, O_TMPFILE_ONLY, "directory",
        O_NOFOLLOW, 0, "nofollow",
        O_CLOEXEC, 0, "cloexec",
        O_TMPFILE, 0, "tmpfile");

    /** oflags → libiotrace {@code status}. */
    public static final FlagSet STATUS = FlagSet.of(
        null,
        O_APPEND, 0, "append",
        O_ASYNC, 0, "async",
        O_DIRECT, 0, "direct",
        O_DSYNC, O_SYNC_ONLY, "dsync",
        O_LARGEFILE, 0, "largefile",
        O_NOATIME, 0, "noatime",
        O_NONBLOCK, 0, "nonblock",
        O_PATH, 0, "path",
        O_SYNC, 0, "sync");

    /** mode_t → libiotrace {@code file_mode}. */
    public static final FlagSet FILE_MODE = FlagSet.of(
        null,
        0400, 0, "read_by_owner",
        0200, 0, "write_by_owner",
        0100, 0, "execute_by_owner",
        040, 0, "read_by_group",
        020, 0, "write_by_group",
        010, 0, "execute_by_group",
        04, 0, "read_by_others",
        02, 0, "write_by_others",
        01, 0, "execute_by_others",
        04000, 0, "set_user_id",
        02000, 0, "set_group_id",
        01000, 0, "sticky_bit");

    /** mmap prot → {@code protection_flags}. */
    public static final FlagSet PROTECTION = FlagSet.of(
        "none",
        0x1, 0, "read",
        0x2, 0, "write",
        0x4, 0, "execute",
        0x01000000, 0, "grows_down",
        0x02000000, 0, "grows_up");

    /** mmap flags → {@code map_flags} (the type field first: shared, private or shared_validate). */
    public static final FlagSet MAP_FLAGS = FlagSet.of(
        null,
        0x01, 0x02, "shared",
        0x02, 0x01, "private",
        0x03, 0, "shared_validate",
        0x10, 0, "fixed",
        MAP_ANONYMOUS, 0, "anonymous",
        0x40, 0, "32bit",
        0x100, 0, "grows_down",
        0x800, 0, "deny_write",
        0x1000, 0, "executable",
        0x2000, 0, "locked",
        0x4000, 0, "no_reserve",
        0x8000, 0, "populate",
        0x10000, 0, "non_block",
        0x20000, 0, "stack",
        0x40000, 0, "hugetlb",
        0x80000, 0, "sync",
        0x100000, 0, "fixed_noreplace");

    /** dup3 flags. */
    public static final FlagSet DUP_FLAGS = FlagSet.of(null, O_CLOEXEC, 0, "cloexec");

    private static final String[] WHENCE = {
        "beginning_of_file", "current_position", "end_of_file", "data", "hole" };

    private static final String[] FCNTL_LOW = {
        "dupfd", "getfd", "setfd", "getfl", "setfl", "getlk", "setlk", "setlkw", "setown", "getown", "setsig",
        "getsig", null, null, null, "setown_ex", "getown_ex" };
    private static final String[] FCNTL_OFD = { "ofd_getlk", "ofd_setlk", "ofd_setlkw" };
    private static final String[] FCNTL_HIGH = {
        "setlease", "getlease", "notify", "dupfd_query", "created_query", "cancellk", "dupfd_cloexec", "setpipe_sz",
        "getpipe_sz", "add_seals", "get_seals", "get_rw_hint", "set_rw_hint", "get_file_rw_hint", "set_file_rw_hint" };

    private Flags()
    {
    }

    /**
     * @param oflags open flags.
     * @return libiotrace's {@code mode}: read_only, write_only or read_and_write.
     */
    public static String accessMode(final long oflags)
    {
        return ACCESS_MODES.get((int)(oflags & O_ACCMODE));
    }

    /**
     * @param whence lseek whence.
     * @return its name, or null when unknown.
     */
    public static String whence(final long whence)
    {
        return whence >= 0 && whence < WHENCE.length ? WHENCE[(int)whence] : null;
    }

    /**
     * @param cmd fcntl command.
     * @return its name, or null when unknown.
     */
    public static String fcntlCommand(final long cmd)
    {
        if (cmd >= 0 && cmd < FCNTL_LOW.length)
        {
            return FCNTL_LOW[(int)cmd];
        }
        if (cmd >= 36 && cmd < 36 + FCNTL_OFD.length)
        {
            return FCNTL_OFD[(int)cmd - 36];
        }
        if (cmd >= 1024 && cmd < 1024 + FCNTL_HIGH.length)
        {
            return FCNTL_HIGH[(int)cmd - 1024];
        }
        return null;
    }

    /**
     * @param cmd fcntl command.
     * @return true for F_DUPFD and F_DUPFD_CLOEXEC.
     */
    public static boolean isFcntlDup(final long cmd)
    {
        return F_DUPFD == cmd || F_DUPFD_CLOEXEC == cmd;
    }
    // ---- fcntl arguments, memory-mapping and splice calls (values from <fcntl.h>, <sys/mman.h>, <linux/*.h>)

    public static final int F_GETFD = 1;
    public static final int F_SETFD = 2;
    public static final int F_GETFL = 3;
    public static final int F_SETFL = 4;
    public static final int F_SETOWN = 8;
    public static final int F_SETSIG = 10;
    public static final int F_SETLEASE = 1024;
    public static final int F_GETLEASE = 1025;
    public static final int F_NOTIFY = 1026;
    public static final int F_SETPIPE_SZ = 1031;
    public static final int F_GETPIPE_SZ = 1032;
    public static final int F_ADD_SEALS = 1033;
    public static final int F_GET_SEALS = 1034;
    /** close_range: mark close-on-exec instead of closing. */
    public static final int CLOSE_RANGE_CLOEXEC = 4;
    /** mremap: the old range stays mapped. */
    public static final int MREMAP_DONTUNMAP = 4;

    /** F_GETFD/F_SETFD descriptor flags → {@code fd_flags}. */
    public static final FlagSet FD_FLAGS = FlagSet.of(null, 1, 0, "cloexec");

    /** F_NOTIFY directory events (DN_*) → {@code notify_flags}. */
    public static final FlagSet NOTIFY_FLAGS = FlagSet.of(
        null,
        0x1, 0, "access",
        0x2, 0, "modify",
        0x4, 0, "create",
        0x8, 0, "delete",
        0x10, 0, "rename",
        0x20, 0, "attrib",
        0x80000000L, 0, "multishot");

    /** F_ADD_SEALS/F_GET_SEALS (F_SEAL_*) → {@code seals}. */
    public static final FlagSet SEALS = FlagSet.of(
        null,
        0x1, 0, "seal",
        0x2, 0, "shrink",
        0x4, 0, "grow",
        0x8, 0, "write",
        0x10, 0, "future_write",
        0x20, 0, "exec");

    /** msync flags (MS_*) → {@code msync_flags}. */
    public static final FlagSet MSYNC_FLAGS = FlagSet.of(
        null,
        0x1, 0, "async",
        0x2, 0, "invalidate",
        0x4, 0, "sync");

    /** mremap flags (MREMAP_*) → {@code mremap_flags}. */
    public static final FlagSet MREMAP_FLAGS = FlagSet.of(
        null,
        0x1, 0, "maymove",
        0x2, 0, "fixed",
        MREMAP_DONTUNMAP, 0, "dontunmap");

    /** splice, tee, vmsplice flags (SPLICE_F_*) → {@code splice_flags}. */
    public static final FlagSet SPLICE_FLAGS = FlagSet.of(
        null,
        0x1, 0, "move",
        0x2, 0, "nonblock",
        0x4, 0, "more",
        0x8, 0, "gift");

    /** close_range flags → {@code range_flags}. */
    public static final FlagSet CLOSE_RANGE_FLAGS = FlagSet.of(
        null,
        0x2, 0, "unshare",
        CLOSE_RANGE_CLOEXEC, 0, "cloexec");

    /** struct flock l_type and F_SETLEASE/F_GETLEASE lease types, indexed by F_RDLCK, F_WRLCK, F_UNLCK. */
    private static final String[] LOCK_TYPES = { "read", "write", "unlock" };

    /** MADV_* (posix_madvise's POSIX_MADV_* are the first five), indexed by value. */
    private static final String[] MADVICE = {
        "normal", "random", "sequential", "willneed", "dontneed", null, null, null, "free", "remove", "dontfork",
        "dofork", "mergeable", "unmergeable", "hugepage", "nohugepage", "dontdump", "dodump", "wipeonfork",
        "keeponfork", "cold", "pageout", "populate_read", "populate_write", "dontneed_locked", "collapse" };

    /**
     * @param cmd fcntl command.
     * @return true for the commands whose argument is a struct flock (F_GETLK, F_SETLK, F_SETLKW, F_OFD_*).
     */
    public static boolean isFcntlLock(final long cmd)
    {
        return (cmd >= 5 && cmd <= 7) || (cmd >= 36 && cmd <= 38);
    }

    /**
     * @param type l_type of a struct flock, or a lease type.
     * @return read, write or unlock; null when unknown.
     */
    public static String lockType(final long type)
    {
        return type >= 0 && type < LOCK_TYPES.length ? LOCK_TYPES[(int)type] : null;
    }

    /**
     * @param advice madvise or posix_madvise advice.
     * @return its name, or null when unknown.
     */
    public static String memoryAdvice(final long advice)
    {
        if (100 == advice)
        {
            return "hwpoison";
        }
        if (101 == advice)
        {
            return "soft_offline";
        }
        return advice >= 0 && advice < MADVICE.length ? MADVICE[(int)advice] : null;
    }

    /** MPI_File_open's amode (MPI_MODE_*: the same values in Open MPI and MPICH, ROMIO's ADIO_* bits). */
    public static final FlagSet MPI_AMODE = FlagSet.of(
        null,
        1, 0, "create",
        2, 0, "rdonly",
        4, 0, "wronly",
        8, 0, "rdwr",
        16, 0, "delete_on_close",
        32, 0, "unique_open",
        64, 0, "excl",
        128, 0, "append",
        256, 0, "sequential");
}
