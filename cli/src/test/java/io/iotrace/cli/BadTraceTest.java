package io.iotrace.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotrace.core.nativeio.NativeIo;
import io.iotrace.core.session.TraceSession;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.iotrace.cli.CliHarness.JSON;
import static io.iotrace.cli.CliHarness.cli;
import static io.iotrace.cli.CliHarness.program;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Malformed and cut traces, recover of a left-over ring, waiting for a running collector. */
class BadTraceTest
{
    @TempDir
    Path tmp;
    Path traceDir;
    Path file;
    List<String> lines;

    @BeforeEach
    void trace() throws IOException, InterruptedException
    {
        final Path work = Files.createDirectory(tmp.resolve("work"));
        traceDir = tmp.resolve("trace");
        assertEquals(0, CliHarness.trace(traceDir, Map.of(), program("basic_io"), work.toString()));
        file = CliHarness.processFiles(traceDir).getFirst();
        lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertTrue(lines.size() > 10);
    }

    @Test
    void malformedLineIsOneLineErrorWithFileAndLineAndExit2() throws IOException
    {
        final List<String> broken = new ArrayList<>(lines);
        broken.set(4, broken.get(4).substring(0, 40));
        Files.write(file, broken, StandardCharsets.UTF_8);
        final String expected = "malformed trace: " + file + ":5: ";
        for (final String[] args : List.of(
            new String[] {"summary", traceDir.toString()},
            new String[] {"export", traceDir.toString(), "-f", "perfetto", "-o", tmp.resolve("x.json").toString()},
            new String[] {"merge", traceDir.toString(), "-o", tmp.resolve("m.jsonl").toString()}))
        {
            final CliHarness.Result result = cli(args);
            assertEquals(2, result.status(), String.join(" ", args) + ": " + result.err());
            CliHarness.assertOneLine(result.err());
            assertTrue(result.err().startsWith("iotrace " + args[0] + ": " + expected), result.err());
        }

        broken.set(4, "{\"not\":\"a record\"}");
        Files.write(file, broken, StandardCharsets.UTF_8);
        final CliHarness.Result notRecord = cli("summary", traceDir.toString());
        assertEquals(2, notRecord.status());
        assertEquals("iotrace summary: " + expected + "not an iotrace record (function_name, pid, time_start and " +
            "time_end are required)", notRecord.err().strip());
    }

    @Test
    void lastLineCutByKillLoadsTheCompleteRecords() throws IOException
    {
        final String text = String.join("\n", lines) + "\n";
        final String last = lines.getLast();
        Files.writeString(file, text.substring(0, text.length() - last.length() / 2 - 1), StandardCharsets.UTF_8);
        final int complete = lines.size() - 1;

        final CliHarness.Result summary = cli("summary", "--json", traceDir.toString());
        assertEquals(0, summary.status(), summary.err());
        assertEquals(complete, JSON.readTree(summary.out()).get("records").asInt());
        assertEquals("iotrace: note: " + file + ":" + lines.size() + " is cut short (collector killed mid-write?): " +
            "read the complete records before it", summary.err().strip());

        final Path out = tmp.resolve("x.json");
        final CliHarness.Result export = cli("export", traceDir.toString(), "-f", "perfetto", "-o", out.toString());
        assertEquals(0, export.status(), export.err());
        long events = 0;
        for (final JsonNode e : JSON.readTree(out.toFile()).get("traceEvents"))
        {
            events += "X".equals(e.get("ph").asText()) ? 1 : 0;
        }
        assertEquals(complete, events);

        final Path merged = tmp.resolve("m.jsonl");
        assertEquals(0, cli("merge", traceDir.toString(), "-o", merged.toString()).status());
        assertEquals(complete, Files.readAllLines(merged).size());
    }

    @Test
    void warningsAreCountedPerProcessAndListed() throws IOException
    {
        final int pid = JSON.readTree(lines.getFirst()).get("pid").asInt();
        Files.writeString(traceDir.resolve("iotrace-warnings.jsonl"),
            "{\"pid\":" + pid + ",\"incarnation\":0,\"function_name\":\"read\",\"handle\":3,\"message\":\"first\"}\n" +
            "{\"pid\":" + pid + ",\"incarnation\":0,\"message\":\"second\"}\n");
        final CliHarness.Result json = cli("summary", "--json", traceDir.toString());
        assertEquals(0, json.status(), json.err());
        final JsonNode summary = JSON.readTree(json.out());
        assertEquals(2, summary.get("warnings").get("count").asInt());
        assertEquals(List.of("pid " + pid + " read: first", "pid " + pid + ": second"),
            CliHarness.JSON.convertValue(summary.get("warnings").get("messages"), List.class));
        assertEquals(2, summary.get("processes").get(0).get("warnings").asInt());
        final CliHarness.Result text = cli("summary", traceDir.toString());
        assertTrue(text.out().contains("warnings (2)\n  pid " + pid + " read: first\n"), text.out());
    }

