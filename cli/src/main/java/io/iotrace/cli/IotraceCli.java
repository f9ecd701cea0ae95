package io.iotrace.cli;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;

import io.iotrace.core.summary.TraceFormatException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code iotrace} command: one entry point for running a program under the tracer and for reading its traces.
 * Each subcommand is its own class; this class only wires them together.
 */
@Command(
    name = "iotrace",
    mixinStandardHelpOptions = true,
    usageHelpAutoWidth = true,
    versionProvider = IotraceCli.Version.class,
    description = {
        "Trace the I/O of a program and read its traces.",
        "",
        "  iotrace run -- PROG ARGS                   trace PROG and its child processes",
        "  iotrace attach PID                         trace a running process (ptrace) until Ctrl-C",
        "  iotrace summary DIR [--json]               totals per function, process, file",
        "  iotrace export DIR -f perfetto -o T.json   timeline for ui.perfetto.dev",
        "  iotrace merge DIR -o ALL.jsonl             all records in time order",
        "  iotrace recover DIR                        drain rings a session left behind",
        "  iotrace report DIR -o report.html          self-contained HTML report with charts",
        "  iotrace top DIR                            live per-file throughput while a program runs",
        "",
        "A trace directory holds one <host>_<pid>_<incarnation>.jsonl file per process image (one JSON record per " +
            "call), iotrace-warnings.jsonl and collector.log. Readers wait for a collector that is still writing " +
            "(--no-wait reads what is there)."},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {"0:done (run: the program's status)", "1:failure (a file cannot be read or written)",
        "2:usage error, or a malformed trace (file:line)"},
    subcommands = {CommandLine.HelpCommand.class, RunCommand.class, AttachCommand.class, SummaryCommand.class,
        ExportCommand.class, MergeCommand.class, RecoverCommand.class, io.iotrace.cli.report.ReportCommand.class,
        io.iotrace.cli.top.TopCommand.class})
public final class IotraceCli implements Runnable
{
    /** Exit status: done. */
    static final int EXIT_OK = 0;
    /** Exit status: a file cannot be read or written, the tracer is not built. */
    static final int EXIT_FAILED = 1;
    /** Exit status: usage error or malformed trace. */
    static final int EXIT_USAGE = 2;
    /** Exit status of run when the program cannot be started (as a shell's). */
    static final int EXIT_CANNOT_RUN = 127;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * @param args command line.
     */
    public static void main(final String[] args)
    {
        System.exit(commandLine().execute(args));
    }

    /** @return the configured command line (tests run subcommands through it in-process). */
    public static CommandLine commandLine()
    {
        final CommandLine commandLine = new CommandLine(new IotraceCli());
        // everything after the program's name is the program's, also without "--"
        commandLine.getSubcommands().get("run").setStopAtPositional(true);
        commandLine.setExecutionExceptionHandler(IotraceCli::oneLineError);
        commandLine.setParameterExceptionHandler(IotraceCli::usageError);
        return commandLine;
    }

    /** A usage error: one line and where to find help (the whole usage only for a bare `iotrace`). */
    private static int usageError(final CommandLine.ParameterException ex, final String[] args)
    {
        final CommandLine commandLine = ex.getCommandLine();
        if (0 == args.length)
        {
            commandLine.usage(err());
            return EXIT_USAGE;
        }
        final String name = commandLine.getCommandSpec().qualifiedName();
        err().println(name + ": " + ex.getMessage() + " (see " + name + " --help)");
        err().flush();
        return EXIT_USAGE;
    }

    /** Failures are one line on stderr with an exit status, never a stack trace. */
    private static int oneLineError(
        final Exception ex, final CommandLine commandLine, final CommandLine.ParseResult parseResult)
    {
        final String command = commandLine.getCommandName();
        final String prefix = "iotrace".equals(command) ? "iotrace: " : "iotrace " + command + ": ";
        final int status;
        final String message;
        switch (ex)
        {
            case CliException cli ->
            {
                status = cli.exitCode();
                message = cli.getMessage();
            }
            case TraceFormatException format ->
            {
                status = EXIT_USAGE;
                message = "malformed trace: " + format.getMessage();
            }
            case java.nio.file.NoSuchFileException missing ->
            {
                status = EXIT_FAILED;
                message = "no such file: " + missing.getMessage();
            }
            case java.nio.file.AccessDeniedException denied ->
            {
                status = EXIT_FAILED;
                message = "permission denied: " + denied.getMessage();
            }
            case java.io.IOException io ->
            {
                status = EXIT_FAILED;
                // a plain IOException's message says it all; a subclass's name says what kind of failure it was
                message = (java.io.IOException.class == io.getClass() ? "" : io.getClass().getSimpleName() + ": ") +
                    io.getMessage();
            }
            default ->
            {
                status = EXIT_FAILED;
                message = "internal error: " + ex;
            }
        }
        err().println(prefix + message);
        err().flush();
        return status;
    }

    /** @return the repository root (system property iotrace.home, set by bin/iotrace), else the current dir. */
    static Path home()
    {
        final String home = System.getProperty("iotrace.home");
        return Path.of(null == home || home.isBlank() ? "." : home).toAbsolutePath().normalize();
    }

    /** @return stdout as it is now (tests replace it). */
    static PrintStream out()
    {
        return System.out;
    }

    /** @return stderr as it is now (tests replace it). */
    static PrintStream err()
    {
        return System.err;
    }

    /**
     * @param out a stream.
     * @return the stream with close() only flushing (stdout stays open for the caller).
     */
    static OutputStream unclosable(final OutputStream out)
    {
        return new FilterOutputStream(out)
        {
            @Override
            public void write(final byte[] b, final int off, final int len) throws IOException
            {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException
            {
                flush();
            }
        };
    }

    @Override
    public void run()
    {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is needed");
    }

    /** The version of the jar, or "development" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider
    {
        @Override
        public String[] getVersion()
        {
            final String version = IotraceCli.class.getPackage().getImplementationVersion();
            return new String[] {"iotrace " + (null == version ? "development" : version)};
        }
    }
}
