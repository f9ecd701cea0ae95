package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

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
 * syscall instructions in the main thread, a second thread, a fork child and an exec'd image; an i386 int 0x80
 * open; a raw openat2; glibc's internal opens and closes in opendir/closedir, getpwnam, tmpfile's fclose, shm_open,
 * posix_spawn's file action in its vfork-like child). With the fallback each of them is recorded exactly once,
 * marked "source":"syscall", decoded per ABI, resolved and warned about, and nothing is unresolved; the calls the
 * shim reports (mkstemp, sem_open, the program's mmap) never stop. The program itself checks that it sees no
 * difference: results, a child's SIGSTOP seen by its waitpid(WUNTRACED), wait() = ECHILD at the end. Without the
 * fallback the trace says which descriptors it found open without having seen their open.
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

        final long spawned = trace.function("posix_spawn").getFirst().get("function_data").get("spawned_pid").asLong();
        final long execChild = trace.function("fork").stream().filter(r -> pid(r) == main).skip(1).findFirst()
            .orElseThrow().get("function_data").get("pid").asLong();
        final String dir = data.toString();

        // every record of the fallback is a call no wrapper made: one warning each, naming it
        final List<JsonNode> bypasses = trace.where(r -> r.has("function_data") &&
            "syscall".equals(r.get("function_data").path("source").asText()) &&
            !"fd_discovered".equals(functionName(r)));
        // the corpus's own files (the loader's and glibc's are checked below)
        final List<Bypass> seen = bypasses.stream()
            .filter(r -> filename(r).startsWith(dir) || filename(r).equals(stdout) || filename(r).equals("<not open>"))
            .map(r -> new Bypass(role(r, main, thread, child, spawned, execChild), functionName(r), filename(r),
                state(r))).toList();
        assertEquals(List.of(
            new Bypass("main", "openat", dir + "/raw.dat", "ok"),
            new Bypass("main", "close", dir + "/raw.dat", "ok"),
            new Bypass("main", "openat", dir + "/missing/none", "error"),
            new Bypass("main", "openat", dir, "ok"),          // opendir's __open64_nocancel
            new Bypass("main", "close", dir, "ok"),           // closedir's __close_nocancel
            new Bypass("main", "dup", stdout, "ok"),
            new Bypass("main", "close", stdout, "ok"),
            new Bypass("main", "open", dir + "/i386.dat", "ok"),   // int 0x80: the i386 ABI's open
            new Bypass("main", "close", dir + "/i386.dat", "ok"),
            new Bypass("main", "openat2", dir + "/raw.dat", "ok"),
            new Bypass("main", "close", dir + "/raw.dat", "ok"),
            new Bypass("thread", "openat", dir + "/thread.dat", "ok"),
            new Bypass("thread", "close", dir + "/thread.dat", "ok"),
            // posix_spawn's child runs its file action before the exec (glibc closes the target fd first)
            new Bypass("spawn", "close", "<not open>", "error"),
            new Bypass("spawn", "openat", dir + "/spawn.dat", "ok"),
            new Bypass("child", "openat", dir + "/child.dat", "ok"),
            new Bypass("child", "close", dir + "/child.dat", "ok"),
            new Bypass("exec", "openat", dir + "/exec.dat", "ok"),
            new Bypass("exec", "close", dir + "/exec.dat", "ok")),
            seen.stream().sorted(java.util.Comparator.comparing(b -> ROLES.indexOf(b.who()))).toList()); // per role, in order
        assertEquals(2, errno(bypasses.stream().filter(r -> filename(r).endsWith("/missing/none")).findFirst()
            .orElseThrow()));

        // arguments decoded per ABI, flags symbolic; each bypassed open exactly once, its descriptor the result
        final JsonNode i386 = bypasses.stream().filter(r -> filename(r).endsWith("/i386.dat") &&
            "open".equals(functionName(r))).findFirst().orElseThrow();
        assertEquals("write_only", i386.get("function_data").get("mode").asText(), i386.toString());
        assertEquals("[\"creat\",\"trunc\"]", i386.get("function_data").get("creation").toString());
        assertEquals("[\"read_by_owner\",\"write_by_owner\"]", i386.get("function_data").get("file_mode").toString());
        final JsonNode openat2 = trace.function("openat2").getFirst();
        assertEquals(4, openat2.get("function_data").get("resolve").asInt()); // RESOLVE_NO_SYMLINKS
        assertEquals(3, openat2.get("file_type").get("descriptor").asInt());
        for (final String file : List.of("/raw.dat", "/thread.dat", "/child.dat", "/exec.dat", "/spawn.dat", "/i386.dat"))
        {
            assertEquals(1, trace.where(r -> List.of("open", "openat").contains(functionName(r)) &&
                (dir + file).equals(filename(r))).size(), file);
        }

        // the shim's own calls on those descriptors resolve to the files; nothing anywhere is unresolved
        for (final String file : List.of("raw.dat", "thread.dat", "child.dat", "i386.dat", "exec.dat"))
        {
            final List<JsonNode> writes = trace.where(r -> "write".equals(functionName(r)) &&
                (dir + "/" + file).equals(filename(r)));
            assertEquals(1, writes.size(), file);
        }
        assertTrue(trace.where(r -> r.has("traced_filename") && filename(r).contains("unresolved")).isEmpty(),
            trace.where(r -> r.has("traced_filename") && filename(r).contains("unresolved")).toString());
        assertTrue(trace.warnings().stream().noneMatch(w -> w.get("message").asText().startsWith("open not observed: " +
            "descriptor 3 first used")), trace.warnings().toString());

        // glibc-internal handles: getpwnam's files, tmpfile's close (fclose -> __close_nocancel)
        for (final String file : List.of("/etc/nsswitch.conf", "/etc/passwd"))
        {
            assertEquals(List.of("openat", "close"), bypasses.stream().filter(r -> file.equals(filename(r)) &&
                pid(r) == main).map(TraceRecords::functionName).toList(), file);
        }
        // reads, writes and metadata calls are the shim's to report: its filter never stops them, not even those
        // glibc makes internally (getpwnam reads /etc/passwd and stdio fstats it where no wrapper sees it); only
        // iotrace run --ptrace-only and attach record them from system calls
        assertEquals(Set.of(), bypasses.stream().map(TraceRecords::functionName).filter(f -> !HANDLE_CALLS.contains(f))
            .collect(Collectors.toSet()), bypasses.toString());
        final String tmpfileName = filename(trace.function("tmpfile").getFirst());
        assertTrue(bypasses.stream().anyMatch(r -> "close".equals(functionName(r)) && tmpfileName.equals(filename(r))),
            tmpfileName);
        // descriptors made where the filter cannot tell glibc from a wrapper (nscd's socket() through its alias):
        // named from /proc at their close, with a warning each
        final List<JsonNode> named = trace.where(r -> "fd_discovered".equals(functionName(r)) &&
            "syscall".equals(r.get("function_data").path("source").asText()));
        assertEquals(named.size(), trace.warnings().stream().filter(w -> w.get("message").asText()
            .contains("named from /proc by the ptrace fallback")).count());

        // the exec'd image: the loader's opens are recorded (ld.so makes them itself), the shim's start-up is not
        final TraceRecords exec = trace.pid(execChild).incarnation(1);
        assertTrue(exec.where(r -> filename(r).endsWith("/libc.so.6") && "openat".equals(functionName(r)) &&
            "syscall".equals(r.get("function_data").path("source").asText())).size() == 1, exec.all().toString());
        assertTrue(bypasses.stream().noneMatch(r -> filename(r).matches(".*/iotrace-[0-9]+/.*")), bypasses.toString());

        // calls the shim reports never reach the tracer: mkstemp's, shm_open's mmap, sem_open's open/mmap/close run
        // at the wrapped functions' instructions
        assertTrue(bypasses.stream().noneMatch(r -> filename(r).contains("/tmp.") ||
            filename(r).startsWith("/dev/shm/sem.") || "mmap".equals(functionName(r)) && pid(r) == main),
            bypasses.toString());
        final JsonNode sem = trace.function("sem_open").getFirst();
        assertTrue(filename(sem).startsWith("/dev/shm/sem.iotrace-bypass-"), sem.toString());

        // one warning per bypass, naming the call
        final List<String> warned = trace.warnings().stream().map(w -> w.get("message").asText())
            .filter(m -> m.contains("bypassed the libc wrappers")).toList();
        assertEquals(bypasses.size(), warned.size(), warned.toString());
        assertTrue(warned.contains("openat(\"" + dir + "/raw.dat\") = 3 bypassed the libc wrappers (a call glibc " +
            "makes internally, or a raw system call instruction): recorded by the ptrace fallback"), warned.toString());
        assertTrue(warned.stream().anyMatch(m -> m.startsWith("openat(\"" + dir + "/missing/none\") = -1 ")), warned.toString());
    }

    /**
     * The calls the wrappers make never stop, even where glibc makes them in a hidden helper: fcntl64 issues
     * F_DUPFD_CLOEXEC from __fcntl64_nocancel_adjusted (it was recorded twice, by the wrapper and as a bypass).
     * test-programs/dup_fcntl's trace with the fallback on is exactly its trace without it.
     */
    @Test
    void shouldNotStopTheCallsTheWrappersMake() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program("dup_fcntl", data.toString()).env("IOTRACE_PTRACE", "on")
            .run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final TraceRecords trace = run.records();
        Assumptions.assumeTrue(trace.warnings().stream()
            .noneMatch(w -> "ptrace_unavailable".equals(w.path("function_name").asText())), "no ptrace here");
        assertEquals(List.of("open", "dup", "dup2", "dup3", "fcntl", "write", "write", "write", "write", "write",
            "dup2", "write", "close", "close", "close", "close", "close"), trace.callNames());
        assertEquals(List.of(), trace.warnings());
    }

    private static final List<String> ROLES = List.of("main", "thread", "spawn", "child", "exec");

    /** The rows of the handle calls the fallback's filter stops (ptrace-fallback/gen/gen-syscalls.sh, class handle). */
    private static final Set<String> HANDLE_CALLS = Set.of("open", "openat", "openat2", "creat", "close", "close_range",
        "dup", "dup2", "dup3", "fcntl", "mmap", "mremap", "socket", "accept", "accept4", "pipe", "pipe2", "eventfd",
        "memfd_create");

    private static String role(final JsonNode r, final long main, final long thread, final long child,
        final long spawned, final long execChild)
    {
        final long pid = pid(r);
        return pid == child ? "child" : pid == spawned ? "spawn" : pid == execChild ? "exec" :
            r.get("tid").asLong() == thread ? "thread" : pid == main ? "main" : "other:" + pid;
    }

    /**
     * libc's syscall() is wrapped: its handle calls are the shim's own records ("via":"syscall"), so the filter must
     * let them pass at syscall()'s instruction. It once compared the instruction pointer's high word with the call
     * numbers there, so each stopped and was recorded a second time, "source":"syscall", with a bypass warning.
     */
    @Test
    void shouldRecordLibcSyscallCallsOnlyOnceWithTheFallbackOn() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program("async_io", data.toString())
            .env("IOTRACE_PTRACE", "on").run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        assertEquals("", run.stderr());
        final TraceRecords trace = run.records();
        if (trace.warnings().stream().anyMatch(w -> "ptrace_unavailable".equals(w.path("function_name").asText())))
            Assumptions.abort("ptrace fallback not available here");
        final String file = data.resolve("sys.dat").toString();
        // syscall(SYS_openat) = 3, syscall(SYS_dup, 3) = 4, syscall(SYS_close, 4), syscall(SYS_close, 3) twice
        // (the second EBADF): each once, from the shim's syscall() wrapper
        final List<String> calls = trace.where(r -> file.equals(filename(r)) &&
                List.of("openat", "dup", "close").contains(functionName(r)))
            .stream().map(r -> functionName(r) + " " + state(r) + " " + r.get("function_data").path("via").asText() +
                " " + r.get("function_data").path("source").asText("-")).toList();
        assertEquals(List.of("openat ok syscall -", "dup ok syscall -", "close ok syscall -", "close ok syscall -"),
            calls);
        assertTrue(trace.where(r -> r.has("function_data") &&
            "syscall".equals(r.get("function_data").path("source").asText()) && filename(r).startsWith(data.toString()))
            .isEmpty());
        assertFalse(trace.warnings().stream().anyMatch(w -> w.get("message").asText().contains("sys.dat")),
            trace.warnings().toString());
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
