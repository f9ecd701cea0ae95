package io.iotrace.core.collector;

import io.iotrace.core.format.TraceFormat;
import io.iotrace.core.nativeio.NativeIo;
import org.agrona.BitUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A mapped ring file: its header and the agrona {@link ManyToOneRingBuffer} over the data area and trailer.
 * The collector is the ring's only consumer.
 */
public final class RingSource implements AutoCloseable
{
    /** The file is not (yet) a complete ring file: the producer may still be writing its header. */
    public static final class NotReadyException extends Exception
    {
        NotReadyException(final String message)
        {
            super(message);
        }
    }

    /**
     * The collector gives back its page-table entries of ring pages it has consumed, chunk by chunk
     * (madvise(MADV_DONTNEED) through {@link MemorySegment#unload()}): pages it touched count in its RSS, a 32 MiB
     * ring per process would otherwise stay resident in the collector. The file's pages are the producer's and
     * stay; the next pass over them costs the collector one minor fault per page (~16 ns per event here).
     */
    static final int RELEASE_CHUNK = 1 << 20;

    /*
     * Ring pages made ahead of the producer in its first lap. The shim populates every ring page before it writes
     * there (a store to a page tmpfs cannot supply would be SIGBUS): allocating and zeroing a page costs it ~2.5 us
     * in this VM, ~100 ns per open+close pair on the program's thread, while a page the file already has costs it
     * only the mapping (~0.5 us). So the collector makes the file's next pages itself (MADV_POPULATE_WRITE, which
     * fails where a touch would be SIGBUS) and drops its own mapping of them at once (its RSS stays as it was).
     * It starts once a process has written POPULATE_START bytes (most never do, and cost nothing more) and keeps as
     * far ahead as the process has written so far, between POPULATE_MIN_AHEAD and POPULATE_MAX_AHEAD: at the
     * collector's polling (every ms or so) 1 MiB is ahead of any producer.
     */
    static final long POPULATE_START = 32 * 1024;
    static final long POPULATE_MIN_AHEAD = 256 * 1024;
    static final long POPULATE_MAX_AHEAD = 1024 * 1024;
    /** madvise needs page-aligned addresses: the data area starts RING_HEADER_LENGTH (a page multiple) into the map. */
    private static final long POPULATE_ALIGNMENT = TraceFormat.RING_HEADER_LENGTH;

    private final Path path;
    private final Arena arena;
    private final MemorySegment data;
    private final int releaseChunk;
    private long releasedPosition;
    private final UnsafeBuffer header;
    private final ManyToOneRingBuffer ring;
    private final IncarnationInfo info;
    private final int capacity;
    private final int maxRecordLength;
    private final ControlledMessageHandler committingHandler = this::onMessage;
    private MessageHandler batchHandler;
    private Runnable batchFlush;
    private int batchLimit;
    private int batchMessages;
    /** Position of index 0 of the data area in the lap the current read is in (reads never wrap). */
    private long batchLapStart;
    /** The producer position last read: a complete record never ends beyond it. */
    private long knownTail;
    /** Set by {@link #onMessage} when a record's header cannot be right; the read stops before that record. */
    private String corruption;
    /** First lap: bytes [0, populatedTo) of the data area have pages made by {@link #populateAhead}. */
    private long populatedTo;
    /** No more pages to make: the producer is past its first lap, or making them failed. */
    private boolean populateDone;

    private RingSource(
        final Path path, final Arena arena, final UnsafeBuffer header, final ManyToOneRingBuffer ring,
        final MemorySegment data)
    {
        this.path = path;
        this.arena = arena;
        this.data = data;
        this.header = header;
        this.ring = ring;
        this.info = IncarnationInfo.read(header);
        this.capacity = ring.capacity();
        this.maxRecordLength = ring.maxMsgLength();
        this.releaseChunk = Math.min(RELEASE_CHUNK, capacity / 4);
        this.releasedPosition = ring.consumerPosition() - (ring.consumerPosition() & (releaseChunk - 1));
    }