    @Test
    void missingDirectoryIsOneLineExit1()
    {
        final CliHarness.Result result = cli("summary", tmp.resolve("nothing").toString());
        assertEquals(1, result.status());
        assertEquals("iotrace summary: " + tmp.resolve("nothing") + " is not a trace directory",
            result.err().strip());
    }

    @Test
    void recoverDrainsTheRingOfASessionWithoutCollector() throws IOException, InterruptedException
    {
        final Path work = tmp.resolve("work");
        final Path leftOver = tmp.resolve("left-over");
        assertEquals(0, CliHarness.trace(leftOver, Map.of("IOTRACE_COLLECTOR", "none"), program("basic_io"),
            work.toString()));
        assertFalse(Files.exists(leftOver) && !CliHarness.processFiles(leftOver).isEmpty(),
            "no collector ran: nothing written yet");

        final CliHarness.Result recover = cli("recover", leftOver.toString());
        assertEquals(0, recover.status(), recover.err());
        assertTrue(recover.out().contains("1 rings"), recover.out());
        final List<JsonNode> records = CliHarness.records(leftOver);
        final List<String> expected = lines.stream().map(l -> name(l)).toList();
        assertEquals(expected, records.stream().map(r -> r.get("function_name").asText()).toList(),
            "the same calls as the run with a collector");
        final Path data = work.resolve("basic.dat");
        assertEquals(List.of(100L, 200L, 300L), records.stream()
            .filter(r -> "write".equals(r.get("function_name").asText()) &&
                data.toString().equals(r.get("traced_filename").asText()))
            .map(r -> r.get("function_data").get("written_bytes").asLong()).toList());
    }

    @Test
    void readersWaitForARunningCollectorAndSaySo() throws Exception
    {
        // play the collector: hold the session's lock and name a pid in collector.log
        final Path runtimeDir = TraceSession.runtimeDirFor(traceDir);
        Files.createDirectories(runtimeDir);
        Files.writeString(traceDir.resolve("collector.log"), "2026-01-01T00:00:00Z collector started: pid 4242, " +
            "session x\n", java.nio.file.StandardOpenOption.APPEND);
        final NativeIo.Result open = NativeIo.open(runtimeDir.resolve("collector.lock").toString(),
            NativeIo.O_RDWR | NativeIo.O_CREAT | NativeIo.O_CLOEXEC, 0600);
        assertFalse(open.failed());
        boolean released = false;
        try
        {
            assertFalse(NativeIo.flock(open.result(), NativeIo.LOCK_EX | NativeIo.LOCK_NB).failed());

            final CliHarness.Result noWait = cli("summary", "--no-wait", "--json", traceDir.toString());
            assertEquals(0, noWait.status());
            assertEquals("iotrace: the collector of " + traceDir + " is still running: reading what is there " +
                "(--no-wait)", noWait.err().strip());

            final CompletableFuture<CliHarness.Result> waiting =
                CompletableFuture.supplyAsync(() -> cli("summary", "--json", traceDir.toString()));
            Thread.sleep(500);
            assertFalse(waiting.isDone(), "summary waits while the collector runs");
            NativeIo.close(open.result());
            released = true;
            final CliHarness.Result result = waiting.get(30, TimeUnit.SECONDS);
            assertEquals(0, result.status());
            assertEquals("iotrace: waiting for the collector of " + traceDir + " (pid 4242) to finish\u2026",
                result.err().strip());
            assertEquals(lines.size(), JSON.readTree(result.out()).get("records").asInt());
        }
        finally
        {
            if (!released)
            {
                NativeIo.close(open.result());
            }
        }
    }

