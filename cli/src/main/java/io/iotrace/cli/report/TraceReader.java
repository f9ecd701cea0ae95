package io.iotrace.cli.report;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Streams the records of a trace dir ({@code *.jsonl} except the {@code iotrace-*} files) with Jackson's parser,
 * one reusable {@link Call} at a time: constant memory whatever the trace's size. A malformed line stops the read
 * with a {@link MalformedTraceException} naming file and line; an incomplete last line (a trace cut by kill -9) ends
 * that file's records and is reported as a note.
 */
public final class TraceReader
{
    /** The fields of one record the report needs; reused for every record. */
    public static final class Call
    {
        public String file;
        public String hostname;
        public int pid;
        public int tid;
        public String function;
        public long start;
        public long end;
        public boolean error;
        /** function_data.read_bytes, -1 when absent. */
        public long readBytes;
        /** function_data.written_bytes, -1 when absent. */
        public long writtenBytes;

        void clear()
        {
            file = null;
            hostname = null;
            pid = 0;
            tid = 0;
            function = null;
            start = 0;
            end = 0;
            error = false;
            readBytes = -1;
            writtenBytes = -1;
        }

        /** @return true for fd_discovered: descriptors found open at start, not calls. */
        public boolean isNotACall()
        {
            return "fd_discovered".equals(function);
        }
    }

    /** A line of a trace file is not a record. */
    public static final class MalformedTraceException extends IOException
    {
        MalformedTraceException(final Path file, final long line, final String what)
        {
            super(file + ":" + line + ": " + what);
        }
    }

    private final JsonFactory factory = new JsonFactory();
    private final List<Path> files;
    private final List<String> notes = new ArrayList<>();

    /**
     * @param traceDir a trace dir.
     * @throws IOException when it cannot be listed or holds no trace file.
     */
    public TraceReader(final Path traceDir) throws IOException
    {
        if (!Files.isDirectory(traceDir))
        {
            throw new IOException(traceDir + " is not a directory");
        }
        try (Stream<Path> list = Files.list(traceDir))
        {
            files = list.filter(p -> p.getFileName().toString().endsWith(".jsonl") &&
                !p.getFileName().toString().startsWith("iotrace-")).sorted().toList();
        }
        if (files.isEmpty())
        {
            throw new IOException(traceDir + " holds no trace file (*.jsonl)");
        }
    }

    /** @return the trace files, in name order. */
    public List<Path> files()
    {
        return files;
    }

    /** @return notes about truncated files (from the last {@link #forEach}). */
    public List<String> notes()
    {
        return notes;
    }

    /**
     * Read every record of every file.
     *
     * @param consumer gets each record (the same object every time).
     * @throws IOException on a malformed line or a read error.
     */
    public void forEach(final Consumer<Call> consumer) throws IOException
    {
        notes.clear();
        final Call call = new Call();
        for (final Path file : files)
        {
            final boolean endsWithNewline = endsWithNewline(file);
            try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8))
            {
                long lineNumber = 0;
                String line = reader.readLine();
                while (null != line)
                {
                    lineNumber++;
                    final String next = reader.readLine();
                    if (line.isBlank())
                    {
                        line = next;
                        continue;
                    }
                    final String problem = parse(line, call);
                    if (null != problem)
                    {
                        if (null == next && !endsWithNewline)
                        {
                            notes.add(file.getFileName() + ": incomplete last record (line " + lineNumber +
                                ") ignored: the trace was cut");
                            break;
                        }
                        throw new MalformedTraceException(file, lineNumber, problem);
                    }
                    consumer.accept(call);
                    line = next;
                }
            }
        }
    }

    private static boolean endsWithNewline(final Path file) throws IOException
    {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r"))
        {
            if (0 == raf.length())
            {
                return true;
            }
            raf.seek(raf.length() - 1);
            return '\n' == raf.read();
        }
    }

    /** @return null when the line is a record, else what is wrong with it. */
    private String parse(final String line, final Call call)
    {
        call.clear();
        try (JsonParser parser = factory.createParser(line))
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
                    return "the record ends early";
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
                            depth++;
                            continue;
                        }
                        switch (name)
                        {
                            case "traced_filename" -> call.file = parser.getText();
                            case "hostname" -> call.hostname = parser.getText();
                            case "pid" -> call.pid = parser.getIntValue();
                            case "tid" -> call.tid = parser.getIntValue();
                            case "function_name" -> call.function = parser.getText();
                            case "time_start" -> call.start = parser.getLongValue();
                            case "time_end" -> call.end = parser.getLongValue();
                            case "return_state" -> call.error = "error".equals(parser.getText());
                            case "read_bytes" -> call.readBytes = 2 == depth ? parser.getLongValue() : -1;
                            case "written_bytes" -> call.writtenBytes = 2 == depth ? parser.getLongValue() : -1;
                            default ->
                            {
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
                return "text after the record";
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            final String message = null == ex.getMessage() ? ex.toString() : ex.getMessage();
            return "not a JSON record (" + message.lines().findFirst().orElse("") + ")";
        }
        if (null == call.function || null == call.hostname || 0 == call.pid)
        {
            return "not a trace record (function_name, hostname or pid missing)";
        }
        return null;
    }
}
