package io.iotrace.core.collector;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.iotrace.core.format.Effect;
import io.iotrace.core.format.FunctionInfo;
import io.iotrace.core.format.FunctionTable;
import io.iotrace.fnres.HandleTable;
import org.agrona.collections.Long2LongHashMap;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

import static io.iotrace.core.json.JsonRecordWriter.NOT_A_FILE;
import static io.iotrace.core.json.JsonRecordWriter.UNRESOLVED;

/**
 * Continues the JSON file of an incarnation that an earlier collector had started (it was killed, and the next
 * collector or {@code recover} drains the rest of the ring and the spill file).
 * <p>
 * Three things make the continuation seamless: a line the dead collector left half written is cut off (its record
 * was not committed in the ring, so it is read again); the handle table is rebuilt by replaying the records
 * already in the file, so later records on handles opened before the collector died still get their filenames; and
 * for each thread the time_start of its last written record is kept, so that a record read again (written out
 * but not yet committed in the ring when the collector died, or re-read from a spill file) is not written twice.
 * Records of one thread are published in call order with rising time_start, which makes that test exact.
 */
final class TraceResume
{
    /** Missing value of {@link #writtenUntil}: nothing written for that thread. */
    static final long NOTHING_WRITTEN = Long.MIN_VALUE;

    /** The rebuilt handle table. */
    final HandleTable handles;
    /** tid → time_start of the thread's last record in the file. */
    final Long2LongHashMap writtenUntil = new Long2LongHashMap(NOTHING_WRITTEN);
    /** The MPI rank of the file's last record ({@link io.iotrace.core.json.JsonRecordWriter#NO_RANK}: none). */
    int rank = io.iotrace.core.json.JsonRecordWriter.NO_RANK;

    private TraceResume(final HandleTable handles)
    {
        this.handles = handles;
    }

    /** @return true if the file already holds the record of this thread that started at timeStart. */
    boolean isWritten(final int tid, final long timeStart)
    {
        return timeStart <= writtenUntil.get(tid);
    }

