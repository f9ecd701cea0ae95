package io.iotrace.core.collector;

import io.iotrace.core.decode.DecodedEvent;
import io.iotrace.core.decode.EventDecoder;
import io.iotrace.core.format.FunctionTable;
import io.iotrace.core.live.LiveCountersWriter;

import java.nio.file.Path;

/**
 * What all incarnations of a session share in one collector thread: the table, the decoder and its reusable
 * event, the warnings and log files, fork snapshots. Single-threaded.
 */
public final class SessionContext implements AutoCloseable
{
    /** The environment variable asking for compressed trace files ({@code gzip}). */
    public static final String COMPRESS_ENV = "IOTRACE_COMPRESS";

    final Path outputDir;
    final FunctionTable table;
    final EventDecoder decoder;
    final DecodedEvent event = new DecodedEvent();
    final Warnings warnings;
    final CollectorLog log;
    final ForkSnapshots forkSnapshots = new ForkSnapshots();
    /** Executables of the incarnations of each pid seen this session, by incarnation number: the exec chain. */
    final org.agrona.collections.Int2ObjectHashMap<java.util.TreeMap<Integer, String>> images =
        new org.agrona.collections.Int2ObjectHashMap<>();
    /** Which records are written (IOTRACE_FUNCTIONS, IOTRACE_EXCLUDE_PATH of the collector's environment). */
    final RecordFilter filter = RecordFilter.fromEnvironment(System.getenv());
    /** IOTRACE_COMPRESS=gzip in the collector's environment: new trace files are written as .jsonl.gz. */
    final boolean compress = "gzip".equals(System.getenv(COMPRESS_ENV));
    /** The live counters (the session's collector only; null in recover). */
    LiveCountersWriter liveCounters;

    /**
     * @param outputDir output dir O (exists).
     * @param table     the function table.
     * @param log       the collector log.
     */
    public SessionContext(final Path outputDir, final FunctionTable table, final CollectorLog log)
    {
        this.outputDir = outputDir;
        this.table = table;
        this.decoder = new EventDecoder(table);
        this.log = log;
        this.warnings = new Warnings(outputDir.resolve(io.iotrace.core.format.TraceFormat.WARNINGS_FILE), log);
    }

    /** @return the warnings file writer. */
    public Warnings warnings()
    {
        return warnings;
    }

    /** @return the log. */
    public CollectorLog log()
    {
        return log;
    }

    /** @return pending fork snapshots. */
    public ForkSnapshots forkSnapshots()
    {
        return forkSnapshots;
    }

    /** @return the output dir. */
    public Path outputDir()
    {
        return outputDir;
    }

    /**
     * Count every record written from now on in live counters ({@code iotrace top}).
     *
     * @param counters the writer (closed by {@link #close()}: its final snapshot says finished).
     */
    public void liveCounters(final LiveCountersWriter counters)
    {
        this.liveCounters = counters;
    }

    /**
     * Publish the live counters when due.
     *
     * @param nowMs epoch ms.
     */
    public void publishLiveCounters(final long nowMs)
    {
        if (null != liveCounters)
        {
            liveCounters.publish(nowMs, false);
        }
    }

    public void close()
    {
        if (null != liveCounters)
        {
            liveCounters.close();
        }
        warnings.close();
    }
}
