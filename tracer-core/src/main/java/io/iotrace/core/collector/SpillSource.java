package io.iotrace.core.collector;

import io.iotrace.core.format.TraceFormat;
import org.agrona.BitUtil;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Follows a spill file (section 4 of iotrace_format.h): a ring header with the spill magic, then records framed as
 * in the ring (8-byte header, 8-byte alignment, no padding records), appended by the producer with one write(2)
 * each. Reads incrementally: an incomplete last record stays unread until more bytes arrive; when the producer is
 * dead it is a truncated tail and {@link #truncatedBytes()} says so.
 */
public final class SpillSource implements AutoCloseable
{
    /** Largest record accepted: bigger lengths mean the file is corrupt. */
    public static final int MAX_RECORD_LENGTH = 1 << 24;
    private static final int INITIAL_BUFFER = 1 << 20;

    private final Path path;
    private final FileChannel channel;
    private final IncarnationInfo info;
    private long filePosition = TraceFormat.RING_HEADER_LENGTH;
    private ByteBuffer buffer = ByteBuffer.allocate(INITIAL_BUFFER).order(ByteOrder.LITTLE_ENDIAN);
    private final UnsafeBuffer view = new UnsafeBuffer(buffer);
    private int parsed;
    private long records;

    private SpillSource(final Path path, final FileChannel channel, final IncarnationInfo info)
    {
        this.path = path;
        this.channel = channel;
        this.info = info;
        buffer.limit(0);
    }

    /**
     * Open a spill file.
     *
     * @param path the spill file.
     * @return the source, or null when the header is not complete yet.
     * @throws IOException              when it cannot be opened.
     * @throws IllegalArgumentException when the header is not a spill header.
     */
    public static SpillSource open(final Path path) throws IOException
    {
        final FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        try
        {
            if (channel.size() < TraceFormat.RING_HEADER_LENGTH)
            {
                channel.close();
                return null;
            }
            final ByteBuffer header = ByteBuffer.allocate(TraceFormat.RING_HEADER_LENGTH);
            while (header.hasRemaining())
            {
                if (channel.read(header, header.position()) < 0)
                {
                    channel.close();
                    return null;
                }
            }
            final UnsafeBuffer headerView = new UnsafeBuffer(header.array());
            final long magic = headerView.getLong(TraceFormat.HDR_MAGIC_OFFSET, ByteOrder.LITTLE_ENDIAN);
            if (TraceFormat.SPILL_MAGIC != magic)
            {
                throw new IllegalArgumentException("not a spill file (magic 0x" + Long.toHexString(magic) + ")");
            }
            final int version = headerView.getInt(TraceFormat.HDR_FORMAT_VERSION_OFFSET, ByteOrder.LITTLE_ENDIAN);
            if (TraceFormat.FORMAT_VERSION != version)
            {
                throw new IllegalArgumentException("format version " + version + ", expected " + TraceFormat.FORMAT_VERSION);
            }
            return new SpillSource(path, channel, IncarnationInfo.read(headerView));
        }
        catch (final IOException | RuntimeException ex)
        {
            channel.close();
            throw ex;
        }
    }

    /** @return the spill file. */
    public Path path()
    {
        return path;
    }

    /** @return the header's immutable fields. */
    public IncarnationInfo info()
    {
        return info;
    }

    /** @return records read so far. */
    public long records()
    {
        return records;
    }

    /**
     * Read up to limit complete records that have been appended.
     *
     * @param handler called per record (type, buffer, payload offset, payload length).
     * @param limit   most records to read.
     * @return records read.
     * @throws IOException              when reading fails.
     * @throws IllegalStateException    when a record header is corrupt.
     */
    public int read(final MessageHandler handler, final int limit) throws IOException
    {
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
        final int read = channel.read(buffer, filePosition);
        buffer.flip();
        if (read > 0)
        {
            filePosition += read;
            return read;
        }
        return 0;
    }

    /** @return bytes of an incomplete record at the end of what has been read (0 if none). */
    public int truncatedBytes()
    {
        return buffer.limit() - parsed;
    }

    public void close()
    {
        try
        {
            channel.close();
        }
        catch (final IOException ignore)
        {
            // read only
        }
    }
}
