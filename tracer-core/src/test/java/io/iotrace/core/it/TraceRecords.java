package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotrace.core.testing.JsonLines;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * All records of a trace directory, validated against the published schema, with the filters tests need.
 * Record field names are used only here and in the tests' expectations.
 */
public final class TraceRecords
{
    private final List<JsonNode> records;
    private final List<JsonNode> warnings;
    private final List<Path> files;

    private TraceRecords(final List<JsonNode> records, final List<JsonNode> warnings, final List<Path> files)
    {
        this.records = records;
        this.warnings = warnings;
        this.files = files;
    }

    /** Load and schema-check every process trace of a directory. */
    public static TraceRecords load(final Path traceDir)
    {
        final List<JsonNode> records = new ArrayList<>();
        final List<JsonNode> warnings = new ArrayList<>();
        final List<Path> files = new ArrayList<>();
        try (Stream<Path> list = Files.list(traceDir))
        {
            for (final Path file : list.sorted().toList())
            {
                final String name = file.getFileName().toString();
                if (name.equals("iotrace-warnings.jsonl"))
                {
                    warnings.addAll(JsonLines.read(file));
                }
                else if (io.iotrace.core.summary.TraceFiles.isProcessFile(name))
                {
                    files.add(file);
                    final List<JsonNode> lines = JsonLines.read(file);
                    JsonLines.assertValid(lines);
                    records.addAll(lines);
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return new TraceRecords(records, warnings, files);
    }

    /** @return every record, in file order (per process: ring order). */
    public List<JsonNode> all()
    {
        return records;
    }

    /** @return the process trace files. */
    public List<Path> files()
    {
        return files;
    }

    /** @return the warnings. */
    public List<JsonNode> warnings()
    {
        return warnings;
    }

    /** @return the I/O call records (fd_discovered and process_start left out). */
    public List<JsonNode> calls()
    {
        return where(r -> !"fd_discovered".equals(r.get("function_name").asText()) &&
            !"process_start".equals(r.get("function_name").asText()));
    }

    /** @return records of one function. */
    public List<JsonNode> function(final String name)
    {
        return where(r -> name.equals(r.get("function_name").asText()));
    }

    /** @return records of one process. */
    public TraceRecords pid(final long pid)
    {
        return new TraceRecords(where(r -> r.get("pid").asLong() == pid), warnings, files);
    }

    /**
     * @return these records without the program's own stdio report on stdout (printf and the like: stream records
     *         on descriptor 1), for tests about other families whose programs print what they saw.
     */
    public TraceRecords withoutStdoutReport()
    {
        return new TraceRecords(where(r -> !(r.has("file_type") && r.get("file_type").has("stream") &&
            r.has("function_data") && r.get("function_data").has("fd") &&
            1 == r.get("function_data").get("fd").asInt())), warnings, files);
    }

    /** @return records of one thread (tid). */
    public TraceRecords tid(final long tid)
    {
        return new TraceRecords(where(r -> r.get("tid").asLong() == tid), warnings, files);
    }

    /** @return records of one process image (incarnation number; combine with {@link #pid}). */
    public TraceRecords incarnation(final long incarnation)
    {
        return new TraceRecords(where(r -> r.get("incarnation").asLong() == incarnation), warnings, files);
    }

    /** @return the call records (fd_discovered left out) grouped by tid, each list in record order. */
    public java.util.Map<Long, List<JsonNode>> callsByTid()
    {
        final java.util.Map<Long, List<JsonNode>> byTid = new java.util.TreeMap<>();
        for (final JsonNode record : calls())
        {
            byTid.computeIfAbsent(record.get("tid").asLong(), t -> new ArrayList<>()).add(record);
        }
        return byTid;
    }

    /** @return records matching a predicate. */
    public List<JsonNode> where(final Predicate<JsonNode> predicate)
    {
        return records.stream().filter(predicate).toList();
    }

    /** @return function names of the call records, in order. */
    public List<String> callNames()
    {
        return calls().stream().map(r -> r.get("function_name").asText()).toList();
    }

    /** @return the pids seen. */
    public List<Long> pids()
    {
        return records.stream().map(r -> r.get("pid").asLong()).distinct().toList();
    }

    public static String functionName(final JsonNode record)
    {
        return record.get("function_name").asText();
    }

    public static long pid(final JsonNode record)
    {
        return record.get("pid").asLong();
    }

    /** @return function_data.path of an open-like record. */
    public static String path(final JsonNode record)
    {
        return record.path("function_data").path("path").asText();
    }

    public static String filename(final JsonNode record)
    {
        return record.get("traced_filename").asText();
    }

    public static long data(final JsonNode record, final String field)
    {
        final JsonNode value = record.path("function_data").get(field);
        if (null == value)
        {
            throw new AssertionError("no function_data." + field + " in " + record);
        }
        return value.asLong();
    }

    public static String state(final JsonNode record)
    {
        return record.get("return_state").asText();
    }

    public static int errno(final JsonNode record)
    {
        return record.path("return_state_detail").path("errno_value").asInt(0);
    }

    public static long descriptor(final JsonNode record)
    {
        return record.path("file_type").path("descriptor").asLong(Long.MIN_VALUE);
    }

    /**
     * Describe what is wrong with a sequence of write records of one thread that should be exactly
     * {@code expected} writes of (i % cycle) + 1 bytes in order: duplicates, losses, reorderings.
     *
     * @return "" when the sequence is exact.
     */
    public static String sequenceDefects(final List<JsonNode> writes, final long expected, final int cycle)
    {
        final StringBuilder defects = new StringBuilder();
        final java.util.Set<Long> starts = new java.util.HashSet<>();
        long duplicates = 0;
        long backInTime = 0;
        long firstMismatch = -1;
        long previousStart = 0;
        for (int i = 0; i < writes.size(); i++)
        {
            final long start = writes.get(i).get("time_start").asLong();
            duplicates += starts.add(start) ? 0 : 1;
            if (start < previousStart)
            {
                backInTime++;
                defects.append(backInTime <= 3 ? "record " + i + " goes back in time; " : "");
            }
            previousStart = start;
            if (firstMismatch < 0 && (i % cycle) + 1 != data(writes.get(i), "written_bytes"))
            {
                firstMismatch = i;
            }
        }
        if (writes.size() != expected)
        {
            defects.append(writes.size()).append(" write records for ").append(expected).append(" writes; ");
        }
        if (duplicates > 0)
        {
            defects.append(duplicates).append(" records twice (same time_start); ");
        }
        if (backInTime > 0)
        {
            defects.append(backInTime).append(" places where the order goes back in time; ");
        }
        if (firstMismatch >= 0)
        {
            defects.append("sizes out of sequence from write ").append(firstMismatch).append("; ");
        }
        return defects.toString();
    }
}
