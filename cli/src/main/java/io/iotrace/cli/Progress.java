package io.iotrace.cli;

import java.io.PrintStream;

/** A one-line progress bar on stderr for long conversions, redrawn when the percentage changes. */
public final class Progress
{
    private static final int WIDTH = 30;

    private final PrintStream err;
    private final String label;
    private final long total;
    private final boolean enabled;
    private int shownPercent = -1;
    private long lastItems;

    /**
     * @param err     where to draw.
     * @param label   what is being done.
     * @param total   total work (bytes of input).
     * @param enabled false draws nothing.
     */
    public Progress(final PrintStream err, final String label, final long total, final boolean enabled)
    {
        this.err = err;
        this.label = label;
        this.total = Math.max(1, total);
        this.enabled = enabled;
    }

    /** @return true when stderr is a terminal (the default for showing progress). */
    public static boolean stderrIsTerminal()
    {
        final java.io.Console console = System.console();
        return null != console && console.isTerminal();
    }

    /**
     * @param done  work done so far (bytes of input).
     * @param items records handled so far.
     */
    public void update(final long done, final long items)
    {
        if (!enabled)
        {
            return;
        }
        lastItems = items;
        final int percent = (int)Math.min(100, done * 100 / total);
        if (percent != shownPercent)
        {
            shownPercent = percent;
            final int filled = percent * WIDTH / 100;
            err.print("\r" + label + " [" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] " + percent + "% " +
                items + " events");
            err.flush();
        }
    }

    /** End the bar's line. */
    public void finish()
    {
        if (enabled)
        {
            update(total, lastItems); // the bar ends full, also for inputs too small for an update on the way
            err.println();
        }
    }
}
