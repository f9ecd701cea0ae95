package io.iotrace.cli;

import io.iotrace.core.collector.RecordFilter;
import io.iotrace.core.format.FunctionTable;
import io.iotrace.core.session.TraceSession;
import io.iotrace.core.summary.TraceDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code iotrace run [options] -- cmd args}: runs a program with the shim preloaded, waits for the session's
 * collector and says where the trace is.
 */
@Command(
    name = "run",
    header = "Run a program under the tracer.",
    mixinStandardHelpOptions = true,
    description = {
        "Run a program under the tracer: LD_PRELOAD gets the iotrace shim (in front of an existing LD_PRELOAD), " +
            "IOTRACE_DIR the trace directory. The program's stdin, stdout and stderr are its own; iotrace's exit " +
            "status is the program's (128+N when signal N killed it). When the program has ended, iotrace waits " +
            "for the session's collector and prints the trace directory in one line on stderr.",
        "Every process the program starts (fork, exec, sh -c) is traced into the same directory.",
        "",
        "Filtering (--functions, --exclude-path) happens in the collector when it writes the records " +
            "(environment IOTRACE_FUNCTIONS, IOTRACE_EXCLUDE_PATH): the shim still records every call, so that " +
            "files opened by calls that are not written still name the records that are."},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {"N:the program's exit status (128+signal when killed by a signal)",
        "1:the tracer is not built, or the trace directory cannot be used",
        "2:usage error", "127:the program cannot be started"})
final class RunCommand implements Callable<Integer>
{
    /** The shim, relative to iotrace.home. */
    static final String SHIM = "native-shim/build/libiotrace_shared.so";
    /** How long run waits for the collector before saying that it waits. */
    static final java.time.Duration QUIET_WAIT = java.time.Duration.ofSeconds(3);

    @Option(names = {"-d", "--dir"}, paramLabel = "DIR",
        description = "Trace directory (default: iotrace-<yyyyMMdd>-<HHmmss> in the current directory). Processes " +
            "of other runs with the same directory join the same trace.")
    Path dir;

    @Option(names = "--functions", paramLabel = "NAME", split = ",",
        description = "Write only the records of these functions (names as in the records' function_name, e.g. " +
            "open,read,write,close).")
    List<String> functions;

    @Option(names = "--exclude-path", paramLabel = "GLOB",
        description = "Do not write records whose traced_filename matches this glob (e.g. '/usr/lib/**', " +
            "'/proc/**'; ** crosses directories, * does not). Repeatable.")
    List<String> excludedPaths;

    @Option(names = "--ptrace", paramLabel = "on|off", defaultValue = "off",
        description = "The ptrace fallback (environment IOTRACE_PTRACE): records the opens, closes, dups and " +
            "mmaps that bypass the libc functions (glibc-internal calls, raw system calls) into the same trace " +
            "(default: ${DEFAULT-VALUE}).")
    PtraceMode ptrace;

    @Option(names = "--ptrace-only",
        description = "Trace with ptrace alone, without LD_PRELOAD (for statically linked programs, where the " +
            "shim cannot load): the handle calls (open, close, dup, mmap of a file, socket, pipe, ...), the reads " +
            "and writes (read, write, pread64, pwrite64, readv, writev, preadv(2), pwritev(2), sendfile, " +
            "copy_file_range, splice), lseek, fsync, fdatasync, truncate, ftruncate, fallocate, flock, munmap, " +
            "msync, chdir and the metadata calls (fstat, fstatat, statx, getdents64, unlink, rename, mkdir, " +
            "rmdir) of the program and its children are recorded as system calls, with the same JSON and file " +
            "names as the shim's records of the functions of the same names. Each of them stops the program " +
            "twice (tens of microseconds).")
    boolean ptraceOnly;

    @Parameters(paramLabel = "COMMAND", arity = "1..*",
        description = "The program and its arguments (after --, so that its options are not taken for iotrace's).")
    List<String> command;

    /** --ptrace values. */
    enum PtraceMode
    {
        on,
        off
    }

    /** A setuid/setgid or statically linked program cannot load the shim: say so before running it anyway. */
    private static void warnIfUntraceable(final String program)
    {
        final Path file = io.iotrace.core.collector.UntracedImage.locate(program);
        if (null == file)
        {
            return;
        }
        try
        {
            final String why = io.iotrace.core.collector.UntracedImage.whyUntraceable(file);
            if (null != why)
            {
                IotraceCli.err().println("iotrace: " + program + " will run untraced: " + why);
            }
        }
        catch (final IOException | RuntimeException ignore)
        {
            // not readable: running it will tell
        }
    }

