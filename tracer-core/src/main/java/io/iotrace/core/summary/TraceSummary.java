package io.iotrace.core.summary;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.iotrace.core.json.JsonRecordWriter;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Totals of a trace directory per function, per file and per process: calls, errors, bytes read and written,
 * time in the calls, a request-size histogram (power-of-two buckets of the bytes each data call moved) and the
 * number of records whose handle could not be resolved; plus the warnings. Streams every record
 * ({@link TraceFileReader}), so traces of any size fit in constant memory (one entry per key).
 * {@code fd_discovered} records describe descriptors open at start, not calls: they are left out of the totals.
 */
public final class TraceSummary
{
    /** Buckets of the histogram: 0 holds 0-byte calls, k &gt; 0 holds [2^(k-1), 2^k - 1]. */
    public static final int BUCKETS = 65;
    /** Warning messages kept for printing (all are counted). */
    public static final int MAX_WARNING_MESSAGES = 1000;

    private static final JsonFactory FACTORY = new JsonFactory();

    /** Totals of one key (a function, a file or a process). */
    public static final class Totals
    {
        long calls;
        long errors;
        long bytesRead;
        long bytesWritten;
        long nanos;
        long unresolved;
        final long[] histogram = new long[BUCKETS];

        void add(final TraceRecord r)
        {
            calls++;
            errors += "error".equals(r.returnState) ? 1 : 0;
            bytesRead += Math.max(0, r.readBytes);
            bytesWritten += Math.max(0, r.writtenBytes);
            nanos += Math.max(0, r.timeEnd - r.timeStart);
            unresolved += JsonRecordWriter.UNRESOLVED.equals(r.tracedFilename) ? 1 : 0;
            if (r.isTransfer())
            {
                histogram[bucket(r.transferredBytes())]++;
            }
        }

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

        /** @return sum of time_end - time_start, ns. */
        public long nanos()
        {
            return nanos;
        }

        /** @return records whose traced_filename is "&lt;unresolved&gt;". */
        public long unresolved()
        {
            return unresolved;
        }

        /** @return calls per request-size bucket (see {@link #BUCKETS}); a copy. */
        public long[] histogram()
        {
            return histogram.clone();
        }
    }

    /** Totals of one process (host and pid; all its incarnations). */
    public static final class ProcessTotals
    {
        final String hostname;
        final int pid;
        int rank = TraceRecord.NO_RANK;
        int incarnations;
        long warnings;
        final Totals totals = new Totals();

        ProcessTotals(final String hostname, final int pid)
        {
            this.hostname = hostname;
            this.pid = pid;
        }

        /** @return hostname. */
        public String hostname()
        {
            return hostname;
        }

        /** @return pid. */
        public int pid()
        {
            return pid;
        }

        /** @return MPI rank or {@link TraceRecord#NO_RANK}. */
        public int rank()
        {
            return rank;
        }

        /** @return warnings about the process. */
        public long warnings()
        {
            return warnings;
        }

        /** @return its totals. */
        public Totals totals()
        {
            return totals;
        }
    }

    /** A last line cut mid-write (kill -9): the records before it were read. */
    public record Truncation(Path file, long line)
    {
    }

    private final Path dir;
    private final Totals total = new Totals();
    private final Map<String, Totals> byFunction = new TreeMap<>();
    private final Map<String, Totals> byFile = new TreeMap<>();
    private final Map<String, ProcessTotals> byProcess = new LinkedHashMap<>();
    private final List<Truncation> truncations = new ArrayList<>();
    private final List<String> warningMessages = new ArrayList<>();
    private int processFiles;
    private long records;
    private long warnings;

    private TraceSummary(final Path dir)
    {
        this.dir = dir;
    }

    /**
     * Read every process file and the warnings of a trace directory (the caller waits for its collector).
     *
     * @param outputDir the trace directory.
     * @return the totals.
     * @throws IOException          if the directory or a file cannot be read.
     * @throws TraceFormatException on a line that is not a record.
     */
    public static TraceSummary of(final Path outputDir) throws IOException, TraceFormatException
    {
        final TraceDirectory trace = new TraceDirectory(outputDir);
        final TraceSummary summary = new TraceSummary(trace.dir());
        for (final Path file : trace.processFiles())
        {
            summary.processFiles++;
            try (TraceFileReader reader = new TraceFileReader(file, false))
            {
                TraceRecord r;
                while (null != (r = reader.next()))
                {
                    summary.add(r);
                }
                if (reader.truncatedLine() > 0)
                {
                    summary.truncations.add(new Truncation(file, reader.truncatedLine()));
                }
            }
        }
        summary.readWarnings(trace.warningsFile());
        return summary;
    }

