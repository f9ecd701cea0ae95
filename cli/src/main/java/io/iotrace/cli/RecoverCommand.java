package io.iotrace.cli;

import io.iotrace.core.collector.Recover;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;

/** {@code iotrace recover D}: what tracer-core's Recover does, under the iotrace command. */
@Command(
    name = "recover",
    header = "Convert the rings, backlogs and spill files a session left behind.",
    mixinStandardHelpOptions = true,
    description = {
        "Convert what a session left behind into records: the rings of processes that ended while no collector ran " +
            "(IOTRACE_COLLECTOR=none, or a collector that was killed), the killed collector's backlog files and the " +
            "spill files, exactly as the " +
            "collector would, appending to the trace files already there. Waits for a running collector first."},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {"0:done", "1:DIR is neither a trace directory nor has session rings, or some ring, backlog or spill " +
        "files could not be read (each named in one line; the others are converted)"})
final class RecoverCommand implements java.util.concurrent.Callable<Integer>
{
    @Parameters(index = "0", paramLabel = "DIR", description = "The trace directory (IOTRACE_DIR of the session).")
    Path dir;

    @Override
    public Integer call()
    {
        return Recover.run(dir, IotraceCli.out(), IotraceCli.err());
    }
}
