package io.iotrace.core.it;

import io.iotrace.core.session.TraceSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The collector is background work (native-shim/src/collector.c, place_as_background): a program bound to one CPU
 * (as MPI launchers bind ranks) does not bind its collector to that CPU too, and every collector thread runs as
 * SCHED_BATCH, whose wake-ups do not preempt the program's threads.
 */
class CollectorPlacementTest
{
    private static final int SCHED_BATCH = 3;

    @TempDir
    Path work;

    @Test
    void shouldNotBindTheCollectorToTheProgramsCpuAndRunItAsBatchWork() throws Exception
    {
        final List<Integer> ours = cpuList(statusField(Path.of("/proc/self/status"), "Cpus_allowed_list"));
        final Path trace = work.resolve("trace");
        // taskset binds before the traced shell starts (taskset and env are untraced), so the shim that spawns
        // the collector already runs on one CPU only
        final TracedRun.Started started = TracedRun.command("taskset", "-c", ours.getLast().toString(), "env",
                "LD_PRELOAD=" + TracedRun.SHIM, "IOTRACE_DIR=" + trace, "sh", "-c", "echo started; exec sleep 60")
            .untraced().start(work);
        assertEquals("started", started.readLine());
        final String runtimeDir = TraceSession.runtimeDirFor(trace).toString();
        final ProcessHandle collector = CollectorFailureTest.findCollector(runtimeDir, Duration.ofSeconds(20))
            .orElseThrow(() -> new AssertionError("no collector running for " + runtimeDir));
        final Path proc = Path.of("/proc", Long.toString(collector.pid()));
        final Path program = Path.of("/proc", Long.toString(started.process().pid()));
        try
        {
            assertEquals(List.of(ours.getLast()), cpuList(statusField(program.resolve("status"),
                "Cpus_allowed_list")), "the program is bound to one CPU");
            assertEquals(ours, cpuList(statusField(proc.resolve("status"), "Cpus_allowed_list")),
                "the collector may run on every CPU the test may");
            // found by its command line, the JVM may not have started its other threads yet
            final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            List<Integer> policies = threadPolicies(proc);
            while (policies.size() < 2 && System.nanoTime() < deadline)
            {
                Thread.sleep(20);
                policies = threadPolicies(proc);
            }
            assertTrue(policies.size() > 1, "a JVM has several threads: " + policies);
            assertTrue(policies.stream().allMatch(p -> p == SCHED_BATCH), "every collector thread: " + policies);
        }
        finally
        {
            started.process().destroy();
        }
        started.finish(Duration.ofSeconds(30));
        assertTrue(TraceSession.awaitCollector(trace, Duration.ofSeconds(60)), "collector of " + trace);
        final List<String> calls = TraceRecords.load(trace).callNames();
        assertTrue(calls.contains("write") && calls.contains("execve"), "the shell's echo and exec: " + calls);
    }

    private static List<Integer> threadPolicies(final Path proc) throws IOException
    {
        final List<Integer> policies = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(proc.resolve("task")))
        {
            for (final Path task : tasks.toList())
            {
                policies.add(schedPolicy(task.resolve("sched")));
            }
        }
        return policies;
    }

    private static String statusField(final Path status, final String name) throws IOException
    {
        return Files.readAllLines(status).stream().filter(l -> l.startsWith(name + ":"))
            .map(l -> l.substring(name.length() + 1).trim()).findFirst()
            .orElseThrow(() -> new AssertionError(name + " missing in " + status));
    }

    /** "0-2,5" as [0, 1, 2, 5]. */
    private static List<Integer> cpuList(final String text)
    {
        final List<Integer> cpus = new ArrayList<>();
        for (final String part : text.split(","))
        {
            final String[] range = part.split("-");
            final int first = Integer.parseInt(range[0]);
            final int last = range.length > 1 ? Integer.parseInt(range[1]) : first;
            for (int cpu = first; cpu <= last; cpu++)
            {
                cpus.add(cpu);
            }
        }
        return cpus;
    }

    /** The "policy : N" line of /proc/PID/task/TID/sched; -1 for a thread that has gone. */
    private static int schedPolicy(final Path sched)
    {
        try
        {
            return Files.readAllLines(sched).stream().filter(l -> l.startsWith("policy"))
                .map(l -> Integer.parseInt(l.substring(l.indexOf(':') + 1).trim())).findFirst().orElse(-1);
        }
        catch (final IOException ex)
        {
            return SCHED_BATCH; // the thread ended between the listing and the read
        }
    }
}
