package io.iotrace.core.collector;

import io.iotrace.core.format.TraceFormat;
import org.agrona.BitUtil;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;

/**
 * Reads records framed as in the ring (8-byte header, 8-byte alignment, no padding records) from a file that grows
 * at its end (spill and backlog files, sections 4 and 5 of iotrace_format.h), incrementally and up to a limit
 * position: an incomplete last record stays unread until more bytes arrive.
 */
final class FramedRecordReader
{
    /** Largest record accepted: bigger lengths mean the file is corrupt. */
    static final int MAX_RECORD_LENGTH = 1 << 24;

    private final FileChannel channel;
    private final int initialBuffer;
    /** The next file byte to go into the buffer. */
    private long filePosition;
    /** Bytes at or after this file position are not read (Long.MAX_VALUE: up to the end of the file). */
    private long limitPosition = Long.MAX_VALUE;
    private ByteBuffer buffer;
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    /** Buffer index of the first byte not handed on yet. */
    private int parsed;
    private long records;

    /**
     * @param channel       the file.
     * @param position      file position of the first record.
     * @param initialBuffer bytes of the read buffer (it grows for a longer record).
     */
    FramedRecordReader(final FileChannel channel, final long position, final int initialBuffer)
    {
        this.channel = channel;
        this.initialBuffer = initialBuffer;
        this.filePosition = position;
    }

    /** @return records handed on so far. */
    long records()
    {
        return records;
    }

    /** @return the file position after the last record handed on. */
    long position()
    {
        return null == buffer ? filePosition : filePosition - (buffer.limit() - parsed);
    }

    /** @param position bytes at or after it are not read (they are not complete yet). */
    void limit(final long position)
    {
        limitPosition = position;
    }

    /**
     * Go on reading at another position, dropping the read buffer (it is made again when needed).
     *
     * @param position file position of the next record.
     */
    void restart(final long position)
    {
        filePosition = position;
        buffer = null;
        parsed = 0;
    }

    /**
     * Read up to limit complete records.
     *
     * @param handler called per record (type, buffer, payload offset, payload length).
     * @param limit   most records to read.
     * @return records read.
     * @throws IOException              when reading fails.
     * @throws IllegalArgumentException when a record header is corrupt.
     */
    int read(final MessageHandler handler, final int limit) throws IOException
    {
        if (null == buffer)
        {
            buffer = ByteBuffer.allocate(initialBuffer).order(ByteOrder.LITTLE_ENDIAN).limit(0);
            view.wrap(buffer);
            parsed = 0;
        }
        int count = 0;
        while (count < limit)
        {
            final int available = buffer.limit() - parsed;
            if (available >= TraceFormat.RECORD_HEADER_LENGTH)
            {
                final int length = buffer.getInt(parsed);
                final int type = buffer.getInt(parsed + 4);
                if (length < TraceFormat.RECORD_HEADER_LENGTH || length > MAX_RECORD_LENGTH)
                {
                    throw new IllegalArgumentException("record at offset " + (filePosition - available) +
                        " has an impossible length " + length + " (8 to " + MAX_RECORD_LENGTH + " bytes)");
                }
                final int framed = BitUtil.align(length, TraceFormat.RECORD_ALIGNMENT);
                if (available >= framed)
                {
                    handler.onMessage(type, view, parsed + TraceFormat.RECORD_HEADER_LENGTH,
                        length - TraceFormat.RECORD_HEADER_LENGTH);
                    parsed += framed;
                    records++;
                    count++;
                    continue;
                }
                if (framed > buffer.capacity())
                {
                    grow(framed);
                }
            }
            if (0 == fill())
            {
                break;
            }
        }
        return count;
    }

    /** @return bytes of an incomplete record at the end of what has been read (0 if none). */
    int truncatedBytes()
    {
        return null == buffer ? 0 : buffer.limit() - parsed;
    }

    private void grow(final int needed)
    {
        final ByteBuffer bigger = ByteBuffer.allocate(Math.max(needed, buffer.capacity() * 2))
            .order(ByteOrder.LITTLE_ENDIAN);
        buffer.position(parsed);
        bigger.put(buffer);
        bigger.flip();
        buffer = bigger;
        parsed = 0;
        view.wrap(buffer);
    }

    private int fill() throws IOException
    {
        buffer.position(parsed);
        buffer.compact();
        parsed = 0;
        final long allowed = limitPosition - filePosition;
        if (allowed < buffer.remaining())
        {
            buffer.limit(buffer.position() + (int)Math.max(0, allowed));
        }
        final int read = buffer.hasRemaining() ? channel.read(buffer, filePosition) : 0;
        buffer.flip();
        if (read > 0)
        {
            filePosition += read;
            return read;
        }
        return 0;
    }
}
