package io.iotrace.cli;

import io.iotrace.core.summary.TraceDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code iotrace attach PID}: traces a process that is already running, with ptrace-fallback's iotrace-ptrace in its
 * --attach mode (no seccomp filter: PTRACE_SYSCALL stops; see the header of ptrace-fallback/src/tracer.c) into
 * rings of its own, as {@code run --ptrace-only}. Ctrl-C, SIGTERM or SIGHUP detach: the process runs on as before.
 */
@Command(
    name = "attach",
    header = "Trace a process that is already running (ptrace).",
    mixinStandardHelpOptions = true,
    description = {
        "Trace a running process, its threads and the children it starts from now on, with ptrace: its handle " +
            "calls (open, close, dup, mmap of a file, socket, pipe, ...), reads and writes (read, write, pread64, " +
            "readv, writev, sendfile, ...), lseek, fsync, ftruncate and metadata calls (fstat, statx, unlink, " +
            "rename, ...) are recorded with the same JSON as `iotrace run --ptrace-only`. The descriptors and " +
            "file mappings it has already are read from /proc/PID/fd and /proc/PID/maps first (fd_discovered and " +
            "map_discovered records), so later records on them name their files.",
        "Every system call of the process stops twice while it is traced (no seccomp filter is installed, as " +
            "none could be removed when iotrace detaches): expect it to run slower. Ctrl-C (or SIGTERM, SIGHUP) " +
            "detaches; the process runs on unchanged. A call the process is blocked in when iotrace attaches or " +
            "detaches is restarted, except those the kernel never restarts (epoll_wait, for one, returns EINTR " +
            "then, as under strace -p or gdb)."},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {"0:detached, or the process ended", "1:no such process, not permitted, already traced, or the " +
        "tracer is not built", "2:usage error"})
final class AttachCommand implements Callable<Integer>
{
    @Option(names = {"-d", "--dir"}, paramLabel = "DIR",
        description = "Trace directory (default: iotrace-attach-<PID>-<yyyyMMdd>-<HHmmss> in the current directory).")
    Path dir;

    @Parameters(paramLabel = "PID", description = "The process to trace.")
    int pid;

    @Override
    public Integer call() throws IOException
    {
        final Path home = IotraceCli.home();
        final Path tracer = PtraceOnlyRun.tracer(home);
        checkTraceable(pid);
        final Path traceDir = (null == dir ? defaultDir(pid) : dir).toAbsolutePath().normalize();
        final Path runtimeDir = PtraceOnlyRun.prepareSession(traceDir);

        final ProcessBuilder builder = new ProcessBuilder(List.of(tracer.toString(), "--attach",
            Integer.toString(pid), "--session-dir", runtimeDir.toString()))
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().remove("LD_PRELOAD");
        final Process process;
        try
        {
            process = builder.start();
        }
        catch (final IOException ex)
        {
            throw new CliException(IotraceCli.EXIT_FAILED, "cannot run " + tracer + ": " + ex.getMessage());
        }
        PtraceOnlyRun.awaitRing(process, runtimeDir);
        if (!process.isAlive() && 0 != process.exitValue())
        {
            throw new CliException(IotraceCli.EXIT_FAILED, explain(pid, new String(process.getErrorStream()
                .readAllBytes(), StandardCharsets.UTF_8).strip()));
        }
        final Process collector = PtraceOnlyRun.startCollector(home, runtimeDir, traceDir);
        IotraceCli.err().println("iotrace: attached to pid " + pid + " (every system call now stops twice; " +
            "Ctrl-C detaches)");
        IotraceCli.err().flush();
        waitDetached(process);
        awaitCollector(collector, traceDir);
        final boolean runsOn = Files.exists(Path.of("/proc", Integer.toString(pid)));
        IotraceCli.err().println("iotrace: " + (runsOn ? "detached from pid " + pid + ", which runs on" :
            "pid " + pid + " ended") + "; trace in " + traceDir + " (" + new TraceDirectory(traceDir)
            .processFiles().size() + " process files)");
        return IotraceCli.EXIT_OK;
    }

