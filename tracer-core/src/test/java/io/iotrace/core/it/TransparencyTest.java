package io.iotrace.core.it;

import io.iotrace.core.session.TraceSession;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 8's differential harness: each program runs untraced and traced, each time in a fresh copy of the same
 * data directory, and must give the same exit status, stdout, stderr, the same files (names, types, bytes) and the
 * same sequence of failing system calls with their errno. The errno sequence comes from strace (failed calls only,
 * every process of the tree) run over both: the traced run's list, without the shim's own calls (those on its
 * runtime and trace directories and /proc/self), must equal the untraced one after run-to-run noise (pids,
 * addresses, inodes, ports, timed futex waits) is normalised.
 */
class TransparencyTest
{
    private static final Path STRACE = Path.of("/usr/bin/strace");
    private static final Path SCRIPTS = TracedRun.HOME.resolve("test-programs/scripts");

    @TempDir
    Path work;

    /**
     * @param name        the case
     * @param command     command line; {@code DATA} stands for the run's data directory
     * @param normalise   run-to-run noise of this program's own output and syscall arguments, replaced
     * @param withSources whether the data directory starts with a small source tree (tar's input)
     */
    record Case(String name, List<String> command, UnaryOperator<String> normalise, boolean withSources)
    {
        @Override
        public String toString()
        {
            return name;
        }
    }

    private static Case program(final String name, final UnaryOperator<String> normalise)
    {
        return new Case(name, List.of(TracedRun.binary(name), "DATA"), normalise, false);
    }

    private static UnaryOperator<String> replacing(final String regex, final String replacement)
    {
        final Pattern pattern = Pattern.compile(regex);
        return s -> pattern.matcher(s).replaceAll(replacement);
    }

    static Stream<Case> cases()
    {
        final UnaryOperator<String> none = UnaryOperator.identity();
        final List<Case> cases = new ArrayList<>();
        for (final String name : List.of("basic_io", "dirs", "dup_fcntl", "errno_probe", "fd_io_extra", "fd_io_more",
            "fortify", "largefile", "metadata", "odd_names", "stdio", "stdio_more", "dirs-lfs", "stdio_more-lfs"))
        {
            cases.add(program(name, none));
        }
        cases.add(program("mmap", none));
        cases.add(program("mmap_more", none));
        cases.add(program("async_io", replacing("pid \\d+", "pid N")));
        cases.add(program("sockets", replacing("\\b\\d{2,5}\\b", "N")));
        // sem_open's temporary name is random, the semaphore's name carries the pid
        cases.add(program("glibc_internal", replacing("sem\\.[A-Za-z0-9]{6}\"", "sem.XXXXXX\"")
            .andThen(replacing("sem-\\d+", "sem-N"))::apply));
        cases.add(new Case("pipe_io", List.of(TracedRun.binary("pipe_io")), none, false));
        cases.add(new Case("python3", List.of("python3", SCRIPTS.resolve("transparency.py").toString(), "DATA"), none,
            false));
        cases.add(new Case("sqlite3", List.of("/bin/sh", "-c",
            "sqlite3 DATA/small.db < " + SCRIPTS.resolve("small_db.sql")), none, false));
        cases.add(new Case("tar", List.of("/bin/sh", "-c",
            "tar cf DATA/sources.tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C DATA/src . && " +
                "mkdir DATA/extracted && tar xf DATA/sources.tar -C DATA/extracted && tar tvf DATA/sources.tar"),
            none, true));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void shouldNotBeNoticedByTheProgram(final Case c) throws Exception
    {
        Assumptions.assumeTrue(Files.isExecutable(STRACE), "strace is needed (scripts/setup.sh installs it)");
        // one-letter run directories: paths of equal length (async_io prints getcwd's length)
        final Run plain = run(c, "untraced", "u", false, true);
        final Run underStrace = run(c, "traced under strace", "s", true, true);
        final Run traced = run(c, "traced", "t", true, false);

        for (final Run other : List.of(underStrace, traced))
        {
            final String what = c.name() + " " + other.label() + " vs untraced: ";
            assertEquals(plain.exitStatus(), other.exitStatus(), what + "exit status\n" + other.stderr());
            assertEquals(plain.stdout(), other.stdout(), what + "stdout");
            assertEquals(plain.stderr(), other.stderr(), what + "stderr (the tracer writes nothing there)");
            assertEquals(plain.files(), other.files(), what + "files produced");
        }
        assertEquals(String.join("\n", plain.failedSyscalls()), String.join("\n", underStrace.failedSyscalls()),
            c.name() + ": the failing system calls and their errno, in order");

        // the traced runs were really traced: every process has its trace, nothing was lost
        final TraceRecords trace = TraceRecords.load(traced.traceDir());
        assertTrue(trace.calls().size() > 0, c.name() + ": records");
        assertEquals(List.of(), trace.warnings().stream().filter(w -> w.toString().contains("lost")).toList());
        TracedRun.recover(underStrace.traceDir()); // the strace run had no collector: its rings become JSON too
        assertTrue(TraceRecords.load(underStrace.traceDir()).calls().size() > 0, c.name() + ": recovered records");
    }

    private record Run(String label, int exitStatus, String stdout, String stderr, Map<String, String> files,
                       List<String> failedSyscalls, Path traceDir)
    {
    }

    private Run run(final Case c, final String label, final String dir, final boolean traced, final boolean strace)
        throws Exception
    {
        final Path base = Files.createDirectories(work.resolve(dir));
        final Path data = Files.createDirectories(base.resolve("data")).toRealPath();
        if (c.withSources())
        {
            writeSources(data.resolve("src"));
        }
        final Path traceDir = base.resolve("trace");
        final Path straceLog = base.resolve("strace.log");
        final List<String> command = new ArrayList<>();
        if (strace)
        {
            command.addAll(List.of(STRACE.toString(), "-f", "-qq", "-y", "-s", "4096", "-e", "status=failed", "-o",
                straceLog.toString()));
        }
        c.command().forEach(arg -> command.add(arg.replace("DATA", data.toString())));
        final ProcessBuilder builder = new ProcessBuilder(command).directory(data.toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("IOTRACE_") || k.equals("LD_PRELOAD"));
        if (traced)
        {
            builder.environment().put("LD_PRELOAD", TracedRun.SHIM.toString());
            builder.environment().put("IOTRACE_DIR", traceDir.toString());
            if (strace)
            {
                builder.environment().put("IOTRACE_COLLECTOR", "none"); // strace -f would follow the collector JVM
            }
        }
        final Path out = base.resolve("stdout");
        final Path err = base.resolve("stderr");
        final Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(process.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), c.name() + " " + label + " hung");
        if (traced && !strace)
        {
            assertTrue(TraceSession.awaitCollector(traceDir, Duration.ofSeconds(60)));
        }
        // the run's own directories, and addresses (mmap's programs print them), are noise
        final String runDir = base.toRealPath().toString();
        final UnaryOperator<String> noise = s -> c.normalise().apply(s.replace(data.toString(), "DATA")
            .replace(runDir, "RUN").replaceAll("0x[0-9a-f]+", "ADDR"));
        final List<String> failed = strace ? failedSyscalls(straceLog, traceDir, noise) : List.of();
        return new Run(label, process.exitValue(), noise.apply(Files.readString(out)),
            noise.apply(Files.readString(err)), files(data), failed, traceDir);
    }

