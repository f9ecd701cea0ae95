package io.iotrace.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotrace.core.session.TraceSession;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Test helpers: traces made by running test programs with the shim preloaded (independently of the CLI), the CLI run
 * in-process with its stdout and stderr captured, and records read with Jackson's tree model.
 */
public final class CliHarness
{
    static final Path HOME = IotraceCli.home();
    static final Path SHIM = HOME.resolve(RunCommand.SHIM);
    static final ObjectMapper JSON = new ObjectMapper()
        .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    /** What an in-process CLI run printed and returned. */
    public record Result(int status, String out, String err)
    {
    }

    private CliHarness()
    {
    }

    /** @return the absolute path of a test program. */
    public static String program(final String name)
    {
        final Path binary = HOME.resolve("test-programs/build").resolve(name);
        if (!Files.isExecutable(binary) || !Files.exists(SHIM))
        {
            fail("test programs or shim not built (" + binary + ", " + SHIM + "): run `make` in " + HOME);
        }
        return binary.toString();
    }

    /**
     * Run a command with the shim preloaded into traceDir and wait for the collector (not through the CLI).
     *
     * @return the command's exit status.
     */
    public static int trace(final Path traceDir, final Map<String, String> env, final String... command)
        throws IOException, InterruptedException
    {
        final ProcessBuilder builder = new ProcessBuilder(command)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().put("LD_PRELOAD", SHIM.toString());
        builder.environment().put("IOTRACE_DIR", traceDir.toString());
        builder.environment().putAll(env);
        final int status = builder.start().waitFor();
        assertTrue(TraceSession.awaitCollector(traceDir, Duration.ofSeconds(60)), "collector did not finish");
        return status;
    }

    /**
     * Run a test program traced into traceDir to its end (exit status 0 expected) and wait for the collector.
     *
     * @param traceDir IOTRACE_DIR.
     * @param name     a program in test-programs/build.
     * @param args     its arguments.
     */
    public static void runTraced(final Path traceDir, final String name, final String... args)
        throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>();
        command.add(program(name));
        command.addAll(List.of(args));
        assertEquals(0, trace(traceDir, Map.of(), command.toArray(String[]::new)), name + " failed");
    }

    /**
     * Start a test program traced into traceDir without waiting (stdout and stderr go to files beside traceDir).
     *
     * @param traceDir IOTRACE_DIR.
     * @param name     a program in test-programs/build.
     * @param args     its arguments.
     * @return the running process.
     */
    public static Process startTraced(final Path traceDir, final String name, final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(program(name));
        command.addAll(List.of(args));
        final ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("LD_PRELOAD", SHIM.toString());
        builder.environment().put("IOTRACE_DIR", traceDir.toString());
        final Path logs = traceDir.resolveSibling(traceDir.getFileName() + "-" + name);
        builder.redirectOutput(logs.resolveSibling(logs.getFileName() + ".out").toFile());
        builder.redirectError(logs.resolveSibling(logs.getFileName() + ".err").toFile());
        return builder.start();
    }

    /** Wait for the collector of traceDir to finish (at most a minute). */
    public static void awaitCollector(final Path traceDir)
    {
        assertTrue(TraceSession.awaitCollector(traceDir, Duration.ofSeconds(60)), "the collector did not finish");
    }

    /** Run the iotrace command in-process, capturing what it prints. */
    public static synchronized Result cli(final String... args)
    {
        final PrintStream out = System.out;
        final PrintStream err = System.err;
        final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
        final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        try (PrintStream o = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
            PrintStream e = new PrintStream(errBytes, true, StandardCharsets.UTF_8))
        {
            System.setOut(o);
            System.setErr(e);
            // commands print through System.out/err or through picocli's writers: both are captured
            final picocli.CommandLine commandLine = IotraceCli.commandLine();
            commandLine.setOut(new java.io.PrintWriter(o, true));
            commandLine.setErr(new java.io.PrintWriter(e, true));
            final int status = commandLine.execute(args);
            return new Result(status, outBytes.toString(StandardCharsets.UTF_8),
                errBytes.toString(StandardCharsets.UTF_8));
        }
        finally
        {
            System.setOut(out);
            System.setErr(err);
        }
    }

    /** @return the process files of a trace dir, sorted by name (the order the CLI reads them in). */
    static List<Path> processFiles(final Path traceDir) throws IOException
    {
        try (Stream<Path> list = Files.list(traceDir))
        {
            return list.filter(p -> io.iotrace.core.summary.TraceFiles.isProcessFile(p.getFileName().toString()))
                .sorted().toList();
        }
    }

    /** @return every record of a trace dir, file by file in name order, each file in line order. */
    static List<JsonNode> records(final Path traceDir) throws IOException
    {
        final List<JsonNode> records = new ArrayList<>();
        for (final Path file : processFiles(traceDir))
        {
            final String text;
            try (java.io.InputStream in = io.iotrace.core.summary.TraceFiles.open(file)) // .jsonl or .jsonl.gz
            {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            for (final String line : text.lines().toList())
            {
                records.add(JSON.readTree(line));
            }
        }
        return records;
    }

    /** @return function_data.read_bytes + written_bytes of a record (absent = 0). */
    static long bytes(final JsonNode record, final String field)
    {
        final JsonNode data = record.path("function_data").path(field);
        return data.isMissingNode() ? 0 : data.asLong();
    }

    static void assertOneLine(final String text)
    {
        assertEquals(1, text.strip().lines().count(), "one line expected: " + text);
        assertTrue(!text.contains("\tat "), "no stack trace: " + text);
    }
}
