package io.iotrace.core.format;

/** What a traced call does to the handles of its process (column 7 of {@code functions.tbl}). */
public enum Effect
{
    NONE("-"),
    OPEN("open"),
    CLOSE("close"),
    DUP("dup"),
    DUP2("dup2"),
    FCNTL("fcntl"),
    FOPEN("fopen"),
    FDOPEN("fdopen"),
    FCLOSE("fclose"),
    USE("use"),
    PATH("path"),
    PIPE("pipe"),
    MMAP("mmap"),
    MUNMAP("munmap"),
    CHDIR("chdir"),
    FCHDIR("fchdir"),
    FORK("fork"),
    EXEC("exec"),
    DISCOVERED("discovered"),
    /** The result address is a mapping of {@code length} bytes of the file {@code path} (sem_open). */
    MAPFILE("mapfile"),
    /** freopen: `stream` (its old descriptor `old_fd`) is closed; the result names `path` (or the old file). */
    FREOPEN("freopen"),
    /** popen: the result stream and its descriptor `fd` name the pipe pipe:[`inode`]. */
    POPEN("popen"),
    /** fmemopen, open_memstream: the result stream is in memory, its records are &lt;not a file&gt;. */
    MEMSTREAM("memstream"),
    /** data moves from `fd` (the record's file) to `out_fd` (named in function_data.out_filename). */
    TRANSFER("transfer"),
    /** closes every descriptor in [`first`, `last`] (closefrom: no `last`), unless CLOSE_RANGE_CLOEXEC. */
    CLOSE_RANGE("close_range"),
    /** the mapping at [addr, addr+length) moves to [result, result+new_length). */
    MREMAP("mremap"),
    /** the record is about the mapping at `addr` (msync, madvise). */
    MAPPING("mapping"),
    /** The result fd is new, named by the string item {@code fd_name} (the kernel's name: socket:[N], anon_inode:...). */
    NEWFD("newfd"),
    /** A successful call made {@code fd0} and {@code fd1}, named by {@code fd0_name} and {@code fd1_name} (socketpair). */
    FDPAIR("fdpair"),
    /** A successful call (connect: also EINPROGRESS) names {@code fd} by its address, the string item {@code sockaddr}. */
    SOCKNAME("sockname"),
    /** The result fd is a new connection of listening {@code fd}, named by the peer address {@code sockaddr}. */
    ACCEPT("accept"),
    /** MPI_File_open: a successful call made the MPI_File {@code fh}, naming {@code path}. */
    MPI_OPEN("mpi_open"),
    /** MPI_File_close: closes the MPI_File {@code fh} (its value before the call). */
    MPI_CLOSE("mpi_close"),
    /** The record is about the MPI_File {@code fh}; a non-zero {@code request} item is a request on it. */
    MPI_USE("mpi_use"),
    /** MPI_Wait/Test family, MPI_Request_free, MPI_Cancel: the record is about the file of the request
        {@code request}, which is gone when the item {@code completed} or {@code released} is non-zero. */
    MPI_COMPLETE("mpi_complete");

    private final String tableName;

    Effect(final String tableName)
    {
        this.tableName = tableName;
    }

    /** @return the name in the table. */
    public String tableName()
    {
        return tableName;
    }

    /**
     * @param name as written in the table.
     * @return the effect, or null when the word is not an effect (it may be a flag).
     */
    public static Effect byTableName(final String name)
    {
        for (final Effect effect : values())
        {
            if (effect.tableName.equals(name))
            {
                return effect;
            }
        }
        return null;
    }
}
