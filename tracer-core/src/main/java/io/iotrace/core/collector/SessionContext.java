package io.iotrace.core.collector;

import io.iotrace.core.decode.DecodedEvent;
import io.iotrace.core.decode.EventDecoder;
import io.iotrace.core.format.FunctionTable;
import io.iotrace.core.live.LiveCounters;
import io.iotrace.core.live.LiveCountersWriter;
import io.iotrace.core.summary.Compression;
import io.iotrace.core.zstd.Zstd;

import java.nio.file.Path;

/**
 * What all incarnations of a session share in one collector thread: the table, the decoder and its reusable
 * event, the warnings and log files, fork snapshots. Single-threaded.
 */
public final class SessionContext implements AutoCloseable
{
    /** The environment variable asking for compressed trace files ({@code gzip} or {@code zstd}). */
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
    /** IOTRACE_COMPRESS in the collector's environment: new trace files are written as .jsonl.gz or .jsonl.zst
     *  (zstd without libzstd: gzip, said in the log and iotrace-config-errors.log). */
    final Compression compression = compressionFromEnvironment();
    private String compressionProblem;
    /** The output dir's space reserve (see {@link #reserveSpace()}); deleted by {@link #close()}. */
    static final String SPACE_RESERVE_FILE = ".iotrace-space-reserve";
    private static final int SPACE_RESERVE_LENGTH = 256 * 1024;
    private final java.nio.file.Path spaceReserve;
    /** The live counters (the session's collector only; null in recover). */
    LiveCountersWriter liveCounters;
    /** step/errno of the ptrace_unavailable notices already warned about (one warning each per session). */
    final java.util.Set<String> ptraceNotices = new java.util.HashSet<>();

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
        this.spaceReserve = outputDir.resolve(SPACE_RESERVE_FILE);
        reserveSpace();
        reportConfigProblems();
    }

    /** Bad values of the variables the collector reads: one line each in the log and in iotrace-config-errors.log. */
    private void reportConfigProblems()
    {
        // (IOTRACE_COMPRESS's value and IOTRACE_COLLECTOR_LINGER_MS are checked by the shim, which sees them first)
        final java.util.List<String> problems = new java.util.ArrayList<>(filter.problems(table));
        if (null != compressionProblem)
        {
            problems.add(compressionProblem);
        }
        if (problems.isEmpty())
        {
            return;
        }
        final java.nio.file.Path file = outputDir.resolve("iotrace-config-errors.log");
        try (java.io.OutputStream out = OutputFiles.openAppendable(file))
        {
            for (final String problem : problems)
            {
                log.log(problem);
                out.write(("collector pid " + ProcessHandle.current().pid() + ": " + problem + "\n")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        catch (final java.io.IOException | RuntimeException ex)
        {
            log.log("cannot write " + file, ex);
        }
    }

    private Compression compressionFromEnvironment()
    {
        final Compression asked = Compression.fromSetting(System.getenv(COMPRESS_ENV));
        if (Compression.ZSTD == asked && !Zstd.available())
        {
            compressionProblem = COMPRESS_ENV + "=zstd: " + Zstd.UNAVAILABLE + ": writing gzip (.jsonl.gz) instead";
            return Compression.GZIP;
        }
        return null == asked ? Compression.NONE : asked;
    }

    /**
     * A small file of zeros in the output dir, deleted when a write fails: on a full disk the freed space is what
     * lets the warning saying which records were not written reach iotrace-warnings.jsonl and the log.
     */
    private void reserveSpace()
    {
        try (java.io.OutputStream out = OutputFiles.openAppendable(spaceReserve))
        {
            if (java.nio.file.Files.size(spaceReserve) < SPACE_RESERVE_LENGTH)
            {
                out.write(new byte[SPACE_RESERVE_LENGTH]);
            }
        }
        catch (final java.io.IOException | RuntimeException ex)
        {
            log.log("cannot reserve " + SPACE_RESERVE_LENGTH + " bytes in " + outputDir + " for a disk-full warning: " +
                ex.getMessage());
            releaseSpaceReserve();
        }
    }

    /** Free the reserved space (an output file could not be written). */
    void releaseSpaceReserve()
    {
        try
        {
            java.nio.file.Files.deleteIfExists(spaceReserve);
        }
        catch (final java.io.IOException ignore)
        {
            // nothing more we can free
        }
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

    /**
     * Mark the live counters finished (or collecting again): see {@link LiveCountersWriter#publishState}.
     *
     * @param finished true when the collector is about to let its lock go.
     */
    public void liveCountersFinished(final boolean finished)
    {
        if (null != liveCounters)
        {
            liveCounters.publishState(finished ? LiveCounters.STATE_FINISHED : LiveCounters.STATE_COLLECTING);
        }
    }

    public void close()
    {
        releaseSpaceReserve();
        if (null != liveCounters)
        {
            liveCounters.close();
        }
        warnings.close();
    }
}
