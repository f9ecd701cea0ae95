package io.iotrace.core.collector;

import io.iotrace.core.format.TraceFormat;
import org.agrona.DirectBuffer;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The immutable fields of a ring (or spill) file header: who wrote it.
 *
 * @param pid              process id.
 * @param ppid             parent pid when the incarnation started.
 * @param incarnation      incarnation number.
 * @param origin           TraceFormat.ORIGIN_*.
 * @param uid              user id.
 * @param startTimeNs      CLOCK_REALTIME when the header was written.
 * @param procStartTicks   field 22 of /proc/pid/stat.
 * @param parentStartTicks the parent incarnation's procStartTicks for FORK origin.
 * @param hostname         host name.
 * @param exe              executable.
 * @param cwd              working directory at start.
 * @param producer         TraceFormat.PRODUCER_*: the shim, or the ptrace tracer alone.
 * @param mpiRank          the MPI rank the process had when its ring was made ({@link #NO_RANK}: none known).
 */
public record IncarnationInfo(
    int pid,
    int ppid,
    int incarnation,
    int origin,
    int uid,
    long startTimeNs,
    long procStartTicks,
    long parentStartTicks,
    String hostname,
    String exe,
    String cwd,
    int producer,
    int mpiRank)
{
    /** {@link #mpiRank} of a process with no MPI rank (known when it started). */
    public static final int NO_RANK = io.iotrace.core.json.JsonRecordWriter.NO_RANK;

    /** An incarnation with no MPI rank. */
    public IncarnationInfo(final int pid, final int ppid, final int incarnation, final int origin, final int uid,
        final long startTimeNs, final long procStartTicks, final long parentStartTicks, final String hostname,
        final String exe, final String cwd, final int producer)
    {
        this(pid, ppid, incarnation, origin, uid, startTimeNs, procStartTicks, parentStartTicks, hostname, exe, cwd,
            producer, NO_RANK);
    }

    /**
     * @param header the first {@link TraceFormat#RING_HEADER_LENGTH} bytes of a ring or spill file.
     * @return its fields.
     */
    public static IncarnationInfo read(final DirectBuffer header)
    {
        final ByteOrder le = ByteOrder.LITTLE_ENDIAN;
        return new IncarnationInfo(
            header.getInt(TraceFormat.HDR_PID_OFFSET, le),
            header.getInt(TraceFormat.HDR_PPID_OFFSET, le),
            header.getInt(TraceFormat.HDR_INCARNATION_OFFSET, le),
            header.getInt(TraceFormat.HDR_ORIGIN_OFFSET, le),
            header.getInt(TraceFormat.HDR_UID_OFFSET, le),
            header.getLong(TraceFormat.HDR_START_TIME_NS_OFFSET, le),
            header.getLong(TraceFormat.HDR_PROC_START_TICKS_OFFSET, le),
            header.getLong(TraceFormat.HDR_PARENT_START_TICKS_OFFSET, le),
            cString(header, TraceFormat.HDR_HOSTNAME_OFFSET, TraceFormat.HDR_HOSTNAME_LENGTH),
            cString(header, TraceFormat.HDR_EXE_OFFSET, TraceFormat.HDR_EXE_LENGTH),
            cString(header, TraceFormat.HDR_CWD_OFFSET, TraceFormat.HDR_CWD_LENGTH),
            header.getInt(TraceFormat.HDR_PRODUCER_OFFSET, le),
            1 == header.getInt(TraceFormat.HDR_MPI_RANK_KNOWN_OFFSET, le) ?
                Math.max(0, header.getInt(TraceFormat.HDR_MPI_RANK_OFFSET, le)) : NO_RANK);
    }

    /**
     * @param buffer holding a NUL-terminated string.
     * @param offset of its first byte.
     * @param max    bytes of its field.
     * @return the string up to the first NUL (or the whole field).
     */
    public static String cString(final DirectBuffer buffer, final int offset, final int max)
    {
        int length = 0;
        while (length < max && 0 != buffer.getByte(offset + length))
        {
            length++;
        }
        final byte[] bytes = new byte[length];
        buffer.getBytes(offset, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** @return "pid-incarnation", the base name of the ring and spill files. */
    public String key()
    {
        return pid + "-" + incarnation;
    }

    /** @return the JSON file name {@code <host>_<pid>_<inc>.jsonl}. */
    public String jsonFileName()
    {
        final String host = hostname.isEmpty() ? "unknown-host" : hostname.replace('/', '_');
        return host + "_" + pid + "_" + incarnation + ".jsonl";
    }

    /** @return the initial working directory, "/" when the header has none. */
    public String initialCwd()
    {
        return cwd.startsWith("/") ? cwd : "/";
    }
}
