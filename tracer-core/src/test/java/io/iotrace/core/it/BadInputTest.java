package io.iotrace.core.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
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

    /**
     * Every IOTRACE_* variable given garbage: exactly one line naming it and its value in iotrace-config-errors.log
     * (written by the shim, or by the collector for the variables only it reads), the default used, the program's
     * output and exit status unchanged, nothing on its stderr, the trace complete.
     */
    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "IOTRACE_RING_SIZE            | banana       | expected a number of bytes",
        "IOTRACE_RING_SIZE            | 1000         | expected a power of two",
        "IOTRACE_RING_SIZE            | 3000000      | expected a power of two",
        "IOTRACE_RING_SIZE            | 4294967296   | expected a power of two",
        "IOTRACE_RING_SIZE            | 99999999999999999999999 | expected a number of bytes",
        "IOTRACE_HEARTBEAT_TIMEOUT_MS | -5           | expected milliseconds",
        "IOTRACE_HEARTBEAT_TIMEOUT_MS | 0            | expected milliseconds",
        "IOTRACE_COLLECTOR_LINGER_MS  | banana       | expected milliseconds",
        "IOTRACE_RUNTIME_DIR          | relative/dir | expected an absolute path",
        "IOTRACE_PTRACE               | maybe        | expected on or off",
        "IOTRACE_DISABLE              | yes          | expected 0 or 1",
        "IOTRACE_DEBUG                | 2            | expected 0 or 1",
        "IOTRACE_CLOCK                | hpet         | expected tsc or realtime",
        "IOTRACE_COMPRESS             | zip          | expected gzip",
        "IOTRACE_EXCLUDE_PATH         | [            | bad IOTRACE_EXCLUDE_PATH glob '['",
        "IOTRACE_FUNCTIONS            | open,nosuchfn | no traced function named nosuchfn",
        "IOTRACE_COLLECTOR            | /nonexistent/collector | not an executable file",
        "IOTRACE_COLLECTOR            | /etc/passwd  | not an executable file",
    })
    void shouldReportEveryBadVariableInOneLineAndTraceWithDefaults(final String variable, final String value,
        final String expected) throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome plain = TracedRun.program("basic_io", data.toString()).untraced().run(work.resolve("u"));
        final TracedRun.Outcome run = TracedRun.program("basic_io", data.toString()).env(variable, value)
            .run(work.resolve("t"));
        assertEquals(0, run.exitStatus(), run.stderr());
        assertEquals("", run.stderr(), "nothing on the program's stderr");
        assertEquals(plain.stdout(), run.stdout());
        final List<String> errors = Files.readAllLines(run.traceDir().resolve("iotrace-config-errors.log"));
        assertEquals(1, errors.size(), errors.toString());
        assertTrue(errors.get(0).contains(variable) && errors.get(0).contains(value) &&
            errors.get(0).contains(expected), errors.get(0));
        if ("IOTRACE_COLLECTOR".equals(variable))
        {
            TracedRun.recover(run.traceDir()); // no collector ran: the events waited in the ring
        }
        final TraceRecords trace = TraceRecords.load(run.traceDir());
        if ("IOTRACE_FUNCTIONS".equals(variable))
        {
            assertEquals(List.of("open", "open"), trace.callNames(), "the known name still filters: basic_io's 2 opens");
        }
        else
        {
            assertEquals(19, trace.calls().size(), "the full trace");
        }
    }

    /** An unusable IOTRACE_RUNTIME_DIR (here a regular file) falls back to /dev/shm, saying so: nothing is lost. */
    @Test
    void shouldFallBackToTheDefaultRuntimeDirectoryAndSaySo() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final Path notADirectory = Files.writeString(work.resolve("file"), "a regular file");
        final TracedRun.Outcome run = TracedRun.program("basic_io", data.toString())
            .env("IOTRACE_RUNTIME_DIR", notADirectory.toString()).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        assertEquals("", run.stderr());
        final List<String> errors = Files.readAllLines(run.traceDir().resolve("iotrace-config-errors.log"));
        assertEquals(1, errors.size(), errors.toString());
        assertTrue(errors.get(0).contains("bad IOTRACE_RUNTIME_DIR='" + notADirectory + "'") &&
            errors.get(0).contains("using /dev/shm"), errors.get(0));
        assertEquals(19, run.records().calls().size(), "the full trace, through the default runtime directory");
    }

    @Test
    void shouldReportAnOverLongTraceDirectoryInOneWholeLine() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final String tooLong = "/tmp/" + "d".repeat(5000);
        final TracedRun.Outcome run = TracedRun.program("basic_io", data.toString()).env("IOTRACE_DIR", tooLong)
            .withDefaultTraceDirIn(work).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        assertEquals("", run.stderr());
        final List<String> errors = Files.readAllLines(run.traceDir().resolve("iotrace-config-errors.log"));
        assertEquals(1, errors.size(), errors.toString());
        assertTrue(errors.get(0).contains("bad IOTRACE_DIR='/tmp/ddd") && errors.get(0).endsWith("...': path too long"),
            errors.get(0));
        assertEquals(19, run.records().calls().size(), "traced into the default directory instead");
    }
}
