package io.iotrace.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code iotrace} command: one entry point for running a program under the tracer and for reading its traces.
 * Each subcommand is its own class; this class only wires them together.
 */
@Command(
    name = "iotrace",
    mixinStandardHelpOptions = true,
    versionProvider = IotraceCli.Version.class,
    description = "Trace the I/O of a program and read its traces.",
    subcommands = {CommandLine.HelpCommand.class, io.iotrace.cli.report.ReportCommand.class,
        io.iotrace.cli.top.TopCommand.class})
public final class IotraceCli implements Runnable
{
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
        return new CommandLine(new IotraceCli());
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
