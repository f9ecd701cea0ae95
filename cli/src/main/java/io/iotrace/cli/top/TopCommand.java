package io.iotrace.cli.top;

import io.iotrace.core.live.LiveCounters;
import io.iotrace.core.live.LiveCounters.FileCounters;
import io.iotrace.core.live.LiveCounters.Snapshot;
import io.iotrace.core.session.TraceSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code iotrace top D}: per-file throughput of a traced program while it runs, from the live counters its
 * session's collector publishes in {@code D/iotrace-live.counters} ({@link LiveCounters}). Reading them never slows
 * the collector down. Refreshes every interval; exits when the collector has finished.
 */
@Command(
    name = "top",
    mixinStandardHelpOptions = true,
    description = {
        "Show per-file MB/s read and written of a running trace, busiest first, refreshed every second; exits when " +
            "the session's collector has finished.",
        "Columns: read MB/s, write MB/s (1 MB = 10^6 bytes, over the last interval), bytes read, bytes written, calls, " +
            "file (totals since the collector started).",
        "Exit status: 0 done, 1 no live counters in D."})
public final class TopCommand implements Callable<Integer>
{
    private static final DateTimeFormatter CLOCK =
        DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());

    @Parameters(index = "0", paramLabel = "D", description = "the trace dir (IOTRACE_DIR of the traced program)")
    Path traceDir;

    @Option(names = "--once", description = "print one snapshot (rates over one interval while the collector runs) " +
        "and exit")
    boolean once;

    @Option(names = {"-i", "--interval"}, paramLabel = "SECONDS", defaultValue = "1",
        description = "refresh interval (default ${DEFAULT-VALUE} s)")
    double intervalSeconds;

    @Option(names = {"-n", "--limit"}, paramLabel = "N",
        description = "files shown at most (default 20, all with --once; 0 = all)")
    Integer limit;

    @Option(names = "--wait", paramLabel = "SECONDS", defaultValue = "10",
        description = "how long to wait for the collector to create the counters (default ${DEFAULT-VALUE} s)")
    double waitSeconds;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception
    {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final Path dir = traceDir.toAbsolutePath().normalize();
        final Path file = LiveCounters.fileIn(dir);
        final long intervalMs = Math.max(50, (long)(intervalSeconds * 1000));
        Snapshot previous = awaitFirst(file, (long)(waitSeconds * 1000));
        if (null == previous)
        {
            err.println("iotrace top: no live counters in " + dir + " (" + file.getFileName() + "): is a program " +
                "traced with IOTRACE_DIR=" + dir + " running?");
            return 1;
        }
        final boolean terminal = null != System.console() && !once;
        if (once && !previous.finished() && collectorRunning(dir))
        {
            Thread.sleep(intervalMs);
            final Snapshot next = LiveCounters.read(file);
            print(out, previous, next);
            return 0;
        }
        if (once || previous.finished())
        {
            print(out, null, previous);
            return 0;
        }
        while (true)
        {
            Thread.sleep(intervalMs);
            final Snapshot next = LiveCounters.read(file);
            if (terminal)
            {
                out.print("\033[H\033[2J");
            }
            print(out, previous, next);
            out.println();
            out.flush();
            if (next.finished())
            {
                return 0;
            }
            if (!collectorRunning(dir))
            {
                // it marks its counters finished just before letting the lock go: they may have become final
                // between our read and the lock probe
                final Snapshot last = LiveCounters.read(file);
                if (last.finished())
                {
                    if (terminal)
                    {
                        out.print("\033[H\033[2J");
                    }
                    print(out, next, last);
                    return 0;
                }
                err.println("iotrace top: the collector of " + dir + " stopped without finishing its counters " +
                    "(killed?); `iotrace recover " + dir + "` converts what it left");
                return 0;
            }
            previous = next;
        }
    }

    private static boolean collectorRunning(final Path dir)
    {
        return TraceSession.isCollectorLockHeld(TraceSession.runtimeDirFor(dir));
    }

    private static Snapshot awaitFirst(final Path file, final long waitMs) throws IOException, InterruptedException
    {
        final long deadline = System.currentTimeMillis() + waitMs;
        while (true)
        {
            if (Files.isRegularFile(file) && Files.size(file) >= LiveCounters.FILE_SIZE)
            {
                final Snapshot snapshot = LiveCounters.read(file);
                if (null != snapshot)
                {
                    return snapshot;
                }
            }
            if (System.currentTimeMillis() >= deadline)
            {
                return null;
            }
            Thread.sleep(50);
        }
    }

    /** One table: rates over previous → current (none when previous is null), totals of current. */
    void print(final PrintWriter out, final Snapshot previous, final Snapshot current)
    {
        final double seconds = null == previous ? 0 : Math.max(1, current.timeMs() - previous.timeMs()) / 1000.0;
        final Map<String, FileCounters> before = new HashMap<>();
        if (null != previous)
        {
            for (final FileCounters f : previous.files())
            {
                before.put(f.name(), f);
            }
        }
        record Row(FileCounters f, double readRate, double writeRate)
        {
        }
        final List<Row> rows = new ArrayList<>();
        for (final FileCounters f : current.files())
        {
            final FileCounters b = before.get(f.name());
            final double readRate = null == previous ? 0 : (f.bytesRead() - (null == b ? 0 : b.bytesRead())) / seconds / 1e6;
            final double writeRate =
                null == previous ? 0 : (f.bytesWritten() - (null == b ? 0 : b.bytesWritten())) / seconds / 1e6;
            rows.add(new Row(f, readRate, writeRate));
        }
        rows.sort(Comparator.comparingDouble((Row r) -> r.readRate + r.writeRate).reversed()
            .thenComparing(Comparator.comparingLong((Row r) -> r.f.bytesRead() + r.f.bytesWritten()).reversed())
            .thenComparing(r -> r.f.name()));
        long totalRead = 0;
        long totalWritten = 0;
        for (final FileCounters f : current.files())
        {
            totalRead += f.bytesRead();
            totalWritten += f.bytesWritten();
        }
        out.printf("iotrace top %s: collector pid %d %s, snapshot %s, %d calls, %d files, %d bytes read, %d bytes " +
            "written%s%n", traceDir, current.collectorPid(), current.finished() ? "finished" : "collecting",
            CLOCK.format(Instant.ofEpochMilli(current.timeMs())), current.totalCalls(), current.files().size(),
            totalRead, totalWritten, null == previous ? "" : String.format(", rates over %.1f s", seconds));
        out.printf("%10s %10s %15s %15s %10s  %s%n", "read MB/s", "write MB/s", "bytes read", "bytes written", "calls",
            "file");
        final int max = null != limit ? limit : once ? 0 : 20;
        final int shown = max <= 0 ? rows.size() : Math.min(max, rows.size());
        for (final Row r : rows.subList(0, shown))
        {
            out.printf("%10s %10s %15d %15d %10d  %s%s%n", rate(previous, r.readRate), rate(previous, r.writeRate),
                r.f.bytesRead(), r.f.bytesWritten(), r.f.calls(), r.f.nameTruncated() ? "..." : "", printable(r.f.name()));
        }
        if (shown < rows.size())
        {
            out.printf("(%d more files)%n", rows.size() - shown);
        }
    }

    /** One line per file: control characters in a name (a newline...) are shown as \\n, \\t or \\u00XX. */
    static String printable(final String name)
    {
        final StringBuilder text = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++)
        {
            final char c = name.charAt(i);
            switch (c)
            {
                case '\n' -> text.append("\\n");
                case '\t' -> text.append("\\t");
                case '\\' -> text.append("\\\\");
                default -> text.append(c < 0x20 || 0x7f == c ? String.format("\\u%04x", (int)c) : String.valueOf(c));
            }
        }
        return text.toString();
    }

    private static String rate(final Snapshot previous, final double rate)
    {
        return null == previous ? "-" : String.format("%.2f", rate);
    }
}
