package io.iotrace.core.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Garbage configuration: one clear line per bad variable, defaults used, the program and its trace unharmed. */
class BadInputTest
{
    @TempDir
    Path work;

    @Test
    void shouldReportBadEnvironmentValuesAndTraceWithDefaults() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program("basic_io", data.toString())
            .env("IOTRACE_RING_SIZE", "banana")
            .env("IOTRACE_HEARTBEAT_TIMEOUT_MS", "-5")
            .run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        assertEquals("", run.stderr(), "nothing on the program's stderr");
        assertEquals(19, run.records().calls().size(), "the full trace, with the default ring");
        final List<String> errors = Files.readAllLines(run.traceDir().resolve("iotrace-config-errors.log"));
        assertEquals(2, errors.size(), errors.toString());
        assertTrue(errors.get(0).contains("IOTRACE_RING_SIZE") && errors.get(0).contains("banana"), errors.get(0));
        assertTrue(errors.get(1).contains("IOTRACE_HEARTBEAT_TIMEOUT_MS"), errors.get(1));
    }

    @Test
    void shouldSayInOneLineThatTheTraceDirectoryIsUnusableAndRunTheProgramUntraced() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final Path notADirectory = Files.writeString(work.resolve("file"), "a regular file");
        final Path traceDir = notADirectory.resolve("trace");
        final TracedRun.Outcome run = TracedRun.program("basic_io", data.toString()).traceDir(traceDir).run(work);
        assertEquals(0, run.exitStatus(), "the program runs to completion");
        assertEquals(1050, Files.size(data.resolve("basic.dat")), "and does all its I/O");
        assertEquals(7, Files.size(data.resolve("created.dat")));
        final List<String> lines = run.stderr().lines().toList();
        assertEquals(1, lines.size(), run.stderr());
        assertTrue(lines.get(0).startsWith("iotrace: cannot write the trace directory " + traceDir), lines.get(0));
        assertTrue(lines.get(0).contains("Not a directory"), lines.get(0));
    }
}
