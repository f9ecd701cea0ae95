package io.iotrace.core.zstd;

import java.io.IOException;
import java.io.InputStream;
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
    private final NativeBuffers buffers; // made after the libzstd check: its arena must be closed explicitly
    private final MemorySegment context;
    private final byte[] chunk = new byte[BUFFER_LENGTH];
    private long outputPosition;   // bytes of the output buffer handed out
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
        buffers = new NativeBuffers(BUFFER_LENGTH);
        this.in = in;
        try
        {
            context = Zstd.createDecompressor();
        }
        catch (final IOException | RuntimeException ex)
        {
            buffers.close();
            throw ex;
        }
        buffers.setInput(0);
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
            final long produced = buffers.outputPosition();
            if (outputPosition < produced)
            {
                final int n = (int)Math.min(len, produced - outputPosition);
                MemorySegment.copy(buffers.output, ValueLayout.JAVA_BYTE, outputPosition, b, off, n);
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
        buffers.emptyOutput();
        outputPosition = 0;
        if (buffers.inputPosition() == buffers.inputSize() && !outputWasFull && (inputEnded || !fill()))
        {
            return false;
        }
        frameComplete = 0 == Zstd.decompressStream(context, buffers);
        outputWasFull = BUFFER_LENGTH == buffers.outputPosition();
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
        MemorySegment.copy(chunk, 0, buffers.input, ValueLayout.JAVA_BYTE, 0, n);
        buffers.setInput(n);
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
            Zstd.freeDecompressor(context);
        }
        finally
        {
            buffers.close();
        }
    }
}
