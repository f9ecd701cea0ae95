package io.iotrace.core.testing;

import io.iotrace.core.format.TraceFormat;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes ring files (and spill files) laid out as the shim does, with agrona's ManyToOneRingBuffer as producer,
 * for tests.
 */
public final class RingFileWriter implements AutoCloseable
{
    private final FileChannel channel;
    private final MappedByteBuffer mapped;
    private final UnsafeBuffer header;
    private final ManyToOneRingBuffer ring;

    /**
     * Header fields of a test ring.
     */
    public static final class Header
    {
        public int pid;
        public int ppid = 1;
        public int incarnation;
        public int origin = TraceFormat.ORIGIN_START;
        public int state = TraceFormat.STATE_ACTIVE;
        public long startTimeNs = 1;
        public long procStartTicks;
        public long parentStartTicks;
        public String hostname = "testhost";
        public String exe = "/usr/bin/test";
        public String cwd = "/work/dir";

        public Header pid(final int value)
        {
            pid = value;
            return this;
        }

        public Header ppid(final int value)
        {
            ppid = value;
            return this;
        }

        public Header incarnation(final int value)
        {
            incarnation = value;
            return this;
        }

        public Header origin(final int value)
        {
            origin = value;
            return this;
        }

        public Header cwd(final String value)
        {
            cwd = value;
            return this;
        }

        public Header procStartTicks(final long value)
        {
            procStartTicks = value;
            return this;
        }

        public Header startTimeNs(final long value)
        {
            startTimeNs = value;
            return this;
        }

        void writeTo(final UnsafeBuffer b, final long magic, final int capacity)
        {
            final ByteOrder le = ByteOrder.LITTLE_ENDIAN;
            b.putLong(TraceFormat.HDR_MAGIC_OFFSET, magic, le);
            b.putInt(TraceFormat.HDR_FORMAT_VERSION_OFFSET, TraceFormat.FORMAT_VERSION, le);
            b.putInt(TraceFormat.HDR_HEADER_LENGTH_OFFSET, TraceFormat.RING_HEADER_LENGTH, le);
            b.putInt(TraceFormat.HDR_RING_CAPACITY_OFFSET, capacity, le);
            b.putInt(TraceFormat.HDR_PID_OFFSET, pid, le);
            b.putInt(TraceFormat.HDR_PPID_OFFSET, ppid, le);
            b.putInt(TraceFormat.HDR_INCARNATION_OFFSET, incarnation, le);
            b.putInt(TraceFormat.HDR_ORIGIN_OFFSET, origin, le);
            b.putLong(TraceFormat.HDR_START_TIME_NS_OFFSET, startTimeNs, le);
            b.putLong(TraceFormat.HDR_PROC_START_TICKS_OFFSET, procStartTicks, le);
            b.putLong(TraceFormat.HDR_PARENT_START_TICKS_OFFSET, parentStartTicks, le);
            putCString(b, TraceFormat.HDR_HOSTNAME_OFFSET, hostname);
            putCString(b, TraceFormat.HDR_EXE_OFFSET, exe);
            putCString(b, TraceFormat.HDR_CWD_OFFSET, cwd);
            b.putIntRelease(TraceFormat.HDR_STATE_OFFSET, state);
        }

        private static void putCString(final UnsafeBuffer b, final int offset, final String value)
        {
            final byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
            b.putBytes(offset, bytes);
            b.putByte(offset + bytes.length, (byte)0);
        }
    }

