package io.iotrace.cli.report;

import io.iotrace.core.session.TraceSession;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs test programs under the tracer for the cli tests: LD_PRELOAD of the shim, IOTRACE_DIR, then waits for the
 * session's collector.
 */
public final class TraceFixture
{
    /** Repository root (surefire sets iotrace.home). */
    public static final Path HOME = Path.of(System.getProperty("iotrace.home", "..")).toAbsolutePath().normalize();
    static final Path SHIM = HOME.resolve("native-shim/build/libiotrace_shared.so");

    private TraceFixture()
    {
    }

    /**
     * Start a test program traced into a trace dir.
     *
     * @param traceDir IOTRACE_DIR.
     * @param program  name in test-programs/build.
     * @param args     its arguments.
     * @return the running process (stdout and stderr go to files beside the trace dir).
     * @throws IOException when it cannot start.
     */
    public static Process start(final Path traceDir, final String program, final String... args) throws IOException
    {
        final Path binary = HOME.resolve("test-programs/build").resolve(program);
        if (!Files.isExecutable(binary) || !Files.exists(SHIM))
        {
            fail("test programs or shim not built (" + binary + ", " + SHIM + "): run `make` in " + HOME);
        }
        final List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(List.of(args));
        final ProcessBuilder builder = new ProcessBuilder(command);
        final Map<String, String> env = builder.environment();
        env.put("LD_PRELOAD", SHIM.toString());
        env.put("IOTRACE_DIR", traceDir.toString());
        final Path logs = traceDir.resolveSibling(traceDir.getFileName() + "-" + program);
        builder.redirectOutput(logs.resolveSibling(logs.getFileName() + ".out").toFile());
        builder.redirectError(logs.resolveSibling(logs.getFileName() + ".err").toFile());
        return builder.start();
    }

    /**
     * Run a test program traced to its end and wait for the collector.
     *
     * @param traceDir IOTRACE_DIR.
     * @param program  name in test-programs/build.
     * @param args     its arguments.
     * @throws Exception when it fails.
     */
    public static void run(final Path traceDir, final String program, final String... args) throws Exception
    {
        final Process process = start(traceDir, program, args);
        assertEquals(0, process.waitFor(), program + " failed");
        awaitCollector(traceDir);
    }

    /**
     * @param traceDir a trace dir whose collector should finish.
     */
    public static void awaitCollector(final Path traceDir)
    {
        assertTrue(TraceSession.awaitCollector(traceDir, Duration.ofSeconds(60)), "the collector did not finish");
    }
}
