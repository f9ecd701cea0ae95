package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.iotrace.core.it.TraceRecords.errno;
import static io.iotrace.core.it.TraceRecords.filename;
import static io.iotrace.core.it.TraceRecords.functionName;
import static io.iotrace.core.it.TraceRecords.pid;
import static io.iotrace.core.it.TraceRecords.state;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ptrace fallback (IOTRACE_PTRACE=on): test-programs/bypass_corpus makes handles no libc wrapper sees (raw
 * syscall instructions in the main thread, a second thread and a fork child; opendir/closedir's internal open and
 * close). With the fallback each of them is recorded exactly once, marked "source":"syscall", resolved and warned
 * about; without it the trace says which descriptors it found open without having seen their open.
 */
class PtraceFallbackTest
{
    @TempDir
    Path work;

    /** A call as the test expects it: pid/tid role, function, traced_filename, result state. */
    private record Bypass(String who, String function, String file, String state)
    {
    }

    @Test
    void shouldRecordEveryBypassedHandleOnceWithTheFallbackOn() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program("bypass_corpus", data.toString())
            .env("IOTRACE_PTRACE", "on").run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        assertEquals("", run.stdout());
        assertEquals("", run.stderr());
        final TraceRecords trace = run.records();
        final List<JsonNode> unavailable = trace.warnings().stream()
            .filter(w -> "ptrace_unavailable".equals(w.path("function_name").asText())).toList();
        if (!unavailable.isEmpty())
        {
            // a machine where ptrace or seccomp is not permitted: said once, and the program ran untouched
            assertEquals(1, unavailable.size(), unavailable.toString());
            Assumptions.abort("ptrace fallback not available here: " + unavailable.getFirst().get("message"));
        }
        final long main = trace.function("pthread_create").getFirst().get("pid").asLong();
        final long thread = trace.function("pthread_create").getFirst().get("function_data").get("thread_tid")
            .asLong();
        final long child = trace.function("fork").stream().filter(r -> pid(r) == main).findFirst().orElseThrow()
            .get("function_data").get("pid").asLong();
        final String stdout = trace.pid(main).function("fd_discovered").stream()
            .filter(r -> 1 == r.get("function_data").get("fd").asInt()).findFirst().orElseThrow()
            .get("traced_filename").asText();

        final List<JsonNode> bypasses = trace.where(r -> r.has("function_data") &&
            "syscall".equals(r.get("function_data").path("source").asText()));
        final List<Bypass> seen = bypasses.stream().map(r -> new Bypass(
            pid(r) == child ? "child" : r.get("tid").asLong() == thread ? "thread" : pid(r) == main &&
                r.get("tid").asLong() == main ? "main" : "other:" + r.get("tid"),
            functionName(r), filename(r), state(r))).toList();
        final String dir = data.toString();
        assertEquals(List.of(
            new Bypass("main", "openat", dir + "/raw.dat", "ok"),
            new Bypass("main", "close", dir + "/raw.dat", "ok"),
            new Bypass("main", "openat", dir + "/missing/none", "error"),
            new Bypass("main", "openat", dir, "ok"),          // opendir's __open64_nocancel
            new Bypass("main", "close", dir, "ok"),           // closedir's __close_nocancel
            new Bypass("thread", "openat", dir + "/thread.dat", "ok"),
            new Bypass("thread", "close", dir + "/thread.dat", "ok"),
            new Bypass("main", "dup", stdout, "ok"),
            new Bypass("main", "close", stdout, "ok"),
            new Bypass("child", "openat", dir + "/child.dat", "ok"),
            new Bypass("child", "close", dir + "/child.dat", "ok")),
            seen.stream().sorted((a, b) -> Boolean.compare(a.who().equals("child"), b.who().equals("child")))
                .toList());
        assertEquals(2, errno(bypasses.get(2)));
        for (final JsonNode open : trace.where(r -> "openat".equals(functionName(r)) &&
            "syscall".equals(r.get("function_data").path("source").asText()) && "ok".equals(state(r))))
        {
            assertEquals(3, open.get("file_type").get("descriptor").asInt(), open.toString());
        }

        // the shim's own calls on those descriptors resolve to the files; none was found open unseen
        for (final String file : List.of("raw.dat", "thread.dat", "child.dat"))
        {
            final List<JsonNode> writes = trace.where(r -> "write".equals(functionName(r)) &&
                (dir + "/" + file).equals(filename(r)));
            assertEquals(1, writes.size(), file);
        }
        assertTrue(trace.warnings().stream().noneMatch(w -> w.get("message").asText().startsWith("open not observed")),
            trace.warnings().toString());

        // sem_open's open, mmap and close run at the syscall instructions of the wrapped open64/mmap64/close: the
        // shim's sem_open record covers them, so they are not recorded twice
        final JsonNode sem = trace.function("sem_open").getFirst();
        assertTrue(filename(sem).startsWith("/dev/shm/sem.iotrace-bypass-"), sem.toString());
        assertTrue(bypasses.stream().noneMatch(r -> filename(r).startsWith("/dev/shm/sem.")));

        // one warning per bypass, naming the call
        final List<String> warned = trace.warnings().stream().map(w -> w.get("message").asText())
            .filter(m -> m.contains("bypassed the libc wrappers")).toList();
        assertEquals(bypasses.size(), warned.size(), warned.toString());
        assertTrue(warned.contains("openat(\"" + dir + "/raw.dat\") = 3 bypassed the libc wrappers (a call glibc " +
            "makes internally, or a raw system call instruction): recorded by the ptrace fallback"), warned.toString());
        assertTrue(warned.stream().anyMatch(m -> m.startsWith("openat(\"" + dir + "/missing/none\") = -1 ")), warned.toString());
    }

    @Test
    void shouldNameTheUnseenHandlesWithTheFallbackOff() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program("bypass_corpus", data.toString()).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final TraceRecords trace = run.records();
        assertTrue(trace.where(r -> r.has("function_data") && r.get("function_data").has("source")).isEmpty());
        final List<String> unseen = trace.warnings().stream().map(w -> w.get("message").asText())
            .filter(m -> m.startsWith("open not observed")).toList();
        final String dir = data.toString();
        for (final String file : List.of("raw.dat", "thread.dat"))
        {
            assertTrue(unseen.contains("open not observed: descriptor 3 first used while already open (" + dir + "/" +
                file + ")"), unseen.toString());
            final JsonNode write = trace.where(r -> "write".equals(functionName(r)) &&
                (dir + "/" + file).equals(filename(r))).getFirst();
            assertNotNull(write);
        }
        // the thread's raw close was not seen either: the fork child inherits fd 3 as thread.dat, and its write to
        // child.dat is misattributed to that stale name (what the fallback's close records prevent)
        final long child = trace.function("fork").stream().filter(r -> r.get("function_data").get("pid").asLong() > 0)
            .findFirst().orElseThrow().get("function_data").get("pid").asLong();
        final JsonNode childWrite = trace.pid(child).function("write").getFirst();
        assertEquals(dir + "/thread.dat", filename(childWrite), childWrite.toString());
        assertTrue(Files.readString(data.resolve("child.dat")).equals("child"));
        assertFalse(trace.warnings().stream().anyMatch(w -> w.get("message").asText().contains("bypassed")));
    }
}
