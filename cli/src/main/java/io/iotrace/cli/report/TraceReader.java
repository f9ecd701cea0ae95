package io.iotrace.cli.report;

import io.iotrace.core.summary.TraceDirectory;
import io.iotrace.core.summary.TraceFileReader;
import io.iotrace.core.summary.TraceFormatException;
import io.iotrace.core.summary.TraceRecord;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The records of a trace dir as the report needs them, one reusable {@link Call} at a time, read with tracer-core's
 * streaming {@link TraceFileReader} (constant memory whatever the trace's size). A malformed line stops the read
 * with a {@link MalformedTraceException} naming file and line; an incomplete last line (a trace cut by kill -9) ends
 * that file's records and is reported as a note.
 */
public final class TraceReader
{
    /** The fields of one record the report needs; reused for every record. */
    public static final class Call
    {
        public String file;
        public String hostname;
        public int pid;
        public int tid;
        public String function;
        public long start;
        public long end;
        public boolean error;
        /** function_data.read_bytes, -1 when absent. */
        public long readBytes;
        /** function_data.written_bytes, -1 when absent. */
        public long writtenBytes;

        void clear()
        {
            file = null;
            hostname = null;
            pid = 0;
            tid = 0;
            function = null;
            start = 0;
            end = 0;
            error = false;
            readBytes = -1;
            writtenBytes = -1;
        }

        /** @return true for fd_discovered (descriptors found open at start) and process_start: not calls. */
        public boolean isNotACall()
        {
            return "fd_discovered".equals(function) || "process_start".equals(function);
        }
    }

    /** A line of a trace file is not a record. */
    public static final class MalformedTraceException extends IOException
    {
        MalformedTraceException(final TraceFormatException cause)
        {
            super(cause.getMessage(), cause); // "file:line: what is wrong"
        }
    }

    private final List<Path> files;
    private final List<String> notes = new ArrayList<>();
    private io.iotrace.cli.Progress progress;
    private io.iotrace.cli.ClockOffsets clockOffsets = io.iotrace.cli.ClockOffsets.NONE;
    private long bytesDone;
    private long recordsDone;

    /**
     * @param traceDir a trace dir.
     * @throws IOException when it cannot be listed or holds no trace file.
     */
    public TraceReader(final Path traceDir) throws IOException
    {
        if (!Files.isDirectory(traceDir))
        {
            throw new IOException(traceDir + " is not a directory");
        }
        files = new TraceDirectory(traceDir).processFiles();
        if (files.isEmpty())
        {
            throw new IOException(traceDir + " holds no trace file (*.jsonl)");
        }
    }

    /**
     * Shift every record's times (the hosts of an MPI job onto rank 0's clock).
     *
     * @param offsets ns to add to each record's times.
     */
    public void clockOffsets(final io.iotrace.cli.ClockOffsets offsets)
    {
        clockOffsets = offsets;
    }

    /**
     * Draw a progress bar over the reads to come (its total: the files' bytes times the passes).
     *
     * @param bar the bar.
     */
    public void progress(final io.iotrace.cli.Progress bar)
    {
        progress = bar;
    }

    /**
     * @return the bytes of all trace files.
     * @throws IOException when a file's size cannot be read.
     */
    public long totalBytes() throws IOException
    {
        long total = 0;
        for (final Path file : files)
        {
            total += Files.size(file);
        }
        return total;
    }

    /** @return the trace files, in name order. */
    public List<Path> files()
    {
        return files;
    }

    /** @return notes about truncated files (from the last {@link #forEach}). */
    public List<String> notes()
    {
        return notes;
    }

    /**
     * Read every record of every file.
     *
     * @param consumer gets each record (the same object every time).
     * @throws IOException on a malformed line or a read error.
     */
    public void forEach(final Consumer<Call> consumer) throws IOException
    {
        notes.clear();
        final Call call = new Call();
        for (final Path file : files)
        {
            try (TraceFileReader reader = new TraceFileReader(file, false))
            {
                TraceRecord r;
                while (null != (r = reader.next()))
                {
                    call.clear();
                    call.file = r.tracedFilename();
                    call.hostname = r.hostname();
                    call.pid = r.pid();
                    call.tid = r.tid();
                    call.function = r.functionName();
                    final long shift = clockOffsets.offsetNs(r); // MPI hosts on rank 0's clock
                    call.start = r.timeStart() + shift;
                    call.end = r.timeEnd() + shift;
                    call.error = "error".equals(r.returnState());
                    call.readBytes = r.readBytes();
                    call.writtenBytes = r.writtenBytes();
                    consumer.accept(call);
                    if (null != progress && 0 == (++recordsDone & 0xfff))
                    {
                        progress.update(bytesDone + reader.bytesRead(), recordsDone);
                    }
                }
                bytesDone += reader.bytesRead();
                if (null != progress)
                {
                    progress.update(bytesDone, recordsDone);
                }
                if (reader.truncatedLine() > 0)
                {
                    notes.add(file.getFileName() + ": incomplete last record (line " + reader.truncatedLine() +
                        ") ignored: the trace was cut");
                }
            }
            catch (final TraceFormatException ex)
            {
                throw new MalformedTraceException(ex);
            }
        }
    }
}
