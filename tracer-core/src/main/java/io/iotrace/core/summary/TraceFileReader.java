package io.iotrace.core.summary;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Streams the records of one {@code <host>_<pid>_<inc>.jsonl} file (or {@code .jsonl.gz}), one line at a time
 * (constant memory).
 * <p>
 * A complete line (ending in a newline) that is not a record is an error ({@link TraceFormatException}: file and
 * line). A last line without its newline that does not parse is what a collector killed mid-write (kill -9)
 * leaves: reading stops there, and {@link #truncatedLine()} says which line was cut.
 */
public final class TraceFileReader implements Closeable
{
    private static final JsonFactory FACTORY = new JsonFactory();
    /**
     * Longest line read: a record is a few KiB (strings are cut at IOTRACE_MAX_STRING by the shim); a longer
     * line is not one, and buffering it would need the whole line in memory (a line past 1 GiB overflowed the
     * buffer's size).
     */
    public static final int MAX_LINE_LENGTH = 64 << 20;

    private final Path file;
    private final InputStream in;
    private final boolean keepLines;
    private final TraceRecord record = new TraceRecord();
    private byte[] buffer = new byte[4096];
    private long lineNumber;
    private long bytesRead;
    private long truncatedLine;
    private boolean eof;

    /**
     * @param file      the trace file.
     * @param keepLines true to keep each record's text ({@link TraceRecord#line()}).
     * @throws IOException when it cannot be opened.
     */
    public TraceFileReader(final Path file, final boolean keepLines) throws IOException
    {
        this.file = file;
        this.keepLines = keepLines;
        this.in = new BufferedInputStream(TraceFiles.open(file), 1 << 16);
    }

    /** @return the file. */
    public Path file()
    {
        return file;
    }

    /** @return bytes consumed so far (for progress). */
    public long bytesRead()
    {
        return bytesRead;
    }

    /** @return the number of the cut last line, or 0 when the file ends with a complete record. */
    public long truncatedLine()
    {
        return truncatedLine;
    }

    /**
     * @return the next record (the same instance each time, overwritten), or null at the end.
     * @throws IOException          when the file cannot be read.
     * @throws TraceFormatException on a complete line that is not a record.
     */
    public TraceRecord next() throws IOException, TraceFormatException
    {
        if (eof)
        {
            return null;
        }
        int length = 0;
        int b;
        while ((b = in.read()) >= 0 && '\n' != b)
        {
            if (length == MAX_LINE_LENGTH)
            {
                // not a record: stop here (a reader stops at the first malformed line anyway)
                lineNumber++;
                buffer = new byte[4096];
                throw new TraceFormatException(file, lineNumber, "a line longer than any record (" +
                    (MAX_LINE_LENGTH >> 20) + " MiB at most)");
            }
            if (length == buffer.length)
            {
                buffer = Arrays.copyOf(buffer, Math.min(MAX_LINE_LENGTH, buffer.length * 2));
            }
            buffer[length++] = (byte)b;
        }
        bytesRead += length + (b >= 0 ? 1 : 0);
        if (b < 0)
        {
            eof = true;
            if (0 == length)
            {
                return null;
            }
        }
        lineNumber++;
        final String problem = parse(buffer, length);
        if (null == problem)
        {
            return record;
        }
        if (eof)
        {
            truncatedLine = lineNumber;
            return null;
        }
        throw new TraceFormatException(file, lineNumber, problem);
    }

    private String parse(final byte[] bytes, final int length)
    {
        final TraceRecord r = record;
        r.clear();
        boolean hasPid = false;
        boolean hasStart = false;
        boolean hasEnd = false;
        boolean inFunctionData = false;
        String exactName = null;
        try (JsonParser parser = FACTORY.createParser(bytes, 0, length))
        {
            if (JsonToken.START_OBJECT != parser.nextToken())
            {
                return "not a JSON object";
            }
            int depth = 1;
            while (depth > 0)
            {
                final JsonToken token = parser.nextToken();
                if (null == token)
                {
                    return "incomplete JSON object";
                }
                switch (token)
                {
                    case START_OBJECT, START_ARRAY -> depth++;
                    case END_OBJECT, END_ARRAY -> depth--;
                    case FIELD_NAME ->
                    {
                        final String name = parser.currentName();
                        final JsonToken value = parser.nextToken();
                        if (JsonToken.START_OBJECT == value || JsonToken.START_ARRAY == value)
                        {
                            inFunctionData = 1 == depth && "function_data".equals(name);
                            depth++;
                            continue;
                        }
                        if (1 == depth)
                        {
                            switch (name)
                            {
                                case "function_name" -> r.functionName = parser.getText();
                                case "traced_filename" -> r.tracedFilename = parser.getText();
                                case "traced_filename_bytes" -> exactName = parser.getText();
                                case "hostname" -> r.hostname = parser.getText();
                                case "pid" ->
                                {
                                    r.pid = parser.getIntValue();
                                    hasPid = true;
                                }
                                case "ppid" -> r.ppid = parser.getIntValue();
                                case "tid" -> r.tid = parser.getIntValue();
                                case "incarnation" -> r.incarnation = parser.getIntValue();
                                case "rank" -> r.rank = parser.getIntValue();
                                case "time_start" ->
                                {
                                    r.timeStart = parser.getLongValue();
                                    hasStart = true;
                                }
                                case "time_end" ->
                                {
                                    r.timeEnd = parser.getLongValue();
                                    hasEnd = true;
                                }
                                case "return_state" -> r.returnState = parser.getText();
                                default ->
                                {
                                }
                            }
                        }
                        else if (2 == depth && inFunctionData)
                        {
                            // the byte counts of the call (nested objects of function_data are not read)
                            switch (name)
                            {
                                case "read_bytes" -> r.readBytes = parser.getLongValue();
                                case "written_bytes" -> r.writtenBytes = parser.getLongValue();
                                default ->
                                {
                                }
                            }
                        }
                    }
                    default ->
                    {
                    }
                }
            }
            if (null != parser.nextToken())
            {
                return "text after the JSON object";
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            final String message = ex.getMessage();
            final int newline = null == message ? -1 : message.indexOf('\n');
            return "malformed JSON: " + (newline < 0 ? message : message.substring(0, newline));
        }
        if (null == r.functionName || !hasPid || !hasStart || !hasEnd)
        {
            return "not an iotrace record (function_name, pid, time_start and time_end are required)";
        }
        if (null != exactName)
        {
            // a name that is not valid UTF-8: shown from its exact bytes (traced_filename has U+FFFD for each bad byte)
            r.tracedFilename = io.iotrace.core.decode.ByteStrings.escapedFromHex(exactName);
            if (null == r.tracedFilename)
            {
                return "traced_filename_bytes is not hex";
            }
        }
        if (keepLines)
        {
            r.line = new String(bytes, 0, length, StandardCharsets.UTF_8);
        }
        return null;
    }

    @Override
    public void close() throws IOException
    {
        in.close();
    }
}
