package io.iotrace.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.iotrace.core.summary.TraceFiles;
import io.iotrace.core.summary.TraceRecord;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The hosts of an MPI job aligned to rank 0's clock from the job's {@code mpi_clock_sync} records: every rank writes
 * one at MPI_Init (phase 0) and one at MPI_Finalize (phase 1) with {@code offset_ns} = its clock minus rank 0's,
 * measured by ping-pong and good to {@code rtt_ns / 2}.
 * <p>
 * The offset belongs to a host, not to a rank: all processes of a node read the same CLOCK_REALTIME.
 * <ul>
 * <li>Rank 0's host (where a rank's record names itself as the reference rank) is the reference: offset 0. Its
 * other ranks' measurements are measurement error only, and applying them could invert events the shared clock
 * orders exactly.</li>
 * <li>Another host's offset at a sync point is its best measurement there (least rtt among its ranks; the records
 * of one sync point are those of one phase next to each other in time). Between sync points it is interpolated
 * linearly in the host's own time (clocks drift apart), before the first and after the last it is held.</li>
 * <li>A host without a usable measurement (no MPI rank, or every ping-pong gave up) keeps its times.</li>
 * </ul>
 * A record then gets {@code -offset(host, time_start)} added to time_start and time_end (its duration is kept).
 */
public final class MpiClockAlignment implements ClockOffsets
{
    /** function_name of the clock sync records (functions.tbl meta row 3). */
    static final String CLOCK_SYNC = "mpi_clock_sync";
    /** What a line must contain to be parsed (a cheap filter: the scan reads every line of every file). */
    private static final String MARKER = '"' + CLOCK_SYNC + '"';
    private static final JsonFactory FACTORY = new JsonFactory();

    /** One measurement: at the host's time {@code time}, the host's clock was {@code offset} ns ahead of rank 0's. */
    record Measurement(String host, long time, int phase, long offset, long rtt, boolean reference, boolean usable)
    {
    }

    /** A host's sync points, in time order: offsets[i] at times[i]. */
    private record Points(long[] times, long[] offsets)
    {
        long at(final long time)
        {
            final int last = times.length - 1;
            if (time <= times[0])
            {
                return offsets[0];
            }
            if (time >= times[last])
            {
                return offsets[last];
            }
            int i = Arrays.binarySearch(times, time);
            if (i >= 0)
            {
                return offsets[i];
            }
            i = -i - 1; // times[i - 1] < time < times[i]
            final double slope = (double)(offsets[i] - offsets[i - 1]) / (times[i] - times[i - 1]);
            return offsets[i - 1] + Math.round(slope * (time - times[i - 1]));
        }
    }

    private final Map<String, Points> hosts = new HashMap<>();
    private final String referenceHost;
    private final List<String> unusable;
    /** The same host for every record of a file: the last lookup is kept. */
    private String lastHost;
    private Points lastPoints;

    private MpiClockAlignment(final List<Measurement> measurements)
    {
        final Map<String, List<Measurement>> byHost = new HashMap<>();
        final Set<String> references = new HashSet<>();
        final Set<String> seen = new HashSet<>();
        for (final Measurement m : measurements)
        {
            seen.add(m.host());
            if (!m.usable())
            {
                continue;
            }
            if (m.reference())
            {
                references.add(m.host());
            }
            else
            {
                byHost.computeIfAbsent(m.host(), h -> new ArrayList<>()).add(m);
            }
        }
        referenceHost = references.isEmpty() ? null : references.stream().sorted().findFirst().orElseThrow();
        for (final Map.Entry<String, List<Measurement>> host : byHost.entrySet())
        {
            if (!references.contains(host.getKey()))
            {
                hosts.put(host.getKey(), points(host.getValue()));
            }
        }
        seen.removeAll(references);
        seen.removeAll(hosts.keySet());
        unusable = seen.stream().sorted().toList();
    }

