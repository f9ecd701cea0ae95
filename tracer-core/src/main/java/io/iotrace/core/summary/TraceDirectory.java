package io.iotrace.core.summary;

import io.iotrace.core.format.TraceFormat;
import io.iotrace.core.session.TraceSession;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** A trace directory O as the readers see it: its process files, its warnings, its (maybe running) collector. */
public final class TraceDirectory
{
    private static final Pattern COLLECTOR_PID = Pattern.compile("collector started: pid (\\d+)");

    private final Path dir;

    /** @param dir the trace directory. */
    public TraceDirectory(final Path dir)
    {
        this.dir = dir.toAbsolutePath().normalize();
    }

    /** @return the directory (absolute). */
    public Path dir()
    {
        return dir;
    }

    /**
     * @return the per-process record files ({@code <host>_<pid>_<inc>.jsonl}, or {@code .jsonl.gz} when
     *     compressed), sorted by name.
     * @throws IOException when the directory cannot be listed.
     */
    public List<Path> processFiles() throws IOException
    {
        try (Stream<Path> list = Files.list(dir))
        {
            return list.filter(p ->
                {
                    final String name = p.getFileName().toString();
                    return TraceFiles.isProcessFile(name) && Files.isRegularFile(p);
                })
                .sorted().toList();
        }
    }

    /** @return the warnings file (may not exist). */
    public Path warningsFile()
    {
        return dir.resolve(TraceFormat.WARNINGS_FILE);
    }

    /** @return true while the session's collector holds its lock. */
    public boolean isCollectorRunning()
    {
        return TraceSession.isCollectorLockHeld(TraceSession.runtimeDirFor(dir));
    }

    /** @return the pid of the last collector that wrote collector.log, or -1. */
    public long collectorPid()
    {
        long pid = -1;
        try (Stream<String> lines = Files.lines(dir.resolve(TraceFormat.LOG_FILE), StandardCharsets.UTF_8))
        {
            for (final String line : (Iterable<String>)lines::iterator)
            {
                final Matcher m = COLLECTOR_PID.matcher(line);
                if (m.find())
                {
                    pid = Long.parseLong(m.group(1));
                }
            }
        }
        catch (final IOException | java.io.UncheckedIOException ex)
        {
            return -1;
        }
        return pid;
    }

    /**
     * Wait until the session's collector has written everything, saying so in one line when it is still running.
     *
     * @param err     where the line goes.
     * @param timeout how long to wait at most.
     * @return true when done (or nothing was running), false on timeout.
     */
    public boolean awaitCollector(final PrintStream err, final Duration timeout)
    {
        if (isCollectorRunning())
        {
            final long pid = collectorPid();
            err.println("iotrace: waiting for the collector of " + dir + (pid > 0 ? " (pid " + pid + ")" : "") +
                " to finish\u2026");
        }
        return TraceSession.awaitCollector(dir, timeout);
    }
}