    /**
     * Map a ring file.
     *
     * @param path the ring file.
     * @return the mapped ring.
     * @throws NotReadyException        when the header is not complete yet (retry later).
     * @throws IllegalArgumentException when the file is not a valid ring file.
     * @throws IOException              when it cannot be opened or mapped.
     */
    public static RingSource map(final Path path) throws NotReadyException, IOException
    {
        try (FileChannel channel = FileChannel.open(
            path, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS))
        {
            final long size = channel.size();
            if (size < TraceFormat.RING_HEADER_LENGTH + TraceFormat.TRAILER_LENGTH)
            {
                throw new NotReadyException("ring file of " + size + " bytes");
            }
            final Arena arena = Arena.ofShared();
            boolean ok = false;
            try
            {
                final MemorySegment segment = channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
                final UnsafeBuffer header = new UnsafeBuffer(segment.address(), TraceFormat.RING_HEADER_LENGTH);
                if (0 == header.getIntVolatile(TraceFormat.HDR_STATE_OFFSET))
                {
                    throw new NotReadyException("ring header not published yet (state 0)");
                }
                final long magic = header.getLong(TraceFormat.HDR_MAGIC_OFFSET, ByteOrder.LITTLE_ENDIAN);
                if (TraceFormat.RING_MAGIC != magic)
                {
                    throw new IllegalArgumentException("bad magic 0x" + Long.toHexString(magic));
                }
                final int version = header.getInt(TraceFormat.HDR_FORMAT_VERSION_OFFSET, ByteOrder.LITTLE_ENDIAN);
                if (TraceFormat.FORMAT_VERSION != version)
                {
                    throw new IllegalArgumentException("format version " + version + ", expected " +
                        TraceFormat.FORMAT_VERSION);
                }
                final int headerLength =
                    header.getInt(TraceFormat.HDR_HEADER_LENGTH_OFFSET, ByteOrder.LITTLE_ENDIAN);
                if (TraceFormat.RING_HEADER_LENGTH != headerLength)
                {
                    throw new IllegalArgumentException("header length " + headerLength);
                }
                final int capacity = header.getInt(TraceFormat.HDR_RING_CAPACITY_OFFSET, ByteOrder.LITTLE_ENDIAN);
                if (capacity <= 0 || !BitUtil.isPowerOfTwo(capacity) ||
                    size < TraceFormat.ringFileLength(capacity))
                {
                    throw new IllegalArgumentException("ring capacity " + capacity + " does not fit a file of " +
                        size + " bytes");
                }
                final UnsafeBuffer data = new UnsafeBuffer(
                    segment.address() + TraceFormat.RING_HEADER_LENGTH, capacity + TraceFormat.TRAILER_LENGTH);
                checkPositions(data, capacity);
                final RingSource source = new RingSource(path, arena, header, new ManyToOneRingBuffer(data),
                    segment.asSlice(TraceFormat.RING_HEADER_LENGTH, capacity));
                ok = true;
                return source;
            }
            finally
            {
                if (!ok)
                {
                    arena.close();
                }
            }
        }
    }

    /** Head and tail of a ring as agrona keeps them: 8-aligned, 0 <= head <= tail <= head + capacity. */
    private static void checkPositions(final UnsafeBuffer data, final int capacity)
    {
        final long head = data.getLongVolatile(capacity + TraceFormat.TRAILER_HEAD_POSITION_OFFSET);
        final long tail = data.getLongVolatile(capacity + TraceFormat.TRAILER_TAIL_POSITION_OFFSET);
        final int alignment = TraceFormat.RECORD_ALIGNMENT;
        if (head < 0 || tail < head || tail - head > capacity || 0 != (head & (alignment - 1)) ||
            0 != (tail & (alignment - 1)))
        {
            throw new IllegalArgumentException("ring trailer corrupt: consumer position " + head +
                ", producer position " + tail);
        }
    }

    /** @return the ring file. */
    public Path path()
    {
        return path;
    }

    /** @return the header's immutable fields. */
    public IncarnationInfo info()
    {
        return info;
    }

