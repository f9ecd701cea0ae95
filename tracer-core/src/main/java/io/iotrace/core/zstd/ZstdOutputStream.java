package io.iotrace.core.zstd;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Compresses into one zstd frame appended to a stream (several frames in a file read as one stream). Level 1 with a
 * 128 KiB window: the fastest regular level, and a compression context of ~0.5 MB (a collector has one per traced
 * process whose file is open). {@link #flush()} ends a block (ZSTD_e_flush): everything flushed can be decompressed
 * even if the frame is never ended (a killed collector), as gzip's SYNC_FLUSH. The frame carries a checksum.
 * Buffers whole writes: the caller's 64 KiB pieces go to zstd as they are, one native call each.
 */
public final class ZstdOutputStream extends OutputStream
{
    private static final int LEVEL = 1;
    private static final int WINDOW_LOG = 17;
    private static final int BUFFER_LENGTH = 64 * 1024;

    private final OutputStream out;
    private final NativeBuffers buffers; // made after the libzstd check: its arena must be closed explicitly
    private final MemorySegment context;
    private final byte[] chunk = new byte[BUFFER_LENGTH];
    private boolean closed;

    /**
     * @param out where the frame goes (closed by {@link #close()}).
     * @throws IOException when libzstd cannot be used or refuses the parameters.
     */
    public ZstdOutputStream(final OutputStream out) throws IOException
    {
        Zstd.requireAvailable("zstd compression");
        buffers = new NativeBuffers(BUFFER_LENGTH);
        this.out = out;
        MemorySegment made = null;
        try
        {
            made = Zstd.createCompressor();
            Zstd.setParameter(made, Zstd.C_COMPRESSION_LEVEL, LEVEL);
            Zstd.setParameter(made, Zstd.C_WINDOW_LOG, WINDOW_LOG);
            Zstd.setParameter(made, Zstd.C_CHECKSUM_FLAG, 1);
        }
        catch (final IOException | RuntimeException ex)
        {
            if (null != made)
            {
                Zstd.freeCompressor(made);
            }
            buffers.close();
            throw ex;
        }
        context = made;
    }

    @Override
    public void write(final int b) throws IOException
    {
        chunk[0] = (byte)b;
        write(chunk, 0, 1);
    }

    @Override
    public void write(final byte[] b, final int off, final int len) throws IOException
    {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        ensureOpen();
        int done = 0;
        while (done < len)
        {
            final int piece = Math.min(BUFFER_LENGTH, len - done);
            MemorySegment.copy(b, off + done, buffers.input, ValueLayout.JAVA_BYTE, 0, piece);
            compress(piece, Zstd.E_CONTINUE);
            done += piece;
        }
    }

    @Override
    public void flush() throws IOException
    {
        ensureOpen();
        compress(0, Zstd.E_FLUSH);
        out.flush();
    }

    @Override
    public void close() throws IOException
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try (OutputStream target = out)
        {
            compress(0, Zstd.E_END);
        }
        finally
        {
            Zstd.freeCompressor(context);
            buffers.close();
        }
    }

    /** Feeds input[0, length) to zstd with the directive, writing out what it produces, until it is all taken
     *  (and, for flush and end, until zstd says nothing is left: ZSTD_compressStream2 returns 0). */
    private void compress(final int length, final int directive) throws IOException
    {
        buffers.setInput(length);
        long remaining;
        do
        {
            buffers.emptyOutput();
            remaining = Zstd.compressStream(context, buffers, directive);
            final int produced = (int)buffers.outputPosition();
            if (produced > 0)
            {
                MemorySegment.copy(buffers.output, ValueLayout.JAVA_BYTE, 0, chunk, 0, produced);
                out.write(chunk, 0, produced);
            }
        }
        while (buffers.inputPosition() < length || (Zstd.E_CONTINUE != directive && 0 != remaining));
    }

    private void ensureOpen() throws IOException
    {
        if (closed)
        {
            throw new IOException("zstd stream closed");
        }
    }
}
