package io.iotrace.cli;

import io.iotrace.core.summary.TraceDirectory;
import io.iotrace.core.summary.TraceFormatException;
import io.iotrace.core.summary.TraceSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code iotrace summary D [--json]}: totals per function, per process and per file. */
@Command(
    name = "summary",
    header = "Totals per function, process and file; request sizes; warnings.",
    mixinStandardHelpOptions = true,
    description = {
        "Totals of a trace: per function, per process (pid; MPI rank once records carry one) and per file: " +
            "calls, errors, bytes read and written, time in the calls, records whose handle was unresolved; " +
            "a request-size histogram (power-of-two buckets of the bytes each data call moved) and the warnings.",
        "fd_discovered records (descriptors open at start) are not calls and are not counted."},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {"0:done", "1:the directory cannot be read", "2:usage error, or a malformed trace (file:line)"})
final class SummaryCommand implements Callable<Integer>
{
    @Parameters(index = "0", paramLabel = "DIR", description = "The trace directory.")
    Path dir;

    @Option(names = "--json", description = "Machine-readable JSON instead of the text tables.")
    boolean json;

    @Option(names = "--top", paramLabel = "N", defaultValue = "20",
        description = "Files to list in the text output, busiest first (default: ${DEFAULT-VALUE}).")
    int top;

    @Mixin
    TraceInput.WaitOption waitOption = new TraceInput.WaitOption();

    @Override
    public Integer call() throws IOException, TraceFormatException
    {
        final PrintStream err = IotraceCli.err();
        final TraceDirectory trace = TraceInput.open(dir, waitOption.noWait, err);
        final TraceSummary summary = TraceSummary.of(trace.dir());
        summary.truncations().forEach(t -> TraceInput.noteTruncation(t.file(), t.line(), err));
        final PrintStream out = IotraceCli.out();
        if (json)
        {
            summary.writeJson(out);
        }
        else
        {
            summary.print(out, top);
        }
        out.flush();
        return IotraceCli.EXIT_OK;
    }
}
