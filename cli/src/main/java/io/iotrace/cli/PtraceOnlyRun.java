package io.iotrace.cli;

import io.iotrace.core.format.TraceFormat;
import io.iotrace.core.session.TraceSession;
import io.iotrace.core.summary.TraceDirectory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code iotrace run --ptrace-only -- cmd}: no shim; ptrace-fallback's iotrace-ptrace runs the command with its
 * seccomp filter stopping every handle, data and metadata call, and writes each process's events into a ring of its own in the
 * session's runtime dir. The session (runtime dir and its {@code session} file) is made here, and the collector is
 * started here once the first ring exists (the shim would do both otherwise).
 */
final class PtraceOnlyRun
{
    /** The tracer, relative to iotrace.home. */
    static final String TRACER = "native-shim/build/iotrace-ptrace";
    /** The collector launcher, relative to iotrace.home. */
    static final String COLLECTOR = "native-shim/build/iotrace-collector";

    private PtraceOnlyRun()
    {
    }

    static int run(final Path home, final Path traceDir, final List<String> command) throws IOException
    {
        final Path tracer = tracer(home);
        final Path runtimeDir = prepareSession(traceDir);

        final List<String> argv = new ArrayList<>(List.of(tracer.toString(), "--own-rings", "--session-dir",
            runtimeDir.toString(), "--"));
        argv.addAll(command);
        final ProcessBuilder builder = new ProcessBuilder(argv).inheritIO();
        builder.environment().remove("LD_PRELOAD");
        final Process process;
        try
        {
            process = builder.start();
        }
        catch (final IOException ex)
        {
            throw new CliException(IotraceCli.EXIT_CANNOT_RUN, "cannot run " + tracer + ": " + ex.getMessage());
        }
        awaitRing(process, runtimeDir);
        final Process collectorProcess = startCollector(home, runtimeDir, traceDir);
        final int status = ProgramSignals.waitFor(process);
        awaitCollector(collectorProcess, traceDir);
        IotraceCli.err().println("iotrace: trace in " + traceDir + " (" + new TraceDirectory(traceDir)
            .processFiles().size() + " process files)");
        return status;
    }

    /** @return the tracer, checked to be built (with the collector launcher). */
    static Path tracer(final Path home)
    {
        final Path tracer = home.resolve(TRACER);
        if (!Files.isExecutable(tracer) || !Files.isExecutable(home.resolve(COLLECTOR)))
        {
            throw new CliException(IotraceCli.EXIT_FAILED, "no ptrace tracer at " + tracer + " (run make)");
        }
        return tracer;
    }

    /** The session the shim would make: the trace dir, the private runtime dir and its session file; the latter. */
    static Path prepareSession(final Path traceDir)
    {
        final Path runtimeDir = TraceSession.runtimeDirFor(traceDir);
        try
        {
            Files.createDirectories(traceDir);
            privateDir(runtimeDir.getParent());
            privateDir(runtimeDir);
            final Path session = runtimeDir.resolve(TraceFormat.SESSION_FILE);
            if (!Files.exists(session))
            {
                Files.writeString(session, traceDir + "\n", StandardCharsets.UTF_8);
            }
        }
        catch (final IOException ex)
        {
            throw new CliException(IotraceCli.EXIT_FAILED, "cannot use the trace directory " + traceDir + ": " +
                ex.getMessage());
        }
        return runtimeDir;
    }

    /** The collector exits when it finds no ring for a while: it is started once the tracer made the first one. */
    static void awaitRing(final Process tracer, final Path runtimeDir)
    {
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (tracer.isAlive() && !hasRing(runtimeDir) && System.nanoTime() < deadline)
        {
            sleep();
        }
    }

    static Process startCollector(final Path home, final Path runtimeDir, final Path traceDir) throws IOException
    {
        final ProcessBuilder collectorBuilder = new ProcessBuilder(home.resolve(COLLECTOR).toString(),
            "--session-dir", runtimeDir.toString(), "--output-dir", traceDir.toString())
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
        collectorBuilder.environment().remove("LD_PRELOAD");
        collectorBuilder.environment().put("IOTRACE_DISABLE", "1");
        return collectorBuilder.start();
    }

    /** Our collector ends once every ring is drained (background processes of the program still traced). */
    static void awaitCollector(final Process collectorProcess, final Path traceDir)
    {
        try
        {
            if (!collectorProcess.waitFor(RunCommand.QUIET_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS))
            {
                IotraceCli.err().println("iotrace: waiting for the traced processes of " + traceDir +
                    " that are still running and for its collector\u2026");
                collectorProcess.waitFor();
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private static void privateDir(final Path dir) throws IOException
    {
        if (!Files.isDirectory(dir))
        {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        }
    }

    private static boolean hasRing(final Path runtimeDir)
    {
        try (DirectoryStream<Path> rings = Files.newDirectoryStream(runtimeDir, "*" + TraceFormat.RING_SUFFIX))
        {
            return rings.iterator().hasNext();
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    private static void sleep()
    {
        try
        {
            Thread.sleep(5);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
