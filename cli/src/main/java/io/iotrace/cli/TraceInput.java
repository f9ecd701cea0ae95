package io.iotrace.cli;

import io.iotrace.core.summary.TraceDirectory;
import io.iotrace.core.summary.TraceFileReader;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** What the readers (summary, export, merge) share: the trace directory check and the wait for its collector. */
final class TraceInput
{
    /** Longest wait for a running collector: it ends shortly after the session's last traced process. */
    static final Duration MAX_WAIT = Duration.ofHours(24);

    /** The --no-wait option of the readers. */
    static final class WaitOption
    {
        @Option(names = "--no-wait",
            description = "Do not wait for a collector that is still writing the trace: read what is there.")
        boolean noWait;
    }

    private TraceInput()
    {
    }

    /**
     * Check a trace directory and wait for its collector unless told not to.
     *
     * @param dir    the directory argument.
     * @param noWait --no-wait.
     * @param err    for the one-line notes.
     * @return the trace directory.
     */
    static TraceDirectory open(final Path dir, final boolean noWait, final PrintStream err)
    {
        final TraceDirectory trace = new TraceDirectory(dir);
        if (!Files.isDirectory(trace.dir()))
        {
            throw new CliException(IotraceCli.EXIT_FAILED, dir + " is not a trace directory");
        }
        if (noWait)
        {
            if (trace.isCollectorRunning())
            {
                err.println("iotrace: the collector of " + trace.dir() +
                    " is still running: reading what is there (--no-wait)");
            }
        }
        else if (!trace.awaitCollector(err, MAX_WAIT))
        {
            throw new CliException(IotraceCli.EXIT_FAILED, "the collector of " + trace.dir() + " did not finish");
        }
        try
        {
            if (trace.processFiles().isEmpty())
            {
                // as report says: a directory without any trace file is not a trace (an empty file is: 0 records)
                throw new CliException(IotraceCli.EXIT_FAILED, trace.dir() + " holds no trace file (*.jsonl)");
            }
        }
        catch (final java.io.IOException ex)
        {
            throw new CliException(IotraceCli.EXIT_FAILED, "cannot read " + trace.dir() + ": " + ex.getMessage());
        }
        return trace;
    }

    /**
     * Say so when a file's last line was cut (a collector killed mid-write).
     *
     * @param reader a reader at its end.
     * @param err    where to.
     */
    static void noteTruncation(final TraceFileReader reader, final PrintStream err)
    {
        if (reader.truncatedLine() > 0)
        {
            noteTruncation(reader.file(), reader.truncatedLine(), err);
        }
    }

    static void noteTruncation(final Path file, final long line, final PrintStream err)
    {
        err.println("iotrace: note: " + file + ":" + line + " is cut short (collector killed mid-write?): " +
            "read the complete records before it");
    }
}
