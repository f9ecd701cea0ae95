package io.iotrace.core.zstd;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Decompresses a stream of zstd frames (one per collector that wrote the file). A stream that ends inside a frame
 * (its collector was killed after a flush) ends there, like a plain file cut by kill -9: what was flushed is read,
 * nothing more. Data that is not zstd fails with zstd's error name.
 */
public final class ZstdInputStream extends InputStream
{
    private static final int BUFFER_LENGTH = 64 * 1024;

    private final InputStream in;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment context;
    private final MemorySegment input;
    private final MemorySegment output;
    private final MemorySegment inBuffer;
    private final MemorySegment outBuffer;
    private final byte[] chunk = new byte[BUFFER_LENGTH];
    private long inputLength;      // bytes of input[] read from `in`
    private long outputPosition;   // bytes of output[] handed out
    private boolean inputEnded;
    private boolean outputWasFull;
    private boolean frameComplete = true; // ZSTD_decompressStream returned 0: a frame ended (or none began)
    private boolean closed;

    /**
     * @param in the compressed bytes (closed by {@link #close()}).
     * @throws IOException when libzstd cannot be used.
     */
    public ZstdInputStream(final InputStream in) throws IOException
    {
        Zstd.requireAvailable("zstd decompression");
        this.in = in;
        try
        {
            context = (MemorySegment)Zstd.CREATE_DCTX.invokeExact();
        }
        catch (final Throwable ex)
        {
            arena.close();
            throw new IllegalStateException(ex);
        }
        if (MemorySegment.NULL.equals(context))
        {
            arena.close();
            throw new IOException("ZSTD_createDCtx: out of memory");
        }
        input = arena.allocate(BUFFER_LENGTH);
        output = arena.allocate(BUFFER_LENGTH);
        inBuffer = arena.allocate(Zstd.BUFFER_STRUCT_LENGTH, 8);
        outBuffer = arena.allocate(Zstd.BUFFER_STRUCT_LENGTH, 8);
        inBuffer.set(ValueLayout.ADDRESS, 0, input);
        outBuffer.set(ValueLayout.ADDRESS, 0, output);
        setLong(inBuffer, Zstd.BUFFER_SIZE_OFFSET, 0);
        setLong(inBuffer, Zstd.BUFFER_POS_OFFSET, 0);
        setLong(outBuffer, Zstd.BUFFER_SIZE_OFFSET, BUFFER_LENGTH);
        setLong(outBuffer, Zstd.BUFFER_POS_OFFSET, 0);
    }

    @Override
    public int read() throws IOException
    {
        final byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(final byte[] b, final int off, final int len) throws IOException
    {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (closed)
        {
            throw new IOException("zstd stream closed");
        }
        if (0 == len)
        {
            return 0;
        }
        while (true)
        {
            final long produced = getLong(outBuffer, Zstd.BUFFER_POS_OFFSET);
            if (outputPosition < produced)
            {
                final int n = (int)Math.min(len, produced - outputPosition);
                MemorySegment.copy(output, ValueLayout.JAVA_BYTE, outputPosition, b, off, n);
                outputPosition += n;
                return n;
            }
            if (!decompressSome())
            {
                return -1;
            }
        }
    }

    /** One ZSTD_decompressStream call into an emptied output buffer, reading more input first when all was taken
     *  (unless the last call filled the output buffer: zstd may hold more of it). false at the end of the input (a
     *  frame cut short included). */
    private boolean decompressSome() throws IOException
    {
        setLong(outBuffer, Zstd.BUFFER_POS_OFFSET, 0);
        outputPosition = 0;
        if (getLong(inBuffer, Zstd.BUFFER_POS_OFFSET) == inputLength && !outputWasFull)
        {
            if (inputEnded || !fill())
            {
                return false;
            }
        }
        try
        {
            frameComplete = 0 == Zstd.check((long)Zstd.DECOMPRESS_STREAM.invokeExact(context, outBuffer, inBuffer),
                "not zstd data, or corrupted (ZSTD_decompressStream)");
        }
        catch (final IOException | RuntimeException | Error ex)
        {
            throw ex;
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException(ex);
        }
        outputWasFull = BUFFER_LENGTH == getLong(outBuffer, Zstd.BUFFER_POS_OFFSET);
        return true;
    }

    private boolean fill() throws IOException
    {
        final int n = in.readNBytes(chunk, 0, BUFFER_LENGTH);
        if (n <= 0)
        {
            inputEnded = true;
            return false;
        }
        MemorySegment.copy(chunk, 0, input, ValueLayout.JAVA_BYTE, 0, n);
        inputLength = n;
        setLong(inBuffer, Zstd.BUFFER_SIZE_OFFSET, n);
        setLong(inBuffer, Zstd.BUFFER_POS_OFFSET, 0);
        return true;
    }

    /** @return after the end was read: true when the last frame was complete (ended, its checksum verified), false
     *  when the data ended inside a frame (a collector killed after a flush). */
    public boolean lastFrameComplete()
    {
        return frameComplete;
    }

    @Override
    public void close() throws IOException
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try (InputStream source = in)
        {
            final long ignored = (long)Zstd.FREE_DCTX.invokeExact(context);
        }
        catch (final IOException | RuntimeException | Error ex)
        {
            throw ex;
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException(ex);
        }
        finally
        {
            arena.close();
        }
    }

    private static void setLong(final MemorySegment struct, final long offset, final long value)
    {
        struct.set(ValueLayout.JAVA_LONG, offset, value);
    }

    private static long getLong(final MemorySegment struct, final long offset)
    {
        return struct.get(ValueLayout.JAVA_LONG, offset);
    }
}
