package io.iotrace.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.iotrace.cli.CliHarness.cli;
import static io.iotrace.cli.CliHarness.program;
import static io.iotrace.cli.CliHarness.records;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code iotrace attach PID} on test-programs/attach_target, which makes its handles (files, pipes, a socket, a
 * shared file mapping whose descriptor it closed), then waits blocked in read (and a second thread too) while
 * iotrace attaches: the records of its later calls on those handles, reads and writes included, carry the names
 * read from /proc/PID/fd and /proc/PID/maps, and so do those of its thread and of the child it forks. After the
 * detach (SIGINT, as Ctrl-C) the program finishes untraced, with the output and exit status of a run nobody
 * attached to; no tracer and no seccomp filter is left on it. Bad pids are one line each.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class AttachCommandTest
{
    private static final Path LAUNCHER = CliHarness.HOME.resolve("bin/iotrace");

    @TempDir
    Path tmp;

    /** attach_target running untraced: stdin to step it, stdout read line by line. */
    private static final class Target implements AutoCloseable
    {
        final Process process;
        final OutputStream in;
        final BufferedReader out;
        final List<String> lines = new ArrayList<>();

        Target(final Path data) throws IOException
        {
            this(data, null);
        }

        /** @param traceDir traced by the shim into this directory, or null: untraced. */
        Target(final Path data, final Path traceDir) throws IOException
        {
            final ProcessBuilder builder = new ProcessBuilder(program("attach_target"), data.toString());
            builder.environment().keySet().removeIf(k -> k.startsWith("IOTRACE_") || "LD_PRELOAD".equals(k));
            if (null != traceDir)
            {
                builder.environment().put("LD_PRELOAD", CliHarness.SHIM.toString());
                builder.environment().put("IOTRACE_DIR", traceDir.toString());
            }
            process = builder.start();
            in = process.getOutputStream();
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        String line() throws IOException
        {
            final String line = out.readLine();
            lines.add(line);
            return line;
        }

        void step() throws IOException
        {
            in.write('g');
            in.flush();
        }

        long pid()
        {
            return process.pid();
        }

        @Override
        public void close()
        {
            process.destroyForcibly();
        }
    }

    /** The output and status of attach_target when nothing attaches to it. */
    private List<String> untracedRun(final Path data) throws Exception
    {
        try (Target target = new Target(data))
        {
            assertEquals("ready", target.line());
            target.step();
            assertEquals("phase2 3", target.line());
            target.step();
            assertEquals("done", target.line());
            assertEquals(7, target.process.waitFor());
            target.lines.add("stderr:" + new String(target.process.getErrorStream().readAllBytes(),
                StandardCharsets.UTF_8));
            return target.lines;
        }
    }

    /** bin/iotrace attach as a user starts it; returns once it says it is attached. */
    private static Process attach(final Path traceDir, final long pid, final Path stderr) throws Exception
    {
        if (!Files.isExecutable(LAUNCHER))
        {
            fail("bin/iotrace not built: run `make launcher` in " + CliHarness.HOME);
        }
        final Process iotrace = new ProcessBuilder(LAUNCHER.toString(), "attach", "-d", traceDir.toString(),
            Long.toString(pid)).redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(stderr.toFile()).start();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!(Files.exists(stderr) && Files.readString(stderr).contains("iotrace: attached to pid " + pid)))
        {
            assertTrue(iotrace.isAlive(), () -> "iotrace attach ended: " + read(stderr));
            assertTrue(System.nanoTime() < deadline, () -> "not attached: " + read(stderr));
            Thread.sleep(20);
        }
        return iotrace;
    }

    private static String read(final Path file)
    {
        try
        {
            return Files.readString(file);
        }
        catch (final IOException ex)
        {
            return "(" + ex.getMessage() + ")";
        }
    }

    private static String status(final long pid, final String field) throws IOException
    {
        return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
            .filter(l -> l.startsWith(field + ":")).findFirst().orElseThrow().substring(field.length() + 1).strip();
    }

    /** function, traced_filename and descriptor of a record, and whether a second thread made it. */
    private record Call(String function, String file, int descriptor, boolean otherThread)
    {
    }

    private static Call call(final JsonNode r)
    {
        final JsonNode descriptor = r.path("file_type").path("descriptor");
        return new Call(r.get("function_name").asText(), r.get("traced_filename").asText(),
            descriptor.isMissingNode() ? -1 : descriptor.asInt(), r.get("tid").asLong() != r.get("pid").asLong());
    }

    private static final Set<String> SEEDS = Set.of("process_start", "fd_discovered", "map_discovered");

    @Test
    void recordsAfterTheAttachNameTheHandlesFoundInProcAndTheProgramEndsAsUntraced() throws Exception
    {
        final List<String> expected = untracedRun(Files.createDirectories(tmp.resolve("reference")));
        final Path data = Files.createDirectories(tmp.resolve("data")).toRealPath();
        final Path traceDir = tmp.resolve("trace");
        final Path stderr = tmp.resolve("attach.err");
        final List<JsonNode> trace;
        final long pid;
        try (Target target = new Target(data))
        {
            pid = target.pid();
            assertEquals("ready", target.line());
            final Process iotrace = attach(traceDir, pid, stderr);
            target.step();
            assertEquals("phase2 3", target.line());

            // Ctrl-C: iotrace passes it on to its tracer, which detaches
            assertEquals(0, new ProcessBuilder("kill", "-INT", Long.toString(iotrace.pid())).start().waitFor());
            assertTrue(iotrace.waitFor(60, TimeUnit.SECONDS), read(stderr));
            assertEquals(0, iotrace.exitValue(), read(stderr));
            assertEquals(List.of("iotrace: attached to pid " + pid + " (every system call now stops twice; Ctrl-C " +
                    "detaches)", "iotrace: detached from pid " + pid + ", which runs on; trace in " + traceDir +
                    " (2 process files)"),
                Files.readString(stderr).lines().toList());
            // nothing left behind: no tracer, no seccomp filter
            assertEquals("0", status(pid, "TracerPid"));
            assertEquals("0", status(pid, "Seccomp"));

            target.step();
            assertEquals("done", target.line());
            assertEquals(7, target.process.waitFor());
            target.lines.add("stderr:" + new String(target.process.getErrorStream().readAllBytes(),
                StandardCharsets.UTF_8));
            assertEquals(expected, target.lines);
        }
        trace = records(traceDir);

        final String a = data + "/a.dat";
        final String b = data + "/b.dat";
        final String m = data + "/m.dat";
        final List<JsonNode> own = trace.stream().filter(r -> r.get("pid").asLong() == pid).toList();
        // the handles found open, named as the kernel names them
        final List<JsonNode> found = own.stream().filter(r -> "fd_discovered".equals(r.get("function_name")
            .asText())).toList();
        final String pipe = found.stream().filter(r -> 5 == r.get("function_data").get("fd").asInt()).findFirst()
            .orElseThrow().get("traced_filename").asText();
        final String socket = found.stream().filter(r -> 7 == r.get("function_data").get("fd").asInt()).findFirst()
            .orElseThrow().get("traced_filename").asText();
        assertTrue(pipe.matches("pipe:\\[[0-9]+]"), pipe);
        assertTrue(socket.matches("socket:\\[[0-9]+]"), socket);
        assertEquals(List.of(a, b, pipe, pipe, socket), found.stream().filter(r -> {
            final int fd = r.get("function_data").get("fd").asInt();
            return fd >= 3 && fd <= 7;
        }).map(r -> r.get("traced_filename").asText()).toList());
        assertTrue(found.stream().allMatch(r -> "start".equals(r.get("function_data").get("how").asText())));
        final List<JsonNode> mapped = own.stream().filter(r -> "map_discovered".equals(r.get("function_name")
            .asText()) && m.equals(r.get("traced_filename").asText())).toList();
        assertEquals(1, mapped.size(), own.toString());
        assertEquals(4096, mapped.getFirst().get("file_type").get("length").asLong());

        // its calls after the attach, the thread's and the child's: the data calls on descriptors opened before it
        // (a.dat, b.dat, the pipes) name the files found in /proc/PID/fd. First the read(0) it was blocked in when
        // iotrace attached (restarted: once, with its byte), last its "phase2 3" to stdout
        final String stdin = found.stream().filter(r -> 0 == r.get("function_data").get("fd").asInt()).findFirst()
            .orElseThrow().get("traced_filename").asText();
        final String stdout = found.stream().filter(r -> 1 == r.get("function_data").get("fd").asInt()).findFirst()
            .orElseThrow().get("traced_filename").asText();
        final String threadPipe = found.stream().filter(r -> 8 == r.get("function_data").get("fd").asInt())
            .findFirst().orElseThrow().get("traced_filename").asText();
        // per thread (the order between the two threads is the scheduler's)
        final List<Call> calls = own.stream().filter(r -> !SEEDS.contains(r.get("function_name").asText()))
            .map(AttachCommandTest::call).toList();
        assertEquals(List.of(
            new Call("read", stdin, 0, false),
            new Call("write", a, 3, false),
            new Call("lseek", a, 3, false),
            new Call("read", a, 3, false),
            new Call("fsync", a, 3, false),
            new Call("pread64", b, 4, false),
            new Call("fcntl", b, 4, false),
            new Call("close", b, 20, false),
            new Call("write", pipe, 6, false),
            new Call("read", pipe, 5, false),
            new Call("close", pipe, 5, false),
            new Call("close", pipe, 6, false),
            new Call("close", socket, 7, false),
            new Call("mremap", m, -1, false),
            new Call("munmap", m, -1, false),
            new Call("write", threadPipe, 9, false),
            new Call("fork", "<not a file>", -1, false),
            new Call("close", a, 3, false),
            new Call("write", stdout, 1, false)),
            calls.stream().filter(c -> !c.otherThread()).toList());
        assertEquals(List.of(
            new Call("read", threadPipe, 8, true),
            new Call("dup", a, 5, true),
            new Call("close", a, 5, true)),
            calls.stream().filter(Call::otherThread).toList());
        // the bytes of the main thread's data calls, in the same order
        assertEquals(List.of(1L, 5L, 5L, 4L, 1L, 1L, 1L, 9L), own.stream().filter(r -> r.get("tid").asLong() == pid)
            .map(r -> r.path("function_data")).filter(d -> d.has("read_bytes") || d.has("written_bytes"))
            .map(d -> d.has("read_bytes") ?
                d.get("read_bytes").asLong() : d.get("written_bytes").asLong()).toList());
        assertEquals(0, own.stream().filter(r -> "pread64".equals(r.get("function_name").asText())).findFirst()
            .orElseThrow().get("function_data").get("position").asLong());
        final List<JsonNode> child = trace.stream().filter(r -> r.get("pid").asLong() != pid).toList();
        assertEquals(List.of(
            new Call("close", b, 4, false),
            new Call("openat", data + "/child.dat", 4, false),
            new Call("write", data + "/child.dat", 4, false),
            new Call("close", data + "/child.dat", 4, false)),
            child.stream().filter(r -> !SEEDS.contains(r.get("function_name").asText())).map(AttachCommandTest::call)
                .toList());
        assertEquals(pid, child.getFirst().get("ppid").asLong());

        // every record is the tracer's; nothing after the detach; nothing unresolved; no warning at all (no bypass
        // warnings: there is no shim to bypass; the child got its parent's handles from the fork record)
        assertTrue(trace.stream().allMatch(r -> "process_start".equals(r.get("function_name").asText()) ||
            "syscall".equals(r.path("function_data").path("source").asText())), trace.toString());
        assertTrue(trace.stream().noneMatch(r -> r.get("traced_filename").asText().contains("c.dat")));
        assertTrue(trace.stream().noneMatch(r -> r.get("traced_filename").asText().contains("unresolved")));
        final Path warnings = traceDir.resolve("iotrace-warnings.jsonl");
        assertFalse(Files.exists(warnings), () -> read(warnings));
    }

    @Test
    void aMissingPidIsOneLine()
    {
        final CliHarness.Result missing = cli("attach", "-d", tmp.resolve("t").toString(), "99999999");
        assertEquals(1, missing.status(), missing.err());
        assertEquals("iotrace attach: no process with pid 99999999\n", missing.err());
        assertFalse(Files.exists(tmp.resolve("t")));

        final CliHarness.Result notANumber = cli("attach", "twelve");
        assertEquals(2, notANumber.status(), notANumber.err());
        CliHarness.assertOneLine(notANumber.err());
    }

    @Test
    void aProcessTheShimTracesIsOneLineAndRunsOn() throws Exception
    {
        final Path data = Files.createDirectories(tmp.resolve("data"));
        try (Target target = new Target(data, tmp.resolve("shim-trace")))
        {
            assertEquals("ready", target.line());
            final CliHarness.Result attach = cli("attach", "-d", tmp.resolve("attached").toString(),
                Long.toString(target.pid()));
            assertEquals(1, attach.status(), attach.err());
            assertEquals("iotrace attach: pid " + target.pid() + " (attach_target) is traced by iotrace's shim " +
                "already (libiotrace_shared.so is loaded; its records go to its own trace): attaching would record " +
                "its calls twice\n", attach.err());
            assertEquals("0", status(target.pid(), "TracerPid"), "nothing attached");
            target.step();
            assertEquals("phase2 3", target.line());
            target.step();
            assertEquals("done", target.line());
            assertEquals(7, target.process.waitFor());
        }
    }

    @Test
    void anAlreadyTracedProcessIsOneLineAndKeepsItsTracer() throws Exception
    {
        final Path data = Files.createDirectories(tmp.resolve("data"));
        try (Target target = new Target(data))
        {
            assertEquals("ready", target.line());
            final Process first = attach(tmp.resolve("first"), target.pid(), tmp.resolve("first.err"));
            final CliHarness.Result second = cli("attach", "-d", tmp.resolve("second").toString(),
                Long.toString(target.pid()));
            assertEquals(1, second.status(), second.err());
            final String tracer = status(target.pid(), "TracerPid");
            assertEquals("iotrace attach: pid " + target.pid() + " (attach_target) is already traced by pid " +
                tracer + " (iotrace-ptrace): a process has one tracer at a time\n", second.err());

            first.destroy(); // SIGTERM detaches too
            assertTrue(first.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, first.exitValue(), read(tmp.resolve("first.err")));
            target.step();
            assertEquals("phase2 3", target.line());
            target.step();
            assertEquals("done", target.line());
            assertEquals(7, target.process.waitFor());
        }
    }

    @Test
    void anotherUsersProcessIsNotPermittedInOneLine() throws Exception
    {
        Assumptions.assumeTrue("0".equals(status(ProcessHandle.current().pid(), "Uid").split("\\s+")[0]) &&
            Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs root (to run iotrace as nobody) and setpriv");
        // a directory nobody may write (the test's own temporary directory is root's alone)
        final Path shared = Files.createTempDirectory(Path.of("/tmp"), "iotrace-attach-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxrwxrwx")));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        try (Target target = new Target(Files.createDirectories(tmp.resolve("data"))))
        {
            assertEquals("ready", target.line());
            final Process asNobody = new ProcessBuilder("/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                "--clear-groups", LAUNCHER.toString(), "attach", "-d", shared.resolve("t").toString(),
                Long.toString(target.pid())).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            final String err = new String(asNobody.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(1, asNobody.waitFor(), err);
            assertEquals("iotrace attach: not permitted to trace pid " + target.pid() + " (attach_target): it runs " +
                "as another user (uid 0); ptrace needs the same user or root\n", err);
            assertEquals("0", status(target.pid(), "TracerPid"));
            target.step();
            assertEquals("phase2 3", target.line());
            target.step();
            assertEquals("done", target.line());
            assertEquals(7, target.process.waitFor());
        }
        finally
        {
            new ProcessBuilder("rm", "-rf", shared.toString()).start().waitFor();
        }
    }
}