    @Override
    public Integer call() throws IOException
    {
        final Path home = IotraceCli.home();
        final Path shim = home.resolve(SHIM);
        if (!Files.isRegularFile(shim))
        {
            throw new CliException(IotraceCli.EXIT_FAILED, "no tracer library at " + shim + " (run make)");
        }
        checkFunctions();
        final Path traceDir = (null == dir ? defaultDir() : dir).toAbsolutePath().normalize();
        if (ptraceOnly)
        {
            return PtraceOnlyRun.run(home, traceDir, command);
        }

        warnIfUntraceable(command.getFirst());

        final ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
        final Map<String, String> env = builder.environment();
        final String preload = env.get("LD_PRELOAD");
        env.put("LD_PRELOAD", null == preload || preload.isBlank() ? shim.toString() : shim + ":" + preload);
        env.put("IOTRACE_DIR", traceDir.toString());
        env.put("IOTRACE_PTRACE", ptrace.name());
        if (null != functions && !functions.isEmpty())
        {
            env.put(RecordFilter.FUNCTIONS_ENV, String.join(",", functions));
        }
        if (null != excludedPaths && !excludedPaths.isEmpty())
        {
            env.put(RecordFilter.EXCLUDE_PATH_ENV, String.join(":", excludedPaths));
        }

        startCollector(shim, traceDir, env);
        final Process process;
        try
        {
            process = builder.start();
        }
        catch (final IOException ex)
        {
            throw new CliException(IotraceCli.EXIT_CANNOT_RUN, "cannot run " + command.getFirst() + ": " +
                ex.getMessage());
        }
        final int status = ProgramSignals.waitFor(process);

        final TraceDirectory trace = new TraceDirectory(traceDir);
        if (!TraceSession.awaitCollector(traceDir, QUIET_WAIT))
        {
            // e.g. a background process the program started is still running and traced
            IotraceCli.err().println("iotrace: waiting for the traced processes of " + traceDir +
                " that are still running and for its collector\u2026");
            TraceSession.awaitCollector(traceDir, TraceInput.MAX_WAIT);
        }
        if (Files.isDirectory(traceDir))
        {
            IotraceCli.err().println("iotrace: trace in " + traceDir + " (" + trace.processFiles().size() +
                " process files)");
        }
        else
        {
            IotraceCli.err().println("iotrace: no trace was written to " + traceDir +
                " (the program was not traced: statically linked, or setuid?)");
        }
        return status;
    }

    private void checkFunctions()
    {
        if (null == functions)
        {
            return;
        }
        final FunctionTable table = FunctionTable.load();
        final List<String> unknown = new ArrayList<>();
        for (final String name : functions)
        {
            if (null == table.byName(name.trim()))
            {
                unknown.add(name);
            }
        }
        if (!unknown.isEmpty())
        {
            throw new CliException(IotraceCli.EXIT_USAGE, "--functions: not traced functions: " +
                String.join(", ", unknown));
        }
    }

    private static Path defaultDir()
    {
        final String base = "iotrace-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path candidate = Path.of(base);
        for (int i = 2; Files.exists(candidate); i++)
        {
            candidate = Path.of(base + "-" + i);
        }
        return candidate;
    }

    /** How long run waits for the collector it starts before it starts the program anyway. */
    static final java.time.Duration COLLECTOR_READY_WAIT = java.time.Duration.ofSeconds(5);

    /**
     * Starts the session's collector before the program and waits until it is draining (its live counters are
     * open), so that a program doing I/O from its first moment does not wait for ring space while the collector's
     * JVM starts (~0.2-0.4 s, in which such a program fills its ring: README). The collector takes the session lock
     * itself; the program's first process then finds it held and spawns none. Best effort: when anything fails the
     * program's first process spawns the collector, as without iotrace run. In its own session (setsid), like a
     * spawned one: a Ctrl-C for the program does not stop it.
     */
    private static void startCollector(final Path shim, final Path traceDir, final Map<String, String> programEnv)
    {
        final String configured = programEnv.get("IOTRACE_COLLECTOR");
        if ("none".equals(configured) || "1".equals(programEnv.get("IOTRACE_DISABLE")))
        {
            return;
        }
        final Path launcher = null == configured || configured.isEmpty() ?
            shim.resolveSibling("iotrace-collector") : Path.of(configured);
        final Path runtimeDir;
        try
        {
            if (!Files.isExecutable(launcher))
            {
                return;
            }
            runtimeDir = TraceSession.runtimeDirFor(traceDir);
            if (TraceSession.isCollectorLockHeld(runtimeDir))
            {
                return; // the session's collector runs already
            }
            io.iotrace.core.collector.OutputFiles.createPrivateDirectory(runtimeDir);
            io.iotrace.core.collector.OutputFiles.createPrivateDirectory(traceDir);
        }
        catch (final IOException | RuntimeException ex)
        {
            return;
        }
        final List<String> command = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/setsid")))
        {
            command.addAll(List.of("/usr/bin/setsid", "-f"));
        }
        command.addAll(List.of(launcher.toString(), "--session-dir", runtimeDir.toString(), "--output-dir",
            traceDir.toString()));
        final ProcessBuilder builder = new ProcessBuilder(command)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
        final Map<String, String> env = builder.environment();
        env.clear();
        env.putAll(programEnv);
        env.remove("LD_PRELOAD");
        env.put("IOTRACE_DISABLE", "1"); // the collector never traces itself
        final long started = System.currentTimeMillis();
        try
        {
            builder.start();
        }
        catch (final IOException ex)
        {
            return;
        }
        final Path counters = io.iotrace.core.live.LiveCounters.fileIn(traceDir);
        final long deadline = System.nanoTime() + COLLECTOR_READY_WAIT.toNanos();
        while (System.nanoTime() - deadline < 0)
        {
            try
            {
                if (TraceSession.isCollectorLockHeld(runtimeDir) && Files.exists(counters) &&
                    Files.getLastModifiedTime(counters).toMillis() >= started - 1000)
                {
                    return;
                }
                Thread.sleep(5);
            }
            catch (final IOException ex)
            {
                // the counters file is being made: look again
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
