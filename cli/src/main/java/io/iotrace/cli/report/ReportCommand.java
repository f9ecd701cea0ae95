package io.iotrace.cli.report;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code iotrace report D -o report.html}: the trace as one self-contained HTML page with four charts. */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description = {
        "Write a self-contained HTML report of a trace (one file, no network): bytes per file, an I/O timeline per " +
            "thread, request sizes, load per process.",
        "Exit status: 0 written, 1 cannot read or write, 2 the trace is malformed."})
public final class ReportCommand implements Callable<Integer>
{
    @Parameters(index = "0", paramLabel = "D", description = "the trace dir")
    Path traceDir;

    @Option(names = "--progress", negatable = true,
        description = "Show a progress bar on stderr (default: when stderr is a terminal).")
    Boolean progress;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "the HTML file (default: D/report.html)")
    Path output;

    @Option(names = "--clock-align", negatable = true, defaultValue = "true", fallbackValue = "true",
        description = "Place the hosts of an MPI job on rank 0's clock from the mpi_clock_sync records, as merge " +
            "does (default: on).")
    boolean clockAlign = true;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call()
    {
        final PrintWriter err = spec.commandLine().getErr();
        final Path target = null == output ? traceDir.resolve("report.html") : output;
        final ReportData data;
        try
        {
            data = ReportData.of(traceDir, null == progress ? io.iotrace.cli.Progress.stderrIsTerminal() : progress,
                clockAlign);
        }
        catch (final TraceReader.MalformedTraceException ex)
        {
            err.println("iotrace report: malformed trace: " + ex.getMessage());
            return 2;
        }
        catch (final IOException ex)
        {
            err.println("iotrace report: cannot read " + traceDir + ": " + ex.getMessage());
            return 1;
        }
        for (final String note : data.notes())
        {
            err.println("iotrace report: note: " + note);
        }
        try
        {
            final String title = traceDir.toAbsolutePath().normalize().toString();
            Files.writeString(target, ReportPage.render(title, data.toJson(title)), StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            err.println("iotrace report: cannot write " + target + ": " + ex.getMessage());
            return 1;
        }
        spec.commandLine().getOut().println("report written to " + target);
        return 0;
    }
}
