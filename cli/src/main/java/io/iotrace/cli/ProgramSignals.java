package io.iotrace.cli;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * While {@code iotrace run} waits for its program, the terminal's signals are the program's business: Ctrl-C and
 * Ctrl-\ reach the program directly (same process group) and must not end iotrace before it has waited for the
 * collector; a SIGTERM sent to iotrace is passed on to the program. Uses sun.misc.Signal (module jdk.unsupported,
 * the JDK's one way to handle signals; javac warns that it is internal API). Handlers change only after the
 * program has started, so it inherits the default dispositions.
 */
final class ProgramSignals
{
    private ProgramSignals()
    {
    }

    /**
     * @param process the program.
     * @return its exit status, 128+N when signal N ended it.
     */
    @SuppressWarnings("removal")
    static int waitFor(final Process process)
    {
        final SignalHandler previousInt = handle("INT", sig -> { });
        final SignalHandler previousQuit = handle("QUIT", sig -> { });
        final SignalHandler previousTerm = handle("TERM", sig -> process.destroy());
        try
        {
            while (true)
            {
                try
                {
                    // Process.waitFor on Linux reports death by signal N as 0x80 + N, like a shell
                    return process.waitFor();
                }
                catch (final InterruptedException ex)
                {
                    Thread.interrupted();
                }
            }
        }
        finally
        {
            restore("INT", previousInt);
            restore("QUIT", previousQuit);
            restore("TERM", previousTerm);
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
            return null; // the JVM uses this signal itself (e.g. -Xrs): leave it
        }
    }

    private static void restore(final String name, final SignalHandler previous)
    {
        if (null != previous)
        {
            handle(name, previous);
        }
    }
}
