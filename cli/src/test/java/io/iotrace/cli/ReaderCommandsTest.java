package io.iotrace.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotrace.core.summary.TraceSummary;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static io.iotrace.cli.CliHarness.JSON;
import static io.iotrace.cli.CliHarness.bytes;
import static io.iotrace.cli.CliHarness.cli;
import static io.iotrace.cli.CliHarness.program;
import static io.iotrace.cli.CliHarness.records;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * summary, export and merge on one trace of several processes (basic_io; fork_child: a parent and a child that
 * outlives it; threads: 4 threads writing concurrently), each checked against the records read independently.
 */
class ReaderCommandsTest
{
    @TempDir
    static Path tmp;
    static Path traceDir;
    static List<JsonNode> records;

    @BeforeAll
    static void trace() throws IOException, InterruptedException
    {
        final Path work = Files.createDirectory(tmp.resolve("work"));
        traceDir = tmp.resolve("trace");
        assertEquals(0, CliHarness.trace(traceDir, Map.of(), program("basic_io"), work.toString()));
        assertEquals(0, CliHarness.trace(traceDir, Map.of(), program("fork_child"), work.toString()));
        assertEquals(0, CliHarness.trace(traceDir, Map.of(), program("threads"), work.toString(), "4", "500"));
        records = records(traceDir);
        assertTrue(CliHarness.processFiles(traceDir).size() >= 4, "basic_io, fork_child parent + child, threads");
    }

    /** Per-key sums computed from the records: calls, errors, read, written, ns, unresolved. */
    private static Map<String, long[]> sums(final java.util.function.Function<JsonNode, String> key)
    {
        final Map<String, long[]> sums = new TreeMap<>();
        for (final JsonNode r : records)
        {
            if ("fd_discovered".equals(r.get("function_name").asText()) ||
                "process_start".equals(r.get("function_name").asText()))
            {
                continue;
            }
            final long[] s = sums.computeIfAbsent(key.apply(r), k -> new long[6]);
            s[0]++;
            s[1] += "error".equals(r.get("return_state").asText()) ? 1 : 0;
            s[2] += bytes(r, "read_bytes");
            s[3] += bytes(r, "written_bytes");
            s[4] += r.get("time_end").asLong() - r.get("time_start").asLong();
            s[5] += "<unresolved>".equals(r.get("traced_filename").asText()) ? 1 : 0;
        }
        return sums;
    }

    private static long[] totals(final JsonNode t)
    {
        return new long[] {t.get("calls").asLong(), t.get("errors").asLong(), t.get("read_bytes").asLong(),
            t.get("written_bytes").asLong(), t.get("io_time_ns").asLong(), t.get("unresolved").asLong()};
    }

    @Test
    void summaryNumbersAreTheSumsOfTheRecords() throws IOException
    {
        final CliHarness.Result result = cli("summary", "--json", traceDir.toString());
        assertEquals(0, result.status(), result.err());
        final JsonNode summary = JSON.readTree(result.out());
        assertEquals(records.size(), summary.get("records").asLong());
        final Path warnings = traceDir.resolve("iotrace-warnings.jsonl");
        assertEquals(Files.exists(warnings) ? Files.readAllLines(warnings).size() : 0,
            summary.get("warnings").get("count").asInt(), "basic_io's read on a closed descriptor is warned about");

        final Map<String, long[]> byFunction = sums(r -> r.get("function_name").asText());
        assertEquals(byFunction.keySet(), keys(summary.get("functions")));
        byFunction.forEach((name, s) ->
            assertEquals(asList(s), asList(totals(summary.get("functions").get(name))), name));
        final Map<String, long[]> byFile = sums(r -> r.get("traced_filename").asText());
        assertEquals(byFile.keySet(), keys(summary.get("files")));
        byFile.forEach((name, s) ->
            assertEquals(asList(s), asList(totals(summary.get("files").get(name))), name));
        final Map<String, long[]> byPid = sums(r -> r.get("pid").asText());
        final Map<String, long[]> reported = new TreeMap<>();
        summary.get("processes").forEach(p ->
        {
            assertTrue(p.get("rank").isNull(), "records carry no rank yet");
            reported.put(p.get("pid").asText(), totals(p.get("totals")));
        });
        assertEquals(byPid.keySet(), reported.keySet());
        byPid.forEach((pid, s) -> assertEquals(asList(s), asList(reported.get(pid)), "pid " + pid));

        // histogram: every data call in its power-of-two bucket
        final Map<Long, Long> buckets = new TreeMap<>();
        for (final JsonNode r : records)
        {
            final JsonNode data = r.path("function_data");
            if (!"fd_discovered".equals(r.get("function_name").asText()) &&
                (data.has("read_bytes") || data.has("written_bytes")))
            {
                final long moved = bytes(r, "read_bytes") + bytes(r, "written_bytes");
                buckets.merge(0 == moved ? 0 : Long.highestOneBit(moved), 1L, Long::sum);
            }
        }
        final Map<Long, Long> histogram = new TreeMap<>();
        summary.get("total").get("size_histogram").forEach(b ->
        {
            final long min = b.get("min_bytes").asLong();
            assertEquals(0 == min ? 0 : 2 * min - 1, b.get("max_bytes").asLong());
            histogram.put(min, b.get("calls").asLong());
        });
        assertEquals(buckets, histogram);
        // threads writes sizes 1..64: 500 writes per thread, i % 64 + 1 bytes
        assertTrue(histogram.get(32L) >= 4 * (500 / 64) * 32, histogram.toString());

        final CliHarness.Result text = cli("summary", traceDir.toString());
        assertEquals(0, text.status(), text.err());
        assertTrue(text.out().startsWith(traceDir + ": " + records.size() + " records in "), text.out());
        assertTrue(text.out().contains("per function") && text.out().contains("per process") &&
            text.out().contains("request sizes"), text.out());
    }

