package io.iotrace.core.collector;

import io.iotrace.core.format.TraceFormat;
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
    private static final int INITIAL_BUFFER = 1 << 20;

    private final Path path;
    private final FileChannel channel;
    private final IncarnationInfo info;
    private final FramedRecordReader reader;

    private SpillSource(final Path path, final FileChannel channel, final IncarnationInfo info)
    {
        this.path = path;
        this.channel = channel;
        this.info = info;
        this.reader = new FramedRecordReader(channel, TraceFormat.RING_HEADER_LENGTH, INITIAL_BUFFER);
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
            final UnsafeBuffer header = readHeader(channel, TraceFormat.SPILL_MAGIC, "spill");
            if (null == header)
            {
                channel.close();
                return null;
            }
            return new SpillSource(path, channel, IncarnationInfo.read(header));
        }
        catch (final IOException | RuntimeException ex)
        {
            channel.close();
            throw ex;
        }
    }

    /**
     * Read and check the ring-style header of a spill or backlog file.
     *
     * @param channel the file.
     * @param magic   the magic it must have.
     * @param kind    the kind of file, for the message.
     * @return the header, or null when the file is shorter than a header.
     * @throws IOException              when reading fails.
     * @throws IllegalArgumentException when it is not that kind of file, or of another format version.
     */
    static UnsafeBuffer readHeader(final FileChannel channel, final long magic, final String kind) throws IOException
    {
        if (channel.size() < TraceFormat.RING_HEADER_LENGTH)
        {
            return null;
        }
        final ByteBuffer header = ByteBuffer.allocate(TraceFormat.RING_HEADER_LENGTH);
        while (header.hasRemaining())
        {
            if (channel.read(header, header.position()) < 0)
            {
                return null;
            }
        }
        final UnsafeBuffer view = new UnsafeBuffer(header.array());
        final long found = view.getLong(TraceFormat.HDR_MAGIC_OFFSET, ByteOrder.LITTLE_ENDIAN);
        if (magic != found)
        {
            throw new IllegalArgumentException("not a " + kind + " file (magic 0x" + Long.toHexString(found) + ")");
        }
        final int version = view.getInt(TraceFormat.HDR_FORMAT_VERSION_OFFSET, ByteOrder.LITTLE_ENDIAN);
        if (TraceFormat.FORMAT_VERSION != version)
        {
            throw new IllegalArgumentException("format version " + version + ", expected " + TraceFormat.FORMAT_VERSION);
        }
        return view;
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
        return reader.records();
    }

    /**
     * Read up to limit complete records that have been appended.
     *
     * @param handler called per record (type, buffer, payload offset, payload length).
     * @param limit   most records to read.
     * @return records read.
     * @throws IOException              when reading fails.
     * @throws IllegalArgumentException when a record header is corrupt.
     */
    public int read(final MessageHandler handler, final int limit) throws IOException
    {
        return reader.read(handler, limit);
    }

    /** @return bytes of an incomplete record at the end of what has been read (0 if none). */
    public int truncatedBytes()
    {
        return reader.truncatedBytes();
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