    private static String name(final String line)
    {
        try
        {
            return JSON.readTree(line).get("function_name").asText();
        }
        catch (final IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    /**
     * Every reader command given each kind of bad input: one line on stderr naming the file (and line) or the
     * directory, no stack trace, exit status 2 for a malformed file and 1 for a directory without trace files.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0} on {1}")
    @org.junit.jupiter.params.provider.CsvSource({
        "summary, binary", "summary, missing-fields", "summary, wrong-types", "summary, no-trace-files",
        "report, binary", "report, missing-fields", "report, wrong-types", "report, no-trace-files",
        "export, binary", "export, missing-fields", "export, wrong-types", "export, no-trace-files",
        "merge, binary", "merge, missing-fields", "merge, wrong-types", "merge, no-trace-files",
        "summary, huge-line", "report, huge-line", "export, huge-line", "merge, huge-line"})
    void everyReaderRejectsBadInputInOneLine(final String command, final String input) throws IOException
    {
        final Path dir = Files.createDirectories(tmp.resolve("bad-" + command + "-" + input));
        final Path file = dir.resolve("vm_1_0.jsonl");
        switch (input)
        {
            case "binary" ->
            {
                final byte[] noise = new byte[3000];
                new java.util.Random(3).nextBytes(noise);
                noise[0] = (byte)0x95;
                Files.write(file, noise);
            }
            case "missing-fields" -> Files.writeString(file, "{\"traced_filename\":\"/x\",\"pid\":1}\n");
            case "wrong-types" -> Files.writeString(file, "{\"traced_filename\":\"/x\",\"hostname\":\"vm\"," +
                "\"pid\":\"one\",\"ppid\":0,\"tid\":1,\"incarnation\":0,\"function_name\":\"write\"," +
                "\"time_start\":\"x\",\"time_end\":5,\"return_state\":\"ok\"}\n");
            case "huge-line" ->
            {
                // one line longer than any record (the readers keep a line in memory to parse it)
                final byte[] line = new byte[io.iotrace.core.summary.TraceFileReader.MAX_LINE_LENGTH + 100];
                java.util.Arrays.fill(line, (byte)'x');
                line[0] = '{';
                line[line.length - 1] = '\n';
                Files.write(file, line);
            }
            default ->
            {
                // no trace file at all
            }
        }
        final Path out = tmp.resolve("out-" + command + "-" + input);
        final CliHarness.Result result = switch (command)
        {
            case "summary" -> cli("summary", dir.toString());
            case "report" -> cli("report", dir.toString(), "-o", out.toString());
            case "export" -> cli("export", dir.toString(), "-f", "perfetto", "-o", out.toString());
            default -> cli("merge", dir.toString(), "-o", out.toString());
        };
        final boolean noFiles = "no-trace-files".equals(input);
        assertEquals(noFiles ? 1 : 2, result.status(), result.err());
        CliHarness.assertOneLine(result.err());
        assertTrue(result.err().contains(noFiles ? dir.toString() : file + ":1:"), result.err());
        assertFalse(result.err().contains("Exception") || result.err().contains("\tat "), result.err());
        if ("huge-line".equals(input))
        {
            assertTrue(result.err().contains("longer than any record"), result.err());
        }
    }

    /** A warnings file of binary garbage (not UTF-8): summary names it in one line instead of an exception. */
    @Test
    void summaryNamesAWarningsFileThatIsNotText() throws IOException
    {
        final byte[] noise = new byte[3000];
        new java.util.Random(5).nextBytes(noise);
        noise[0] = (byte)0xff;
        final Path warnings = Files.write(traceDir.resolve("iotrace-warnings.jsonl"), noise);
        final CliHarness.Result result = cli("summary", traceDir.toString());
        assertEquals(2, result.status(), result.err());
        CliHarness.assertOneLine(result.err());
        assertEquals("iotrace summary: malformed trace: " + warnings + ":1: not a warning record: not UTF-8 text " +
            "(byte 0)", result.err().strip());
    }

    /** An empty trace file is a process that wrote no record: every reader reads 0 records, quietly. */
    @Test
    void everyReaderReadsAnEmptyTraceFileAsNoRecords() throws IOException
    {
        final Path dir = Files.createDirectories(tmp.resolve("empty"));
        Files.write(dir.resolve("vm_1_0.jsonl"), new byte[0]);
        final CliHarness.Result summary = cli("summary", "--json", dir.toString());
        assertEquals(0, summary.status(), summary.err());
        assertEquals("", summary.err());
        assertEquals(0, JSON.readTree(summary.out()).get("records").asInt());
        final Path merged = tmp.resolve("empty-merged.jsonl");
        final CliHarness.Result merge = cli("merge", dir.toString(), "-o", merged.toString());
        assertEquals(0, merge.status(), merge.err());
        assertEquals(0, Files.size(merged));
        final Path exported = tmp.resolve("empty-export.json");
        final CliHarness.Result export = cli("export", dir.toString(), "-f", "perfetto", "-o", exported.toString());
        assertEquals(0, export.status(), export.err());
        long events = 0;
        for (final JsonNode e : JSON.readTree(exported.toFile()).get("traceEvents"))
        {
            events += "X".equals(e.get("ph").asText()) ? 1 : 0;
        }
        assertEquals(0, events);
        final CliHarness.Result report = cli("report", dir.toString(), "-o", tmp.resolve("empty.html").toString());
        assertEquals(0, report.status(), report.err());
        assertTrue(Files.size(tmp.resolve("empty.html")) > 0);
    }
}