    /** One point per sync point: runs of one phase in time order; in each, the measurement with the least rtt. */
    private static Points points(final List<Measurement> measurements)
    {
        measurements.sort(Comparator.comparingLong(Measurement::time));
        final List<Measurement> best = new ArrayList<>();
        int phase = Integer.MIN_VALUE;
        for (final Measurement m : measurements)
        {
            if (m.phase() != phase)
            {
                best.add(m);
                phase = m.phase();
            }
            else if (m.rtt() < best.getLast().rtt())
            {
                best.set(best.size() - 1, m);
            }
        }
        // the best of a run may lie later than the next run's first: keep the points in time order
        best.sort(Comparator.comparingLong(Measurement::time));
        final long[] times = new long[best.size()];
        final long[] offsets = new long[best.size()];
        for (int i = 0; i < times.length; i++)
        {
            times[i] = best.get(i).time();
            offsets[i] = best.get(i).offset();
        }
        return new Points(times, offsets);
    }

    /**
     * Read the clock sync records of a trace.
     *
     * @param files the process files.
     * @return the alignment (no host aligned when the trace has no clock sync record).
     * @throws IOException when a file cannot be read.
     */
    static MpiClockAlignment scan(final List<Path> files) throws IOException
    {
        final List<Measurement> measurements = new ArrayList<>();
        for (final Path file : files)
        {
            scanFile(file, measurements);
        }
        return new MpiClockAlignment(measurements);
    }

    /** The lines of one file containing the marker are parsed; a line that is not a usable record is skipped. */
    private static void scanFile(final Path file, final List<Measurement> out) throws IOException
    {
        try (InputStream in = TraceFiles.open(file))
        {
            byte[] buffer = new byte[1 << 20];
            int length = 0;
            boolean eof = false;
            while (!eof)
            {
                final int n = in.read(buffer, length, buffer.length - length);
                if (n < 0)
                {
                    eof = true;
                }
                else
                {
                    length += n;
                }
                // ISO-8859-1: one char per byte, so indexes are byte offsets (and the copy is a plain one)
                final String text = new String(buffer, 0, length, StandardCharsets.ISO_8859_1);
                final int complete = eof ? length : text.lastIndexOf('\n') + 1;
                int at = text.indexOf(MARKER);
                while (at >= 0 && at < complete)
                {
                    final int start = text.lastIndexOf('\n', at) + 1;
                    final int newline = text.indexOf('\n', at);
                    final int end = newline < 0 ? length : newline;
                    parse(buffer, start, end - start, out);
                    at = text.indexOf(MARKER, end);
                }
                if (0 == complete && length == buffer.length)
                {
                    if (buffer.length >= io.iotrace.core.summary.TraceFileReader.MAX_LINE_LENGTH)
                    {
                        return; // not a record: the merge itself reports the line
                    }
                    buffer = Arrays.copyOf(buffer, buffer.length * 2);
                }
                System.arraycopy(buffer, complete, buffer, 0, length - complete);
                length -= complete;
            }
        }
    }

