package io.iotrace.core.live;

import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.iotrace.core.live.LiveCounters.*;

/**
 * The collector's side of {@link LiveCounters}: counts every record it writes in heap counters (one entry per file,
 * at most {@link LiveCounters#CAPACITY}) and copies the changed ones into the mapped file at most every
 * {@link LiveCounters#PUBLISH_INTERVAL_MS}. Single-threaded (the collector thread); never waits for a reader.
 */
public final class LiveCountersWriter implements AutoCloseable
{
    private static final class Counters
    {
        final int index;
        long read;
        long written;
        long calls;
        long nanos;
        boolean dirty = true;
        boolean nameWritten;

        Counters(final int index)
        {
            this.index = index;
        }
    }

    private final Path file;
    private final ByteBuffer buffer;
    private final Map<String, Counters> byName = new HashMap<>();
    private final List<Counters> dirty = new ArrayList<>();
    private final List<String> names = new ArrayList<>();
    private long totalCalls;
    private long sequence;
    private long lastPublishMs;
    private boolean closed;

    private LiveCountersWriter(final Path file, final ByteBuffer buffer)
    {
        this.file = file;
        this.buffer = buffer;
    }

    /**
     * Create (or continue) the counters file of an output dir.
     *
     * @param outputDir the trace dir.
     * @param pid       the collector's pid.
     * @return the writer.
     * @throws IOException when the file cannot be created or mapped.
     */
    public static LiveCountersWriter open(final Path outputDir, final long pid) throws IOException
    {
        final Path file = fileIn(outputDir);
        Snapshot earlier = null;
        if (exists(file))
        {
            try
            {
                earlier = LiveCounters.read(file);
            }
            catch (final IOException ex)
            {
                earlier = null; // not ours or damaged: start over
            }
        }
        final ByteBuffer buffer = map(file, true);
        final LiveCountersWriter writer = new LiveCountersWriter(file, buffer);
        // header: a zero sequence tells readers that no snapshot is there yet
        LONGS.setVolatile(buffer, SEQUENCE_OFFSET, 0L);
        buffer.putLong(MAGIC_OFFSET, MAGIC);
        buffer.putInt(VERSION_OFFSET, VERSION);
        buffer.putInt(RECORD_SIZE_OFFSET, RECORD_SIZE);
        buffer.putInt(CAPACITY_OFFSET, CAPACITY);
        buffer.putInt(STATE_OFFSET, STATE_COLLECTING);
        buffer.putInt(PID_OFFSET, (int)pid);
        buffer.putInt(USED_OFFSET, 0);
        if (null != earlier)
        {
            for (final FileCounters f : earlier.files())
            {
                final Counters c = writer.counters(f.name());
                c.read = f.bytesRead();
                c.written = f.bytesWritten();
                c.calls = f.calls();
                c.nanos = f.nanos();
                writer.totalCalls += f.calls();
            }
        }
        writer.publish(0, true);
        return writer;
    }

    /** @return the counters file. */
    public Path file()
    {
        return file;
    }

    /**
     * Count one record written to the trace.
     *
     * @param tracedFilename its traced_filename.
     * @param readBytes      its function_data.read_bytes (0 when absent).
     * @param writtenBytes   its function_data.written_bytes (0 when absent).
     * @param nanos          time_end - time_start.
     */
    public void count(final String tracedFilename, final long readBytes, final long writtenBytes, final long nanos)
    {
        final Counters c = counters(tracedFilename);
        c.read += readBytes;
        c.written += writtenBytes;
        c.calls++;
        c.nanos += Math.max(0, nanos);
        totalCalls++;
        if (!c.dirty)
        {
            c.dirty = true;
            dirty.add(c);
        }
    }

    private Counters counters(final String name)
    {
        Counters c = byName.get(name);
        if (null == c)
        {
            if (names.size() < CAPACITY - 1 || (names.size() == CAPACITY - 1 && OTHER_FILES.equals(name)))
            {
                c = new Counters(names.size());
                names.add(name);
                dirty.add(c);
                byName.put(name, c);
            }
            else if (names.size() == CAPACITY - 1)
            {
                c = counters(OTHER_FILES);
                byName.put(name, c);
            }
            else
            {
                c = byName.get(OTHER_FILES);
                byName.put(name, c);
            }
        }
        return c;
    }

    /**
     * Publish the counters when {@link LiveCounters#PUBLISH_INTERVAL_MS} passed since the last time.
     *
     * @param nowMs epoch ms.
     * @param force publish whatever the time.
     */
    public void publish(final long nowMs, final boolean force)
    {
        if (closed || (!force && nowMs - lastPublishMs < PUBLISH_INTERVAL_MS))
        {
            return;
        }
        lastPublishMs = nowMs;
        if (dirty.isEmpty() && 0 != sequence)
        {
            return;
        }
        LONGS.setVolatile(buffer, SEQUENCE_OFFSET, ++sequence); // odd: readers retry
        VarHandle.storeStoreFence();
        for (final Counters c : dirty)
        {
            final int at = recordOffset(c.index);
            if (!c.nameWritten)
            {
                writeName(at, names.get(c.index));
                c.nameWritten = true;
            }
            buffer.putLong(at + READ_OFFSET, c.read);
            buffer.putLong(at + WRITTEN_OFFSET, c.written);
            buffer.putLong(at + CALLS_OFFSET, c.calls);
            buffer.putLong(at + NANOS_OFFSET, c.nanos);
            c.dirty = false;
        }
        dirty.clear();
        buffer.putInt(USED_OFFSET, names.size());
        buffer.putLong(TOTAL_CALLS_OFFSET, totalCalls);
        buffer.putLong(TIME_OFFSET, System.currentTimeMillis());
        LONGS.setRelease(buffer, SEQUENCE_OFFSET, ++sequence); // even: a complete snapshot
    }

    /** Names longer than the record keep their end (the file name), cut at a character boundary. */
    private void writeName(final int at, final String name)
    {
        final byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        int from = Math.max(0, bytes.length - NAME_CAPACITY);
        while (from < bytes.length && from > 0 && (bytes[from] & 0xc0) == 0x80)
        {
            from++;
        }
        buffer.putShort(at + NAME_LENGTH_OFFSET, (short)(bytes.length - from));
        buffer.putShort(at + FLAGS_OFFSET, (short)(from > 0 ? FLAG_NAME_TRUNCATED : 0));
        buffer.put(at + NAME_OFFSET, bytes, from, bytes.length - from);
    }

    /**
     * Publish the counters with the given state: finished before the collector lets its lock go (a reader that finds
     * the lock free must find the final counters), collecting again if it takes the lock back.
     *
     * @param state {@link LiveCounters#STATE_FINISHED} or {@link LiveCounters#STATE_COLLECTING}.
     */
    public void publishState(final int state)
    {
        if (closed)
        {
            return;
        }
        publish(0, true);
        LONGS.setVolatile(buffer, SEQUENCE_OFFSET, ++sequence);
        VarHandle.storeStoreFence();
        buffer.putInt(STATE_OFFSET, state);
        buffer.putLong(TIME_OFFSET, System.currentTimeMillis());
        LONGS.setRelease(buffer, SEQUENCE_OFFSET, ++sequence);
    }

    /** Publish the final counters with state finished. */
    @Override
    public void close()
    {
        publishState(STATE_FINISHED);
        closed = true;
    }
}
