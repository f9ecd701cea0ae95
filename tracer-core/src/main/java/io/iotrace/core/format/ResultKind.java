package io.iotrace.core.format;

/** How the return value of a traced call is read (column 6 of {@code functions.tbl}). */
public enum ResultKind
{
    FD("fd"),
    READ_BYTES("read_bytes"),
    WRITTEN_BYTES("written_bytes"),
    STATUS("status"),
    NEW_OFFSET("new_offset"),
    MMAP_ADDRESS("mmap_address"),
    STREAM("stream"),
    STREAM_STATUS("stream_status"),
    READ_ITEMS("read_items"),
    WRITTEN_ITEMS("written_items"),
    PID("pid"),
    VALUE("value"),
    /** void function: nothing to read, never failed. */
    NONE("none"),
    /** int error number returned instead of -1/errno (posix_fallocate, pthread_create): failed when non-zero. */
    ERRCODE("errcode"),
    /** a pointer (char *, void *, sem_t *), failed when NULL; nothing else recorded. */
    POINTER("pointer"),
    /** readdir: struct dirent *, NULL with errno changed = failed, NULL with errno untouched = end of directory. */
    DIR_ENTRY("dir_entry"),
    /** readdir_r: error number returned (as errcode); end of directory when it set *result to NULL. */
    DIR_ENTRY_R("dir_entry_r"),
    /** aio_return: ssize_t, failed when -1; read_bytes or written_bytes by the item lio_opcode. */
    AIO_BYTES("aio_bytes");

    private final String tableName;

    ResultKind(final String tableName)
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
     * @return the kind, or null when unknown.
     */
    public static ResultKind byTableName(final String name)
    {
        for (final ResultKind kind : values())
        {
            if (kind.tableName.equals(name))
            {
                return kind;
            }
        }
        return null;
    }
}
