package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.iotrace.core.it.TraceRecords.data;
import static io.iotrace.core.it.TraceRecords.filename;
import static io.iotrace.core.it.TraceRecords.functionName;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue 8's process-creation loops (test-programs/spawn_loops.c): 100 children each by vfork + exec, posix_spawn
 * and system("sh -c ..."), one after the other. No hang, and every child's trace is there: its own file with its
 * open/write/close of the file it was told to write, and the parent's record of its creation naming its pid.
 */
class ProcessLoopsTest
{
    private static final int CHILDREN = 100;

    @TempDir
    Path work;

    @Test
    void shouldTraceEveryChildOfVforkPosixSpawnAndShellLoops() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program("spawn_loops", data.toString(), Integer.toString(CHILDREN))
            .run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        assertEquals("", run.stderr());
        assertEquals("vfork 100 spawn 100 sh 100\n", run.stdout());

        final TraceRecords trace = run.records();
        final long parent = trace.function("vfork").get(0).get("pid").asLong();
        final TraceRecords parentTrace = trace.pid(parent);
        final List<Long> vforkPids = parentTrace.function("vfork").stream().map(r -> data(r, "pid")).toList();
        final List<Long> spawnPids = parentTrace.function("posix_spawn").stream()
            .map(r -> data(r, "spawned_pid")).toList();
        assertEquals(CHILDREN, vforkPids.size());
        assertEquals(CHILDREN, spawnPids.size());
        assertEquals(CHILDREN, parentTrace.function("system").size());

        final List<String> defects = new ArrayList<>();
        for (int i = 0; i < CHILDREN; i++)
        {
            checkChild(trace, data, "vfork-" + i, vforkPids.get(i), defects);
            checkChild(trace, data, "spawn-" + i, spawnPids.get(i), defects);
            checkChild(trace, data, "sh-" + i, null, defects);
        }
        assertEquals(List.of(), defects);
        assertEquals(1 + 3 * CHILDREN, trace.pids().size(), "the parent and 300 children, each traced");
    }

    /**
     * The child that wrote NAME.dat (pid known for vfork/posix_spawn): all records on the file from one process,
     * an open first and one write of "NAME\n"; our own children exactly open, write, close (the shell redirects with
     * its own sequence: open, dup2 onto stdout, close, write).
     */
    private static void checkChild(final TraceRecords trace, final Path data, final String name, final Long pid,
        final List<String> defects)
    {
        final String file = data.resolve(name + ".dat").toString();
        final List<JsonNode> records = trace.where(r -> file.equals(filename(r)));
        if (records.isEmpty())
        {
            defects.add(name + ": no records on its file");
            return;
        }
        final long writer = records.get(0).get("pid").asLong();
        final List<String> calls = records.stream().map(TraceRecords::functionName).toList();
        final List<JsonNode> writes = records.stream().filter(r -> "write".equals(functionName(r))).toList();
        if (pid != null && (pid != writer || !List.of("open", "write", "close").equals(calls)))
        {
            defects.add(name + ": created as pid " + pid + ", records " + records);
        }
        else if (records.stream().anyMatch(r -> r.get("pid").asLong() != writer) || !calls.get(0).startsWith("open") ||
            writes.size() != 1 || data(writes.get(0), "written_bytes") != name.length() + 1)
        {
            defects.add(name + ": " + records);
        }
    }
}
