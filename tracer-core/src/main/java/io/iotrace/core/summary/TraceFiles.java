package io.iotrace.core.summary;

import io.iotrace.core.format.TraceFormat;

import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * The per-process trace files of a directory, plain ({@code <host>_<pid>_<inc>.jsonl}) or compressed
 * ({@code .jsonl.gz} or {@code .jsonl.zst}, written with {@code IOTRACE_COMPRESS=gzip} or {@code zstd}): every
 * reader opens them through {@link #open(Path)} and so reads them all alike.
 */
public final class TraceFiles
{
    /** Suffix of a plain trace file. */
    public static final String JSONL = ".jsonl";

    private TraceFiles()
    {
    }

    /** @return true for the name of a per-process trace file, plain or compressed (not the warnings file). */
    public static boolean isProcessFile(final String name)
    {
        final String plain = Compression.withoutSuffix(name);
        return plain.endsWith(JSONL) && !plain.equals(TraceFormat.WARNINGS_FILE);
    }

    /** @return true when the file is compressed (by its name). */
    public static boolean isCompressed(final Path file)
    {
        return Compression.NONE != Compression.of(file);
    }

    /**
     * Open a trace file for reading, decompressing a {@code .gz} or {@code .zst} one. A compressed file that ends
     * early (its collector was killed: the stream was flushed at every committed batch but never finished) reads
     * as a file that ends there, like a plain file cut by kill -9.
     *
     * @param file the file.
     * @return its bytes (unbuffered for a plain file).
     * @throws IOException when it cannot be opened, or is not gzip/zstd although named so (when its bytes are
     *                     read, for zstd), or libzstd is missing for a .zst file.
     */
    public static InputStream open(final Path file) throws IOException
    {
        final Compression compression = Compression.of(file);
        final InputStream in = Files.newInputStream(file);
        if (Compression.NONE == compression)
        {
            return in;
        }
        if (Compression.ZSTD == compression)
        {
            try
            {
                return new Named(new io.iotrace.core.zstd.ZstdInputStream(in), file);
            }
            catch (final IOException ex)
            {
                in.close();
                throw new IOException(file + ": " + ex.getMessage(), ex);
            }
        }
        try
        {
            return new EndTolerant(new GZIPInputStream(in, 1 << 16));
        }
        catch (final EOFException ex)
        {
            return InputStream.nullInputStream(); // not even a whole gzip header: nothing was flushed
        }
        catch (final IOException ex)
        {
            in.close();
            throw new IOException(file + ": not a gzip file (" + ex.getMessage() + ")", ex);
        }
    }

    /** A filter whose single-byte read goes through its array read (where the filtering is). */
    private abstract static class ArrayReadFilter extends FilterInputStream
    {
        ArrayReadFilter(final InputStream in)
        {
            super(in);
        }

        @Override
        public int read() throws IOException
        {
            final byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }
    }

    /** Names the file in a read error (zstd's messages do not). */
    private static final class Named extends ArrayReadFilter
    {
        private final Path file;

        Named(final InputStream in, final Path file)
        {
            super(in);
            this.file = file;
        }

        @Override
        public int read(final byte[] b, final int off, final int len) throws IOException
        {
            try
            {
                return super.read(b, off, len);
            }
            catch (final IOException ex)
            {
                throw new IOException(file + ": " + ex.getMessage(), ex);
            }
        }
    }

    /** Turns the "unexpected end of ZLIB input stream" of an unfinished gzip stream into the end of the data. */
    private static final class EndTolerant extends ArrayReadFilter
    {
        private boolean ended;

        EndTolerant(final InputStream in)
        {
            super(in);
        }

        @Override
        public int read(final byte[] b, final int off, final int len) throws IOException
        {
            if (ended)
            {
                return -1;
            }
            try
            {
                return super.read(b, off, len);
            }
            catch (final EOFException ex)
            {
                ended = true;
                return -1;
            }
        }
    }
}