    /**
     * @param file          the incarnation's JSON file.
     * @param functions     the function table (effects by function name).
     * @param initialCwd    the incarnation's cwd at start.
     * @return the rebuilt state, or null when the file does not exist or is empty (a fresh start).
     * @throws IOException when the file cannot be read or cut.
     */
    static TraceResume prepare(final Path file, final FunctionTable functions, final String initialCwd)
        throws IOException
    {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || 0 == Files.size(file))
        {
            return null;
        }
        cutPartialLastLine(file);
        final TraceResume resume = new TraceResume(new HandleTable(initialCwd));
        final JsonFactory factory = new JsonFactory();
        final Map<String, String> fields = new HashMap<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8))
        {
            String line;
            long step = 0;
            while (null != (line = reader.readLine()))
            {
                fields.clear();
                final boolean record = flatten(factory, line, fields);
                if (record && fields.containsKey("rank"))
                {
                    resume.rank = intField(fields, "rank");
                }
                if (record &&
                    !io.iotrace.core.json.JsonRecordWriter.PROCESS_START.equals(fields.get("function_name")))
                {
                    replay(functions, resume.handles, fields, ++step);
                    final int tid = intField(fields, "tid");
                    resume.writtenUntil.put(tid, Math.max(resume.writtenUntil.get(tid), longField(fields, "time_start")));
                }
            }
        }
        return resume;
    }

    /**
     * {@link #prepare} for a compressed file ({@code .jsonl.gz}, {@code .jsonl.zst}): its complete lines are
     * decompressed (a stream a killed collector never finished ends at its last flush), the file is rewritten as
     * one finished gzip member or zstd frame of exactly those lines (so the one the next collector appends follows
     * a complete one), and the records are replayed as for a plain file.
     *
     * @param compression how the file is compressed.
     * @return the rebuilt state, or null when the file does not exist or holds no record (a fresh start).
     * @throws IOException when the file cannot be read or rewritten.
     */
    static TraceResume prepareCompressed(final Path file, final io.iotrace.core.summary.Compression compression,
        final FunctionTable functions, final String initialCwd) throws IOException
    {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || 0 == Files.size(file))
        {
            return null;
        }
        final Path plain = file.resolveSibling(file.getFileName() + ".resume");
        final Path rewritten = file.resolveSibling(file.getFileName() + ".rewrite");
        try
        {
            Files.deleteIfExists(plain);
            Files.deleteIfExists(rewritten);
            try (java.io.InputStream in = io.iotrace.core.summary.TraceFiles.open(file);
                 java.io.OutputStream out = OutputFiles.openAppendable(plain))
            {
                in.transferTo(out);
            }
            final TraceResume resume = prepare(plain, functions, initialCwd); // cuts a partial last line
            try (java.io.InputStream in = Files.newInputStream(plain);
                 java.io.OutputStream out = OutputFiles.openAppendableCompressed(rewritten, compression))
            {
                in.transferTo(out);
            }
            Files.move(rewritten, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return resume;
        }
        finally
        {
            Files.deleteIfExists(plain);
            Files.deleteIfExists(rewritten);
        }
    }

    private static void cutPartialLastLine(final Path file) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
            LinkOption.NOFOLLOW_LINKS))
        {
            final long size = channel.size();
            final java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(1);
            long end = size;
            while (end > 0)
            {
                one.clear();
                channel.read(one, end - 1);
                if ('\n' == one.get(0))
                {
                    break;
                }
                end--;
            }
            if (end < size)
            {
                channel.truncate(end);
            }
        }
    }

    /** Flattens one record to "function_name", "file_type.descriptor", "function_data.fd", ... → value text. */
    private static boolean flatten(final JsonFactory factory, final String line, final Map<String, String> fields)
    {
        try (JsonParser parser = factory.createParser(line))
        {
            if (JsonToken.START_OBJECT != parser.nextToken())
            {
                return false;
            }
            String prefix = "";
            JsonToken token;
            while (null != (token = parser.nextToken()))
            {
                if (JsonToken.FIELD_NAME != token)
                {
                    if (JsonToken.END_OBJECT == token && !prefix.isEmpty())
                    {
                        prefix = "";
                    }
                    continue;
                }
                final String name = parser.currentName();
                final JsonToken value = parser.nextToken();
                if (JsonToken.START_OBJECT == value)
                {
                    prefix = name + ".";
                }
                else if (JsonToken.START_ARRAY == value)
                {
                    fields.put(prefix + name, arrayText(parser)); // flag names: "cloexec,unshare"
                }
                else
                {
                    fields.put(prefix + name, parser.getText());
                }
            }
            return fields.containsKey("function_name");
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    /** The scalar elements of the array the parser is at the start of, comma-separated (nested ones skipped). */
    private static String arrayText(final JsonParser parser) throws IOException
    {
        final StringBuilder text = new StringBuilder();
        JsonToken token;
        while (null != (token = parser.nextToken()) && JsonToken.END_ARRAY != token)
        {
            if (token.isStructStart())
            {
                parser.skipChildren();
            }
            else
            {
                text.append(text.isEmpty() ? "" : ",").append(parser.getText());
            }
        }
        return text.toString();
    }

    /**
     * Apply one record to the table. step (the record's number in the file) is the time of its changes: a close
     * must come before a later open of the same number, and the opens after it (fnres keeps a state that began
     * after a call's start for late records only).
     */
    private static void replay(
        final FunctionTable functions, final HandleTable table, final Map<String, String> r, final long step)
    {
        final String hex = r.get("traced_filename_bytes"); // the exact name when it is not valid UTF-8
        final String name = null != hex ? io.iotrace.core.decode.ByteStrings.decode(
            java.util.HexFormat.of().parseHex(hex), 0, hex.length() / 2) : r.get("traced_filename");
        final boolean named = null != name && !UNRESOLVED.equals(name) && !NOT_A_FILE.equals(name);
        final boolean ok = !"error".equals(r.get("return_state"));
        final int descriptor = intField(r, "file_type.descriptor");
        final FunctionInfo function = functions.byName(r.get("function_name"));
        final Effect effect = null == function ? Effect.USE : function.effect();
        switch (effect)
        {
            case OPEN, DISCOVERED, DUP, DUP2, FCNTL, USE, TRANSFER ->
            {
                final boolean onlyUses = Effect.USE == effect || Effect.TRANSFER == effect;
                if (ok && named && descriptor >= 0 && (!onlyUses || null == table.fdName(descriptor, Long.MAX_VALUE)))
                {
                    table.fdOpened(descriptor, name, step);
                }
            }
            case CLOSE ->
            {
                if (ok && descriptor >= 0)
                {
                    table.fdClosed(descriptor, step, step);
                }
            }
            case FOPEN, FDOPEN ->
            {
                final int fd = intField(r, "function_data.fd");
                final long stream = hexField(r, "file_type.stream");
                if (ok && named && fd >= 0 && 0 != stream)
                {
                    table.fdOpened(fd, name, step);
                    table.streamOpened(stream, fd, step);
                }
            }
            case FCLOSE ->
            {
                final long stream = hexField(r, "file_type.stream");
                if (0 != stream)
                {
                    table.streamClosed(stream, step, step);
                }
            }
            case MMAP ->
            {
                final long address = hexField(r, "function_data.address");
                final long length = longField(r, "function_data.length");
                if (ok && named && 0 != address && length > 0)
                {
                    table.mapped(address, length, name);
                }
            }
            case MUNMAP ->
            {
                final long address = hexField(r, "file_type.address");
                final long length = longField(r, "file_type.length");
                if (ok && 0 != address && length > 0)
                {
                    table.unmapped(address, length);
                }
            }
            case CHDIR, FCHDIR ->
            {
                if (ok && named)
                {
                    table.chdir(name);
                }
            }
            case MAPFILE ->
            {
                final long address = hexField(r, "file_type.address");
                final long length = longField(r, "file_type.length");
                if (ok && named && 0 != address && length > 0)
                {
                    table.mapped(address, length, name);
                }
            }
            case FREOPEN, POPEN ->
            {
                final int fd = intField(r, "function_data.fd");
                final long stream = hexField(r, "file_type.stream");
                final int oldFd = intField(r, "function_data.old_fd"); // freopen closed it, even when it failed
                if (oldFd >= 0 && oldFd != fd)
                {
                    table.fdClosed(oldFd, step, step);
                }
                if (ok && named && fd >= 0 && 0 != stream)
                {
                    table.fdOpened(fd, name, step);
                    table.streamOpened(stream, fd, step);
                }
            }
            case MEMSTREAM ->
            {
                final long stream = hexField(r, "file_type.stream");
                if (ok && 0 != stream)
                {
                    table.streamOpenedWithoutFd(stream, NOT_A_FILE, step);
                }
            }
            case CLOSE_RANGE ->
            {
                final long first = longField(r, "function_data.first");
                final long last = r.containsKey("function_data.last") ? longField(r, "function_data.last") :
                    Integer.MAX_VALUE; // closefrom
                final String flags = r.get("function_data.range_flags");
                if (ok && first >= 0 && (null == flags || !flags.contains("cloexec")))
                {
                    table.fdRangeClosed((int)Math.min(first, Integer.MAX_VALUE), (int)Math.min(last, Integer.MAX_VALUE),
                        step, step);
                }
            }
            case MREMAP ->
            {
                final long address = hexField(r, "function_data.addr");
                final long newAddress = hexField(r, "function_data.address");
                final String flags = r.get("function_data.mremap_flags");
                if (ok && 0 != address && 0 != newAddress)
                {
                    table.remapped(address, longField(r, "function_data.length"), newAddress,
                        longField(r, "function_data.new_length"), null != flags && flags.contains("dontunmap"));
                }
            }
            case NEWFD, ACCEPT, SOCKNAME ->
            {
                if (ok && named && descriptor >= 0)
                {
                    table.fdOpened(descriptor, name, step);
                }
            }
            case FDPAIR ->
            {
                final int fd1 = intField(r, "function_data.fd1");
                final String fd1Name = r.get("function_data.fd1_name");
                if (ok && named && descriptor >= 0 && fd1 >= 0 && null != fd1Name && !fd1Name.isEmpty())
                {
                    table.fdOpened(descriptor, name, step);
                    table.fdOpened(fd1, fd1Name, step);
                }
            }
            case MPI_OPEN ->
            {
                final long file = hexField(r, "file_type.mpi_file");
                if (ok && named && 0 != file)
                {
                    table.mpi().fileOpened(file, name);
                }
            }
            case MPI_CLOSE ->
            {
                if (ok)
                {
                    table.mpi().fileClosed(hexField(r, "file_type.mpi_file"));
                }
            }
            case MPI_USE ->
            {
                // a nonblocking call's request, outstanding until the Wait/Test record that completed it
                final long request = hexField(r, "function_data.request");
                final long file = hexField(r, "file_type.mpi_file");
                if (ok && 0 != request && 0 != file)
                {
                    table.mpi().requestStarted(request, file);
                }
            }
            case MPI_COMPLETE ->
            {
                if ("1".equals(r.get("function_data.completed")) || "1".equals(r.get("function_data.released")))
                {
                    table.mpi().requestFile(hexField(r, "function_data.request"), true);
                }
            }
            default ->
            {
                // fork, exec, mapping: nothing to rebuild in this incarnation's table
            }
        }
    }

    private static int intField(final Map<String, String> r, final String key)
    {
        return (int)longField(r, key);
    }

    private static long longField(final Map<String, String> r, final String key)
    {
        final String value = r.get(key);
        try
        {
            return null == value ? -1 : Long.parseLong(value);
        }
        catch (final NumberFormatException ex)
        {
            return -1;
        }
    }

    private static long hexField(final Map<String, String> r, final String key)
    {
        final String value = r.get(key);
        if (null == value || !value.startsWith("0x"))
        {
            return 0;
        }
        try
        {
            return Long.parseUnsignedLong(value.substring(2), 16);
        }
        catch (final NumberFormatException ex)
        {
            return 0;
        }
    }
}