    /**
     * Create a ring file.
     *
     * @param path     the ring file.
     * @param header   header fields.
     * @param capacity data area length (power of two).
     * @throws IOException on failure.
     */
    public RingFileWriter(final Path path, final Header header, final int capacity) throws IOException
    {
        channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
            StandardOpenOption.WRITE);
        final long length = TraceFormat.ringFileLength(capacity);
        mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, length);
        this.header = new UnsafeBuffer(mapped, 0, TraceFormat.RING_HEADER_LENGTH);
        header.writeTo(this.header, TraceFormat.RING_MAGIC, capacity);
        ring = new ManyToOneRingBuffer(new UnsafeBuffer(
            mapped, TraceFormat.RING_HEADER_LENGTH, capacity + TraceFormat.TRAILER_LENGTH));
    }

    /**
     * @param event an encoded event.
     * @return true if written (false: ring full).
     */
    public boolean write(final EventEncoder event)
    {
        return write(event.typeId(), event.build());
    }

    /**
     * @param typeId  record type.
     * @param payload payload bytes.
     * @return true if written.
     */
    public boolean write(final int typeId, final byte[] payload)
    {
        return ring.write(typeId, new UnsafeBuffer(payload), 0, payload.length);
    }

    /** @return the ring (for claim/abort tests). */
    public ManyToOneRingBuffer ring()
    {
        return ring;
    }

    /** @return the consumer heartbeat the collector wrote. */
    public long consumerHeartbeat()
    {
        return ring.consumerHeartbeatTime();
    }

    public void lostEvents(final long value)
    {
        header.putLongVolatile(TraceFormat.HDR_LOST_EVENTS_OFFSET, value);
    }

    public void spilling(final boolean value)
    {
        header.putIntVolatile(TraceFormat.HDR_SPILLING_OFFSET, value ? 1 : 0);
    }

    public void state(final int value)
    {
        header.putIntRelease(TraceFormat.HDR_STATE_OFFSET, value);
    }

    public void close() throws IOException
    {
        mapped.force();
        channel.close();
    }

    /**
     * Write a spill file: header with the spill magic, then records framed as in the ring (8-byte header,
     * padded to 8 bytes).
     *
     * @param path     the spill file.
     * @param header   header fields.
     * @param events   the events.
     * @param truncate bytes to cut off the end (a crash mid-write).
     * @throws IOException on failure.
     */
    public static void writeSpill(final Path path, final Header header, final EventEncoder[] events,
        final int truncate) throws IOException
    {
        final UnsafeBuffer h = new UnsafeBuffer(new byte[TraceFormat.RING_HEADER_LENGTH]);
        header.writeTo(h, TraceFormat.SPILL_MAGIC, 0);
        final byte[] records = frame(events, events.length);
        write(path, h.byteArray(), records, records.length - truncate);
    }

    /**
     * Write a collector's backlog file (section 5 of iotrace_format.h) as a collector stopped at some moment
     * would leave it: every event's record is in the file, the header says which are complete and consumed.
     *
     * @param path     the backlog file.
     * @param header   header fields.
     * @param events   the records in the file.
     * @param consumed how many of them were written as JSON (backlog_consumed).
     * @param complete how many of them are complete (backlog_end); those after are an interrupted block.
     * @param ringEnd  backlog_ring_end.
     * @throws IOException on failure.
     */
    public static void writeBacklog(final Path path, final Header header, final EventEncoder[] events,
        final int consumed, final int complete, final long ringEnd) throws IOException
    {
        final UnsafeBuffer h = new UnsafeBuffer(new byte[TraceFormat.RING_HEADER_LENGTH]);
        header.writeTo(h, TraceFormat.BACKLOG_MAGIC, 0);
        h.putLong(TraceFormat.HDR_BACKLOG_CONSUMED_OFFSET,
            TraceFormat.RING_HEADER_LENGTH + frame(events, consumed).length, ByteOrder.LITTLE_ENDIAN);
        h.putLong(TraceFormat.HDR_BACKLOG_END_OFFSET,
            TraceFormat.RING_HEADER_LENGTH + frame(events, complete).length, ByteOrder.LITTLE_ENDIAN);
        h.putLong(TraceFormat.HDR_BACKLOG_RING_END_OFFSET, ringEnd, ByteOrder.LITTLE_ENDIAN);
        final byte[] records = frame(events, events.length);
        write(path, h.byteArray(), records, records.length);
    }

    /** @return the first count events as framed records (8-byte header, padded to 8 bytes), back to back. */
    public static byte[] frame(final EventEncoder[] events, final int count)
    {
        final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < count; i++)
        {
            final byte[] payload = events[i].build();
            final int length = TraceFormat.RECORD_HEADER_LENGTH + payload.length;
            final int framed = (length + 7) & ~7;
            final ByteBuffer record = ByteBuffer.allocate(framed).order(ByteOrder.LITTLE_ENDIAN);
            record.putInt(length);
            record.putInt(events[i].typeId());
            record.put(payload);
            bytes.writeBytes(record.array());
        }
        return bytes.toByteArray();
    }

    private static void write(final Path path, final byte[] header, final byte[] records, final int recordBytes)
        throws IOException
    {
        Files.createDirectories(path.getParent());
        try (OutputStream out = Files.newOutputStream(path))
        {
            out.write(header);
            out.write(records, 0, recordBytes);
        }
    }
}
