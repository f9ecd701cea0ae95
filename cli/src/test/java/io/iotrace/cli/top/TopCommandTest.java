package io.iotrace.cli.top;

import io.iotrace.cli.CliHarness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotrace.cli.IotraceCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code iotrace top}: write_loop writes under the tracer until told to stop; top reads the collector's live counters
 * meanwhile, then its final snapshot is compared with the sums of the trace's records.
 */
class TopCommandTest
{
    /** One row of top's table: read MB/s, write MB/s, bytes read, bytes written, calls, file. */
    private static final Pattern ROW =
        Pattern.compile("^\\s*(\\S+)\\s+(\\S+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)  (.+)$", Pattern.MULTILINE);

    @TempDir
    Path tmp;

    @Test
    void liveCountersWhileWritingThenTotalsOfTheTrace() throws Exception
    {
        final Path trace = tmp.resolve("trace");
        final Path data = tmp.resolve("loop.dat");
        final Path stop = tmp.resolve("stop");
        final Process program = CliHarness.startTraced(trace, "write_loop", data.toString(), "100000000", "512",
            stop.toString());
        try
        {
            // while it writes: the file is there with bytes written, and a rate
            Map<String, String[]> rows = Map.of();
            final long deadline = System.currentTimeMillis() + 20_000;
            while (System.currentTimeMillis() < deadline)
            {
                final CliHarness.Result run = CliHarness.cli("top", trace.toString(), "--once", "--interval", "0.5");
                assertEquals(0, run.status(), run.err());
                assertTrue(run.out().contains(" collecting, "), run.out());
                rows = rows(run.out());
                // a busy machine may stall the collector for an interval: wait for one with a rate
                if (rows.containsKey(data.toString()) && Long.parseLong(rows.get(data.toString())[3]) > 0 &&
                    Double.parseDouble(rows.get(data.toString())[1]) > 0)
                {
                    break;
                }
            }
            final String[] row = rows.get(data.toString());
            assertTrue(null != row, "a row for " + data + ": " + rows.keySet());
            assertTrue(Long.parseLong(row[3]) > 0, "bytes written");
            assertTrue(Long.parseLong(row[4]) > 0, "calls");
            assertEquals(0, Long.parseLong(row[2]), "bytes read");
            assertTrue(Double.parseDouble(row[1]) > 0, "write MB/s while writing: " + String.join(" ", row));

            // live mode follows the session and exits when the collector finishes
            final CompletableFuture<CliHarness.Result> live = CompletableFuture.supplyAsync(
                () -> CliHarness.cli("top", trace.toString(), "--interval", "0.3"));
            Thread.sleep(1000);
            Files.createFile(stop);
            assertEquals(0, program.waitFor(30, TimeUnit.SECONDS) ? program.exitValue() : -1, "write_loop ended");
            final CliHarness.Result followed = live.get(60, TimeUnit.SECONDS);
            assertEquals(0, followed.status(), followed.err());
            assertTrue(followed.out().contains(" finished, "), "the last table is the final one:\n" + followed.out());
            assertTrue(followed.out().indexOf(" collecting, ") < followed.out().indexOf(" finished, "));
        }
        finally
        {
            program.destroy();
        }
        CliHarness.awaitCollector(trace);

        // the final snapshot: every file's totals equal the sums of its records
        final CliHarness.Result last = CliHarness.cli("top", trace.toString(), "--once");
        assertEquals(0, last.status(), last.err());
        assertTrue(last.out().contains(" finished, "), last.out());
        final Map<String, String> shown = new TreeMap<>();
        rows(last.out()).forEach((file, r) -> shown.put(file, r[2] + " " + r[3] + " " + r[4]));
        assertEquals(sumsOfRecords(trace), shown);
        assertTrue(shown.containsKey(data.toString()));
    }

