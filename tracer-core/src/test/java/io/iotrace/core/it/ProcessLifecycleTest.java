package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotrace.core.session.TraceSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.iotrace.core.it.TraceRecords.data;
import static io.iotrace.core.it.TraceRecords.filename;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** fork without exec, exec, SIGKILL: every process image has its complete trace. */
class ProcessLifecycleTest
{
    @TempDir
    Path work;

    @Test
    void shouldTraceAForkChildThatOutlivesItsParentWithInheritedDescriptors() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program("fork_child", data.toString()).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final long child = Long.parseLong(run.stdout().trim().replace("child ", ""));
        final TraceRecords trace = run.records();
        final long parent = trace.function("open").get(0).get("pid").asLong();
        assertEquals(java.util.Set.of(parent, child), java.util.Set.copyOf(trace.pids()));

        final TraceRecords parentTrace = trace.pid(parent);
        assertEquals(List.of("open", "write", "fork", "printf"), parentTrace.callNames());
        assertEquals(child, data(parentTrace.function("fork").get(0), "pid"));

        final TraceRecords childTrace = trace.pid(child);
        assertEquals(List.of("fork", "write", "open", "write", "write", "write", "close", "close", "_exit"),
            childTrace.callNames());
        assertTrue(childTrace.all().stream().allMatch(r -> r.get("ppid").asLong() == parent));
        final List<JsonNode> childCalls = childTrace.calls();
        assertEquals(data.resolve("shared.txt").toString(), filename(childCalls.get(1)),
            "fd 3 inherited from the parent at fork resolves in the child");
        final String own = data.resolve("child.txt").toString();
        childCalls.subList(2, 7).forEach(r -> assertEquals(own, filename(r)));
        assertEquals(data.resolve("shared.txt").toString(), filename(childCalls.get(7)));
    }

    @Test
    void shouldTraceBothIncarnationsOfAnExec() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program("exec_chain", data.toString()).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final TraceRecords trace = run.records();
        assertEquals(2, trace.files().size());
        assertEquals(1, trace.pids().size(), "exec keeps the pid");
        final List<JsonNode> first = trace.incarnation(0).calls();
        final List<JsonNode> second = trace.incarnation(1).calls();

        // each file opens with the image it traces and the chain of images the pid ran before it
        final String exe = Path.of(TracedRun.binary("exec_chain")).toRealPath().toString();
        final List<JsonNode> starts = trace.function("process_start");
        assertEquals(2, starts.size());
        for (final Path file : trace.files())
        {
            final JsonNode head = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                Files.readAllLines(file).get(0));
            assertEquals("process_start", head.get("function_name").asText(), file.toString());
        }
        final JsonNode start0 = trace.incarnation(0).function("process_start").get(0);
        final JsonNode start1 = trace.incarnation(1).function("process_start").get(0);
        assertEquals(exe, filename(start0));
        assertEquals("start", start0.path("function_data").path("origin").asText());
        assertEquals(List.of(exe), PosixCallsTest.texts(start0.path("function_data").path("exec_chain")));
        assertEquals("exec", start1.path("function_data").path("origin").asText());
        assertEquals(List.of(exe, exe), PosixCallsTest.texts(start1.path("function_data").path("exec_chain")));
        assertEquals(start0.get("ppid").asLong(), start1.get("ppid").asLong(), "exec keeps the parent");
        assertEquals(List.of("open", "write", "close", "execve"),
            first.stream().map(r -> r.get("function_name").asText()).toList());
        assertEquals("ok", first.get(3).get("return_state").asText(), "a successful exec does not return");
        assertEquals(List.of(TracedRun.binary("exec_chain"), data.toString(), "second"),
            PosixCallsTest.texts(first.get(3).path("function_data").path("argv")));
        assertEquals(List.of("open", "write", "write", "close"),
            second.stream().map(r -> r.get("function_name").asText()).toList());
        first.subList(0, 3).forEach(r -> assertEquals(data.resolve("before.txt").toString(), filename(r)));
        second.forEach(r -> assertEquals(data.resolve("after.txt").toString(), filename(r)));
    }

    /**
     * The collector the shim spawns at start-up (a new session here) is invisible to the program's wait calls, and
     * the process that detaches it, which the program does not wait for at start-up, is reaped while the program
     * makes traced calls: no child of the program is left, not even a zombie, and its own child is the one it waits
     * for. Both clocks: the realtime clock has no anchor to reap at, so it waits at the spawn.
     */
    @ParameterizedTest(name = "IOTRACE_CLOCK={0}")
    @ValueSource(strings = {"tsc", "realtime"})
    void shouldSpawnTheCollectorWithoutLeavingTheProgramAChild(final String clock) throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program("spawn_invisible", data.toString())
            .env("IOTRACE_CLOCK", clock).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final String[] out = run.stdout().trim().split(" ");
        assertEquals("early_wait ECHILD children 0 own_child 3 then ECHILD writes",
            String.join(" ", List.of(out).subList(0, out.length - 1)), run.stderr());
        final long writes = Long.parseLong(out[out.length - 1]);
        final TraceRecords trace = run.records();
        final long parent = trace.function("fork").get(0).get("pid").asLong();
        final List<JsonNode> parentWrites = trace.pid(parent).function("write");
        assertEquals(writes, parentWrites.size(), "the spawned collector wrote every record");
        parentWrites.forEach(w -> assertEquals(data.resolve("io.dat").toString(), filename(w)));
    }

    /** A process that execs right after spawning the collector leaves its new image no child to reap either. */
    @Test
    void shouldReapTheSpawnHelperBeforeAnExec() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program("spawn_invisible", data.toString(), "--exec-first").run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        assertTrue(run.stdout().startsWith("after_exec_children 0 early_wait ECHILD children 0 own_child 3 then " +
            "ECHILD writes "), run.stdout() + run.stderr());
        final TraceRecords trace = run.records();
        assertEquals(3, trace.files().size(), "both images of the process and its fork child: " + trace.files());
        assertEquals(1, trace.function("execl").size(), trace.callNames().toString());
    }

    @Test
    void shouldKeepEveryEventPublishedBeforeSigkill() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Started started = TracedRun.program("sigkill_victim", data.toString(), "5000").start(work);
        assertEquals("ready", started.readLine());
        started.process().destroyForcibly();
        started.process().waitFor();
        assertTrue(TraceSession.awaitCollector(started.traceDir(), Duration.ofSeconds(60)));
        final TraceRecords trace = TraceRecords.load(started.traceDir());
        assertEquals(List.of("open"), trace.function("open").stream().map(r -> r.get("function_name").asText()).toList());
        final List<JsonNode> writes = trace.function("write");
        assertEquals(5000, writes.size());
        writes.forEach(w -> assertEquals(data.resolve("victim.dat").toString(), filename(w)));
        try (var rings = Files.list(TraceSession.runtimeDirFor(started.traceDir())))
        {
            assertTrue(rings.noneMatch(p -> p.toString().endsWith(".ring")),
                "the dead producer's ring was drained and removed");
        }
    }

    /**
     * Every way of ending a process keeps all its events: with the collector running, and with none at all (the
     * events stay in the rings and spill files of dead processes until `recover` turns them into the same JSON).
     */
    @ParameterizedTest(name = "collector running: {0}")
    @ValueSource(booleans = {true, false})
    void shouldKeepEveryEventOnEveryExitPath(final boolean collectorRunning) throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final Path traceDir = work.resolve("trace");
        // mode -> exit status (128 + signal for a process killed by a signal)
        final Map<String, Integer> modes = new LinkedHashMap<>();
        for (final String mode : List.of("return", "exit", "_exit", "_Exit", "exit_group", "pthread_exit", "atexit",
            "destructor"))
        {
            modes.put(mode, 0);
        }
        modes.put("abort", 128 + 6);
        modes.put("sigterm", 128 + 15);
        modes.put("sigkill", 128 + 9);
        modes.put("exec", 0);

        // all at once in one session: one collector for eleven processes
        final Map<String, TracedRun.Started> started = new LinkedHashMap<>();
        for (final String mode : modes.keySet())
        {
            final TracedRun run = TracedRun.program("exit_paths", data.toString(), mode).traceDir(traceDir);
            started.put(mode, (collectorRunning ? run : run.env("IOTRACE_COLLECTOR", "none")).start(work));
        }
        for (final Map.Entry<String, TracedRun.Started> run : started.entrySet())
        {
            final TracedRun.Outcome outcome = run.getValue().finish(Duration.ofSeconds(30));
            assertEquals(modes.get(run.getKey()), outcome.exitStatus(), run.getKey() + ": " + outcome.stderr());
            assertEquals("", outcome.stderr(), run.getKey());
        }
        if (collectorRunning)
        {
            assertTrue(TraceSession.awaitCollector(traceDir, Duration.ofSeconds(60)));
        }
        else
        {
            TracedRun.recover(traceDir);
        }
        final TraceRecords trace = TraceRecords.load(traceDir);
        assertEquals(modes.size() + 1, trace.files().size(), "one trace file per process image (exec: two)");

        final List<String> failures = new ArrayList<>();
        for (final String mode : modes.keySet())
        {
            final String file = data.resolve("exit-" + mode + ".dat").toString();
            final List<JsonNode> opens = trace.where(r -> "open".equals(r.get("function_name").asText()) &&
                file.equals(filename(r)));
            if (1 != opens.size())
            {
                failures.add(mode + ": " + opens.size() + " open records");
                continue;
            }
            final TraceRecords process = trace.pid(opens.get(0).get("pid").asLong());
            final List<JsonNode> writes = process.function("write");
            final long good = writes.stream().filter(w -> file.equals(filename(w)) &&
                10 == data(w, "written_bytes")).count();
            if (100 != writes.size() || 100 != good)
            {
                failures.add(mode + ": " + writes.size() + " write records, " + good + " of them complete");
            }
            final List<String> endings = process.callNames().stream()
                .filter(n -> List.of("exit", "_exit", "_Exit", "abort").contains(n)).toList();
            final List<String> expectedEnding = switch (mode)
            {
                case "exit", "_exit", "_Exit", "abort" -> List.of(mode);
                case "exec" -> List.of(); // execl's record instead, checked below
                default -> List.of(); // return from main, signals, exit_group, pthread_exit: no libc exit call made
            };
            if (!expectedEnding.equals(endings))
            {
                failures.add(mode + ": exit records " + endings + ", expected " + expectedEnding);
            }
            if ("exec".equals(mode) && (!process.callNames().contains("execl") ||
                process.incarnation(1).all().isEmpty()))
            {
                failures.add(mode + ": no execl record or no second incarnation: " + process.callNames());
            }
            if ("pthread_exit".equals(mode) && writes.stream().anyMatch(w -> w.get("tid").asLong() ==
                w.get("pid").asLong()))
            {
                failures.add(mode + ": the writes were made by the second thread, not the main thread");
            }
        }
        assertEquals(List.of(), failures, "every exit path keeps all 100 writes");
    }

    @Test
    void shouldGatherAProcessTreeIntoTheFirstProcessSessionWithoutIotraceDir() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final Path cwd = Files.createDirectories(work.resolve("cwd"));
        final TracedRun.Outcome run = TracedRun.command("/bin/sh", "-c",
                TracedRun.binary("basic_io") + " " + data + " && " + TracedRun.binary("stdio") + " " + data)
            .withDefaultTraceDirIn(cwd)
            .run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        assertTrue(run.traceDir().getFileName().toString().matches("iotrace-\\d{8}-\\d{6}-\\d+"),
            run.traceDir().toString());
        final TraceRecords trace = run.records();
        final long shell = Long.parseLong(run.traceDir().getFileName().toString().replaceAll(".*-", ""));
        final List<Long> children = trace.pids().stream().filter(p -> p != shell).toList();
        assertEquals(2, children.size(), "the shell's two children joined its session: " + trace.pids());
        for (final long child : children)
        {
            assertTrue(trace.pid(child).all().stream().allMatch(r -> r.get("ppid").asLong() == shell));
        }
        // + the execve each child made as the shell's vfork child (dash starts commands with vfork)
        assertEquals(19 + 16 + 2, trace.calls().stream()
            .filter(r -> children.contains(r.get("pid").asLong())).count(), "basic_io's and stdio's calls");
        for (final long child : children)
        {
            assertEquals(1, trace.pid(child).function("execve").size(), "the exec of " + child);
        }
    }
}
