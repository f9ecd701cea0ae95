package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotrace.core.session.TraceSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static io.iotrace.core.it.TraceRecords.filename;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The collector dies mid-run: the program goes on unharmed, spills, and `recover` produces the complete trace. */
class CollectorFailureTest
{
    private static final int FIRST = 20_000;
    private static final int SECOND = 50_000;

    @TempDir
    Path work;

    @Test
    void shouldLoseNothingWhenTheCollectorIsKilledMidRun() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Started started = TracedRun.program("phased_writer", data.toString(),
                String.valueOf(FIRST), String.valueOf(SECOND))
            .env("IOTRACE_RING_SIZE", "65536")
            .env("IOTRACE_HEARTBEAT_TIMEOUT_MS", "300")
            .start(work);
        assertEquals("phase1", started.readLine());

        final String runtimeDir = TraceSession.runtimeDirFor(started.traceDir()).toString();
        final ProcessHandle collector = findCollector(runtimeDir, Duration.ofSeconds(20))
            .orElseThrow(() -> new AssertionError("no collector running for " + runtimeDir));
        collector.destroyForcibly();
        collector.onExit().get();

        Files.writeString(data.resolve("go"), "go");
        final TracedRun.Outcome outcome = started.finish(Duration.ofSeconds(60));
        assertEquals(0, outcome.exitStatus(), outcome.stderr());
        assertEquals("", outcome.stdout(), "nothing after phase1");
        assertEquals("", outcome.stderr(), "the program is not told about the collector's death");
        assertEquals(FIRST + SECOND, Files.size(data.resolve("phased.dat")) / 32);

        final Process recover = new ProcessBuilder(TracedRun.COLLECTOR.toString(), "recover",
            started.traceDir().toString()).redirectErrorStream(true).start();
        final String recoverOutput = new String(recover.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, recover.waitFor(), recoverOutput);
        assertTrue(recoverOutput.contains("recovered"), recoverOutput);

        final TraceRecords trace = TraceRecords.load(started.traceDir());
        final List<JsonNode> writes = trace.function("write");
        assertEquals(FIRST + SECOND, writes.size(), "every write, before and after the collector died");
        final String phased = data.resolve("phased.dat").toString();
        assertEquals(List.of(), writes.stream().filter(w -> !phased.equals(filename(w))).limit(3).toList(),
            "handles opened before the collector died still resolve");
        assertEquals(1, trace.function("close").size());
        try (Stream<Path> spills = Files.list(started.traceDir().resolve(".iotrace-spill")))
        {
            assertEquals(List.of(), spills.toList(), "recover removes the spill files it converted");
        }
    }

    static Optional<ProcessHandle> findCollector(final String runtimeDir, final Duration timeout)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline)
        {
            final Optional<ProcessHandle> found = ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains("CollectorMain") &&
                    c.contains(runtimeDir)).orElse(false))
                .findFirst();
            if (found.isPresent())
            {
                return found;
            }
            Thread.sleep(20);
        }
        return Optional.empty();
    }
}
