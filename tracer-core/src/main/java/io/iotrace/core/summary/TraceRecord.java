package io.iotrace.core.summary;

/**
 * The fields of one JSON record that the readers (summary, export, merge) use; one instance is reused per file.
 * The original line is kept for writers that copy records unchanged.
 */
public final class TraceRecord
{
    /** Value of {@link #rank} when the record carries no MPI rank. */
    public static final int NO_RANK = -1;

    String hostname;
    int pid;
    int ppid;
    int tid;
    int incarnation;
    int rank = NO_RANK;
    String functionName;
    String tracedFilename;
    long timeStart;
    long timeEnd;
    String returnState;
    /** -1 when the record has no read_bytes. */
    long readBytes = -1;
    /** -1 when the record has no written_bytes. */
    long writtenBytes = -1;
    String line;

    void clear()
    {
        hostname = null;
        pid = 0;
        ppid = 0;
        tid = 0;
        incarnation = 0;
        rank = NO_RANK;
        functionName = null;
        tracedFilename = null;
        timeStart = 0;
        timeEnd = 0;
        returnState = null;
        readBytes = -1;
        writtenBytes = -1;
        line = null;
    }

    /** @return hostname. */
    public String hostname()
    {
        return hostname;
    }

    /** @return pid. */
    public int pid()
    {
        return pid;
    }

    /** @return ppid. */
    public int ppid()
    {
        return ppid;
    }

    /** @return tid. */
    public int tid()
    {
        return tid;
    }

    /** @return incarnation (exec count of the pid). */
    public int incarnation()
    {
        return incarnation;
    }

    /** @return the MPI rank, or {@link #NO_RANK} (records carry none yet). */
    public int rank()
    {
        return rank;
    }

    /** @return function_name. */
    public String functionName()
    {
        return functionName;
    }

    /** @return traced_filename. */
    public String tracedFilename()
    {
        return tracedFilename;
    }

    /** @return time_start, ns since the epoch. */
    public long timeStart()
    {
        return timeStart;
    }

    /** @return time_end, ns since the epoch. */
    public long timeEnd()
    {
        return timeEnd;
    }

    /** @return return_state: ok, error or eof. */
    public String returnState()
    {
        return returnState;
    }

    /** @return function_data.read_bytes, or -1 when absent. */
    public long readBytes()
    {
        return readBytes;
    }

    /** @return function_data.written_bytes, or -1 when absent. */
    public long writtenBytes()
    {
        return writtenBytes;
    }

    /** @return the bytes the call moved (read + written; 0 when neither is present). */
    public long transferredBytes()
    {
        return Math.max(0, readBytes) + Math.max(0, writtenBytes);
    }

    /** @return true when the call moves data (it has read_bytes or written_bytes). */
    public boolean isTransfer()
    {
        return readBytes >= 0 || writtenBytes >= 0;
    }

    /** @return the JSON line the record was read from (without its newline). */
    public String line()
    {
        return line;
    }
}
