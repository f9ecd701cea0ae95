package io.iotrace.core.collector;

import io.iotrace.core.format.TraceFormat;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The collector's backlog of one incarnation (section 5 of iotrace_format.h). A collector that falls behind a live
 * producer (its JIT still warming up, a burst of events, another busy ring) moves the ring's complete records
 * into this file in blocks, at the speed of a memory copy, so the program never waits for ring space while the
 * decoding catches up; the records are then decoded from here, and from the ring directly again once the backlog
 * is empty. Every record is in exactly one of ring and backlog at any moment a collector can be killed (the order
 * of {@link #append}), and the consumed offset moves only after the JSON before it has been flushed.
 */
final class RingBacklog implements AutoCloseable
{
    /** The reader's buffer: allocated while the backlog has records, dropped when it is emptied. */
    private static final int READ_BUFFER = 64 * 1024;
    private static final long EMPTY = TraceFormat.RING_HEADER_LENGTH;

    private final Path path;
    private final FileChannel channel;
    private final FramedRecordReader reader;
    private final ByteBuffer fields = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    private long consumed;
    private long end;
    private long ringEnd;

    private RingBacklog(final Path path, final FileChannel channel, final long consumed, final long end,
        final long ringEnd)
    {
        this.path = path;
        this.channel = channel;
        this.consumed = consumed;
        this.end = end;
        this.ringEnd = ringEnd;
        this.reader = new FramedRecordReader(channel, consumed, READ_BUFFER);
        reader.limit(end);
    }

    /**
     * Start the backlog of a ring: a new file with the ring's header (section 5).
     *
     * @param path the backlog file; it must not exist (a backlog left by an earlier collector is {@link #openLeft}).
     * @param ring the ring whose records it takes.
     * @return the empty backlog.
     * @throws IOException when the file cannot be made.
     */
    static RingBacklog create(final Path path, final RingSource ring) throws IOException
    {
        Files.createDirectories(path.getParent());
        final FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
            StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        try
        {
            final UnsafeBuffer header = new UnsafeBuffer(ring.headerBytes());
            header.putLong(TraceFormat.HDR_MAGIC_OFFSET, TraceFormat.BACKLOG_MAGIC, ByteOrder.LITTLE_ENDIAN);
            header.putLong(TraceFormat.HDR_BACKLOG_CONSUMED_OFFSET, EMPTY, ByteOrder.LITTLE_ENDIAN);
            header.putLong(TraceFormat.HDR_BACKLOG_END_OFFSET, EMPTY, ByteOrder.LITTLE_ENDIAN);
            header.putLong(TraceFormat.HDR_BACKLOG_RING_END_OFFSET, ring.consumerPosition(), ByteOrder.LITTLE_ENDIAN);
            writeFully(channel, ByteBuffer.wrap(header.byteArray()), 0);
            return new RingBacklog(path, channel, EMPTY, EMPTY, ring.consumerPosition());
        }
        catch (final IOException | RuntimeException ex)
        {
            channel.close();
            Files.deleteIfExists(path);
            throw ex;
        }
    }

    /**
     * Open the backlog an earlier collector left.
     *
     * @param path the backlog file.
     * @return the backlog, or null when there is no such file (or only an unfinished header, which it deletes).
     * @throws IOException              when it cannot be read.
     * @throws IllegalArgumentException when it is not a backlog file or its offsets cannot be right.
     */
    private static RingBacklog open(final Path path) throws IOException
    {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS))
        {
            return null;
        }
        final FileChannel channel = FileChannel.open(
            path, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        try
        {
            final UnsafeBuffer header = SpillSource.readHeader(channel, TraceFormat.BACKLOG_MAGIC, "backlog");
            if (null == header)
            {
                // a collector stopped while writing the header: records only ever follow a complete one
                channel.close();
                Files.delete(path);
                return null;
            }
            final long consumed = header.getLong(TraceFormat.HDR_BACKLOG_CONSUMED_OFFSET, ByteOrder.LITTLE_ENDIAN);
            final long end = header.getLong(TraceFormat.HDR_BACKLOG_END_OFFSET, ByteOrder.LITTLE_ENDIAN);
            final long ringEnd = header.getLong(TraceFormat.HDR_BACKLOG_RING_END_OFFSET, ByteOrder.LITTLE_ENDIAN);
            if (consumed < EMPTY || end < consumed || end > channel.size() || ringEnd < 0)
            {
                throw new IllegalArgumentException("backlog offsets cannot be right: consumed " + consumed +
                    ", end " + end + ", ring end " + ringEnd + ", file of " + channel.size() + " bytes");
            }
            return new RingBacklog(path, channel, consumed, end, ringEnd);
        }
        catch (final IOException | RuntimeException ex)
        {
            channel.close();
            throw ex;
        }
    }

    /**
     * Open the backlog an earlier collector (or this one's start-up) left for a ring, and consume from the ring the
     * records it already holds (a collector stopped between writing a block here and consuming it there).
     *
     * @param path the backlog file.
     * @param ring its ring.
     * @return the backlog, or null when there is none.
     * @throws IOException              when it cannot be read.
     * @throws IllegalArgumentException when it is not a backlog of this ring (closed then).
     */
    static RingBacklog openLeft(final Path path, final RingSource ring) throws IOException
    {
        final RingBacklog backlog = open(path);
        if (null != backlog && !ring.skipTo(backlog.ringEnd()))
        {
            backlog.close();
            throw new IllegalArgumentException("its ring end " + backlog.ringEnd() + " is not a position of the " +
                "ring (consumer position " + ring.consumerPosition() + ")");
        }
        return backlog;
    }

    /** @return the backlog file. */
    Path path()
    {
        return path;
    }

    /** @return the ring position its records reach: ring records before it are in this file. */
    long ringEnd()
    {
        return ringEnd;
    }

    /** @return true while records wait here: the ring's records come after them. */
    boolean hasRecords()
    {
        return reader.position() < end;
    }

    /**
     * Append a block of the ring's records. Order (section 5): the block, then its end and ring end in one pwrite;
     * only then may the caller consume the block from the ring. On failure the file is cut back (best effort: the
     * end recorded in the header is what counts) and nothing was taken from the ring.
     *
     * @param block       complete records as framed in the ring, no padding (from {@link RingSource#completeRecords}).
     * @param blockRingEnd the ring position after the block.
     * @throws IOException when the file cannot take it (disk full, I/O error).
     */
    private void append(final ByteBuffer block, final long blockRingEnd) throws IOException
    {
        final long newEnd = end + block.remaining();
        try
        {
            writeFully(channel, block, end);
            writeFields(consumed, newEnd, blockRingEnd);
        }
        catch (final IOException ex)
        {
            try
            {
                channel.truncate(end);
            }
            catch (final IOException ignore)
            {
                // the header's end still excludes the partial block
            }
            throw ex;
        }
        end = newEnd;
        ringEnd = blockRingEnd;
        reader.limit(end);
    }

    /**
     * Move every complete record of the ring into the backlog, block by block (at most one lap).
     *
     * @param ring       the ring.
     * @param blockBytes bytes per block: the producer gets each block's room as soon as it is written.
     * @return bytes moved.
     * @throws IOException              when the file cannot take a block (it stays in the ring).
     * @throws IllegalArgumentException when the ring's next record header cannot be right.
     */
    long takeFrom(final RingSource ring, final int blockBytes) throws IOException
    {
        long moved = 0;
        while (moved < ring.capacity())
        {
            final ByteBuffer block = ring.completeRecords(blockBytes);
            final int bytes = block.remaining();
            if (0 == bytes)
            {
                break;
            }
            append(block, ring.consumerPosition() + bytes);
            ring.consume(bytes);
            moved += bytes;
        }
        return moved;
    }

    /**
     * Decode up to limit records.
     *
     * @param handler called per record.
     * @param limit   most records.
     * @return records read.
     * @throws IOException              when reading fails.
     * @throws IllegalArgumentException when a record header is corrupt.
     */
    int read(final MessageHandler handler, final int limit) throws IOException
    {
        final int read = reader.read(handler, limit);
        if (0 == read && limit > 0 && hasRecords())
        {
            // blocks hold whole records only: bytes before the end that make no record mean a corrupt file
            throw new IllegalArgumentException("a record at offset " + reader.position() +
                " runs past the backlog's end " + end);
        }
        return read;
    }

    /**
     * Record that the records read so far are written as JSON (the caller flushed its output); an emptied backlog is
     * reset to an empty file.
     *
     * @throws IOException when the header cannot be written.
     */
    void commit() throws IOException
    {
        final long position = reader.position();
        if (position == end)
        {
            writeFields(EMPTY, EMPTY, ringEnd); // first the header: a cut file whose header says otherwise is wrong
            channel.truncate(EMPTY);
            consumed = EMPTY;
            end = EMPTY;
            reader.restart(EMPTY);
            reader.limit(EMPTY);
        }
        else if (position != consumed)
        {
            writeFields(position, end, ringEnd);
            consumed = position;
        }
    }

    private void writeFields(final long newConsumed, final long newEnd, final long newRingEnd) throws IOException
    {
        fields.clear();
        fields.putLong(newConsumed).putLong(newEnd).putLong(newRingEnd).flip();
        writeFully(channel, fields, TraceFormat.HDR_BACKLOG_CONSUMED_OFFSET);
    }

    private static void writeFully(final FileChannel channel, final ByteBuffer bytes, final long position)
        throws IOException
    {
        long at = position;
        while (bytes.hasRemaining())
        {
            at += channel.write(bytes, at);
        }
    }

    /** Close the file (it stays for a later collector when records are left). */
    public void close()
    {
        try
        {
            channel.close();
        }
        catch (final IOException ignore)
        {
            // nothing written is lost: every write went through pwrite
        }
    }
}
