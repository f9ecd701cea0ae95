package io.iotrace.core.collector;

import io.iotrace.core.summary.Compression;
import io.iotrace.core.zstd.Zstd;
import io.iotrace.core.zstd.ZstdOutputStream;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Opening output files safely: created 0600 (directories 0700), symbolic links never followed, existing regular
 * files appended to.
 */
public final class OutputFiles
{
    private static final int BUFFER_LENGTH = 64 * 1024;

    private OutputFiles()
    {
    }

    /**
     * Create a directory (and its parents) with mode 0700 if missing.
     *
     * @param dir the directory.
     * @throws IOException when it cannot be created or is not a directory.
     */
    public static void createPrivateDirectory(final Path dir) throws IOException
    {
        if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS))
        {
            return;
        }
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(
            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.OWNER_EXECUTE)));
    }

    /**
     * Open a file for appending: created 0600 when missing (CREATE_NEW), appended to when it is an existing
     * regular file; a symbolic link is refused.
     *
     * @param file the file.
     * @return a buffered stream.
     * @throws IOException when it cannot be opened (or is a link or not a regular file).
     */
    public static OutputStream openAppendable(final Path file) throws IOException
    {
        return new BufferedOutputStream(openAppendableRaw(file), BUFFER_LENGTH);
    }

    /**
     * Like {@link #openAppendable}, unbuffered: for a writer that buffers itself (the trace's JSON output), so that
     * each byte is copied once on its way to the file instead of twice.
     *
     * @param file the file.
     * @return a stream whose every write is a write to the file.
     * @throws IOException when it cannot be opened (or is a link or not a regular file).
     */
    public static OutputStream openAppendableRaw(final Path file) throws IOException
    {
        SeekableByteChannel channel;
        try
        {
            channel = Files.newByteChannel(
                file,
                Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.APPEND,
                    LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.asFileAttribute(
                    EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE)));
        }
        catch (final FileAlreadyExistsException ex)
        {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS))
            {
                throw new IOException("not a regular file (or a symbolic link): " + file);
            }
            channel = Files.newByteChannel(
                file, Set.of(StandardOpenOption.WRITE, StandardOpenOption.APPEND, LinkOption.NOFOLLOW_LINKS));
        }
        return Channels.newOutputStream(channel);
    }

    /**
     * {@link #openAppendableCompressed} with gzip.
     *
     * @param file the file.
     * @return the compressing stream.
     * @throws IOException when it cannot be opened.
     */
    public static OutputStream openAppendableGzip(final Path file) throws IOException
    {
        return openAppendableCompressed(file, Compression.GZIP);
    }

    /**
     * Like {@link #openAppendable}, compressed: each open appends one gzip member or zstd frame (readers take a file
     * of several as one stream). gzip: compression level 1 (the fastest: JSON Lines of a trace compress ~25x at any
     * level); zstd: see {@link ZstdOutputStream}. flush() makes everything written so far decompressible even if
     * the stream is never finished (a killed collector): gzip's SYNC_FLUSH, zstd's ZSTD_e_flush; the collector
     * flushes before it moves the ring's consumer position.
     *
     * @param file        the file.
     * @param compression GZIP or ZSTD (NONE: unbuffered, as {@link #openAppendableRaw}).
     * @return the compressing stream.
     * @throws IOException when it cannot be opened, or libzstd is missing for ZSTD.
     */
    public static OutputStream openAppendableCompressed(final Path file, final Compression compression)
        throws IOException
    {
        if (Compression.NONE == compression)
        {
            return openAppendableRaw(file);
        }
        if (Compression.ZSTD == compression)
        {
            Zstd.requireAvailable(file); // before the file is made
        }
        // the compressor's output is already in 64 KiB pieces: no buffer in between
        final OutputStream raw = openAppendableRaw(file);
        try
        {
            return Compression.ZSTD == compression ? new ZstdOutputStream(raw) :
                new GZIPOutputStream(raw, BUFFER_LENGTH, true)
                {
                    {
                        def.setLevel(Deflater.BEST_SPEED);
                    }
                };
        }
        catch (final IOException | RuntimeException ex)
        {
            raw.close();
            throw ex;
        }
    }
}
