package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.iotrace.core.it.TraceRecords.filename;
import static io.iotrace.core.it.TraceRecords.functionName;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ptrace fallback (IOTRACE_PTRACE=on) must not change what a program sees of signals and processes:
 * test-programs/ptrace_signals, multi-threaded (a thread making raw openat/close pairs, one blocked in read, one in
 * nanosleep), is stopped and continued from outside with SIGSTOP and SIGTSTP (no thread runs while it is stopped,
 * all run again after SIGCONT); stops and continues a child of its own and watches it with waitpid (WUNTRACED,
 * WCONTINUED, WNOHANG); vfork+execs a statically linked program (no shim: its handle calls stop with no ring to
 * record them in) and a traced one; ends with wait() = ECHILD. Its output, stderr and exit status are those of an
 * untraced run, and no raw call failed. And a tracer killed with SIGKILL is followed by its heir.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PtraceRobustnessTest
{
    @TempDir
    Path work;

    @Test
    void jobControlChildrenAndExecsLookTheSameAsUntraced() throws Exception
    {
        final Path reference = Files.createDirectories(work.resolve("reference"));
        final TracedRun.Outcome untraced = runWithJobControl(TracedRun.program("ptrace_signals", reference.toString(),
            TracedRun.binary("static_handles-static")).untraced(), work.resolve("u"), reference);
        assertEquals(0, untraced.exitStatus(), untraced.stderr());
        assertTrue(untraced.stdout().contains("raw open+close failures: 0 (last errno 0); some succeeded: 1"),
            untraced.stdout());

        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome traced = runWithJobControl(TracedRun.program("ptrace_signals", data.toString(),
            TracedRun.binary("static_handles-static")).env("IOTRACE_PTRACE", "on"), work, data);
        final TraceRecords trace = traced.records();
        final List<JsonNode> unavailable = trace.warnings().stream()
            .filter(w -> "ptrace_unavailable".equals(w.path("function_name").asText())).toList();
        Assumptions.assumeTrue(unavailable.isEmpty(), () -> "ptrace fallback not available here: " + unavailable);
        assertEquals(untraced.stdout(), traced.stdout());
        assertEquals(untraced.stderr(), traced.stderr());
        assertEquals(untraced.exitStatus(), traced.exitStatus());

        // the fallback was there: the raw calls are recorded, as many closes as opens; the static program ran
        // (its files are right) and the exec'd dynamic image's raw open is recorded
        final String loop = data + "/loop.dat";
        final long opens = trace.where(r -> "openat".equals(functionName(r)) && loop.equals(filename(r)) &&
            "syscall".equals(r.path("function_data").path("source").asText())).size();
        final long closes = trace.where(r -> "close".equals(functionName(r)) && loop.equals(filename(r))).size();
        assertTrue(opens > 10, "raw opens recorded: " + opens);
        assertEquals(opens, closes);
        assertEquals("static", Files.readString(data.resolve("static/static.dat")));
        assertEquals("child", Files.readString(data.resolve("static/child.dat")));
        assertEquals(1, trace.where(r -> "openat".equals(functionName(r)) && (data + "/exec.dat").equals(filename(r))
            && "syscall".equals(r.path("function_data").path("source").asText())).size());
    }

    /**
     * SIGKILL of the tracer: its heir (ptrace-fallback/src/heir.c) takes the tree over, so the filter left in it
     * keeps a tracer and the bypass calls after the kill neither fail (no ENOSYS) nor go unrecorded: the program's
     * own raw opens, opendir, getpwnam's nss files, a new thread's, a fork child's and an exec'd image's.
     */
    @Test
    void aKilledTracerIsSucceededByItsHeirAndTheProgramSeesNothing() throws Exception
    {
        final Path reference = Files.createDirectories(work.resolve("reference"));
        final TracedRun.Outcome untraced = afterTracerKill(TracedRun.program("tracer_death", reference.toString())
            .untraced(), work.resolve("u"));
        assertEquals("after: ok\n", untraced.stdout()); // "ready" was read by afterTracerKill

        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome traced = afterTracerKill(TracedRun.program("tracer_death", data.toString())
            .env("IOTRACE_PTRACE", "on"), work);
        assertEquals(untraced.stdout(), traced.stdout(), traced.stderr());
        assertEquals("", traced.stderr());
        assertEquals(0, traced.exitStatus());
        final TraceRecords trace = traced.records();
        final String dir = data.toString();
        for (final String file : List.of("before.dat", "after.dat", "thread.dat", "child.dat", "exec.dat"))
        {
            assertEquals(List.of("openat", "close"), trace.where(r -> (dir + "/" + file).equals(filename(r)) &&
                "syscall".equals(r.path("function_data").path("source").asText())).stream()
                .map(TraceRecords::functionName).toList(), file);
        }
        for (final String file : List.of("/etc/nsswitch.conf", "/etc/passwd"))
        {
            assertEquals(List.of("openat", "close"), trace.where(r -> file.equals(filename(r)) &&
                "syscall".equals(r.path("function_data").path("source").asText())).stream()
                .map(TraceRecords::functionName).toList(), file);
        }
        // the exec'd image registered its shim's sites with the heir: the shim's own calls are not bypasses
        assertTrue(trace.where(r -> filename(r).matches(".*/iotrace-[0-9]+/.*") &&
            "syscall".equals(r.path("function_data").path("source").asText())).isEmpty());
    }

    /**
     * Two separate trees of one session share its tracer (ptrace-fallback/src/service.c): killed, its one heir
     * takes both over, and neither sees anything.
     */
    @Test
    void theHeirOfAKilledSessionTracerTakesOverEveryTree() throws Exception
    {
        final Path trace = work.resolve("trace");
        final List<Path> dirs = List.of(Files.createDirectories(work.resolve("a")).toRealPath(),
            Files.createDirectories(work.resolve("b")).toRealPath());
        final List<TracedRun.Started> trees = new java.util.ArrayList<>();
        for (final Path dir : dirs)
        {
            final TracedRun.Started started = TracedRun.program("tracer_death", dir.toString())
                .env("IOTRACE_PTRACE", "on").traceDir(trace).start(work);
            assertEquals("ready", started.readLine());
            trees.add(started);
        }
        final long tracer = tracerOf(trees.get(0).process().pid());
        Assumptions.assumeTrue(0 != tracer, "ptrace fallback not available here");
        assertEquals(tracer, tracerOf(trees.get(1).process().pid()), "the second tree joined the session's tracer");
        signal(tracer, "KILL");
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long heir;
        while (0 == (heir = tracerOf(trees.get(0).process().pid())) || tracer == heir ||
            heir != tracerOf(trees.get(1).process().pid()))
        {
            assertTrue(System.nanoTime() < deadline, "no single tracer took over both trees from the killed one");
            Thread.sleep(5);
        }
        for (final TracedRun.Started started : trees)
        {
            started.process().getOutputStream().write('g');
            started.process().getOutputStream().flush();
        }
        for (final TracedRun.Started started : trees)
        {
            final TracedRun.Outcome outcome = started.finish(Duration.ofSeconds(120));
            assertEquals("after: ok\n", outcome.stdout(), outcome.stderr());
            assertEquals("", outcome.stderr());
            assertEquals(0, outcome.exitStatus());
        }
        assertTrue(io.iotrace.core.session.TraceSession.awaitCollector(trace, Duration.ofSeconds(60)));
        final TraceRecords records = TraceRecords.load(trace);
        for (final Path dir : dirs)
        {
            for (final String file : List.of("before.dat", "after.dat", "thread.dat", "child.dat", "exec.dat"))
            {
                assertEquals(List.of("openat", "close"), records.where(r -> (dir + "/" + file).equals(filename(r)) &&
                    "syscall".equals(r.path("function_data").path("source").asText())).stream()
                    .map(TraceRecords::functionName).toList(), dir + "/" + file);
            }
        }
        assertTrue(records.where(r -> filename(r).matches(".*/iotrace-[0-9]+/.*") &&
            "syscall".equals(r.path("function_data").path("source").asText())).isEmpty());
    }

    /** Runs the program to "ready", kills its tracer and waits for another one, then lets it finish. */
    private static TracedRun.Outcome afterTracerKill(final TracedRun run, final Path workDir) throws Exception
    {
        final TracedRun.Started started = run.start(workDir);
        final Process process = started.process();
        assertEquals("ready", started.readLine());
        final long tracer = tracerOf(process.pid());
        if (0 != tracer)
        {
            signal(tracer, "KILL");
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            long heir;
            while (0 == (heir = tracerOf(process.pid())) || tracer == heir)
            {
                assertTrue(System.nanoTime() < deadline, "no tracer took over from the killed one");
                Thread.sleep(5);
            }
        }
        process.getOutputStream().write('g');
        process.getOutputStream().flush();
        final TracedRun.Outcome outcome = started.finish(Duration.ofSeconds(120));
        if (Files.isDirectory(started.traceDir()))
        {
            outcome.awaitTrace();
        }
        return outcome;
    }

    private static long tracerOf(final long pid) throws IOException
    {
        return Long.parseLong(Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
            .filter(l -> l.startsWith("TracerPid:")).findFirst().orElseThrow().substring(10).strip());
    }

    /**
     * Starts the program, stops and continues it from outside (SIGSTOP/SIGCONT, SIGTSTP/SIGCONT) while its threads
     * are in system calls, checking that it makes no progress while stopped and some after, then lets it finish.
     */
    private static TracedRun.Outcome runWithJobControl(final TracedRun run, final Path workDir, final Path data)
        throws Exception
    {
        final TracedRun.Started started = run.start(workDir);
        final Process process = started.process();
        assertEquals("running", started.readLine());
        final Path progress = data.resolve("progress");
        for (final String stop : List.of("STOP", "TSTP"))
        {
            awaitGrowth(progress);
            signal(process.pid(), stop);
            awaitStopped(process.pid());
            final long stopped = Files.size(progress);
            Thread.sleep(300);
            assertEquals(stopped, Files.size(progress), "SIG" + stop + ": a thread ran while the program was stopped");
            signal(process.pid(), "CONT");
            awaitGrowth(progress);
        }
        process.getOutputStream().write('g');
        process.getOutputStream().flush();
        final TracedRun.Outcome outcome = started.finish(Duration.ofSeconds(120));
        if (Files.isDirectory(started.traceDir()))
        {
            outcome.awaitTrace();
        }
        return outcome;
    }

    private static void signal(final long pid, final String name) throws Exception
    {
        assertEquals(0, new ProcessBuilder("kill", "-" + name, Long.toString(pid)).start().waitFor());
    }

    /** Every thread is stopped (T, or t when the tracer keeps it in its group-stop). */
    private static void awaitStopped(final long pid) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true)
        {
            final List<String> states;
            try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task")))
            {
                states = tasks.map(t -> state(t.resolve("stat"))).toList();
            }
            if (states.stream().allMatch(s -> "T".equalsIgnoreCase(s)))
            {
                return;
            }
            assertTrue(System.nanoTime() < deadline, "not stopped: " + states);
            Thread.sleep(10);
        }
    }

    private static String state(final Path stat)
    {
        try
        {
            final String text = Files.readString(stat);
            return text.substring(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3);
        }
        catch (final IOException ex)
        {
            return "gone";
        }
    }

    private static void awaitGrowth(final Path progress) throws Exception
    {
        final long before = Files.exists(progress) ? Files.size(progress) : 0;
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.exists(progress) || Files.size(progress) <= before + 2)
        {
            assertTrue(System.nanoTime() < deadline, "the program makes no progress");
            Thread.sleep(5);
        }
    }
}
