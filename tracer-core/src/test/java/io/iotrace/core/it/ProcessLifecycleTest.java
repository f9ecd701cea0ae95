package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotrace.core.session.TraceSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

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
        assertEquals(List.of(parent, child), trace.pids().stream().sorted((a, b) -> a == parent ? -1 : 1).toList());

        final TraceRecords parentTrace = trace.pid(parent);
        assertEquals(List.of("open", "write", "fork"), parentTrace.callNames());
        assertEquals(child, data(parentTrace.function("fork").get(0), "pid"));

        final TraceRecords childTrace = trace.pid(child);
        assertEquals(List.of("fork", "write", "open", "write", "write", "write", "close", "close"),
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
        final List<JsonNode> first = trace.where(r -> 0 == r.get("incarnation").asLong() &&
            !"fd_discovered".equals(r.get("function_name").asText()));
        final List<JsonNode> second = trace.where(r -> 1 == r.get("incarnation").asLong() &&
            !"fd_discovered".equals(r.get("function_name").asText()));
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
        assertTrue(Files.list(TraceSession.runtimeDirFor(started.traceDir()))
            .noneMatch(p -> p.toString().endsWith(".ring")), "the dead producer's ring was drained and removed");
    }
}
