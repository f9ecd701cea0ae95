package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotrace.core.session.TraceSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static io.iotrace.core.it.TraceRecords.filename;
import static io.iotrace.core.it.TraceRecords.state;
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

        final String recoverOutput = TracedRun.recover(started.traceDir());
        assertTrue(recoverOutput.contains("recovered"), recoverOutput);

        final TraceRecords trace = TraceRecords.load(started.traceDir());
        final List<JsonNode> writes = trace.function("write");
        assertEquals(FIRST + SECOND, writes.size(), "every write, before and after the collector died");
        long backInTime = 0;
        for (int i = 1; i < writes.size(); i++)
        {
            backInTime += writes.get(i).get("time_start").asLong() < writes.get(i - 1).get("time_start").asLong() ? 1 : 0;
        }
        assertEquals(0, backInTime, "places where the records of the one thread go back in time");
        final String phased = data.resolve("phased.dat").toString();
        assertEquals(List.of(), writes.stream().filter(w -> !phased.equals(filename(w))).limit(3).toList(),
            "handles opened before the collector died still resolve");
        assertEquals(1, trace.function("close").size());
        try (Stream<Path> spills = Files.list(started.traceDir().resolve(".iotrace-spill")))
        {
            assertEquals(List.of(), spills.toList(), "recover removes the spill files it converted");
        }
    }

    @Test
    void shouldLoseNothingWhenTheCollectorIsKilledWhileTheProgramWrites() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final Path out = data.resolve("loop.dat");
        final Path stop = data.resolve("stop");
        final TracedRun.Started started = TracedRun.program("write_loop", out.toString(), "10000000", "61",
                stop.toString())
            .env("IOTRACE_RING_SIZE", "65536")
            .env("IOTRACE_HEARTBEAT_TIMEOUT_MS", "300")
            .start(work);
        assertEquals("started", started.readLine());
        final String runtimeDir = TraceSession.runtimeDirFor(started.traceDir()).toString();
        final ProcessHandle collector = findCollector(runtimeDir, Duration.ofSeconds(20))
            .orElseThrow(() -> new AssertionError("no collector running for " + runtimeDir));

        // kill it while it is draining: some of the program's records are already in its JSON file
        final long linesAtKill = awaitJsonLines(started.traceDir(), 3000, Duration.ofSeconds(20));
        collector.destroyForcibly();
        collector.onExit().get();
        // the program goes on writing (into its ring until that is full, then, the heartbeat stale, its spill file)
        final long bytesAtKill = Files.size(out);
        final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (Files.size(out) < bytesAtKill + 200_000 && System.nanoTime() < deadline)
        {
            Thread.sleep(5);
        }
        assertTrue(Files.size(out) >= bytesAtKill + 200_000, "the program stopped writing when the collector died");
        Files.writeString(stop, "");

        final TracedRun.Outcome outcome = started.finish(Duration.ofSeconds(60));
        assertEquals(0, outcome.exitStatus(), outcome.stderr());
        assertEquals("", outcome.stderr(), "the program is not told about the collector's death");
        final long written = Long.parseLong(outcome.stdout().trim().replace("wrote ", ""));
        assertTrue(written > linesAtKill, "killed mid-run: " + linesAtKill + " records out of " + written);

        TracedRun.recover(started.traceDir());

        final TraceRecords trace = TraceRecords.load(started.traceDir());
        assertEquals(1, trace.files().size(), "the recovered records continue the collector's file");
        final List<JsonNode> writes = trace.function("write");
        assertEquals("", TraceRecords.sequenceDefects(writes, written, 61), "linesAtKill=" + linesAtKill);
        assertEquals(List.of(), writes.stream().filter(w -> !out.toString().equals(filename(w))).limit(3).toList(),
            "every write resolves to the file opened before the collector died");
        // stdout: printf("started\n") (compiled as puts), fflush, and the final printf("wrote %ld\n")
        assertEquals(List.of("open", "puts", "fflush", "close", "printf"), trace.callNames().stream()
            .filter(n -> !"write".equals(n) && !"stat".equals(n)).toList());
        final List<JsonNode> polls = trace.function("stat");
        assertTrue(polls.size() >= written / 100, "one stat of the stop file per 100 writes: " + polls.size());
        assertEquals(List.of(stop.toString()), polls.stream().map(TraceRecords::filename).distinct().toList());
        assertEquals("ok", state(polls.get(polls.size() - 1)), "the last poll found the stop file");
        assertEquals(out.toString(), filename(trace.function("close").get(0)));
    }

    /** Wait until the JSON files of a trace directory hold at least {@code min} lines; returns the count seen. */
    static long awaitJsonLines(final Path traceDir, final long min, final Duration timeout) throws Exception
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        long lines = 0;
        while (System.nanoTime() < deadline)
        {
            lines = 0;
            if (Files.isDirectory(traceDir))
            {
                try (Stream<Path> files = Files.list(traceDir))
                {
                    for (final Path file : files.filter(f -> f.toString().endsWith(".jsonl") &&
                        !f.getFileName().toString().startsWith("iotrace-")).toList())
                    {
                        for (final byte b : Files.readAllBytes(file))
                        {
                            lines += '\n' == b ? 1 : 0;
                        }
                    }
                }
            }
            if (lines >= min)
            {
                return lines;
            }
            Thread.sleep(5);
        }
        throw new AssertionError("the collector wrote only " + lines + " lines in " + timeout);
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