    /** @return the header state (acquire). */
    public int state()
    {
        return header.getIntAcquire(TraceFormat.HDR_STATE_OFFSET);
    }

    /** @return the header's lost_events counter. */
    public long lostEvents()
    {
        return header.getLongVolatile(TraceFormat.HDR_LOST_EVENTS_OFFSET);
    }

    /** @return the header's full_waits counter: records that waited for the collector to make room. */
    public long fullWaits()
    {
        return header.getLongVolatile(TraceFormat.HDR_FULL_WAITS_OFFSET);
    }

    /** @return the header's full_wait_ns counter: how long those records waited in all. */
    public long fullWaitNanos()
    {
        return header.getLongVolatile(TraceFormat.HDR_FULL_WAIT_NS_OFFSET);
    }

    /** @return the header's spilled_events counter. */
    public long spilledEvents()
    {
        return header.getLongVolatile(TraceFormat.HDR_SPILLED_EVENTS_OFFSET);
    }

    /** @return true once the producer has switched to its spill file. */
    public boolean isSpilling()
    {
        return 0 != header.getIntVolatile(TraceFormat.HDR_SPILLING_OFFSET);
    }

    /**
     * Read up to limit records.
     *
     * @param handler called per record.
     * @param flush   writes the handler's buffered output to the file; run before the consumer position moves.
     * @param limit   most records to read.
     * @return records read.
     */
    public int read(final MessageHandler handler, final Runnable flush, final int limit)
    {
        batchHandler = handler;
        batchFlush = flush;
        batchLimit = limit;
        batchMessages = 0;
        long head = ring.consumerPosition();
        int read;
        try
        {
            do
            {
                head = ring.consumerPosition();
                batchLapStart = head - (head & (capacity - 1));
                read = ring.controlledRead(committingHandler, limit);
            }
            // a padding record at the consumer position: agrona steps over it and returns 0 records; the
            // records go on at the start of the data area (0 must mean "none there", or a retire stops early)
            while (0 == read && ring.consumerPosition() != head && null == corruption);
        }
        catch (final IndexOutOfBoundsException ex)
        {
            // agrona steps over padding records without showing them: one whose length runs past the data area
            // ends up here
            throw new IllegalArgumentException("a record after position " + head +
                " has a length past the end of the data area", ex);
        }
        releaseConsumed();
        if (null != corruption)
        {
            final String problem = corruption;
            corruption = null;
            throw new IllegalArgumentException(problem);
        }
        return read;
    }

    /**
     * Check a record's header before anything reads it (agrona trusts the length): a recovered ring can hold
     * anything. A record shorter than its header, longer than the largest record, crossing the end of the data
     * area or ending beyond the producer position cannot be right.
     *
     * @return null, or the problem in words.
     */
    private String checkRecord(final int index, final int length)
    {
        final int offset = index - TraceFormat.RECORD_HEADER_LENGTH;
        final long recordLength = (long)length + TraceFormat.RECORD_HEADER_LENGTH;
        final long end = offset + BitUtil.align(recordLength, TraceFormat.RECORD_ALIGNMENT);
        final long position = batchLapStart + offset;
        if (length < 0 || recordLength > ring.maxMsgLength() || end > capacity)
        {
            return "record at position " + position + " has an impossible length " + recordLength +
                " (8 to " + ring.maxMsgLength() + " bytes within the data area of " + capacity + ")";
        }
        if (batchLapStart + end > knownTail)
        {
            knownTail = ring.producerPosition();
            if (batchLapStart + end > knownTail)
            {
                return "record at position " + position + " of length " + recordLength +
                    " runs past the producer position " + knownTail;
            }
        }
        return null;
    }

    /** Unmaps (from this process only) every whole chunk the consumer position has passed. */
    private void releaseConsumed()
    {
        final long consumed = ring.consumerPosition();
        while (consumed - releasedPosition >= releaseChunk)
        {
            data.asSlice(releasedPosition & (capacity - 1), releaseChunk).unload();
            releasedPosition += releaseChunk;
        }
    }

