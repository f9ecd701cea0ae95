package io.iotrace.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static io.iotrace.cli.CliHarness.cli;
import static io.iotrace.cli.CliHarness.program;
import static io.iotrace.cli.CliHarness.records;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** {@code iotrace run}: the program runs traced, its exit status passes through, filters apply. */
class RunCommandTest
{
    @TempDir
    Path tmp;

    /** The real command: bin/iotrace run as a process, like a user types it. */
    @Test
    void binIotraceRunTracesTheProgramAndKeepsItsStdoutClean() throws IOException, InterruptedException
    {
        final Path launcher = CliHarness.HOME.resolve("bin/iotrace");
        if (!Files.isExecutable(launcher))
        {
            fail("bin/iotrace not built: run `make launcher` in " + CliHarness.HOME);
        }
        final Path work = Files.createDirectory(tmp.resolve("work"));
        final Path traceDir = tmp.resolve("trace");
        final Path stdout = tmp.resolve("stdout");
        final Path stderr = tmp.resolve("stderr");
        final Process process = new ProcessBuilder(launcher.toString(), "run", "--dir", traceDir.toString(), "--",
            program("basic_io"), work.toString())
            .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), () -> read(stderr));
        assertEquals("", read(stdout), "basic_io prints nothing and iotrace adds nothing to stdout");
        assertEquals("iotrace: trace in " + traceDir + " (1 process files)", read(stderr).strip());

        final List<JsonNode> records = records(traceDir);
        final String data = work.resolve("basic.dat").toString();
        final List<Long> writes = records.stream()
            .filter(r -> "write".equals(r.get("function_name").asText()) &&
                data.equals(r.get("traced_filename").asText()))
            .map(r -> r.get("function_data").get("written_bytes").asLong()).toList();
        assertEquals(List.of(100L, 200L, 300L), writes);
        assertTrue(records.stream().anyMatch(r -> "creat".equals(r.get("function_name").asText()) &&
            work.resolve("created.dat").toString().equals(r.get("traced_filename").asText())));
    }

    /**
     * run starts the session's collector and waits until it drains before it starts the program: the program's
     * first look finds the collector's live counters there (a collector spawned by the program's own first
     * process would still be starting its JVM), and the collector log shows one collector.
     */
    @Test
    void startsTheCollectorBeforeTheProgram() throws IOException
    {
        final Path traceDir = tmp.resolve("trace");
        final Path seen = tmp.resolve("seen"); // the program's stdout is the terminal's, not the harness's
        final CliHarness.Result run = cli("run", "-d", traceDir.toString(), "--", "sh", "-c",
            "if test -e \"$IOTRACE_DIR/iotrace-live.counters\"; then echo ready; else echo missing; fi > \"$0\"",
            seen.toString());
        assertEquals(0, run.status(), run.err());
        assertEquals("ready", Files.readString(seen).strip(), run.err());
        final List<String> log = Files.readAllLines(traceDir.resolve("collector.log"));
        assertEquals(1, log.stream().filter(l -> l.contains("collector started")).count(), log.toString());
        assertTrue(CliHarness.processFiles(traceDir).size() >= 1, "sh was traced");
    }

    @Test
    void exitStatusPassesThrough() throws IOException
    {
        final CliHarness.Result exit7 = cli("run", "-d", tmp.resolve("t7").toString(), "--", "sh", "-c", "exit 7");
        assertEquals(7, exit7.status(), exit7.err());
        final CliHarness.Result killed = cli("run", "-d", tmp.resolve("t9").toString(), "sh", "-c", "kill -9 $$");
        assertEquals(128 + 9, killed.status(), killed.err());
        assertTrue(killed.err().contains("iotrace: trace in " + tmp.resolve("t9")), killed.err());
        assertTrue(CliHarness.processFiles(tmp.resolve("t9")).size() >= 1, "sh was traced");
    }

    @Test
    void functionsFilterWritesOnlyThoseFunctions() throws IOException
    {
        final Path work = Files.createDirectory(tmp.resolve("work"));
        final Path traceDir = tmp.resolve("trace");
        final CliHarness.Result run = cli("run", "-d", traceDir.toString(), "--functions", "write,close", "--",
            program("basic_io"), work.toString());
        assertEquals(0, run.status(), run.err());
        final List<JsonNode> records = records(traceDir);
        final Set<String> functions = new TreeSet<>();
        records.forEach(r -> functions.add(r.get("function_name").asText()));
        // process_start (each file's first line, not a call) is kept whatever the filter
        assertEquals(Set.of("close", "process_start", "write"), functions);
        // filtered after resolution: the writes still name the file their open (not written) opened
        assertEquals(List.of(100L, 200L, 300L, 7L), records.stream()
            .filter(r -> "write".equals(r.get("function_name").asText()) &&
                r.get("traced_filename").asText().startsWith(work.toString()))
            .map(r -> r.get("function_data").get("written_bytes").asLong()).toList());
    }

    @Test
    void excludePathDropsMatchingFiles() throws IOException
    {
        final Path work = Files.createDirectory(tmp.resolve("work"));
        final Path traceDir = tmp.resolve("trace");
        final CliHarness.Result run = cli("run", "-d", traceDir.toString(), "--exclude-path", work + "/basic*",
            "--", program("basic_io"), work.toString());
        assertEquals(0, run.status(), run.err());
        final List<JsonNode> records = records(traceDir);
        assertTrue(records.stream().noneMatch(r -> r.get("traced_filename").asText().endsWith("/basic.dat")));
        assertEquals(3, records.stream().filter(r -> r.get("traced_filename").asText().endsWith("/created.dat"))
            .count(), "creat, write, close of created.dat are kept");
    }

    @Test
    void ptraceOnRunsQuietlyAndUnknownFunctionsAreUsageErrors() throws IOException
    {
        final CliHarness.Result run = cli("run", "-d", tmp.resolve("t").toString(), "--ptrace", "on", "true");
        assertEquals(0, run.status());
        assertTrue(run.err().startsWith("iotrace: trace in "), run.err());
        CliHarness.assertOneLine(run.err());

        final CliHarness.Result bad = cli("run", "--functions", "read,no_such_call", "true");
        assertEquals(2, bad.status());
        assertEquals("iotrace run: --functions: not traced functions: no_such_call", bad.err().strip());

        final CliHarness.Result missing = cli("run", "-d", tmp.resolve("m").toString(), "/no/such/program");
        assertEquals(127, missing.status());
        CliHarness.assertOneLine(missing.err());
    }

    private static String read(final Path file)
    {
        try
        {
            return Files.readString(file, StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }
}