    @Test
    void perfettoExportHasOneCompleteEventPerRecordWithExactTimes() throws IOException
    {
        final Path out = tmp.resolve("trace.json");
        final CliHarness.Result result = cli("export", traceDir.toString(), "--format", "perfetto", "-o",
            out.toString(), "--progress");
        assertEquals(0, result.status(), result.err());
        assertTrue(result.err().contains("100% " + records.size() + " events"), result.err());
        final JsonNode trace = JSON.readTree(out.toFile());
        final List<JsonNode> complete = new ArrayList<>();
        final Map<Long, String> processNames = new HashMap<>();
        trace.get("traceEvents").forEach(e ->
        {
            switch (e.get("ph").asText())
            {
                case "X" -> complete.add(e);
                case "M" -> processNames.put(e.get("pid").asLong(), e.get("args").get("name").asText());
                default -> throw new AssertionError("unexpected event " + e);
            }
        });
        assertEquals(records.size(), complete.size());
        for (int i = 0; i < records.size(); i++)
        {
            final JsonNode r = records.get(i);
            final JsonNode e = complete.get(i);
            assertEquals(r.get("function_name").asText(), e.get("name").asText());
            assertEquals(r.get("pid").asLong(), e.get("pid").asLong());
            assertEquals(r.get("tid").asLong(), e.get("tid").asLong());
            final long start = r.get("time_start").asLong();
            assertEquals(BigDecimal.valueOf(start).movePointLeft(3).compareTo(e.get("ts").decimalValue()), 0);
            assertEquals(BigDecimal.valueOf(r.get("time_end").asLong() - start).movePointLeft(3)
                .compareTo(e.get("dur").decimalValue()), 0);
            assertEquals(r.get("traced_filename").asText(), e.get("args").get("file").asText());
            final JsonNode data = r.path("function_data");
            if (data.has("read_bytes") || data.has("written_bytes"))
            {
                assertEquals(bytes(r, "read_bytes") + bytes(r, "written_bytes"), e.get("args").get("bytes").asLong());
            }
            assertTrue(processNames.containsKey(r.get("pid").asLong()), "process name of " + r.get("pid"));
        }
    }

    @Test
    void mergeIsTimeOrderedAndComplete() throws IOException
    {
        final Path out = tmp.resolve("merged.jsonl");
        final CliHarness.Result result = cli("merge", traceDir.toString(), "-o", out.toString());
        assertEquals(0, result.status(), result.err());
        final List<String> merged = Files.readAllLines(out, StandardCharsets.UTF_8);
        long last = Long.MIN_VALUE;
        for (final String line : merged)
        {
            final long start = JSON.readTree(line).get("time_start").asLong();
            assertTrue(start >= last, "time order at " + line);
            last = start;
        }
        final List<String> all = new ArrayList<>();
        for (final Path file : CliHarness.processFiles(traceDir))
        {
            all.addAll(Files.readAllLines(file, StandardCharsets.UTF_8));
        }
        assertEquals(all.stream().sorted().toList(), merged.stream().sorted().toList(), "every line, unchanged");
        assertTrue(!result.err().contains("out of order"), result.err());
    }

