package io.iotrace.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.iotrace.core.summary.TraceDirectory;
import io.iotrace.core.summary.TraceFileReader;
import io.iotrace.core.summary.TraceFormatException;
import io.iotrace.core.summary.TraceRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.Callable;

/**
 * {@code iotrace merge D [-o out.jsonl]}: all processes' records in one stream ordered by time_start.
 * <p>
 * A process file is written in the order its records left the ring: per thread that is the order of the calls, but
 * a record is committed when its call ends, so across the threads of a process time_start can step back (a long
 * read started before a short write that ended first). Each file is therefore read through a bounded look-ahead
 * window (a min-heap of the next {@code --window} records) and the heads of all files are merged k-way; memory is
 * window x files records. A record more than the window out of order is still written, and counted and reported.
 */
@Command(
    name = "merge",
    header = "All processes' records in one time-ordered JSON Lines stream.",
    mixinStandardHelpOptions = true,
    description = {
        "Merge the per-process record files of a trace into one JSON Lines stream ordered by time_start " +
            "(ties: by process file, then file order). Records are copied unchanged (unless a clock offset " +
            "applies: see below).",
        "Within a process file records are in completion order, so time_start may step back across threads: " +
            "each file is sorted through a look-ahead window of --window records (memory: window x files " +
            "records). A record that arrives later than that is written where it is found, and the number of such " +
            "records is reported on stderr.",
        "Clock alignment (MPI): when the trace has mpi_clock_sync records (every rank measures its clock's offset " +
            "to rank 0's at MPI_Init and MPI_Finalize), the records of every other host get that host's offset " +
            "subtracted from time_start and time_end (interpolated between the sync points; the best " +
            "measurement of the host's ranks), so that all ranks sort on rank 0's clock. Rank 0's host, and " +
            "hosts without a measurement, keep their times. --no-clock-align copies every record unchanged."},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {"0:done", "1:the trace cannot be read or the output written",
        "2:usage error, or a malformed trace (file:line)"})
final class MergeCommand implements Callable<Integer>
{
    private static final JsonFactory FACTORY = new JsonFactory();

