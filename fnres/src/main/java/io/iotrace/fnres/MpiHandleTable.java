package io.iotrace.fnres;

import org.agrona.collections.Long2ObjectHashMap;

/**
 * MPI-IO handles of one process: MPI_File -> file name (MPI_File_open's path, made absolute), and request -> the
 * MPI_File it was started on (nonblocking reads/writes), until the Wait/Test call that completes it. Handles are
 * opaque numbers (Open MPI: pointers, MPICH: 32-bit integers for requests); a value is never reused while open.
 */
public final class MpiHandleTable
{
    private final Long2ObjectHashMap<String> files = new Long2ObjectHashMap<>();
    private final Long2ObjectHashMap<Long> requests = new Long2ObjectHashMap<>();

    /**
     * @param file         the new MPI_File.
     * @param absolutePath the file it names (null: unknown).
     */
    public void fileOpened(final long file, final String absolutePath)
    {
        if (null != absolutePath)
        {
            files.put(file, absolutePath);
        }
    }

    /**
     * @param file an MPI_File being closed.
     * @return the name it had, or null.
     */
    public String fileClosed(final long file)
    {
        return files.remove(file);
    }

    /**
     * @param file an MPI_File.
     * @return its name, or null when unknown.
     */
    public String fileName(final long file)
    {
        return files.get(file);
    }

    /**
     * @param request a request started on {@code file}.
     * @param file    the MPI_File.
     */
    public void requestStarted(final long request, final long file)
    {
        requests.put(request, Long.valueOf(file));
    }

    /**
     * @param request a request.
     * @param done    true when the call completed it (the value may be reused afterwards).
     * @return the MPI_File it was started on, or null when unknown.
     */
    public Long requestFile(final long request, final boolean done)
    {
        return done ? requests.remove(request) : requests.get(request);
    }

    /** @return a copy (a fork child's table). */
    public MpiHandleTable copy()
    {
        final MpiHandleTable copy = new MpiHandleTable();
        copy.files.putAll(files);
        copy.requests.putAll(requests);
        return copy;
    }
}