    @Test
    void longConversionsDrawAProgressBarThatEndsFull() throws IOException
    {
        final long records = CliHarness.records(traceDir).size();
        final CliHarness.Result merge =
            cli("merge", traceDir.toString(), "-o", tmp.resolve("m.jsonl").toString(), "--progress");
        assertEquals(0, merge.status(), merge.err());
        assertTrue(merge.err().contains("merge [" + "#".repeat(30) + "] 100% " + records + " events"), merge.err());
        final CliHarness.Result export = cli("export", traceDir.toString(), "-f", "perfetto", "-o",
            tmp.resolve("p.json").toString(), "--progress");
        assertEquals(0, export.status(), export.err());
        assertTrue(export.err().contains("] 100% "), export.err());
        final CliHarness.Result report =
            cli("report", traceDir.toString(), "-o", tmp.resolve("r.html").toString(), "--progress");
        assertEquals(0, report.status(), report.err());
        assertTrue(report.err().contains("report [" + "#".repeat(30) + "] 100% " + 2 * records + " events"),
            report.err());
        // not on a terminal and not asked for: no bar
        assertTrue(!cli("merge", traceDir.toString(), "-o", tmp.resolve("m2.jsonl").toString()).err().contains("["));
    }

    @Test
    void mergeWindowSortsWithinItAndReportsWhatLiesBeyond() throws IOException
    {
        // a process file in reverse time order: every record is out of order
        final Path reversed = Files.createDirectory(tmp.resolve("reversed"));
        // basic_io's file (one thread, so reversed every record is out of order); which file sorts first depends
        // on the pids the run got
        Path basicIo = null;
        for (final Path file : CliHarness.processFiles(traceDir))
        {
            if (Files.readAllLines(file).getFirst().contains("/basic_io\""))
            {
                basicIo = file;
            }
        }
        final List<String> lines = new ArrayList<>(Files.readAllLines(java.util.Objects.requireNonNull(basicIo)));
        java.util.Collections.reverse(lines);
        Files.write(reversed.resolve("vm_1_0.jsonl"), lines);
        final long inversions = java.util.stream.IntStream.range(1, lines.size())
            .filter(i -> start(lines.get(i)) < start(lines.get(i - 1))).count();
        assertTrue(inversions > 10);

        final Path small = tmp.resolve("small.jsonl");
        final CliHarness.Result tooSmall = cli("merge", reversed.toString(), "--window", "1", "-o", small.toString());
        assertEquals(0, tooSmall.status());
        assertTrue(tooSmall.err().contains(inversions + " records were further out of order in their file than " +
            "--window 1"), tooSmall.err());
        assertEquals(lines, Files.readAllLines(small), "written where they were found");

        final Path large = tmp.resolve("large.jsonl");
        final CliHarness.Result enough = cli("merge", reversed.toString(), "--window", Integer.toString(lines.size()),
            "-o", large.toString());
        assertEquals(0, enough.status());
        assertFalse(enough.err().contains("out of order"), enough.err());
        final List<String> sorted = Files.readAllLines(large);
        assertEquals(lines.stream().sorted(java.util.Comparator.comparingLong(ReaderCommandsTest::start)).toList(),
            sorted);
    }

    private static long start(final String line)
    {
        try
        {
            return JSON.readTree(line).get("time_start").asLong();
        }
        catch (final IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    @Test
    void clockOffsetShiftsOnlyTheTimes() throws IOException
    {
        final String line = records.getFirst().toString();
        final JsonNode shifted = JSON.readTree(MergeCommand.shiftTimes(line, -1500));
        final JsonNode original = JSON.readTree(line);
        assertEquals(original.get("time_start").asLong() - 1500, shifted.get("time_start").asLong());
        assertEquals(original.get("time_end").asLong() - 1500, shifted.get("time_end").asLong());
        ((com.fasterxml.jackson.databind.node.ObjectNode)shifted).set("time_start", original.get("time_start"));
        ((com.fasterxml.jackson.databind.node.ObjectNode)shifted).set("time_end", original.get("time_end"));
        assertEquals(original, shifted);
    }

    @Test
    void bucketsArePowersOfTwo()
    {
        assertEquals(0, TraceSummary.bucket(0));
        assertEquals(1, TraceSummary.bucket(1));
        assertEquals(2, TraceSummary.bucket(3));
        assertEquals(13, TraceSummary.bucket(4096));
        assertEquals("4096-8191", TraceSummary.bucketLabel(13));
    }

    private static java.util.Set<String> keys(final JsonNode object)
    {
        final java.util.Set<String> keys = new java.util.TreeSet<>();
        object.fieldNames().forEachRemaining(keys::add);
        return keys;
    }

    private static List<Long> asList(final long[] values)
    {
        return java.util.Arrays.stream(values).boxed().toList();
    }
}
