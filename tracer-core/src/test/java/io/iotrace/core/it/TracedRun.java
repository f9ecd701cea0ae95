package io.iotrace.core.it;

import io.iotrace.core.session.TraceSession;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs a test program (or any command) with libiotrace_shared.so preloaded and a fresh IOTRACE_DIR, waits for
 * the session's collector, and loads the trace.
 */
public final class TracedRun
{
    /** Repository root: the {@code iotrace.home} system property (set by surefire), else found from the cwd. */
    public static final Path HOME = findHome();
    /** The shim. */
    public static final Path SHIM = HOME.resolve("native-shim/build/libiotrace_shared.so");
    /** The collector launcher. */
    public static final Path COLLECTOR = HOME.resolve("native-shim/build/iotrace-collector");

    private final List<String> command = new ArrayList<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private boolean traced = true;
    private Path stdoutFile;
    private Path defaultTraceDirIn;
    private Path traceDir;
    private final Map<Integer, Path> inheritedFds = new LinkedHashMap<>();

    private TracedRun(final List<String> command)
    {
        this.command.addAll(command);
    }

    /**
     * @param program name of a program in test-programs/build.
     * @param args    its arguments.
     * @return a run to configure.
     */
    public static TracedRun program(final String program, final String... args)
    {
        final Path binary = HOME.resolve("test-programs/build").resolve(program);
        if (!Files.isExecutable(binary) || !Files.exists(SHIM) || !Files.exists(COLLECTOR))
        {
            fail("test programs, shim or collector launcher not built (" + binary + ", " + SHIM + ", " + COLLECTOR +
                "): run `make` in " + HOME);
        }
        final List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(List.of(args));
        return new TracedRun(command);
    }

    /**
     * @param command any command line, e.g. {@code sh -c ...}.
     * @return a run to configure.
     */
    public static TracedRun command(final String... command)
    {
        return new TracedRun(List.of(command));
    }

    /** @return the absolute path of a test program. */
    public static String binary(final String program)
    {
        return HOME.resolve("test-programs/build").resolve(program).toString();
    }

    public TracedRun env(final String name, final String value)
    {
        env.put(name, value);
        return this;
    }

    /** Run without the preload (the differential test's baseline). */
    public TracedRun untraced()
    {
        traced = false;
        return this;
    }

