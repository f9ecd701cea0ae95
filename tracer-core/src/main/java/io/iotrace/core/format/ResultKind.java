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
    AIO_BYTES("aio_bytes"),
    // ---- stdio (FILE*): counts a stream call returns or that follow from its arguments
    /** int bytes written (fprintf family), failed when negative -> written_bytes. */
    PRINTED("printed"),
    /** int wide characters written (fwprintf family), failed when negative -> written_characters. */
    PRINTED_WIDE("printed_wide"),
    /** int, failed when EOF; bytes written = the item {@code length} (fputs: strlen, puts: strlen + 1). */
    PUT_STRING("put_string"),
    /** int, failed when EOF (-1); wide characters written = the item {@code length} (fputws: wcslen). */
    PUT_WSTRING("put_wstring"),
    /** int character written or EOF (fputc): 1 byte -> written_bytes. */
    PUT_CHAR("put_char"),
    /** wint_t wide character written or WEOF (fputwc): 1 character -> written_characters. */
    PUT_WCHAR("put_wchar"),
    /** int character read or EOF (fgetc): eof/failed by feof/ferror; read_bytes 1 (0 at eof). */
    GET_CHAR("get_char"),
    /** wint_t wide character read or WEOF (fgetwc): eof/failed by feof/ferror; read_characters 1 (0 at eof). */
    GET_WCHAR("get_wchar"),
    /** char* or NULL (fgets): eof/failed by feof/ferror; read_bytes = the item {@code length} (strlen of the result). */
    GET_STRING("get_string"),
    /** wchar_t* or NULL (fgetws): eof/failed by feof/ferror; read_characters = the item {@code length}. */
    GET_WSTRING("get_wstring"),
    /** ssize_t bytes read or -1 (getline): eof when feof and not ferror, else failed; read_bytes. */
    GET_LINE("get_line"),
    /**
     * int items matched or EOF (fscanf): EOF is eof when feof and not ferror, else failed; matched_items, and
     * read_bytes = {@code offset_after - offset_before} when both are known (stream positions, -1 when unseekable).
     */
    SCANNED("scanned"),
    // ---- MPI: the MPI error code is the result (MPI_SUCCESS 0), errno is not involved
    /** int MPI error code, failed when not MPI_SUCCESS; function_data.mpi_error = the code when failed. */
    MPI_ERROR("mpi_error"),
    /** as mpi_error; read_bytes = the item {@code bytes} (PMPI_Get_count of the status times the type size). */
    MPI_READ("mpi_read"),
    /** as mpi_error; written_bytes = the item {@code bytes}. */
    MPI_WRITE("mpi_write"),
    /** as mpi_error; read_bytes, or written_bytes when the item {@code is_write} is non-zero, = the item bytes. */
    MPI_TRANSFER("mpi_transfer");

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