    private static void parse(final byte[] bytes, final int offset, final int length, final List<Measurement> out)
    {
        String function = null;
        String host = null;
        long time = 0;
        int rank = -1;
        long offsetNs = 0;
        long rtt = Long.MAX_VALUE;
        int phase = 0;
        int referenceRank = -2;
        int rounds = -1;
        boolean hasTime = false;
        boolean hasOffset = false;
        try (JsonParser parser = FACTORY.createParser(bytes, offset, length))
        {
            if (JsonToken.START_OBJECT != parser.nextToken())
            {
                return;
            }
            int depth = 1;
            boolean inData = false;
            while (depth > 0)
            {
                final JsonToken token = parser.nextToken();
                if (null == token)
                {
                    return; // a cut last line
                }
                switch (token)
                {
                    case START_OBJECT, START_ARRAY -> depth++;
                    case END_OBJECT, END_ARRAY ->
                    {
                        depth--;
                        inData = false;
                    }
                    case FIELD_NAME ->
                    {
                        final String name = parser.currentName();
                        final JsonToken value = parser.nextToken();
                        if (JsonToken.START_OBJECT == value || JsonToken.START_ARRAY == value)
                        {
                            inData = 1 == depth && "function_data".equals(name);
                            depth++;
                        }
                        else if (1 == depth)
                        {
                            switch (name)
                            {
                                case "function_name" -> function = parser.getText();
                                case "hostname" -> host = parser.getText();
                                case "rank" -> rank = parser.getIntValue();
                                case "time_start" ->
                                {
                                    time = parser.getLongValue();
                                    hasTime = true;
                                }
                                default ->
                                {
                                }
                            }
                        }
                        else if (2 == depth && inData)
                        {
                            switch (name)
                            {
                                case "phase" -> phase = parser.getIntValue();
                                case "offset_ns" ->
                                {
                                    offsetNs = parser.getLongValue();
                                    hasOffset = true;
                                }
                                case "rtt_ns" -> rtt = parser.getLongValue();
                                case "reference_rank" -> referenceRank = parser.getIntValue();
                                case "rounds" -> rounds = parser.getIntValue();
                                default ->
                                {
                                }
                            }
                        }
                    }
                    default ->
                    {
                    }
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            return; // not a record: the merge reports malformed lines itself
        }
        if (CLOCK_SYNC.equals(function) && null != host && hasTime && hasOffset)
        {
            // rounds -1: rank 0 did not answer in time, nothing was measured
            out.add(new Measurement(host, time, phase, offsetNs, rtt, rank >= 0 && rank == referenceRank,
                rounds > 0));
        }
    }

    @Override
    public long offsetNs(final TraceRecord record)
    {
        final String host = record.hostname();
        if (!java.util.Objects.equals(host, lastHost))
        {
            lastHost = host;
            lastPoints = null == host ? null : hosts.get(host);
        }
        return null == lastPoints ? 0 : -lastPoints.at(record.timeStart());
    }

    /**
     * The offsets a reader applies (merge, export): those of the trace's clock sync records, or none when they shift
     * nothing; what was aligned is said on err.
     *
     * @param files the trace's process files.
     * @param err   where the one line about the alignment goes.
     * @return the offsets to add.
     * @throws IOException when a file cannot be read.
     */
    public static ClockOffsets offsetsFor(final List<Path> files, final java.io.PrintStream err) throws IOException
    {
        final MpiClockAlignment alignment = scan(files);
        final String said = alignment.describe();
        if (null != said)
        {
            err.println(said);
        }
        return alignment.shiftsAnything() ? alignment : ClockOffsets.NONE;
    }

    /** @return true when some host's records are shifted. */
    boolean shiftsAnything()
    {
        return !hosts.isEmpty();
    }

    /**
     * @param host a host name.
     * @param time a time of its clock.
     * @return its offset to rank 0's clock then (0 for a host not aligned).
     */
    long hostOffset(final String host, final long time)
    {
        final Points points = hosts.get(host);
        return null == points ? 0 : points.at(time);
    }

    /** @return one line saying what was aligned, or null when the trace has no clock sync record. */
    String describe()
    {
        if (hosts.isEmpty() && unusable.isEmpty())
        {
            return null;
        }
        long largest = 0;
        for (final Points p : hosts.values())
        {
            for (final long o : p.offsets())
            {
                largest = Math.max(largest, Math.abs(o));
            }
        }
        final StringBuilder line = new StringBuilder("iotrace: clocks aligned to rank 0's")
            .append(null == referenceHost ? "" : " (host " + referenceHost + ")").append(": ")
            .append(hosts.size()).append(1 == hosts.size() ? " other host" : " other hosts")
            .append(" shifted by its mpi_clock_sync offsets (largest ").append(largest).append(" ns)");
        if (!unusable.isEmpty())
        {
            line.append("; not aligned (no usable measurement): ").append(String.join(", ", unusable));
        }
        return line.toString();
    }
}
