package io.iotrace.core.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 8's security: a symbolic link planted at any fixed name the shim or the collector writes in the trace
 * directory is never followed: the files and the directory it points to stay as they were, and the program and its
 * trace are unharmed (except what could only have gone through the link: the spilled events are counted as lost).
 */
class PlantedSymlinksTest
{
    private static final List<String> FIXED_NAMES = List.of("collector.log", "iotrace-warnings.jsonl",
        "iotrace-config-errors.log", "iotrace-live.counters", ".iotrace-space-reserve");

    @TempDir
    Path work;

    private Path plant(final Path traceDir, final Path victims) throws Exception
    {
        Files.createDirectories(traceDir);
        Files.setPosixFilePermissions(traceDir, PosixFilePermissions.fromString("rwx------"));
        Files.createDirectories(victims.resolve("spill-dir"));
        for (final String name : FIXED_NAMES)
        {
            Files.writeString(victims.resolve(name), "victim " + name);
            Files.createSymbolicLink(traceDir.resolve(name), victims.resolve(name));
        }
        Files.createSymbolicLink(traceDir.resolve(".iotrace-spill"), victims.resolve("spill-dir"));
        return traceDir;
    }

    private static void assertVictimsUntouched(final Path victims) throws Exception
    {
        for (final String name : FIXED_NAMES)
        {
            assertEquals("victim " + name, Files.readString(victims.resolve(name)), name);
        }
        try (Stream<Path> spilled = Files.list(victims.resolve("spill-dir")))
        {
            assertEquals(List.of(), spilled.toList(), "nothing spilled through the planted directory link");
        }
    }

    private static void removeLinks(final Path traceDir) throws Exception
    {
        try (Stream<Path> entries = Files.list(traceDir))
        {
            for (final Path p : entries.filter(Files::isSymbolicLink).toList())
            {
                Files.delete(p);
            }
        }
    }

    @Test
    void shouldNotFollowLinksWhileTheCollectorRuns() throws Exception
    {
        final Path victims = work.resolve("victims");
        final Path traceDir = plant(work.resolve("trace"), victims);
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program("basic_io", data.toString()).traceDir(traceDir)
            .env("IOTRACE_HEARTBEAT_TIMEOUT_MS", "-5") // a configuration error to report
            .run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        assertEquals("", run.stderr());
        assertVictimsUntouched(victims);
        removeLinks(traceDir); // the test's reader would follow the warnings link
        assertEquals(19, run.records().calls().size(), "the trace itself is complete");
    }

    @Test
    void shouldNotSpillThroughALinkedSpillDirectory() throws Exception
    {
        final Path victims = work.resolve("victims");
        final Path traceDir = plant(work.resolve("trace"), victims);
        final TracedRun.Outcome run = TracedRun.program("burst", "200000").traceDir(traceDir)
            .env("IOTRACE_RING_SIZE", "65536").env("IOTRACE_COLLECTOR", "none").run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        assertEquals("", run.stderr());
        TracedRun.recover(traceDir);
        assertVictimsUntouched(victims);
        removeLinks(traceDir);
        final TraceRecords trace = TraceRecords.load(traceDir);
        assertTrue(trace.function("write").size() > 0, "what the ring held is recovered");
    }
}