    /**
     * Request-size bucket of a byte count.
     *
     * @param bytes bytes moved by one call.
     * @return 0 for 0 bytes, else k with 2^(k-1) &lt;= bytes &lt; 2^k.
     */
    public static int bucket(final long bytes)
    {
        return bytes <= 0 ? 0 : 64 - Long.numberOfLeadingZeros(bytes);
    }

    private void add(final TraceRecord r)
    {
        records++;
        final ProcessTotals process = byProcess.computeIfAbsent(r.hostname + " " + r.pid,
            k -> new ProcessTotals(r.hostname, r.pid));
        process.incarnations = Math.max(process.incarnations, r.incarnation + 1);
        if (TraceRecord.NO_RANK != r.rank)
        {
            process.rank = r.rank;
        }
        if ("fd_discovered".equals(r.functionName) || "process_start".equals(r.functionName))
        {
            return;
        }
        total.add(r);
        process.totals.add(r);
        byFunction.computeIfAbsent(r.functionName, k -> new Totals()).add(r);
        if (null != r.tracedFilename)
        {
            byFile.computeIfAbsent(r.tracedFilename, k -> new Totals()).add(r);
        }
    }

    private void readWarnings(final Path file) throws IOException, TraceFormatException
    {
        if (!Files.isRegularFile(file))
        {
            return;
        }
        final String text = utf8(file, Files.readAllBytes(file));
        final String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++)
        {
            final String line = lines[i];
            final boolean last = i == lines.length - 1;
            if (line.isEmpty() && last)
            {
                break;
            }
            int pid = 0;
            String function = null;
            String message = null;
            try (JsonParser parser = FACTORY.createParser(line))
            {
                if (JsonToken.START_OBJECT != parser.nextToken())
                {
                    throw new IOException("not a JSON object");
                }
                JsonToken token;
                while (JsonToken.END_OBJECT != (token = parser.nextToken()))
                {
                    if (null == token)
                    {
                        throw new IOException("incomplete JSON object");
                    }
                    final String name = parser.currentName();
                    parser.nextToken();
                    switch (name)
                    {
                        case "pid" -> pid = parser.getIntValue();
                        case "function_name" -> function = parser.getText();
                        case "message" -> message = parser.getText();
                        default -> parser.skipChildren();
                    }
                }
            }
            catch (final IOException | RuntimeException ex)
            {
                if (last)
                {
                    truncations.add(new Truncation(file, i + 1));
                    break;
                }
                throw new TraceFormatException(file, i + 1, "not a warning record: " + firstLine(ex.getMessage()));
            }
            warnings++;
            for (final ProcessTotals p : byProcess.values())
            {
                if (p.pid == pid)
                {
                    p.warnings++;
                }
            }
            if (warningMessages.size() < MAX_WARNING_MESSAGES)
            {
                warningMessages.add("pid " + pid + (null == function ? "" : " " + function) + ": " + message);
            }
        }
    }

    /** The text of a file that must be UTF-8 (the collector writes it so); bytes that are not: its line named. */
    private static String utf8(final Path file, final byte[] bytes) throws TraceFormatException
    {
        final java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes);
        final java.nio.CharBuffer out = java.nio.CharBuffer.allocate(bytes.length);
        final java.nio.charset.CoderResult result = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
            .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT).decode(in, out, true);
        if (result.isError())
        {
            long line = 1;
            for (int i = 0; i < in.position(); i++)
            {
                line += '\n' == bytes[i] ? 1 : 0;
            }
            throw new TraceFormatException(file, line, "not a warning record: not UTF-8 text (byte " +
                in.position() + ")");
        }
        return out.flip().toString();
    }

    private static String firstLine(final String text)
    {
        if (null == text)
        {
            return "";
        }
        final int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }

    /** @return all calls together. */
    public Totals total()
    {
        return total;
    }

    /** @return totals per function_name. */
    public Map<String, Totals> byFunction()
    {
        return byFunction;
    }

    /** @return totals per traced_filename. */
    public Map<String, Totals> byFile()
    {
        return byFile;
    }

    /** @return totals per process, in the order first seen (files are read in name order). */
    public Map<String, ProcessTotals> byProcess()
    {
        return byProcess;
    }

    /** @return records read (fd_discovered included). */
    public long records()
    {
        return records;
    }

    /** @return number of per-process files. */
    public int processFiles()
    {
        return processFiles;
    }

    /** @return warnings in iotrace-warnings.jsonl. */
    public long warnings()
    {
        return warnings;
    }

    /** @return the first {@link #MAX_WARNING_MESSAGES} warnings as "pid N function: message". */
    public List<String> warningMessages()
    {
        return warningMessages;
    }

    /** @return files whose last line was cut. */
    public List<Truncation> truncations()
    {
        return truncations;
    }

    /**
     * Print the summary as text tables.
     *
     * @param out      where to.
     * @param topFiles how many files to list, busiest first.
     */
    public void print(final PrintStream out, final int topFiles)
    {
        out.printf("%s: %d records in %d process trace files, %d warnings%n", dir, records, processFiles, warnings);
        out.printf("%nper function%n");
        header(out, "function", 20);
        byFunction.forEach((name, t) -> row(out, name, 20, t));
        row(out, "total", 20, total);

        out.printf("%nper process%n");
        out.printf("%-24s %5s ", "process", "rank");
        header(out, null, 0);
        byProcess.values().forEach(p ->
        {
            out.printf("%-24s %5s ", shorten(p.hostname + ":" + p.pid, 24),
                TraceRecord.NO_RANK == p.rank ? "-" : Integer.toString(p.rank));
            row(out, null, 0, p.totals);
        });

        out.printf("%nper file (busiest first%s)%n", byFile.size() > topFiles ? ", top " + topFiles + " of " +
            byFile.size() : "");
        header(out, "file", 44);
        final List<Map.Entry<String, Totals>> files = new ArrayList<>(byFile.entrySet());
        files.sort(Comparator.comparingLong(
            (Map.Entry<String, Totals> e) -> e.getValue().bytesRead + e.getValue().bytesWritten).reversed()
            .thenComparing(e -> -e.getValue().calls).thenComparing(Map.Entry::getKey));
        files.stream().limit(topFiles).forEach(e -> row(out, e.getKey(), 44, e.getValue()));

        out.printf("%nrequest sizes (bytes moved per data call)%n");
        long max = 1;
        for (final long count : total.histogram)
        {
            max = Math.max(max, count);
        }
        for (int k = 0; k < BUCKETS; k++)
        {
            if (0 != total.histogram[k])
            {
                out.printf("%21s %10d %s%n", bucketLabel(k), total.histogram[k],
                    "#".repeat((int)Math.max(1, 40 * total.histogram[k] / max)));
            }
        }
        if (0 != warnings)
        {
            out.printf("%nwarnings (%d)%n", warnings);
            warningMessages.stream().limit(20).forEach(m -> out.println("  " + printable(m)));
            if (warnings > 20)
            {
                out.printf("  ... %d more in %s%n", warnings - 20, dir.resolve("iotrace-warnings.jsonl"));
            }
        }
    }

    /**
     * @param k a bucket.
     * @return its byte range, e.g. "4096-8191".
     */
    public static String bucketLabel(final int k)
    {
        if (0 == k)
        {
            return "0";
        }
        final long min = 1L << (k - 1);
        final long max = k == 64 ? Long.MAX_VALUE : (1L << k) - 1;
        return min == max ? Long.toString(min) : min + "-" + max;
    }

    private static void header(final PrintStream out, final String key, final int width)
    {
        if (null != key)
        {
            out.printf("%-" + width + "s ", key);
        }
        out.printf("%10s %8s %14s %14s %12s %10s%n", "calls", "errors", "bytes read", "bytes written",
            "time (us)", "unresolved");
    }

    private static void row(final PrintStream out, final String key, final int width, final Totals t)
    {
        if (null != key)
        {
            out.printf("%-" + width + "s ", shorten(printable(key), width));
        }
        out.printf("%10d %8d %14d %14d %12.1f %10d%n", t.calls, t.errors, t.bytesRead, t.bytesWritten,
            t.nanos / 1000.0, t.unresolved);
    }

    /**
     * A name as the text table shows it: one line, no control characters reaching the terminal (a file name may
     * hold a newline or an escape sequence); \n, \r, \t and \xHH stand for them, as for bytes that are not UTF-8.
     */
    static String printable(final String text)
    {
        StringBuilder shown = null;
        for (int i = 0, n = text.length(); i < n; i++)
        {
            final char c = text.charAt(i);
            final boolean control = c < 0x20 || (c >= 0x7f && c < 0xa0);
            if (control && null == shown)
            {
                shown = new StringBuilder(text.length() + 8).append(text, 0, i);
            }
            if (null == shown)
            {
                continue;
            }
            switch (c)
            {
                case '\n' -> shown.append("\\n");
                case '\r' -> shown.append("\\r");
                case '\t' -> shown.append("\\t");
                default -> shown.append(control ? String.format("\\x%02x", (int)c) : String.valueOf(c));
            }
        }
        return null == shown ? text : shown.toString();
    }

    private static String shorten(final String text, final int width)
    {
        return text.length() <= width ? text : "..." + text.substring(text.length() - width + 3);
    }

    /**
     * Write the summary as one JSON document (Jackson streaming).
     *
     * @param out where to (not closed).
     * @throws IOException when it cannot be written.
     */
    public void writeJson(final OutputStream out) throws IOException
    {
        try (JsonGenerator g = FACTORY.createGenerator(out).useDefaultPrettyPrinter())
        {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            g.writeStartObject();
            g.writeStringField("trace_dir", dir.toString());
            g.writeNumberField("records", records);
            g.writeNumberField("process_files", processFiles);
            g.writeArrayFieldStart("truncated");
            for (final Truncation t : truncations)
            {
                g.writeStartObject();
                g.writeStringField("file", t.file().toString());
                g.writeNumberField("line", t.line());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeFieldName("total");
            totals(g, total);
            g.writeObjectFieldStart("functions");
            for (final Map.Entry<String, Totals> e : byFunction.entrySet())
            {
                g.writeFieldName(e.getKey());
                totals(g, e.getValue());
            }
            g.writeEndObject();
            g.writeArrayFieldStart("processes");
            for (final ProcessTotals p : byProcess.values())
            {
                g.writeStartObject();
                g.writeStringField("hostname", p.hostname);
                g.writeNumberField("pid", p.pid);
                if (TraceRecord.NO_RANK == p.rank)
                {
                    g.writeNullField("rank");
                }
                else
                {
                    g.writeNumberField("rank", p.rank);
                }
                g.writeNumberField("incarnations", p.incarnations);
                g.writeNumberField("warnings", p.warnings);
                g.writeFieldName("totals");
                totals(g, p.totals);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeObjectFieldStart("files");
            for (final Map.Entry<String, Totals> e : byFile.entrySet())
            {
                g.writeFieldName(e.getKey());
                totals(g, e.getValue());
            }
            g.writeEndObject();
            g.writeObjectFieldStart("warnings");
            g.writeNumberField("count", warnings);
            g.writeArrayFieldStart("messages");
            for (final String m : warningMessages)
            {
                g.writeString(m);
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndObject();
        }
        out.write('\n');
        out.flush();
    }

    private static void totals(final JsonGenerator g, final Totals t) throws IOException
    {
        g.writeStartObject();
        g.writeNumberField("calls", t.calls);
        g.writeNumberField("errors", t.errors);
        g.writeNumberField("read_bytes", t.bytesRead);
        g.writeNumberField("written_bytes", t.bytesWritten);
        g.writeNumberField("io_time_ns", t.nanos);
        g.writeNumberField("unresolved", t.unresolved);
        g.writeArrayFieldStart("size_histogram");
        for (int k = 0; k < BUCKETS; k++)
        {
            if (0 != t.histogram[k])
            {
                g.writeStartObject();
                g.writeNumberField("min_bytes", 0 == k ? 0 : 1L << (k - 1));
                g.writeNumberField("max_bytes", 0 == k ? 0 : k == 64 ? Long.MAX_VALUE : (1L << k) - 1);
                g.writeNumberField("calls", t.histogram[k]);
                g.writeEndObject();
            }
        }
        g.writeEndArray();
        g.writeEndObject();
    }
}