    /** Every ring is complete now (the process ended, or its rings say DETACHED): the collector only drains them. */
    private static void awaitCollector(final Process collector, final Path traceDir)
    {
        try
        {
            if (!collector.waitFor(30, java.util.concurrent.TimeUnit.SECONDS))
            {
                IotraceCli.err().println("iotrace: waiting for the collector of " + traceDir + "\u2026");
                collector.waitFor();
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    /** The one-line reasons found before trying: no such process, a thread, ourselves, already traced. */
    static void checkTraceable(final int pid)
    {
        if (pid <= 0)
        {
            throw new CliException(IotraceCli.EXIT_USAGE, "not a process id: " + pid);
        }
        final String status = readStatus(pid);
        if (null == status)
        {
            throw new CliException(IotraceCli.EXIT_FAILED, "no process with pid " + pid);
        }
        final String name = field(status, "Name");
        final long tgid = number(field(status, "Tgid"));
        if (tgid != pid)
        {
            throw new CliException(IotraceCli.EXIT_FAILED, "pid " + pid + " is a thread of process " + tgid +
                ": attach to " + tgid);
        }
        if (pid == ProcessHandle.current().pid())
        {
            throw new CliException(IotraceCli.EXIT_FAILED, "pid " + pid + " is this iotrace itself");
        }
        final long tracerPid = number(field(status, "TracerPid"));
        if (tracerPid > 0)
        {
            final String tracerStatus = readStatus((int)tracerPid);
            throw new CliException(IotraceCli.EXIT_FAILED, "pid " + pid + " (" + name + ") is already traced by " +
                "pid " + tracerPid + (null == tracerStatus ? "" : " (" + field(tracerStatus, "Name") + ")") +
                ": a process has one tracer at a time");
        }
        if (hasShim(pid))
        {
            throw new CliException(IotraceCli.EXIT_FAILED, "pid " + pid + " (" + name + ") is traced by iotrace's " +
                "shim already (" + SHIM_LIBRARY + " is loaded; its records go to its own trace): attaching would " +
                "record its calls twice");
        }
    }

    private static final String SHIM_LIBRARY = Path.of(RunCommand.SHIM).getFileName().toString();

    /** Is the shim mapped into the process (it was started with LD_PRELOAD, or under `iotrace run`)? */
    private static boolean hasShim(final int pid)
    {
        try (java.util.stream.Stream<String> maps = Files.lines(Path.of("/proc", Integer.toString(pid), "maps"),
            StandardCharsets.ISO_8859_1))
        {
            return maps.anyMatch(line -> line.endsWith("/" + SHIM_LIBRARY));
        }
        catch (final IOException | java.io.UncheckedIOException ex)
        {
            return false; // unreadable (another user's process): ptrace will say why it cannot attach
        }
    }

    /** The tracer's line, with what EPERM means here: another user, Yama's ptrace_scope, a non-dumpable process. */
    static String explain(final int pid, final String tracerLine)
    {
        final String status = readStatus(pid);
        if (null == status)
        {
            return "pid " + pid + " ended before it could be traced";
        }
        final String name = field(status, "Name");
        if (!tracerLine.contains("Operation not permitted"))
        {
            return "cannot trace pid " + pid + " (" + name + "): " + (tracerLine.isEmpty() ? "the tracer failed" :
                tracerLine);
        }
        final String self = readStatus((int)ProcessHandle.current().pid());
        final String ourUid = null == self ? "" : field(self, "Uid").split("\\s+")[0];
        final String[] uids = field(status, "Uid").split("\\s+");
        final String prefix = "not permitted to trace pid " + pid + " (" + name + "): ";
        if (!"0".equals(ourUid) && !List.of(uids).stream().allMatch(ourUid::equals))
        {
            return prefix + "it runs as another user (uid " + uids[0] + "); ptrace needs the same user or root";
        }
        final String scope = yamaScope();
        if (null != scope && !"0".equals(scope))
        {
            return prefix + "kernel.yama.ptrace_scope = " + scope + (switch (scope)
            {
                case "1" -> " lets a process trace only its own descendants (run iotrace as root, or set " +
                    "kernel.yama.ptrace_scope=0)";
                case "2" -> " lets only root (CAP_SYS_PTRACE) trace";
                default -> " forbids ptrace on this machine";
            });
        }
        return prefix + "ptrace: Operation not permitted (a setuid program, or a container's policy)";
    }

    private static String yamaScope()
    {
        try
        {
            return Files.readString(Path.of("/proc/sys/kernel/yama/ptrace_scope")).strip();
        }
        catch (final IOException ex)
        {
            return null; // no Yama
        }
    }

    private static String readStatus(final int pid)
    {
        try
        {
            return Files.readString(Path.of("/proc", Integer.toString(pid), "status"), StandardCharsets.ISO_8859_1);
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    private static String field(final String status, final String name)
    {
        for (final String line : status.split("\n"))
        {
            if (line.startsWith(name + ":"))
            {
                return line.substring(name.length() + 1).strip();
            }
        }
        return "";
    }

    private static long number(final String text)
    {
        try
        {
            return Long.parseLong(text);
        }
        catch (final NumberFormatException ex)
        {
            return -1;
        }
    }

    /**
     * Until the tracer ends: the process ended, or a signal told us to detach. Ctrl-C in a terminal reaches the
     * tracer too (same process group); a SIGINT, SIGTERM or SIGHUP sent to iotrace alone is passed on to it.
     */
    @SuppressWarnings("removal")
    private static void waitDetached(final Process tracer)
    {
        final SignalHandler detach = sig -> tracer.destroy(); // SIGTERM: the tracer detaches
        final List<String> names = List.of("INT", "TERM", "HUP");
        final SignalHandler[] previous = new SignalHandler[names.size()];
        for (int i = 0; i < names.size(); i++)
        {
            previous[i] = handle(names.get(i), detach);
        }
        try
        {
            while (true)
            {
                try
                {
                    tracer.waitFor();
                    return;
                }
                catch (final InterruptedException ex)
                {
                    Thread.interrupted();
                }
            }
        }
        finally
        {
            for (int i = 0; i < names.size(); i++)
            {
                if (null != previous[i])
                {
                    handle(names.get(i), previous[i]);
                }
            }
        }
    }

    private static SignalHandler handle(final String name, final SignalHandler handler)
    {
        try
        {
            return Signal.handle(new Signal(name), handler);
        }
        catch (final IllegalArgumentException ex)
        {
            return null; // the JVM uses this signal itself
        }
    }

    private static Path defaultDir(final int pid)
    {
        final String base = "iotrace-attach-" + pid + "-" +
            LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path candidate = Path.of(base);
        for (int i = 2; Files.exists(candidate); i++)
        {
            candidate = Path.of(base + "-" + i);
        }
        return candidate;
    }
}
