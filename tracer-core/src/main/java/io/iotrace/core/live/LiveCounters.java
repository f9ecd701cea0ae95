package io.iotrace.core.live;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The live counters file {@code O/iotrace-live.counters}: per-file bytes read and written, calls and time in the
 * calls, as the collector has written them to the trace so far. The collector is its only writer and publishes at
 * most every {@link #PUBLISH_INTERVAL_MS}; readers ({@code iotrace top}) map it read-only and never make the
 * collector wait: consistency comes from a sequence number (seqlock: odd while the collector updates, even when a
 * snapshot is complete; a reader copies the data and retries when the sequence moved or was odd). Java to Java
 * only, so the layout is documented here and nowhere else. All fields little-endian.
 * <pre>
 * Header (64 bytes)
 *    0  u64  magic "IOTRLIVE"
 *    8  u32  layout version ({@link #VERSION})
 *   12  u32  record size in bytes ({@link #RECORD_SIZE})
 *   16  u32  capacity: file records after the header ({@link #CAPACITY}); the last one is "(other files)"
 *   20  u32  state: 1 collecting, 2 finished (the collector exited; the counters are final)
 *   24  u64  sequence: odd while the collector writes a snapshot, even when it is complete
 *   32  u64  snapshot time, epoch ms (when the collector published it)
 *   40  u32  records in use (file records 0 .. n-1 are valid)
 *   44  u32  collector pid
 *   48  u64  calls counted in all files
 *   56  u64  reserved
 * File record i at 64 + i * 320
 *    0  u64  bytes read    (sum of the records' function_data.read_bytes)
 *    8  u64  bytes written (sum of the records' function_data.written_bytes)
 *   16  u64  calls         (records with this traced_filename; fd_discovered is not a call)
 *   24  u64  nanoseconds in the calls (sum of time_end - time_start)
 *   32  u16  name length in bytes
 *   34  u16  flags: 1 = name truncated (the first bytes of a long path were dropped, its end is kept)
 *   36  284 bytes: traced_filename, UTF-8
 * </pre>
 * Counts only ever grow; a file keeps its record index for the whole session. A collector that starts on an output
 * dir with a counters file continues its counts (a second program traced into the same dir adds to them).
 */
public final class LiveCounters
{
    /** File name in the output dir. */
    public static final String FILE_NAME = "iotrace-live.counters";
    /** "IOTRLIVE" read as a little-endian u64. */
    public static final long MAGIC = 0x45564c4952544f49L;
    /** Layout version. */
    public static final int VERSION = 1;
    /** The collector publishes at most this often. */
    public static final long PUBLISH_INTERVAL_MS = 200;

    public static final int HEADER_SIZE = 64;
    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int RECORD_SIZE_OFFSET = 12;
    public static final int CAPACITY_OFFSET = 16;
    public static final int STATE_OFFSET = 20;
    public static final int SEQUENCE_OFFSET = 24;
    public static final int TIME_OFFSET = 32;
    public static final int USED_OFFSET = 40;
    public static final int PID_OFFSET = 44;
    public static final int TOTAL_CALLS_OFFSET = 48;

    public static final int RECORD_SIZE = 320;
    public static final int READ_OFFSET = 0;
    public static final int WRITTEN_OFFSET = 8;
    public static final int CALLS_OFFSET = 16;
    public static final int NANOS_OFFSET = 24;
    public static final int NAME_LENGTH_OFFSET = 32;
    public static final int FLAGS_OFFSET = 34;
    public static final int NAME_OFFSET = 36;
    public static final int NAME_CAPACITY = RECORD_SIZE - NAME_OFFSET;
    public static final int FLAG_NAME_TRUNCATED = 1;

    /** File records; the last collects every file beyond the others. */
    public static final int CAPACITY = 4096;
    /** Name of the last record once the others are taken. */
    public static final String OTHER_FILES = "(other files)";

    public static final int STATE_COLLECTING = 1;
    public static final int STATE_FINISHED = 2;

    /** Total size of the file. */
    public static final int FILE_SIZE = HEADER_SIZE + CAPACITY * RECORD_SIZE;

    private LiveCounters()
    {
    }

    /** The counters of one file in a snapshot. */
    public record FileCounters(String name, boolean nameTruncated, long bytesRead, long bytesWritten, long calls,
        long nanos)
    {
    }

    /** One consistent snapshot. */
    public record Snapshot(int state, long sequence, long timeMs, int collectorPid, long totalCalls,
        List<FileCounters> files)
    {
        /** @return true once the collector exited. */
        public boolean finished()
        {
            return STATE_FINISHED == state;
        }
    }

    /** Volatile / release / acquire access to the sequence (plain ByteBuffer: no agrona, no JVM flags for readers). */
    static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /** Offset of file record {@code index}. */
    static int recordOffset(final int index)
    {
        return HEADER_SIZE + index * RECORD_SIZE;
    }

    /** Map a file (read-only or read-write), the whole {@link #FILE_SIZE}. */
    static ByteBuffer map(final Path file, final boolean writable) throws IOException
    {
        if (writable && !Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS))
        {
            // private like the trace's other files (the output dir is private too)
            Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        }
        // never through a symlink planted at the name: O_NOFOLLOW makes the open fail instead
        try (FileChannel channel = writable ?
            FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
                java.nio.file.LinkOption.NOFOLLOW_LINKS) :
            FileChannel.open(file, StandardOpenOption.READ, java.nio.file.LinkOption.NOFOLLOW_LINKS))
        {
            if (!writable && channel.size() < FILE_SIZE)
            {
                throw new IOException(file + " is not a complete live counters file (" + channel.size() + " bytes)");
            }
            final MappedByteBuffer mapped = channel.map(
                writable ? FileChannel.MapMode.READ_WRITE : FileChannel.MapMode.READ_ONLY, 0, FILE_SIZE);
            mapped.order(ByteOrder.LITTLE_ENDIAN);
            return mapped;
        }
    }

    /**
     * Read one consistent snapshot of a counters file.
     *
     * @param file the counters file.
     * @return the snapshot, or null when the collector has not published one yet.
     * @throws IOException when it cannot be read or is not a counters file.
     */
    public static Snapshot read(final Path file) throws IOException
    {
        final ByteBuffer buffer = map(file, false);
        if (MAGIC != buffer.getLong(MAGIC_OFFSET) && 0 != buffer.getLong(MAGIC_OFFSET))
        {
            throw new IOException(file + " is not a live counters file");
        }
        for (int attempt = 0; ; attempt++)
        {
            final long before = (long)LONGS.getAcquire(buffer, SEQUENCE_OFFSET);
            if (0 == before || MAGIC != buffer.getLong(MAGIC_OFFSET))
            {
                return null;
            }
            if (0 == (before & 1))
            {
                final Snapshot snapshot = copy(buffer, before);
                VarHandle.loadLoadFence();
                if ((long)LONGS.getVolatile(buffer, SEQUENCE_OFFSET) == before && null != snapshot)
                {
                    return snapshot;
                }
            }
            if (attempt > 1000)
            {
                throw new IOException(file + ": no consistent snapshot after 1000 attempts");
            }
            Thread.onSpinWait();
            if (attempt > 10)
            {
                try
                {
                    Thread.sleep(1);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted");
                }
            }
        }
    }

    /** Copy the data under one sequence value; null when what was read cannot be a complete snapshot. */
    private static Snapshot copy(final ByteBuffer buffer, final long sequence)
    {
        if (VERSION != buffer.getInt(VERSION_OFFSET) || RECORD_SIZE != buffer.getInt(RECORD_SIZE_OFFSET) ||
            CAPACITY != buffer.getInt(CAPACITY_OFFSET))
        {
            return null;
        }
        final int used = buffer.getInt(USED_OFFSET);
        if (used < 0 || used > CAPACITY)
        {
            return null;
        }
        final List<FileCounters> files = new ArrayList<>(used);
        final byte[] name = new byte[NAME_CAPACITY];
        for (int i = 0; i < used; i++)
        {
            final int at = recordOffset(i);
            final int length = Math.min(NAME_CAPACITY, buffer.getShort(at + NAME_LENGTH_OFFSET) & 0xffff);
            buffer.get(at + NAME_OFFSET, name, 0, length);
            files.add(new FileCounters(new String(name, 0, length, StandardCharsets.UTF_8),
                0 != (buffer.getShort(at + FLAGS_OFFSET) & FLAG_NAME_TRUNCATED),
                buffer.getLong(at + READ_OFFSET), buffer.getLong(at + WRITTEN_OFFSET),
                buffer.getLong(at + CALLS_OFFSET), buffer.getLong(at + NANOS_OFFSET)));
        }
        return new Snapshot(buffer.getInt(STATE_OFFSET), sequence, buffer.getLong(TIME_OFFSET),
            buffer.getInt(PID_OFFSET), buffer.getLong(TOTAL_CALLS_OFFSET), files);
    }

    /**
     * @param outputDir a trace dir.
     * @return its counters file.
     */
    public static Path fileIn(final Path outputDir)
    {
        return outputDir.resolve(FILE_NAME);
    }

    static boolean exists(final Path file)
    {
        return Files.isRegularFile(file);
    }
}