    @Parameters(index = "0", paramLabel = "DIR", description = "The trace directory.")
    Path dir;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", defaultValue = "-",
        description = "Output file (default: stdout).")
    String output;

    /** Records buffered in all windows together when --window is not given. */
    static final int DEFAULT_BUDGET = 1 << 18;
    /** Smallest default window per file. */
    static final int MIN_DEFAULT_WINDOW = 1024;

    @Option(names = "--window", paramLabel = "N",
        description = "Look-ahead per process file in records (default: " + DEFAULT_BUDGET + " / files, at " +
            "least " + MIN_DEFAULT_WINDOW + "). A thread preempted inside a call can complete it after thousands " +
            "of other threads' records.")
    Integer windowOption;

    private int window;

    @Mixin
    TraceInput.WaitOption waitOption = new TraceInput.WaitOption();

    @Option(names = "--progress", negatable = true,
        description = "Show a progress bar on stderr (default: when stderr is a terminal).")
    Boolean progress;

    @Option(names = "--clock-align", negatable = true, defaultValue = "true", fallbackValue = "true",
        description = "Align the hosts of an MPI job to rank 0's clock from the mpi_clock_sync records (default: " +
            "on; this reads the trace twice).")
    boolean clockAlign = true;

    /** Where the clock offsets come from: the trace's MPI clock sync records, or none. */
    private ClockOffsets clockOffsets = ClockOffsets.NONE;

    /** One buffered record: its aligned time_start, its order in its file, its (aligned) line. */
    private record Pending(long timeStart, long sequence, String line)
    {
    }

    private static final Comparator<Pending> BY_TIME =
        Comparator.comparingLong(Pending::timeStart).thenComparingLong(Pending::sequence);

    /** One process file with its look-ahead window. */
    private final class Source
    {
        final int index;
        final TraceFileReader reader;
        final PriorityQueue<Pending> window = new PriorityQueue<>(BY_TIME);
        long sequence;
        boolean exhausted;

        Source(final int index, final TraceFileReader reader)
        {
            this.index = index;
            this.reader = reader;
        }

        void fill() throws IOException, TraceFormatException
        {
            while (!exhausted && window.size() < MergeCommand.this.window)
            {
                final TraceRecord r = reader.next();
                if (null == r)
                {
                    exhausted = true;
                    TraceInput.noteTruncation(reader, IotraceCli.err());
                    break;
                }
                final long offset = clockOffsets.offsetNs(r);
                window.add(new Pending(r.timeStart() + offset, sequence++,
                    0 == offset ? r.line() : shiftTimes(r.line(), offset)));
            }
        }

        Pending head()
        {
            return window.peek();
        }
    }

    @Override
    public Integer call() throws IOException, TraceFormatException
    {
        if (null != windowOption && windowOption < 1)
        {
            throw new CliException(IotraceCli.EXIT_USAGE, "--window must be at least 1");
        }
        final TraceDirectory trace = TraceInput.open(dir, waitOption.noWait, IotraceCli.err());
        final List<Path> files = trace.processFiles();
        window = null != windowOption ? windowOption :
            Math.max(MIN_DEFAULT_WINDOW, DEFAULT_BUDGET / Math.max(1, files.size()));
        if (clockAlign)
        {
            clockOffsets = MpiClockAlignment.offsetsFor(files, IotraceCli.err());
        }
        final Comparator<Source> byHead = Comparator.comparing((Source s) -> s.head(), BY_TIME)
            .thenComparingInt(s -> s.index);
        final PriorityQueue<Source> heads = new PriorityQueue<>(byHead);
        final List<Source> sources = new java.util.ArrayList<>();
        final boolean toStdout = "-".equals(output);
        long written = 0;
        long outOfOrder = 0;
        long totalBytes = 0;
        for (final Path file : files)
        {
            totalBytes += Files.size(file);
        }
        final Progress bar = new Progress(IotraceCli.err(), "merge", totalBytes,
            null == progress ? Progress.stderrIsTerminal() : progress);
        try (Writer out = toStdout ?
            new BufferedWriter(new OutputStreamWriter(IotraceCli.unclosable(IotraceCli.out()), StandardCharsets.UTF_8),
                1 << 16) :
            Files.newBufferedWriter(Path.of(output), StandardCharsets.UTF_8))
        {
            for (int i = 0; i < files.size(); i++)
            {
                final Source source = new Source(i, new TraceFileReader(files.get(i), true));
                sources.add(source);
                source.fill();
                if (null != source.head())
                {
                    heads.add(source);
                }
            }
            long last = Long.MIN_VALUE;
            while (!heads.isEmpty())
            {
                final Source source = heads.poll();
                final Pending next = source.window.poll();
                if (next.timeStart() < last)
                {
                    outOfOrder++;
                }
                last = Math.max(last, next.timeStart());
                out.write(next.line());
                out.write('\n');
                written++;
                if (0 == (written & 0xfff))
                {
                    long done = 0;
                    for (final Source s : sources)
                    {
                        done += s.reader.bytesRead();
                    }
                    bar.update(done, written);
                }
                source.fill();
                if (null != source.head())
                {
                    heads.add(source);
                }
            }
            out.flush();
            bar.update(totalBytes, written);
        }
        finally
        {
            bar.finish();
            for (final Source source : sources)
            {
                source.reader.close();
            }
        }
        if (!toStdout)
        {
            IotraceCli.err().println("iotrace: " + written + " records of " + files.size() +
                " process files merged into " + output);
        }
        if (outOfOrder > 0)
        {
            IotraceCli.err().println("iotrace: " + outOfOrder + " records were further out of order in their file " +
                "than --window " + window + ": they are written where they were found");
        }
        return IotraceCli.EXIT_OK;
    }

    /**
     * @param line   a record.
     * @param offset ns to add.
     * @return the record with time_start and time_end shifted, fields otherwise unchanged.
     * @throws IOException never for a line that parsed before.
     */
    static String shiftTimes(final String line, final long offset) throws IOException
    {
        final StringWriter text = new StringWriter(line.length() + 8);
        try (JsonParser parser = FACTORY.createParser(line);
            JsonGenerator g = FACTORY.createGenerator(text))
        {
            int depth = 0;
            String field = null;
            JsonToken token;
            while (null != (token = parser.nextToken()))
            {
                if (JsonToken.FIELD_NAME == token)
                {
                    field = parser.currentName();
                }
                else if (JsonToken.VALUE_NUMBER_INT == token && 1 == depth &&
                    ("time_start".equals(field) || "time_end".equals(field)))
                {
                    g.writeNumber(parser.getLongValue() + offset);
                    continue;
                }
                depth += switch (token)
                {
                    case START_OBJECT, START_ARRAY -> 1;
                    case END_OBJECT, END_ARRAY -> -1;
                    default -> 0;
                };
                g.copyCurrentEvent(parser);
            }
        }
        return text.toString();
    }
}
