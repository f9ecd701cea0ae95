package io.iotrace.core.summary;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Totals of a trace directory: calls, errors, bytes and time in the call, per function and per file.
 * Streams every record with Jackson's parser, so traces of any size fit in constant memory (one entry per
 * function and per file).
 */
public final class TraceSummary
{
    /** Totals of one key (a function name or a file name). */
    public static final class Totals
    {
        long calls;
        long errors;
        long bytesRead;
        long bytesWritten;
        long nanos;

        /** @return records counted. */
        public long calls()
        {
            return calls;
        }

        /** @return records with return_state "error". */
        public long errors()
        {
            return errors;
        }

        /** @return sum of function_data.read_bytes. */
        public long bytesRead()
        {
            return bytesRead;
        }

        /** @return sum of function_data.written_bytes. */
        public long bytesWritten()
        {
            return bytesWritten;
        }
    }

    private final Map<String, Totals> byFunction = new TreeMap<>();
    private final Map<String, Totals> byFile = new TreeMap<>();
    private int processFiles;
    private long records;
    private long malformedLines;
    private long warnings;

    private TraceSummary()
    {
    }

    /**
     * Read every {@code *.jsonl} trace file of a directory.
     *
     * @param outputDir the trace directory.
     * @return the totals.
     * @throws IOException if the directory or a file cannot be read.
     */
    public static TraceSummary of(final Path outputDir) throws IOException
    {
        final TraceSummary summary = new TraceSummary();
        final JsonFactory factory = new JsonFactory();
        final List<Path> files;
        try (Stream<Path> list = Files.list(outputDir))
        {
            files = list.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted().toList();
        }
        for (final Path file : files)
        {
            if (file.getFileName().toString().equals("iotrace-warnings.jsonl"))
            {
                try (Stream<String> lines = Files.lines(file, StandardCharsets.UTF_8))
                {
                    summary.warnings += lines.count();
                }
                continue;
            }
            summary.processFiles++;
            try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8))
            {
                String line;
                while (null != (line = reader.readLine()))
                {
                    summary.add(factory, line);
                }
            }
        }
        return summary;
    }

    private void add(final JsonFactory factory, final String line)
    {
        String function = null;
        String file = null;
        boolean error = false;
        long start = 0;
        long end = 0;
        long read = 0;
        long written = 0;
        try (JsonParser parser = factory.createParser(line))
        {
            if (JsonToken.START_OBJECT != parser.nextToken())
            {
                malformedLines++;
                return;
            }
            int depth = 1;
            while (depth > 0)
            {
                final JsonToken token = parser.nextToken();
                if (null == token)
                {
                    malformedLines++;
                    return;
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
                            case "function_name" -> function = parser.getText();
                            case "traced_filename" -> file = parser.getText();
                            case "return_state" -> error = "error".equals(parser.getText());
                            case "time_start" -> start = parser.getLongValue();
                            case "time_end" -> end = parser.getLongValue();
                            case "read_bytes" -> read = parser.getLongValue();
                            case "written_bytes" -> written = parser.getLongValue();
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
        }
        catch (final IOException ex)
        {
            malformedLines++;
            return;
        }
        if (null == function)
        {
            malformedLines++;
            return;
        }
        records++;
        if ("fd_discovered".equals(function) || "process_start".equals(function))
        {
            return;
        }
        count(byFunction, function, error, read, written, end - start);
        if (null != file)
        {
            count(byFile, file, error, read, written, end - start);
        }
    }

    private static void count(
        final Map<String, Totals> map,
        final String key,
        final boolean error,
        final long read,
        final long written,
        final long nanos)
    {
        final Totals totals = map.computeIfAbsent(key, k -> new Totals());
        totals.calls++;
        totals.errors += error ? 1 : 0;
        totals.bytesRead += read;
        totals.bytesWritten += written;
        totals.nanos += Math.max(0, nanos);
    }

    /** @return totals per function_name (fd_discovered records are not calls and are left out). */
    public Map<String, Totals> byFunction()
    {
        return byFunction;
    }

    /** @return totals per traced_filename. */
    public Map<String, Totals> byFile()
    {
        return byFile;
    }

    /**
     * Print the summary as two text tables.
     *
     * @param out where to.
     * @param topFiles how many files to list, busiest first.
     */
    public void print(final PrintStream out, final int topFiles)
    {
        out.printf("%d records in %d process trace files, %d warnings%s%n", records, processFiles, warnings,
            0 == malformedLines ? "" : ", " + malformedLines + " malformed lines skipped");
        out.printf("%n%-16s %10s %8s %14s %14s %12s%n", "function", "calls", "errors", "bytes read",
            "bytes written", "time (us)");
        byFunction.forEach((name, t) -> row(out, name, t));
        out.printf("%n%-48s %8s %14s %14s%n", "file (busiest first)", "calls", "bytes read", "bytes written");
        final List<Map.Entry<String, Totals>> files = new ArrayList<>(byFile.entrySet());
        files.sort(Comparator.comparingLong(
            (Map.Entry<String, Totals> e) -> e.getValue().bytesRead + e.getValue().bytesWritten).reversed()
            .thenComparing(e -> -e.getValue().calls));
        files.stream().limit(topFiles).forEach(e -> out.printf("%-48s %8d %14d %14d%n",
            shorten(e.getKey(), 48), e.getValue().calls, e.getValue().bytesRead, e.getValue().bytesWritten));
    }

    private static void row(final PrintStream out, final String name, final Totals t)
    {
        out.printf("%-16s %10d %8d %14d %14d %12.1f%n", name, t.calls, t.errors, t.bytesRead, t.bytesWritten,
            t.nanos / 1000.0);
    }

    private static String shorten(final String text, final int width)
    {
        return text.length() <= width ? text : "..." + text.substring(text.length() - width + 3);
    }
}
