package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

import static io.iotrace.core.it.TraceRecords.data;
import static io.iotrace.core.it.TraceRecords.filename;
import static io.iotrace.core.it.TraceRecords.functionName;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * vfork (child's calls before exec/_exit), posix_spawn and execle with an environment without LD_PRELOAD/IOTRACE_*,
 * system, pthread_create: test-programs/procs.c. Each process's trace is complete, names its parent and resolves
 * its descriptors with its own handles.
 */
class ProcessCreationTest
{
    @TempDir
    Path work;

    private Path data;
    private String program;
    private String lfs;

    /** open in a plain build, open64 in a 64-bit-offset build. */
    private String open()
    {
        return "open" + lfs;
    }

    /** The build under test: procs (plain) or procs-lfs (64-bit offsets, fortify: open is open64). */
    private void use(final String build, final String offsets)
    {
        program = build;
        lfs = null == offsets ? "" : offsets;
    }

    private TracedRun.Outcome run(final String mode) throws Exception
    {
        data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program(program, data.toString(), mode).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        assertEquals("", run.stderr());
        return run;
    }

    private static long printed(final TracedRun.Outcome run, final String what)
    {
        return run.stdout().lines().filter(l -> l.startsWith(what + " ")).mapToLong(l -> Long.parseLong(l.substring(
            what.length() + 1))).findFirst().orElseThrow(() -> new AssertionError("no '" + what + "' in " +
            run.stdout()));
    }

    private static List<JsonNode> byTime(final List<JsonNode> records)
    {
        return records.stream().sorted(Comparator.comparingLong(r -> r.get("time_start").asLong())).toList();
    }

    private static List<String> names(final List<JsonNode> records)
    {
        return records.stream().map(TraceRecords::functionName).toList();
    }

    private String file(final String name)
    {
        return data.resolve(name).toString();
    }

    @ParameterizedTest
    @CsvSource({"procs, ''", "procs-lfs, 64"})
    void shouldTraceAVforkChildUnderItsOwnPidUntilItsExecAndKeepTheParentsHandles(final String build,
        final String offsets)
        throws Exception
    {
        use(build, offsets);
        final TracedRun.Outcome run = run("vfork_exec");
        final TraceRecords trace = run.records().withoutStdoutReport();
        final long child = printed(run, "child");
        final JsonNode vfork = trace.function("vfork").get(0);
        final long parent = vfork.get("pid").asLong();
        assertEquals(child, data(vfork, "pid"), "the parent's vfork record names the child");
        assertEquals(Set.of(parent, child), Set.copyOf(trace.pids()));

        final List<JsonNode> parentCalls = byTime(trace.pid(parent).calls());
        assertEquals(List.of(open(), "write", "vfork", "write", "waitpid", "close"), names(parentCalls));
        assertEquals(file("parent.dat"), filename(parentCalls.get(3)),
            "the child's close(3) did not close the parent's fd 3");
        assertEquals(10, data(parentCalls.get(3), "written_bytes"));
        assertTrue(trace.pid(parent).all().stream().allMatch(r -> r.get("tid").asLong() == parent));

        // the child's exec'd image runs while the parent's vfork returns: the execl record is the boundary
        final long execTime = trace.pid(child).function("execl").get(0).get("time_start").asLong();
        final List<JsonNode> beforeExec = byTime(trace.pid(child).where(r ->
            !"fd_discovered".equals(functionName(r)) && r.get("time_start").asLong() <= execTime));
        assertEquals(List.of(open(), "write", "close", "close", "execl"), names(beforeExec));
        beforeExec.forEach(r -> assertEquals(parent, r.get("ppid").asLong()));
        beforeExec.forEach(r -> assertEquals(child, r.get("tid").asLong()));
        assertEquals(file("vchild.dat"), filename(beforeExec.get(1)));
        assertEquals(5, data(beforeExec.get(1), "written_bytes"));
        assertEquals(file("parent.dat"), filename(beforeExec.get(3)), "fd 3 inherited from the parent");
        assertEquals(List.of(TracedRun.binary(program), data.toString(), "child"),
            PosixCallsTest.texts(beforeExec.get(4).path("function_data").path("argv")));
        assertTrue(trace.warnings().isEmpty(), trace.warnings().toString());

        assertChildImage(trace.pid(child).calls().stream().filter(r -> r.get("time_start").asLong() > execTime)
            .toList(), parent);
    }

    /** The program the child exec'd (its calls given): complete up to exit, its parent named. */
    private void assertChildImage(final List<JsonNode> imageCalls, final long parent)
    {
        final List<JsonNode> image = byTime(imageCalls);
        assertEquals(List.of(open(), "write", "close", "exit"), names(image));
        image.forEach(r -> assertEquals(parent, r.get("ppid").asLong()));
        image.subList(0, 3).forEach(r -> assertEquals(file("child.dat"), filename(r)));
        assertEquals(7, data(image.get(1), "written_bytes"));
        assertEquals(0, data(image.get(3), "exit_status"));
    }

    @ParameterizedTest
    @CsvSource({"procs, ''", "procs-lfs, 64"})
    void shouldTraceAVforkChildThatLeavesWithExit(final String build, final String offsets) throws Exception
    {
        use(build, offsets);
        final TracedRun.Outcome run = run("vfork_exit");
        final TraceRecords trace = run.records().withoutStdoutReport();
        final long child = printed(run, "child");
        final long parent = trace.function("vfork").get(0).get("pid").asLong();
        final List<JsonNode> childCalls = byTime(trace.pid(child).calls());
        assertEquals(List.of(open(), "write", "close", "close", "_exit"), names(childCalls));
        assertEquals(7, data(childCalls.get(4), "exit_status"));
        assertEquals(file("vchild.dat"), filename(childCalls.get(0)));
        assertEquals(List.of(open(), "write", "vfork", "write", "waitpid", "close"),
            names(byTime(trace.pid(parent).calls())));
        assertTrue(trace.warnings().isEmpty(), trace.warnings().toString());
    }

    @ParameterizedTest
    @CsvSource({"procs, ''", "procs-lfs, 64"})
    void shouldTraceAVforkLikeCloneChildUnderItsOwnPid(final String build, final String offsets) throws Exception
    {
        use(build, offsets);
        final TracedRun.Outcome run = run("clone_vfork");
        final TraceRecords trace = run.records().withoutStdoutReport();
        final long child = printed(run, "child");
        final JsonNode clone = trace.function("clone").get(0);
        final long parent = clone.get("pid").asLong();
        assertEquals(child, data(clone, "pid"));
        assertEquals(0x4000 | 0x100 | 17, data(clone, "clone_flags"), "CLONE_VFORK|CLONE_VM|SIGCHLD");
        final List<JsonNode> childCalls = byTime(trace.pid(child).calls());
        assertEquals(List.of(open(), "write", "close", "close", "_exit"), names(childCalls));
        childCalls.forEach(r -> assertEquals(parent, r.get("ppid").asLong()));
        assertEquals(file("parent.dat"), filename(childCalls.get(3)));
        assertEquals(List.of(open(), "write", "clone", "write", "waitpid", "close"),
            names(byTime(trace.pid(parent).calls())));
        assertEquals(file("parent.dat"), filename(byTime(trace.pid(parent).calls()).get(3)));
        assertTrue(trace.warnings().isEmpty(), trace.warnings().toString());
    }

    @ParameterizedTest
    @CsvSource({"procs, ''", "procs-lfs, 64"})
    void shouldTraceAPosixSpawnChildWhoseEnvironmentLacksTheTracer(final String build, final String offsets)
        throws Exception
    {
        use(build, offsets);
        assertSpawnedChildTraced(run("spawn_clean"));
    }

    @ParameterizedTest
    @CsvSource({"procs, ''", "procs-lfs, 64"})
    void shouldPutTheTracerInFrontOfAnotherPreloadOfAPosixSpawnChild(final String build, final String offsets)
        throws Exception
    {
        use(build, offsets);
        assertSpawnedChildTraced(run("spawn_foreign"));
    }

    private void assertSpawnedChildTraced(final TracedRun.Outcome run)
    {
        final TraceRecords trace = run.records().withoutStdoutReport();
        final long child = printed(run, "child");
        final JsonNode spawn = trace.function("posix_spawn").get(0);
        final long parent = spawn.get("pid").asLong();
        assertEquals(child, data(spawn, "spawned_pid"));
        assertEquals(TracedRun.binary(program), spawn.path("function_data").path("path").asText());
        assertEquals(Set.of(parent, child), Set.copyOf(trace.pids()), "LD_PRELOAD was put back for the child");
        assertChildImage(trace.pid(child).calls(), parent);
    }

    @ParameterizedTest
    @CsvSource({"procs, ''", "procs-lfs, 64"})
    void shouldTraceAnExecleWhoseEnvironmentLacksTheTracer(final String build, final String offsets) throws Exception
    {
        use(build, offsets);
        final TracedRun.Outcome run = run("execle_clean");
        final TraceRecords trace = run.records().withoutStdoutReport();
        final long child = printed(run, "child");
        final long parent = trace.function("fork").stream().filter(r -> data(r, "pid") == child).findFirst()
            .orElseThrow().get("pid").asLong();
        final List<JsonNode> execle = trace.pid(child).function("execle");
        assertEquals(1, execle.size());
        assertEquals("ok", execle.get(0).get("return_state").asText());
        assertEquals(1, trace.pid(child).incarnation(1).function("write").size(), "the exec'd image is traced");
        assertChildImage(trace.pid(child).incarnation(1).calls(), parent);
    }

    @ParameterizedTest
    @CsvSource({"procs, ''", "procs-lfs, 64"})
    void shouldTraceAnExecvpAfterTheProgramClearedItsEnvironment(final String build, final String offsets)
        throws Exception
    {
        use(build, offsets);
        final TracedRun.Outcome run = run("execvp_clearenv");
        final TraceRecords trace = run.records().withoutStdoutReport();
        final long child = printed(run, "child");
        final long parent = trace.function("fork").stream().filter(r -> data(r, "pid") == child).findFirst()
            .orElseThrow().get("pid").asLong();
        final List<JsonNode> execvp = trace.pid(child).function("execvp");
        assertEquals(1, execvp.size());
        assertEquals(TracedRun.binary(program), execvp.get(0).path("function_data").path("file").asText());
        assertChildImage(trace.pid(child).incarnation(1).calls(), parent);
    }

    @ParameterizedTest
    @CsvSource({"procs, ''", "procs-lfs, 64"})
    void shouldShowADeathBySignalInTheParentsWaitAndKeepTheChildsRecords(final String build, final String offsets)
        throws Exception
    {
        use(build, offsets);
        final TracedRun.Outcome run = run("killed");
        final TraceRecords trace = run.records().withoutStdoutReport();
        final long child = printed(run, "child");
        final List<JsonNode> waits = trace.function("waitpid");
        assertEquals(1, waits.size());
        assertEquals(child, data(waits.get(0), "pid"));
        assertEquals(child, data(waits.get(0), "wait_pid"));
        assertEquals(9, data(waits.get(0), "wait_status"), "killed by SIGKILL: raw wait status 9");
        final List<String> childCalls = names(byTime(trace.pid(child).calls()));
        assertEquals(List.of("fork", open(), "write"), childCalls, "everything before the SIGKILL");
    }

    @ParameterizedTest
    @CsvSource({"procs, ''", "procs-lfs, 64"})
    void shouldNameAPopenStreamByItsPipeAndSeeTheCommandWriteIntoIt(final String build, final String offsets)
        throws Exception
    {
        use(build, offsets);
        final TracedRun.Outcome run = run("popen");
        final TraceRecords trace = run.records().withoutStdoutReport();
        final JsonNode popen = trace.function("popen").get(0);
        final long parent = popen.get("pid").asLong();
        assertEquals("cat " + file("parent.dat"), popen.path("function_data").path("command").asText());
        final String pipe = filename(popen);
        assertTrue(pipe.matches("pipe:\\[\\d+\\]"), pipe);
        final List<JsonNode> parentCalls = byTime(trace.pid(parent).calls());
        assertEquals(List.of(open(), "write", "close", "popen", "fread", "pclose"), names(parentCalls));
        assertEquals(10, data(parentCalls.get(4), "read_bytes"));
        parentCalls.subList(4, 6).forEach(r -> assertEquals(pipe, filename(r)));
        assertEquals(0, data(parentCalls.get(5), "wait_status"));
        // the command (a grandchild: popen runs sh -c) writes the file's 10 bytes into the same pipe
        final List<JsonNode> catWrites = trace.where(r -> "write".equals(functionName(r)) && pipe.equals(filename(r)) &&
            r.get("pid").asLong() != parent);
        assertEquals(1, catWrites.size());
        assertEquals(10, data(catWrites.get(0), "written_bytes"));
        assertTrue(trace.warnings().isEmpty(), trace.warnings().toString());
    }

    @ParameterizedTest
    @CsvSource({"procs, fexecve", "procs, execveat", "procs-lfs, fexecve", "procs-lfs, execveat"})
    void shouldNameTheProgramOfAnExecByDescriptorAndTraceIt(final String build, final String call)
        throws Exception
    {
        use(build, build.endsWith("-lfs") ? "64" : "");
        final TracedRun.Outcome run = run(call);
        final TraceRecords trace = run.records().withoutStdoutReport();
        final long child = printed(run, "child");
        final long parent = trace.function("fork").stream().filter(r -> data(r, "pid") == child).findFirst()
            .orElseThrow().get("pid").asLong();
        final List<JsonNode> exec = trace.pid(child).function(call);
        assertEquals(1, exec.size());
        assertEquals("ok", exec.get(0).get("return_state").asText());
        assertEquals(TracedRun.binary(program), filename(exec.get(0)), "the program, named from its fd or dirfd");
        assertChildImage(trace.pid(child).incarnation(1).calls(), parent);
    }

    @ParameterizedTest
    @CsvSource({"procs, ''", "procs-lfs, 64"})
    void shouldGiveAChildOfForkWithoutAtforkHandlersItsOwnTrace(final String build, final String offsets)
        throws Exception
    {
        use(build, offsets);
        final TracedRun.Outcome run = run("_Fork");
        final TraceRecords trace = run.records().withoutStdoutReport();
        final long child = printed(run, "child");
        final JsonNode fork = trace.function("_Fork").stream().filter(r -> data(r, "pid") == child).findFirst()
            .orElseThrow();
        final long parent = fork.get("pid").asLong();
        assertEquals(List.of("_Fork", "waitpid"), names(byTime(trace.pid(parent).calls())));
        final List<JsonNode> childCalls = byTime(trace.pid(child).calls());
        assertEquals(List.of("_Fork", open(), "write", "close", "_exit"), names(childCalls));
        childCalls.forEach(r -> assertEquals(child, r.get("tid").asLong(), "the child's own tid, not the parent's"));
        childCalls.forEach(r -> assertEquals(parent, r.get("ppid").asLong()));
        assertEquals(file("child.dat"), filename(childCalls.get(2)));
    }

    @ParameterizedTest
    @CsvSource({"procs, ''", "procs-lfs, 64"})
    void shouldRecordSystemCommandsTheirStatusAndTheShellsTheyRun(final String build, final String offsets)
        throws Exception
    {
        use(build, offsets);
        final TracedRun.Outcome run = run("system");
        final TraceRecords trace = run.records().withoutStdoutReport();
        final List<JsonNode> system = trace.function("system");
        assertEquals(2, system.size());
        final long parent = system.get(0).get("pid").asLong();
        assertEquals("exit 3", system.get(0).path("function_data").path("command").asText());
        assertEquals(3 << 8, data(system.get(0), "wait_status"));
        assertEquals(0, data(system.get(1), "wait_status"));
        final List<Long> shells = trace.where(r -> r.get("ppid").asLong() == parent).stream()
            .map(TraceRecords::pid).distinct().toList();
        assertEquals(2, shells.size(), "one shell per system(): " + shells);
        final List<JsonNode> exits = trace.function("_exit").stream().filter(r -> shells.contains(r.get("pid")
            .asLong())).toList();
        assertEquals(List.of(3L, 0L), exits.stream().map(r -> data(r, "exit_status")).sorted(
            Comparator.reverseOrder()).toList());
        // the second shell redirects into sys.out and runs cat, a traced grandchild that reads parent.dat
        assertTrue(trace.function("open64").stream().anyMatch(r -> file("sys.out").equals(filename(r)) &&
            shells.contains(r.get("pid").asLong())));
        final List<JsonNode> catOpens = trace.where(r -> !shells.contains(r.get("pid").asLong()) &&
            r.get("pid").asLong() != parent && "open".equals(functionName(r)) &&
            file("parent.dat").equals(filename(r)));
        assertEquals(1, catOpens.size());
        assertTrue(shells.contains(catOpens.get(0).get("ppid").asLong()));
    }

    @ParameterizedTest
    @CsvSource({"procs, ''", "procs-lfs, 64"})
    void shouldRecordTheTidOfEveryThreadPthreadCreateMade(final String build, final String offsets) throws Exception
    {
        use(build, offsets);
        final TracedRun.Outcome run = run("threads");
        final TraceRecords trace = run.records().withoutStdoutReport();
        final List<Long> printedTids = run.stdout().lines().filter(l -> l.startsWith("thread "))
            .map(l -> Long.parseLong(l.substring(7))).toList();
        final List<JsonNode> creates = byTime(trace.function("pthread_create"));
        assertEquals(printedTids, creates.stream().map(r -> data(r, "thread_tid")).toList());
        for (final long tid : printedTids)
        {
            final List<JsonNode> writes = trace.tid(tid).function("write");
            assertEquals(1, writes.size());
            assertEquals(file("thread.dat"), filename(writes.get(0)));
        }
    }
}