    /**
     * Hands the record on; at the last record of the batch, flushes the output and commits. The consumer
     * position thus never passes a record whose JSON is still only in this JVM: a collector killed at any moment
     * leaves every unwritten record in the ring for the next collector or {@code recover}.
     */
    private ControlledMessageHandler.Action onMessage(
        final int typeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        final String problem = checkRecord(index, length);
        if (null != problem)
        {
            corruption = problem;
            return ControlledMessageHandler.Action.ABORT; // agrona commits the records before it, not this one
        }
        batchHandler.onMessage(typeId, buffer, index, length);
        if (++batchMessages < batchLimit && nextRecordReady(buffer, index, length))
        {
            return ControlledMessageHandler.Action.CONTINUE;
        }
        batchFlush.run();
        return ControlledMessageHandler.Action.COMMIT;
    }

    /** True if agrona's read loop will go on to another message after this one without the head moving first. */
    private boolean nextRecordReady(final MutableDirectBuffer buffer, final int index, final int length)
    {
        final int next = index - TraceFormat.RECORD_HEADER_LENGTH +
            BitUtil.align(length + TraceFormat.RECORD_HEADER_LENGTH, TraceFormat.RECORD_ALIGNMENT);
        return next < capacity &&
            ring.buffer().getIntVolatile(next) > 0 &&
            TraceFormat.PADDING_TYPE_ID != buffer.getInt(next + 4);
    }

    /**
     * The complete records from the consumer position on, as one run for a backlog (section 5 of
     * iotrace_format.h): it ends at the end of the data area, at a record not committed yet, before a padding record
     * or once it holds maxBytes or more. A padding record at the consumer position is consumed on the way (it
     * carries nothing). Nothing moves until {@link #consume} gives the run back to the producer.
     *
     * @param maxBytes bytes after which the run ends at the next record boundary.
     * @return a view of the ring, empty when no complete record waits.
     * @throws IllegalArgumentException when the first record's header cannot be right (a later one ends the run).
     */
    public ByteBuffer completeRecords(final int maxBytes)
    {
        final AtomicBuffer buffer = ring.buffer();
        while (true)
        {
            final long head = ring.consumerPosition();
            final int start = (int)(head & (capacity - 1));
            batchLapStart = head - start;
            int end = start;
            while (end < capacity && end - start < maxBytes)
            {
                final int length = buffer.getIntVolatile(end);
                if (length <= 0)
                {
                    break;
                }
                final int framed = BitUtil.align(length, TraceFormat.RECORD_ALIGNMENT);
                if (TraceFormat.PADDING_TYPE_ID == buffer.getInt(end + 4))
                {
                    if (end == start && start + framed == capacity)
                    {
                        consume(framed);
                    }
                    break;
                }
                // checkRecord's tests, its call only when one fails (this loop runs interpreted in a new collector)
                if (length < TraceFormat.RECORD_HEADER_LENGTH || length > maxRecordLength ||
                    end + framed > capacity || batchLapStart + end + framed > knownTail)
                {
                    final String problem = checkRecord(
                        end + TraceFormat.RECORD_HEADER_LENGTH, length - TraceFormat.RECORD_HEADER_LENGTH);
                    if (null != problem)
                    {
                        if (end == start)
                        {
                            throw new IllegalArgumentException(problem);
                        }
                        break;
                    }
                }
                end += framed;
            }
            if (end > start || ring.consumerPosition() == head)
            {
                return data.asSlice(start, end - start).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            }
            // a padding record was consumed: the run goes on at the start of the data area
        }
    }

    /**
     * Give bytes at the consumer position back to the producer, as agrona's read does: zero them (a producer
     * relies on claimed space being zero), then move the consumer position (release).
     *
     * @param bytes a run of whole records from {@link #completeRecords}.
     */
    public void consume(final int bytes)
    {
        final long head = ring.consumerPosition();
        ring.buffer().setMemory((int)(head & (capacity - 1)), bytes, (byte)0);
        ring.buffer().putLongRelease(capacity + TraceFormat.TRAILER_HEAD_POSITION_OFFSET, head + bytes);
        releaseConsumed();
    }