    /**
     * Every way a record carries a byte count (descriptor calls, stdio items and formatted output, aio, fork children,
     * several processes and collectors one after the other in one dir): the final counters equal the records' sums.
     */
    @Test
    void finalCountersEqualTheRecordsOfManyPrograms() throws Exception
    {
        final Path trace = tmp.resolve("trace");
        for (final String program : List.of("basic_io", "stdio", "stdio_more", "async_io", "fd_io_more", "fork_child"))
        {
            final Path data = tmp.resolve(program);
            Files.createDirectories(data);
            CliHarness.runTraced(trace, program, data.toString());
        }
        final CliHarness.Result last = CliHarness.cli("top", trace.toString(), "--once");
        assertEquals(0, last.status(), last.err());
        assertTrue(last.out().contains(" finished, "), last.out());
        final Map<String, String> shown = new TreeMap<>();
        rows(last.out()).forEach((file, r) -> shown.put(file, r[2] + " " + r[3] + " " + r[4]));
        assertEquals(sumsOfRecords(trace), shown);
    }

    /** A newline or control character in a file name does not break top's one line per file. */
    @Test
    void oddNamesStayOnOneLine() throws Exception
    {
        final Path trace = tmp.resolve("trace");
        CliHarness.runTraced(trace, "odd_names", tmp.toString());
        final CliHarness.Result run = CliHarness.cli("top", trace.toString(), "--once");
        assertEquals(0, run.status(), run.err());
        final Map<String, String[]> rows = rows(run.out());
        assertEquals(run.out().lines().count() - 2, rows.size(), run.out());
        assertTrue(rows.containsKey(tmp + "/new\\nline"), rows.keySet().toString());
        assertTrue(rows.containsKey(tmp + "/tab\\there"), rows.keySet().toString());
        assertTrue(rows.containsKey(tmp + "/ctrl\\u0001\\u001fx"), rows.keySet().toString());
        assertEquals("1", rows.get(tmp + "/quote\"d")[3], "bytes written");
    }

    @Test
    void noCountersIsOneErrorLine() throws Exception
    {
        final CliHarness.Result run = CliHarness.cli("top", tmp.toString(), "--once", "--wait", "0.2");
        assertEquals(1, run.status());
        assertEquals(1, run.err().lines().count(), run.err());
        assertTrue(run.err().contains("no live counters"), run.err());
    }

    /** file → "read written calls" from the records (fd_discovered and process_start are no calls), with a tree parser. */
    private static Map<String, String> sumsOfRecords(final Path trace) throws Exception
    {
        final ObjectMapper mapper = new ObjectMapper();
        final Map<String, long[]> sums = new TreeMap<>();
        final List<Path> files;
        try (Stream<Path> list = Files.list(trace))
        {
            files = list.filter(p -> p.toString().endsWith(".jsonl") && !p.getFileName().toString().startsWith("iotrace-"))
                .toList();
        }
        for (final Path file : files)
        {
            for (final String line : Files.readAllLines(file, StandardCharsets.UTF_8))
            {
                final JsonNode record = mapper.readTree(line);
                if ("fd_discovered".equals(record.get("function_name").asText()) ||
                    "process_start".equals(record.get("function_name").asText()))
                {
                    continue;
                }
                final long[] s = sums.computeIfAbsent(record.get("traced_filename").asText(), k -> new long[3]);
                s[0] += record.path("function_data").path("read_bytes").asLong();
                s[1] += record.path("function_data").path("written_bytes").asLong();
                s[2]++;
            }
        }
        final Map<String, String> result = new TreeMap<>();
        sums.forEach((file, s) -> result.put(file, s[0] + " " + s[1] + " " + s[2]));
        return result;
    }

    private static Map<String, String[]> rows(final String table)
    {
        final Map<String, String[]> rows = new TreeMap<>();
        for (final Matcher m = ROW.matcher(table); m.find(); )
        {
            rows.put(m.group(6), new String[] {m.group(1), m.group(2), m.group(3), m.group(4), m.group(5)});
        }
        return rows;
    }


}
