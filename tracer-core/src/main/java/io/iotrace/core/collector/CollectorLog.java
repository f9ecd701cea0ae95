package io.iotrace.core.collector;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;

/**
 * The collector's own log (O/collector.log): one line per message, rate-limited to {@link #LINES_PER_MINUTE} lines
 * per minute; suppressed lines are counted and reported by the next line written. Never throws.
 */
public final class CollectorLog implements AutoCloseable
{
    /** Lines written per minute at most. */
    public static final int LINES_PER_MINUTE = 120;

    private final Writer writer;
    private final PrintStream echo;
    private long windowStartMs;
    private int linesInWindow;
    private long suppressed;

    /**
     * @param file log file (appended), or null for none.
     * @param echo also print here (may be null).
     */
    public CollectorLog(final Path file, final PrintStream echo)
    {
        Writer w = null;
        if (null != file)
        {
            try
            {
                w = new java.io.OutputStreamWriter(OutputFiles.openAppendable(file), StandardCharsets.UTF_8);
            }
            catch (final IOException | UnsupportedOperationException ex)
            {
                w = null;
            }
        }
        this.writer = w;
        this.echo = echo;
    }

    /**
     * Log one line (rate-limited).
     *
     * @param message the line.
     */
    public synchronized void log(final String message)
    {
        final long now = System.currentTimeMillis();
        if (now - windowStartMs >= 60_000)
        {
            windowStartMs = now;
            linesInWindow = 0;
        }
        if (linesInWindow >= LINES_PER_MINUTE)
        {
            suppressed++;
            return;
        }
        linesInWindow++;
        String line = Instant.ofEpochMilli(now) + " " + message;
        if (suppressed > 0)
        {
            line = line + " (" + suppressed + " earlier lines suppressed)";
            suppressed = 0;
        }
        if (null != echo)
        {
            echo.println(line);
        }
        if (null != writer)
        {
            try
            {
                writer.write(line);
                writer.write('\n');
                writer.flush();
            }
            catch (final IOException ignore)
            {
                // the log is best effort
            }
        }
    }

    /**
     * Log a message and an exception's class and message.
     *
     * @param message the line.
     * @param t       the cause.
     */
    public void log(final String message, final Throwable t)
    {
        // bad input (malformed files, I/O errors) is told by its message; anything else also by its class
        final boolean input = t instanceof IllegalArgumentException || t instanceof IOException ||
            t instanceof IndexOutOfBoundsException ||
            t instanceof java.io.UncheckedIOException;
        log(message + ": " + (input && null != t.getMessage() ? t.getMessage() : t.toString()));
    }

    public synchronized void close()
    {
        if (null != writer)
        {
            try
            {
                writer.close();
            }
            catch (final IOException ignore)
            {
                // best effort
            }
        }
    }
}
