package io.iotrace.core.format;

/**
 * Kind of a record item of {@code functions.tbl}: scalar kinds take one 8-byte slot, string kinds are written after
 * the slots.
 */
public enum ArgKind
{
    FD("fd", true),
    INT("int", true),
    SIZE("size", true),
    OFFSET("offset", true),
    POINTER("pointer", true),
    OFLAGS("oflags", true),
    MODE("mode", true),
    WHENCE("whence", true),
    PROT("prot", true),
    MAPFLAGS("mapflags", true),
    FCNTLCMD("fcntlcmd", true),
    DUPFLAGS("dupflags", true),
    STREAM("stream", true),
    PATH("path", false),
    STR("str", false),
    ARGV("argv", false),
    /** A syscall number: written as the number and, as syscall_name, its x86_64 name. */
    SYSNO("sysno", true),
    /** fcntl's third argument, decoded by the record's fcntlcmd (flags, lease, seals, pipe size...). */
    FCNTLARG("fcntlarg", true),
    /** a field of the struct flock of an fcntl lock command (l_type); -1 when the struct was not read. */
    LOCKTYPE("locktype", true),
    /** l_whence of the struct flock of an fcntl lock command. */
    LOCKWHENCE("lockwhence", true),
    /** l_start, l_len or l_pid of the struct flock of an fcntl lock command. */
    LOCKINT("lockint", true),
    /** msync flags (MS_*). */
    MSYNCFLAGS("msyncflags", true),
    /** madvise/posix_madvise advice (MADV_*). */
    MADVICE("madvice", true),
    /** mremap flags (MREMAP_*). */
    MREMAPFLAGS("mremapflags", true),
    /** splice/tee/vmsplice flags (SPLICE_F_*). */
    SPLICEFLAGS("spliceflags", true),
    /** close_range flags (CLOSE_RANGE_*). */
    CLOSERANGEFLAGS("closerangeflags", true),
    /** An MPI_File handle (opaque: a pointer in Open MPI and MPICH), written as hex. */
    MPIFILE("mpifile", true),
    /** An MPI_Request handle (Open MPI: a pointer, MPICH: a 32-bit integer), written as hex; 0: none. */
    MPIREQUEST("mpirequest", true),
    /** MPI_File_open's amode (MPI_MODE_* bits, the same values in Open MPI and MPICH), written as names. */
    AMODE("amode", true),
    /** MPI_File_seek's whence: MPI_SEEK_SET 600, MPI_SEEK_CUR 602, MPI_SEEK_END 604 (both implementations). */
    MPIWHENCE("mpiwhence", true);

    private final String tableName;
    private final boolean scalar;

    ArgKind(final String tableName, final boolean scalar)
    {
        this.tableName = tableName;
        this.scalar = scalar;
    }

    /** @return the kind's name in the table. */
    public String tableName()
    {
        return tableName;
    }

    /** @return true for kinds that take one 8-byte argument slot. */
    public boolean isScalar()
    {
        return scalar;
    }

    /**
     * @param name kind as written in the table.
     * @return the kind, or null when unknown.
     */
    public static ArgKind byTableName(final String name)
    {
        for (final ArgKind kind : values())
        {
            if (kind.tableName.equals(name))
            {
                return kind;
            }
        }
        return null;
    }
}
