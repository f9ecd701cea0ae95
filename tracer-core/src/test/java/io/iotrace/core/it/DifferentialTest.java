package io.iotrace.core.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The traced program must not notice the tracer: same results, same errno, same output, same exit status. */
class DifferentialTest
{
    @TempDir
    Path work;

    @Test
    void shouldGiveTheSameResultsAndErrnoTracedAndUntraced() throws Exception
    {
        final Path plainData = Files.createDirectories(work.resolve("plain/data"));
        final Path tracedData = Files.createDirectories(work.resolve("traced/data"));
        final TracedRun.Outcome plain = TracedRun.program("errno_probe", plainData.toString()).untraced()
            .run(work.resolve("plain"));
        final TracedRun.Outcome traced = TracedRun.program("errno_probe", tracedData.toString())
            .run(work.resolve("traced"));

        assertEquals(plain.exitStatus(), traced.exitStatus());
        assertEquals(plain.stdout().replace(plainData.toString(), "DATA"),
            traced.stdout().replace(tracedData.toString(), "DATA"));
        assertTrue(plain.stdout().lines().count() >= 20, plain.stdout());
        assertEquals("", traced.stderr(), "the tracer writes nothing on the program's stderr");
        assertEquals(plain.stderr(), traced.stderr());

        // and the trace agrees with what the program saw
        final TraceRecords trace = traced.records();
        final String[] expected = plain.stdout().lines().filter(l -> l.startsWith("open_")).toArray(String[]::new);
        final var opens = trace.function("open");
        assertEquals(expected.length, opens.size());
        for (int i = 0; i < expected.length; i++)
        {
            final String[] fields = expected[i].split(" ");
            final boolean failed = "-1".equals(fields[1]);
            assertEquals(failed ? "error" : "ok", TraceRecords.state(opens.get(i)), expected[i]);
            if (failed)
            {
                assertEquals(Integer.parseInt(fields[2]), TraceRecords.errno(opens.get(i)), expected[i]);
            }
        }
    }

    @Test
    void shouldKeepExitStatusAndOutputOfAShellPipeline() throws Exception
    {
        final String script = "printf 'b\\na\\nc\\n' | sort | tr a-z A-Z; cat /nonexistent 2>/dev/null; exit 7";
        final TracedRun.Outcome plain = TracedRun.command("/bin/sh", "-c", script).untraced().run(work.resolve("p"));
        final TracedRun.Outcome traced = TracedRun.command("/bin/sh", "-c", script).run(work.resolve("t"));
        assertEquals(7, plain.exitStatus());
        assertEquals(plain.exitStatus(), traced.exitStatus());
        assertEquals("A\nB\nC\n", traced.stdout());
        assertEquals(plain.stdout(), traced.stdout());
        assertEquals("", traced.stderr());
        assertTrue(traced.records().pids().size() >= 3, "the shell and its children are all traced");
    }
}