    /**
     * Consume everything before a position without reading it: the records a backlog already holds (a collector
     * stopped between writing a block into its backlog and consuming it from the ring).
     *
     * @param position a consumer position the ring reached.
     * @return false (and nothing done) when the position cannot be one of this ring's.
     */
    public boolean skipTo(final long position)
    {
        final long head = ring.consumerPosition();
        if (position <= head)
        {
            return true;
        }
        if (position > ring.producerPosition() || position - head > capacity ||
            0 != (position & (TraceFormat.RECORD_ALIGNMENT - 1)))
        {
            return false;
        }
        long at = head;
        while (at < position)
        {
            final int index = (int)(at & (capacity - 1));
            final int bytes = (int)Math.min(position - at, capacity - index);
            consume(bytes);
            at += bytes;
        }
        return true;
    }

    /** @return the consumer position. */
    public long consumerPosition()
    {
        return ring.consumerPosition();
    }

    /** @return bytes of the data area. */
    public int capacity()
    {
        return capacity;
    }

    /** @return a copy of the ring file's header. */
    public byte[] headerBytes()
    {
        final byte[] copy = new byte[TraceFormat.RING_HEADER_LENGTH];
        header.getBytes(0, copy);
        return copy;
    }

    /**
     * Make the file's pages ahead of the producer during its first lap (see POPULATE_START). A failure (tmpfs full,
     * a kernel before 5.14) ends it: the producer makes its pages itself, as it always can. Never throws.
     */
    public void populateAhead()
    {
        if (populateDone)
        {
            return;
        }
        final long tail = ring.producerPosition();
        if (tail >= capacity)
        {
            populateDone = true; // past the first lap: every page exists
            return;
        }
        if (tail < POPULATE_START)
        {
            return;
        }
        final long ahead = Math.min(POPULATE_MAX_AHEAD, Math.max(POPULATE_MIN_AHEAD, tail));
        final long target = Math.min(capacity, BitUtil.align(tail + ahead, POPULATE_ALIGNMENT));
        final long from = Math.max(populatedTo, tail - (tail & (POPULATE_ALIGNMENT - 1)));
        if (target - from < POPULATE_MIN_AHEAD / 2)
        {
            return; // in steps of 128 KiB at least
        }
        final MemorySegment range = data.asSlice(from, target - from);
        try
        {
            if (NativeIo.madvise(range, NativeIo.MADV_POPULATE_WRITE).failed())
            {
                populateDone = true;
                return;
            }
            range.unload();
        }
        catch (final RuntimeException ex)
        {
            populateDone = true; // only ever an optimisation: never in the way of draining the ring
            return;
        }
        populatedTo = target;
    }

    /** @return bytes between the consumer and the producer position. */
    public long unreadBytes()
    {
        return ring.producerPosition() - ring.consumerPosition();
    }

    /**
     * @return true when every byte between the consumer and the producer position is zero: space a producer
     *         claimed and never wrote (killed between the claim and the record header), not a corrupt record.
     */
    public boolean unreadBytesAreZero()
    {
        final long head = ring.consumerPosition();
        final long tail = ring.producerPosition();
        for (long position = head; position < tail; position += TraceFormat.RECORD_ALIGNMENT)
        {
            if (0 != ring.buffer().getLong((int)(position & (capacity - 1))))
            {
                return false;
            }
        }
        return true;
    }

    /** @return true if records are waiting. */
    public boolean hasRecords()
    {
        return ring.producerPosition() != ring.consumerPosition();
    }

    /** @param nowMs epoch milliseconds to publish as the consumer heartbeat. */
    public void heartbeat(final long nowMs)
    {
        ring.consumerHeartbeatTime(nowMs);
    }

    /** @return true if a claimed but never committed record was turned into padding. */
    public boolean unblock()
    {
        return ring.unblock();
    }

    /** Unmap the file. */
    public void close()
    {
        arena.close();
    }
}