    /** strace's failed calls, without the shim's own and with run-to-run noise replaced. */
    private static List<String> failedSyscalls(final Path log, final Path traceDir, final UnaryOperator<String> noise)
        throws IOException
    {
        final List<String> calls = new ArrayList<>();
        for (final String line : Files.readAllLines(log))
        {
            if (line.contains("/dev/shm/iotrace-") || line.contains(traceDir.toString()) ||
                line.contains("/proc/self/") || line.contains("futex("))
            {
                continue; // the shim's own calls; futex waits fail by timing (EAGAIN), not by the program
            }
            String normalised = line.replaceFirst("^\\d+ +", "")
                .replaceAll("0x[0-9a-f]+", "ADDR")
                .replaceAll("\\[\\d+]", "[N]")
                .replaceAll("\\d+ vars", "N vars") // LD_PRELOAD and IOTRACE_* are in the traced env
                .replaceAll("si_pid=\\d+", "si_pid=N")
                .replaceAll("si_(u|s)time=[^,}]*", "si_$1time=T")
                .replaceAll("htons\\(\\d+\\)", "htons(N)");
            calls.add(noise.apply(normalised));
        }
        return calls;
    }

    /** Every entry below dir: relative name → type and content (sha-256 for files, target for links). */
    private static Map<String, String> files(final Path dir) throws IOException
    {
        final Map<String, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir))
        {
            for (final Path p : walk.toList())
            {
                final String name = dir.relativize(p).toString();
                if (Files.isSymbolicLink(p))
                {
                    files.put(name, "link " + Files.readSymbolicLink(p));
                }
                else if (Files.isDirectory(p))
                {
                    files.put(name, "dir");
                }
                else if (Files.isRegularFile(p))
                {
                    files.put(name, "file " + sha256(p));
                }
                else
                {
                    files.put(name, "special");
                }
            }
        }
        return files;
    }

    /** Size and sha-256; of a file above 64 MiB (largefile's sparse 5 GiB) only its first and last MiB are hashed. */
    private static String sha256(final Path file) throws IOException
    {
        final long size = Files.size(file);
        try (java.nio.channels.FileChannel in = java.nio.channels.FileChannel.open(file))
        {
            final MessageDigest digest = MessageDigest.getInstance("SHA-256");
            final java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate(1 << 16);
            final long head = size > (64L << 20) ? 1L << 20 : size;
            hash(in, 0, head, buffer, digest);
            if (head < size)
            {
                hash(in, size - (1L << 20), size, buffer, digest);
            }
            return size + " " + HexFormat.of().formatHex(digest.digest());
        }
        catch (final java.security.NoSuchAlgorithmException e)
        {
            throw new IllegalStateException(e);
        }
    }

    private static void hash(final java.nio.channels.FileChannel in, final long from, final long to,
        final java.nio.ByteBuffer buffer, final MessageDigest digest) throws IOException
    {
        for (long at = from; at < to; )
        {
            buffer.clear().limit((int)Math.min(buffer.capacity(), to - at));
            final int n = in.read(buffer, at);
            if (n <= 0)
            {
                break;
            }
            digest.update(buffer.array(), 0, n);
            at += n;
        }
    }

    private static void writeSources(final Path src) throws IOException
    {
        Files.createDirectories(src.resolve("sub/deeper"));
        for (int i = 0; i < 12; i++)
        {
            final StringBuilder text = new StringBuilder();
            for (int line = 0; line < 200 * (i + 1); line++)
            {
                text.append("source ").append(i).append(" line ").append(line).append('\n');
            }
            Files.writeString(src.resolve((i % 3 == 0 ? "" : i % 3 == 1 ? "sub/" : "sub/deeper/") + "s" + i + ".txt"),
                text);
        }
        Files.createSymbolicLink(src.resolve("link-to-s0"), Path.of("s0.txt"));
    }
}