    /**
     * Run {@code iotrace-collector recover traceDir} and check that it succeeded.
     *
     * @return its one-line summary.
     */
    public static String recover(final Path traceDir) throws Exception
    {
        // its log lines (stderr) go to the test output; the summary line is its stdout
        final Process recover = new ProcessBuilder(COLLECTOR.toString(), "recover", traceDir.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        final String output = new String(recover.getInputStream().readAllBytes(),
            java.nio.charset.StandardCharsets.UTF_8);
        org.junit.jupiter.api.Assertions.assertEquals(0, recover.waitFor(), output);
        assertTrue(output.startsWith("iotrace recover: "), output);
        return output;
    }

    /**
     * Run in dir without IOTRACE_DIR: the first traced process makes its default trace directory there
     * (iotrace-<time>-<pid>) and every traced descendant must find that session through its parent.
     */
    public TracedRun withDefaultTraceDirIn(final Path dir)
    {
        defaultTraceDirIn = dir;
        return this;
    }

    private static Path onlyDefaultTraceDir(final Path dir) throws IOException
    {
        try (java.util.stream.Stream<Path> list = Files.list(dir))
        {
            final List<Path> made = list.filter(p -> p.getFileName().toString().startsWith("iotrace-")).toList();
            if (1 != made.size())
            {
                fail("expected exactly one default trace directory in " + dir + ", found " + made);
            }
            return made.get(0);
        }
    }

    /** Send the program's stdout to a file instead of a pipe. */
    public TracedRun stdoutTo(final Path file)
    {
        stdoutFile = file;
        return this;
    }

    /**
     * Start the program with descriptor {@code fd} already open for writing on {@code file} (created or
     * truncated), as a shell redirection leaves it: the command runs as
     * {@code sh -c 'exec FD>"FILE"; exec "$@"' sh PROGRAM ARGS...}, so the (traced) shell opens the file and the
     * program, a later incarnation of the shell's pid, inherits the descriptor.
     */
    public TracedRun inheritedFd(final int fd, final Path file)
    {
        if (fd < 3 || fd > 9)
        {
            throw new IllegalArgumentException("a shell redirection takes fd 3..9: " + fd);
        }
        inheritedFds.put(fd, file);
        return this;
    }

    /** Use this trace directory instead of a fresh one. */
    public TracedRun traceDir(final Path dir)
    {
        traceDir = dir;
        return this;
    }

    /**
     * Start the program without waiting for it.
     *
     * @param workDir where the fresh trace directory is made (work/trace).
     * @return the started process and its trace directory.
     * @throws IOException if it cannot start.
     */
    public Started start(final Path workDir) throws IOException
    {
        final Path dir = null != traceDir ? traceDir : workDir.resolve("trace");
        final ProcessBuilder builder = new ProcessBuilder(commandLine());
        final Map<String, String> environment = builder.environment();
        environment.keySet().removeIf(k -> k.startsWith("IOTRACE_") || k.equals("LD_PRELOAD"));
        if (traced)
        {
            environment.put("LD_PRELOAD", SHIM.toString());
            if (null == defaultTraceDirIn)
            {
                environment.put("IOTRACE_DIR", dir.toString());
            }
            else
            {
                builder.directory(defaultTraceDirIn.toFile());
            }
        }
        environment.putAll(env);
        if (null != stdoutFile)
        {
            builder.redirectOutput(stdoutFile.toFile());
        }
        return new Started(builder.start(), dir);
    }

    /**
     * Run to completion, then wait for the collector and load the trace.
     *
     * @param workDir the test's temporary directory.
     * @return outcome and records.
     * @throws Exception on failure to run.
     */
    public Outcome run(final Path workDir) throws Exception
    {
        final Started started = start(workDir);
        Outcome outcome = started.finish(Duration.ofSeconds(120));
        if (null != defaultTraceDirIn)
        {
            outcome = outcome.inTraceDir(onlyDefaultTraceDir(defaultTraceDirIn));
        }
        if (traced)
        {
            outcome.awaitTrace();
        }
        return outcome;
    }

    private List<String> commandLine()
    {
        if (inheritedFds.isEmpty())
        {
            return command;
        }
        final StringBuilder script = new StringBuilder("exec");
        final List<String> line = new ArrayList<>(List.of("/bin/sh", "-c", "", "sh"));
        int position = 1;
        for (final Map.Entry<Integer, Path> fd : inheritedFds.entrySet())
        {
            script.append(' ').append(fd.getKey()).append(">\"$").append(position++).append('"');
            line.add(fd.getValue().toString());
        }
        script.append("; shift ").append(inheritedFds.size()).append("; exec \"$@\"");
        line.set(2, script.toString());
        line.addAll(command);
        return line;
    }

    /** A started program. */
    public static final class Started
    {
        final Process process;
        final Path traceDir;

        Started(final Process process, final Path traceDir)
        {
            this.process = process;
            this.traceDir = traceDir;
        }

        /** @return the process. */
        public Process process()
        {
            return process;
        }

        /** @return the trace directory. */
        public Path traceDir()
        {
            return traceDir;
        }

        /** Read one line of the program's stdout (blocking). */
        public String readLine() throws IOException
        {
            final StringBuilder line = new StringBuilder();
            int c;
            while ((c = process.getInputStream().read()) >= 0 && c != '\n')
            {
                line.append((char)c);
            }
            return line.toString();
        }

        /** Wait for the program to exit and collect its output. */
        public Outcome finish(final Duration timeout) throws Exception
        {
            final byte[][] streams = new byte[2][];
            final Thread outReader = Thread.ofVirtual().start(() -> streams[0] = readAll(process.getInputStream()));
            final Thread errReader = Thread.ofVirtual().start(() -> streams[1] = readAll(process.getErrorStream()));
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS))
            {
                process.destroyForcibly();
                fail("program did not finish in " + timeout);
            }
            outReader.join();
            errReader.join();
            return new Outcome(process.exitValue(), new String(streams[0], StandardCharsets.UTF_8),
                new String(streams[1], StandardCharsets.UTF_8), traceDir);
        }

        private static byte[] readAll(final java.io.InputStream in)
        {
            try
            {
                return in.readAllBytes();
            }
            catch (final IOException ex)
            {
                return new byte[0];
            }
        }
    }

    /** Exit status, output and (once awaited) the trace of a run. */
    public static final class Outcome
    {
        private final int exitStatus;
        private final String stdout;
        private final String stderr;
        private final Path traceDir;
        private TraceRecords records;

        Outcome inTraceDir(final Path dir)
        {
            return new Outcome(exitStatus, stdout, stderr, dir);
        }

        Outcome(final int exitStatus, final String stdout, final String stderr, final Path traceDir)
        {
            this.exitStatus = exitStatus;
            this.stdout = stdout;
            this.stderr = stderr;
            this.traceDir = traceDir;
        }

        void awaitTrace()
        {
            if (!Files.isDirectory(traceDir))
            {
                return;
            }
            assertTrue(TraceSession.awaitCollector(traceDir, Duration.ofSeconds(60)),
                "collector of " + traceDir + " did not finish");
        }

        public int exitStatus()
        {
            return exitStatus;
        }

        public String stdout()
        {
            return stdout;
        }

        public String stderr()
        {
            return stderr;
        }

        public Path traceDir()
        {
            return traceDir;
        }

        /** @return every record, loaded and schema-checked at the first call (a test that streams never loads). */
        public TraceRecords records()
        {
            if (null == records && Files.isDirectory(traceDir))
            {
                records = TraceRecords.load(traceDir);
            }
            return records;
        }
    }

    private static Path findHome()
    {
        final String property = System.getProperty("iotrace.home");
        if (null != property && Files.isDirectory(Path.of(property, "native-shim")))
        {
            return Path.of(property).toAbsolutePath();
        }
        Path dir = Path.of("").toAbsolutePath();
        while (null != dir && !Files.isDirectory(dir.resolve("native-shim")))
        {
            dir = dir.getParent();
        }
        if (null == dir)
        {
            throw new IllegalStateException("cannot find the iotrace repository (set -Diotrace.home)");
        }
        return dir;
    }
}
