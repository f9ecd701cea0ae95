package io.iotrace.cli.report;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import io.iotrace.core.session.TraceSession;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the HTML report shows, computed by streaming the trace twice (the first pass finds the time range the
 * timeline's buckets divide): memory grows with the number of files, processes and threads, never with the
 * number of records.
 * <ul>
 *   <li>bytes per file (read + written), files under {@link #OTHER_SHARE} of the total folded into "other";</li>
 *   <li>a timeline per thread: the calls themselves when the trace has at most {@link #MAX_EXACT_CALLS} calls, else
 *       per {@link #BUCKETS} time buckets the time spent in read, write and other (metadata) calls;</li>
 *   <li>request sizes: read and write calls per power-of-two bucket of their byte count;</li>
 *   <li>per process (the records name no MPI rank): bytes and time in I/O calls.</li>
 * </ul>
 * A call is a read when its record has function_data.read_bytes, a write when it has written_bytes, else metadata
 * (opens, closes, seeks, stats, failed calls).
 */
public final class ReportData
{
    /** Files below this share of all bytes are shown as "other" in the pie (like libiotrace's analyzer). */
    public static final double OTHER_SHARE = 0.03;
    /** Up to this many calls the timeline shows each call; beyond, time buckets. */
    public static final int MAX_EXACT_CALLS = 20_000;
    /** Time buckets of the aggregated timeline. */
    public static final int BUCKETS = 500;
    /** Threads shown in the timeline at most (the busiest); the others are counted in the page. */
    public static final int MAX_LANES = 200;
    /** Power-of-two request size buckets: 0 bytes, then [2^k, 2^(k+1)) for k = 0..62. */
    public static final int SIZE_BUCKETS = 64;

    static final int READ = 0;
    static final int WRITE = 1;
    static final int META = 2;

    private static final class FileTotals
    {
        long read;
        long written;
        long calls;
    }

    private static final class ProcessTotals
    {
        long bytes;
        long read;
        long written;
        long nanos;
        long calls;
    }

    private static final class Lane
    {
        final String host;
        final int pid;
        final int tid;
        long calls;
        long nanos;
        // exact mode: start, end (relative ns), category per call, in record order
        long[] exact;
        int exactCount;
        // bucket mode: ns busy per category and bucket
        long[] busy;

        Lane(final String host, final int pid, final int tid)
        {
            this.host = host;
            this.pid = pid;
            this.tid = tid;
        }
    }

    private final Map<String, FileTotals> files = new HashMap<>();
    private final Map<String, ProcessTotals> processes = new LinkedHashMap<>();
    private final Map<String, Lane> lanes = new HashMap<>();
    private final long[][] sizes = new long[2][SIZE_BUCKETS];
    private final List<String> notes = new ArrayList<>();
    private long calls;
    private long records;
    private long minTime = Long.MAX_VALUE;
    private long maxTime = Long.MIN_VALUE;
    private boolean exactTimeline;
    private int traceFiles;

    private ReportData()
    {
    }

    /**
     * Read a trace dir.
     *
     * @param traceDir the trace.
     * @param showProgress draw a progress bar on stderr over the two passes.
     * @param clockAlign   place the hosts of an MPI job on rank 0's clock (from the mpi_clock_sync records).
     * @return the report's data.
     * @throws IOException when the trace cannot be read or is malformed.
     */
    public static ReportData of(final Path traceDir, final boolean showProgress, final boolean clockAlign)
        throws IOException
    {
        final TraceReader reader = new TraceReader(traceDir);
        if (clockAlign)
        {
            reader.clockOffsets(io.iotrace.cli.MpiClockAlignment.offsetsFor(reader.files(), System.err));
        }
        final io.iotrace.cli.Progress bar =
            new io.iotrace.cli.Progress(System.err, "report", 2 * reader.totalBytes(), showProgress);
        reader.progress(bar);
        final ReportData data = new ReportData();
        data.traceFiles = reader.files().size();
        reader.forEach(data::firstPass);
        data.notes.addAll(reader.notes());
        data.exactTimeline = data.calls <= MAX_EXACT_CALLS;
        if (TraceSession.isCollectorLockHeld(TraceSession.runtimeDirFor(traceDir.toAbsolutePath().normalize())))
        {
            data.notes.add("the session's collector is still running: the report shows the records written so far");
        }
        reader.forEach(data::timeline);
        bar.finish();
        return data;
    }

    static int category(final TraceReader.Call call)
    {
        return call.readBytes >= 0 ? READ : call.writtenBytes >= 0 ? WRITE : META;
    }

    /** Size bucket: 0 for 0 bytes, k + 1 for [2^k, 2^(k+1)). */
    static int sizeBucket(final long bytes)
    {
        return bytes <= 0 ? 0 : 64 - Long.numberOfLeadingZeros(bytes);
    }

    private static String laneKey(final TraceReader.Call call)
    {
        return call.hostname + '\0' + call.pid + '\0' + call.tid;
    }

    private void firstPass(final TraceReader.Call call)
    {
        records++;
        if (call.isNotACall())
        {
            return;
        }
        calls++;
        final long read = Math.max(0, call.readBytes);
        final long written = Math.max(0, call.writtenBytes);
        final long nanos = Math.max(0, call.end - call.start);
        minTime = Math.min(minTime, call.start);
        maxTime = Math.max(maxTime, Math.max(call.start, call.end));
        if (null != call.file)
        {
            final FileTotals f = files.computeIfAbsent(call.file, k -> new FileTotals());
            f.read += read;
            f.written += written;
            f.calls++;
        }
        final ProcessTotals p = processes.computeIfAbsent(call.hostname + ":" + call.pid, k -> new ProcessTotals());
        p.read += read;
        p.written += written;
        p.bytes += read + written;
        p.nanos += nanos;
        p.calls++;
        if (call.readBytes >= 0)
        {
            sizes[READ][sizeBucket(call.readBytes)]++;
        }
        if (call.writtenBytes >= 0)
        {
            sizes[WRITE][sizeBucket(call.writtenBytes)]++;
        }
        final Lane lane = lanes.computeIfAbsent(laneKey(call), k -> new Lane(call.hostname, call.pid, call.tid));
        lane.calls++;
        lane.nanos += nanos;
    }

    private void timeline(final TraceReader.Call call)
    {
        if (call.isNotACall())
        {
            return;
        }
        final Lane lane = lanes.get(laneKey(call));
        if (null == lane || call.start < minTime)
        {
            return; // a record the first pass did not see (the trace grew meanwhile)
        }
        final int category = category(call);
        final long start = call.start - minTime;
        final long end = Math.max(call.start, call.end) - minTime;
        if (exactTimeline)
        {
            if (null == lane.exact)
            {
                lane.exact = new long[(int)Math.min(Integer.MAX_VALUE - 8, 3 * lane.calls)];
            }
            if (lane.exactCount == lane.exact.length)
            {
                return; // more calls than the first pass counted: the trace grew meanwhile
            }
            lane.exact[lane.exactCount++] = start;
            lane.exact[lane.exactCount++] = end;
            lane.exact[lane.exactCount++] = category;
            return;
        }
        if (null == lane.busy)
        {
            lane.busy = new long[3 * BUCKETS];
        }
        final double width = bucketWidth();
        int first = (int)Math.min(BUCKETS - 1, (long)(start / width));
        final int last = (int)Math.min(BUCKETS - 1, (long)(end / width));
        if (first == last)
        {
            lane.busy[3 * first + category] += end - start;
            return;
        }
        for (int b = first; b <= last; b++)
        {
            final long from = Math.max(start, (long)(b * width));
            final long to = Math.min(end, (long)((b + 1) * width));
            lane.busy[3 * b + category] += Math.max(0, to - from);
        }
    }

    private double bucketWidth()
    {
        return Math.max(1.0, (double)(maxTime - minTime + 1) / BUCKETS);
    }

    /** @return notes for the reader (truncated files). */
    public List<String> notes()
    {
        return notes;
    }

    /**
     * @param title shown on the page.
     * @return the data as JSON (the page's script draws it).
     * @throws IOException never (in-memory).
     */
    public String toJson(final String title) throws IOException
    {
        final StringWriter text = new StringWriter();
        try (JsonGenerator g = new JsonFactory().createGenerator(text))
        {
            g.writeStartObject();
            g.writeStringField("title", title);
            g.writeNumberField("records", records);
            g.writeNumberField("calls", calls);
            g.writeNumberField("traceFiles", traceFiles);
            g.writeNumberField("startNs", calls > 0 ? minTime : 0);
            g.writeNumberField("durationNs", calls > 0 ? maxTime - minTime : 0);
            g.writeArrayFieldStart("notes");
            for (final String note : notes)
            {
                g.writeString(note);
            }
            g.writeEndArray();
            writeFiles(g);
            writeTimeline(g);
            writeSizes(g);
            writeProcesses(g);
            g.writeEndObject();
        }
        return text.toString();
    }

    private void writeFiles(final JsonGenerator g) throws IOException
    {
        final List<Map.Entry<String, FileTotals>> sorted = new ArrayList<>(files.entrySet());
        sorted.sort(Comparator.comparingLong((Map.Entry<String, FileTotals> e) ->
            e.getValue().read + e.getValue().written).reversed().thenComparing(Map.Entry::getKey));
        long total = 0;
        for (final Map.Entry<String, FileTotals> e : sorted)
        {
            total += e.getValue().read + e.getValue().written;
        }
        g.writeObjectFieldStart("files");
        g.writeNumberField("totalBytes", total);
        g.writeNumberField("otherShare", OTHER_SHARE);
        g.writeArrayFieldStart("slices");
        long otherBytes = 0;
        long otherRead = 0;
        long otherWritten = 0;
        int otherFiles = 0;
        for (final Map.Entry<String, FileTotals> e : sorted)
        {
            final FileTotals f = e.getValue();
            final long bytes = f.read + f.written;
            if (bytes > 0 && bytes >= OTHER_SHARE * total)
            {
                g.writeStartObject();
                g.writeStringField("name", e.getKey());
                g.writeNumberField("bytes", bytes);
                g.writeNumberField("read", f.read);
                g.writeNumberField("written", f.written);
                g.writeEndObject();
            }
            else if (bytes > 0)
            {
                otherBytes += bytes;
                otherRead += f.read;
                otherWritten += f.written;
                otherFiles++;
            }
        }
        if (otherFiles > 0)
        {
            g.writeStartObject();
            g.writeStringField("name", "other");
            g.writeNumberField("bytes", otherBytes);
            g.writeNumberField("read", otherRead);
            g.writeNumberField("written", otherWritten);
            g.writeNumberField("files", otherFiles);
            g.writeBooleanField("other", true);
            g.writeEndObject();
        }
        g.writeEndArray();
        // the table under the pie: every file with bytes or calls, busiest first (at most 500)
        g.writeArrayFieldStart("table");
        int n = 0;
        for (final Map.Entry<String, FileTotals> e : sorted)
        {
            if (n++ == 500)
            {
                break;
            }
            g.writeStartArray();
            g.writeString(e.getKey());
            g.writeNumber(e.getValue().read);
            g.writeNumber(e.getValue().written);
            g.writeNumber(e.getValue().calls);
            g.writeEndArray();
        }
        g.writeEndArray();
        g.writeNumberField("fileCount", sorted.size());
        g.writeEndObject();
    }

    private void writeTimeline(final JsonGenerator g) throws IOException
    {
        final List<Lane> sorted = new ArrayList<>(lanes.values());
        sorted.sort(Comparator.comparing((Lane l) -> l.host).thenComparingInt(l -> l.pid).thenComparingInt(l -> l.tid));
        List<Lane> shown = sorted;
        if (sorted.size() > MAX_LANES)
        {
            final List<Lane> busiest = new ArrayList<>(sorted);
            busiest.sort(Comparator.comparingLong((Lane l) -> l.nanos).reversed());
            final List<Lane> keep = busiest.subList(0, MAX_LANES);
            shown = sorted.stream().filter(keep::contains).toList();
        }
        g.writeObjectFieldStart("timeline");
        g.writeStringField("mode", exactTimeline ? "calls" : "buckets");
        g.writeNumberField("buckets", BUCKETS);
        g.writeNumberField("bucketNs", exactTimeline ? 0 : bucketWidth());
        g.writeNumberField("laneCount", sorted.size());
        g.writeArrayFieldStart("lanes");
        for (final Lane lane : shown)
        {
            g.writeStartObject();
            g.writeStringField("host", lane.host);
            g.writeNumberField("pid", lane.pid);
            g.writeNumberField("tid", lane.tid);
            g.writeNumberField("calls", lane.calls);
            g.writeNumberField("nanos", lane.nanos);
            if (exactTimeline)
            {
                // [start, end, category] triples, ns from the trace's start
                g.writeArrayFieldStart("bars");
                for (int i = 0; i < lane.exactCount; i++)
                {
                    g.writeNumber(lane.exact[i]);
                }
                g.writeEndArray();
            }
            else
            {
                // [bucket, readNs, writeNs, metaNs] for the buckets with calls
                g.writeArrayFieldStart("busy");
                for (int b = 0; b < BUCKETS; b++)
                {
                    if (null != lane.busy && lane.busy[3 * b] + lane.busy[3 * b + 1] + lane.busy[3 * b + 2] > 0)
                    {
                        g.writeNumber(b);
                        g.writeNumber(lane.busy[3 * b]);
                        g.writeNumber(lane.busy[3 * b + 1]);
                        g.writeNumber(lane.busy[3 * b + 2]);
                    }
                }
                g.writeEndArray();
            }
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private void writeSizes(final JsonGenerator g) throws IOException
    {
        int last = 0;
        for (int b = 0; b < SIZE_BUCKETS; b++)
        {
            if (sizes[READ][b] + sizes[WRITE][b] > 0)
            {
                last = b;
            }
        }
        g.writeObjectFieldStart("sizes");
        g.writeArrayFieldStart("read");
        for (int b = 0; b <= last; b++)
        {
            g.writeNumber(sizes[READ][b]);
        }
        g.writeEndArray();
        g.writeArrayFieldStart("write");
        for (int b = 0; b <= last; b++)
        {
            g.writeNumber(sizes[WRITE][b]);
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private void writeProcesses(final JsonGenerator g) throws IOException
    {
        final List<Map.Entry<String, ProcessTotals>> sorted = new ArrayList<>(processes.entrySet());
        sorted.sort(Map.Entry.comparingByKey(Comparator.comparing((String k) -> k.substring(0, k.lastIndexOf(':')))
            .thenComparingInt(k -> Integer.parseInt(k.substring(k.lastIndexOf(':') + 1)))));
        g.writeObjectFieldStart("processes");
        g.writeStringField("unit", "process");
        g.writeArrayFieldStart("items");
        for (final Map.Entry<String, ProcessTotals> e : sorted)
        {
            g.writeStartObject();
            g.writeStringField("name", e.getKey());
            g.writeNumberField("bytes", e.getValue().bytes);
            g.writeNumberField("read", e.getValue().read);
            g.writeNumberField("written", e.getValue().written);
            g.writeNumberField("nanos", e.getValue().nanos);
            g.writeNumberField("calls", e.getValue().calls);
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }
}
