package io.iotrace.cli;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.iotrace.core.summary.TraceDirectory;
import io.iotrace.core.summary.TraceFileReader;
import io.iotrace.core.summary.TraceFormatException;
import io.iotrace.core.summary.TraceRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code iotrace export D --format perfetto -o trace.json}: the Chrome trace-event JSON format that Perfetto
 * (ui.perfetto.dev) and chrome://tracing open. Streamed record by record: constant memory for any trace size.
 */
@Command(
    name = "export",
    header = "Convert a trace for a timeline viewer (Perfetto).",
    mixinStandardHelpOptions = true,
    description = {
        "perfetto: Chrome trace-event JSON (open it in ui.perfetto.dev or chrome://tracing): one complete event " +
            "(\"ph\":\"X\") per record with pid, tid, ts and dur in microseconds (exact to the nanosecond), " +
            "name = the function, args = the file and the bytes moved; process names as metadata events.",
        "fd_discovered records (descriptors open at start, not calls) are exported as zero-length events too, so " +
            "that every record is in the output."},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {"0:done", "1:the trace cannot be read or the output written",
        "2:usage error, or a malformed trace (file:line)"})
final class ExportCommand implements Callable<Integer>
{
    /** Output formats. */
    enum Format
    {
        perfetto
    }

    private static final JsonFactory FACTORY = new JsonFactory();

    @Parameters(index = "0", paramLabel = "DIR", description = "The trace directory.")
    Path dir;

    @Option(names = {"-f", "--format"}, required = true, paramLabel = "FORMAT",
        description = "Output format: ${COMPLETION-CANDIDATES}.")
    Format format;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE",
        description = "Output file ('-' for stdout).")
    String output;

    @Option(names = "--progress", negatable = true,
        description = "Show a progress bar on stderr (default: when stderr is a terminal).")
    Boolean progress;

    @Option(names = "--clock-align", negatable = true, defaultValue = "true", fallbackValue = "true",
        description = "Place the hosts of an MPI job on rank 0's clock from the mpi_clock_sync records, as merge " +
            "does (default: on; this reads the trace twice).")
    boolean clockAlign = true;

    @Mixin
    TraceInput.WaitOption waitOption = new TraceInput.WaitOption();

    private long events;
    private ClockOffsets clockOffsets = ClockOffsets.NONE;

    @Override
    public Integer call() throws IOException, TraceFormatException
    {
        final TraceDirectory trace = TraceInput.open(dir, waitOption.noWait, IotraceCli.err());
        final List<Path> files = trace.processFiles();
        if (clockAlign)
        {
            clockOffsets = MpiClockAlignment.offsetsFor(files, IotraceCli.err());
        }
        long totalBytes = 0;
        for (final Path file : files)
        {
            totalBytes += Files.size(file);
        }
        final Progress bar = new Progress(IotraceCli.err(), "export", totalBytes,
            null == progress ? Progress.stderrIsTerminal() : progress);
        final boolean toStdout = "-".equals(output);
        final OutputStream out = toStdout ? IotraceCli.unclosable(IotraceCli.out()) : new BufferedOutputStream(
            Files.newOutputStream(Path.of(output)), 1 << 16);
        try (JsonGenerator g = FACTORY.createGenerator(out, JsonEncoding.UTF8))
        {
                        g.writeStartObject();
            g.writeStringField("displayTimeUnit", "ns");
            g.writeArrayFieldStart("traceEvents");
            final Set<Integer> namedProcesses = new HashSet<>();
            long done = 0;
            for (final Path file : files)
            {
                try (TraceFileReader reader = new TraceFileReader(file, false))
                {
                    TraceRecord r;
                    while (null != (r = reader.next()))
                    {
                        if (namedProcesses.add(r.pid()))
                        {
                            processName(g, r);
                        }
                        event(g, r);
                        if (0 == (events & 0xfff))
                        {
                            bar.update(done + reader.bytesRead(), events);
                        }
                    }
                    done += reader.bytesRead();
                    bar.update(done, events);
                    TraceInput.noteTruncation(reader, IotraceCli.err());
                }
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        finally
        {
            bar.finish();
        }
        if (toStdout)
        {
            IotraceCli.out().println();
            IotraceCli.out().flush();
        }
        else
        {
            IotraceCli.err().println("iotrace: " + events + " events written to " + output);
        }
        return IotraceCli.EXIT_OK;
    }

    private static void processName(final JsonGenerator g, final TraceRecord r) throws IOException
    {
        g.writeStartObject();
        g.writeStringField("name", "process_name");
        g.writeStringField("ph", "M");
        g.writeNumberField("pid", r.pid());
        g.writeObjectFieldStart("args");
        // a trace file begins with its process_start record: the executable names the process
        final String exe = "process_start".equals(r.functionName()) && null != r.tracedFilename() ?
            r.tracedFilename().substring(r.tracedFilename().lastIndexOf('/') + 1) + " " : "";
        g.writeStringField("name", exe + "pid " + r.pid() + (null == r.hostname() ? "" : " on " + r.hostname()) +
            (TraceRecord.NO_RANK == r.rank() ? "" : " rank " + r.rank()));
        g.writeEndObject();
        g.writeEndObject();
    }

    private void event(final JsonGenerator g, final TraceRecord r) throws IOException
    {
        g.writeStartObject();
        g.writeStringField("name", r.functionName());
        g.writeStringField("cat", "io");
        g.writeStringField("ph", "X");
        g.writeNumberField("pid", r.pid());
        g.writeNumberField("tid", r.tid());
        g.writeFieldName("ts");
        g.writeNumber(micros(r.timeStart() + clockOffsets.offsetNs(r)));
        g.writeFieldName("dur");
        g.writeNumber(micros(Math.max(0, r.timeEnd() - r.timeStart())));
        g.writeObjectFieldStart("args");
        if (null != r.tracedFilename())
        {
            g.writeStringField("file", r.tracedFilename());
        }
        if (r.isTransfer())
        {
            g.writeNumberField("bytes", r.transferredBytes());
        }
        if (null != r.returnState() && !"ok".equals(r.returnState()))
        {
            g.writeStringField("return_state", r.returnState());
        }
        g.writeEndObject();
        g.writeEndObject();
        events++;
    }

    /**
     * @param nanos a time or duration in ns.
     * @return the same in µs as an exact decimal (a double would lose the ns of epoch times).
     */
    static String micros(final long nanos)
    {
        final long whole = Math.floorDiv(nanos, 1000);
        final long fraction = Math.floorMod(nanos, 1000);
        return 0 == fraction ? Long.toString(whole) : String.format("%d.%03d", whole, fraction);
    }
}
