package io.iotrace.core.collector;

import io.iotrace.core.format.TraceFormat;
import io.iotrace.fnres.HandleTable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The collector's engine, one thread: finds rings (and, in recover mode, spill files), drains them into their
 * {@link ProcessTrace}s, keeps the consumer heartbeat fresh, follows spill files, and retires incarnations whose
 * producer is dead. A malformed ring or spill file is logged and skipped; it never stops the collector.
 */
public final class Collector implements AutoCloseable
{
    /** How rings of live producers are treated. */
    public enum Mode
    {
        /** The session's collector: drain live rings, retire dead ones. */
        COLLECT,
        /** After the fact: process dead rings and all spill files, skip rings of live producers. */
        RECOVER
    }

    /** Records read from one source per duty cycle at most. */
    public static final int READ_LIMIT = 4096;
    /**
     * A live ring more than this part full (1/4) is moved into the incarnation's backlog (RingBacklog): the
     * collector is behind, and three quarters of the ring stay free for the producer while it catches up.
     */
    static final int BACKLOG_AT_FILL_SHIFT = 2;
    /**
     * Bytes moved per block into a backlog (each block is one write and one header update). Small enough that a
     * producer waiting in a full ring gets room after a moment even while the collector's code still runs
     * interpreted (a new collector's first move finds the ring full).
     */
    static final int BACKLOG_BLOCK = 256 * 1024;
    /** Heartbeat refresh interval (the producer's timeout is seconds; the contract is at least every 100 ms). */
    public static final long HEARTBEAT_INTERVAL_MS = 50;
    /** Producer liveness check interval per ring. */
    public static final long LIVENESS_INTERVAL_MS = 100;
    /** How long a ring file may stay incomplete while its pid is gone before it is skipped. */
    public static final long NOT_READY_GRACE_MS = 2000;

    private final class Tracked
    {
        final String key;
        final int pid;
        final int incarnation;
        final Path ringPath;
        final RingSource ring;
        final ProcessTrace trace;
        SpillSource spill;
        boolean spillBroken;
        /** Records moved out of the ring while the collector was behind; read before the ring (RingBacklog). */
        RingBacklog backlog;
        /** No (more) backlog: it could not be written or read; the ring is read directly. */
        boolean backlogFailed;
        long backlogBytes;
        long backlogMoves;
        boolean broken;
        boolean dead;
        String deathReason;
        long lastSpillProbeMs;

        Tracked(final String key, final int pid, final int incarnation, final Path ringPath, final RingSource ring,
            final ProcessTrace trace)
        {
            this.key = key;
            this.pid = pid;
            this.incarnation = incarnation;
            this.ringPath = ringPath;
            this.ring = ring;
            this.trace = trace;
        }
    }

    private final Mode mode;
    private final Path runtimeDir;
    private final SessionContext context;
    private final CollectorLog log;
    private final Map<String, Tracked> tracked = new LinkedHashMap<>();
    private final Set<Path> ignored = new HashSet<>();
    private final Set<String> done = new HashSet<>();
    private final Map<Path, Long> notReadySince = new HashMap<>();
    private final Map<Integer, Integer> maxIncarnation = new HashMap<>();
    /** Ring and spill files (or their rest) that could not be read: each named in the log. */
    private long unreadable;
    /** Highest incarnation ever seen per pid (maxIncarnation forgets retired rings). */
    private final Map<Integer, Integer> seenIncarnation = new HashMap<>();
    /** Completed execs whose new image has not registered a ring (yet): see {@link #checkUntracedExecs}. */
    private final List<UntracedExec> execsAwaitingImage = new ArrayList<>();

    private record UntracedExec(int pid, int incarnation, String target, long sinceMs)
    {
    }

    /** How long an exec'd image may take to register its ring before it is reported as untraced. */
    private static final long EXEC_IMAGE_GRACE_MS = 1000;
    private long lastHeartbeatMs;
    private long lastLivenessMs;
    private long retiredRings;
    private long retiredSpills;
    private long skippedAlive;
    private long records;

    /**
     * @param mode       collect or recover.
     * @param runtimeDir R (may not exist in recover mode).
     * @param context    the session's shared state.
     */
    public Collector(final Mode mode, final Path runtimeDir, final SessionContext context)
    {
        this.mode = mode;
        this.runtimeDir = runtimeDir;
        this.context = context;
        this.log = context.log();
    }

    /**
     * @return true when no incarnation is being collected and no ring file is waiting for its header.
     */
    public boolean isEmpty()
    {
        return tracked.isEmpty() && notReadySince.isEmpty();
    }

    /**
     * A cheap listing (nothing mapped or opened): is there a ring that is neither being collected nor skipped?
     *
     * @return true when a ring registered since the last scan.
     */
    public boolean hasNewRings()
    {
        for (final SessionScanner.Entry entry : SessionScanner.rings(runtimeDir))
        {
            if (!tracked.containsKey(entry.key()) && !ignored.contains(entry.path()))
            {
                return true;
            }
        }
        return false;
    }

    /** @return incarnations being collected. */
    public int size()
    {
        return tracked.size();
    }

    /** @return records handled by retired and live incarnations so far. */
    public long records()
    {
        long total = records;
        for (final Tracked t : tracked.values())
        {
            total += t.trace.records();
        }
        return total;
    }

    /** @return rings retired (drained and deleted or finished). */
    public long retiredRings()
    {
        return retiredRings;
    }

    /** @return spill-only incarnations retired (recover). */
    public long retiredSpills()
    {
        return retiredSpills;
    }

    /** @return ring and spill files (or their rest) that could not be read, each named in the log. */
    public long unreadable()
    {
        return unreadable;
    }

    /** @return rings skipped in recover mode because their producer is alive. */
    public long skippedAlive()
    {
        return skippedAlive;
    }

    /**
     * Look for new rings (and in recover mode spill files) and start collecting them.
     *
     * @param nowMs epoch ms.
     */
    public void scan(final long nowMs)
    {
        final List<SessionScanner.Entry> rings = SessionScanner.rings(runtimeDir);
        maxIncarnation.clear();
        final Set<Path> present = new HashSet<>();
        for (final SessionScanner.Entry entry : rings)
        {
            maxIncarnation.merge(entry.pid(), entry.incarnation(), Math::max);
            seenIncarnation.merge(entry.pid(), entry.incarnation(), Math::max);
            present.add(entry.path());
        }
        notReadySince.keySet().retainAll(present);
        for (final SessionScanner.Entry entry : rings)
        {
            if (tracked.containsKey(entry.key()) || ignored.contains(entry.path()))
            {
                continue;
            }
            addRing(entry, nowMs);
        }
        if (Mode.RECOVER == mode)
        {
            for (final SessionScanner.Entry entry : SessionScanner.spills(context.outputDir()))
            {
                if (!tracked.containsKey(entry.key()) && !done.contains(entry.key()) &&
                    !ignored.contains(entry.path()))
                {
                    addSpillOnly(entry);
                }
            }
        }
    }

    private void addRing(final SessionScanner.Entry entry, final long nowMs)
    {
        final RingSource ring;
        try
        {
            ring = RingSource.map(entry.path());
        }
        catch (final RingSource.NotReadyException ex)
        {
            final long since = notReadySince.computeIfAbsent(entry.path(), p -> nowMs);
            if (Mode.RECOVER == mode || !Files.exists(entry.path()) ||
                (nowMs - since > NOT_READY_GRACE_MS && !ProducerLiveness.isRunning(entry.pid())))
            {
                unreadable++;
                log.log("ring " + entry.path() + " skipped: " + ex.getMessage());
                ignored.add(entry.path());
                notReadySince.remove(entry.path());
            }
            return;
        }
        catch (final IOException | RuntimeException ex)
        {
            if (Files.exists(entry.path()))
            {
                unreadable++;
                log.log("ring " + entry.path() + " skipped: not a valid ring file", ex);
            }
            ignored.add(entry.path());
            return;
        }
        notReadySince.remove(entry.path());
        final IncarnationInfo info = ring.info();
        if (info.pid() != entry.pid() || info.incarnation() != entry.incarnation())
        {
            unreadable++;
            log.log("ring " + entry.path() + " skipped: its header says pid " + info.pid() + " incarnation " +
                info.incarnation());
            ring.close();
            ignored.add(entry.path());
            return;
        }
        String recoverReason = null;
        if (Mode.RECOVER == mode)
        {
            recoverReason = deathReason(entry.pid(), entry.incarnation(), entry.path(), ring);
            if (null == recoverReason)
            {
                log.log("ring " + entry.path() + " skipped: its producer (pid " + entry.pid() + ") is alive");
                skippedAlive++;
                ring.close();
                ignored.add(entry.path());
                return;
            }
        }
        final ProcessTrace trace;
        try
        {
            trace = ProcessTrace.open(context, info);
        }
        catch (final IOException | RuntimeException ex)
        {
            unreadable++;
            log.log("ring " + entry.path() + " skipped: cannot open its JSON file", ex);
            ring.close();
            ignored.add(entry.path());
            return;
        }
        if (TraceFormat.ORIGIN_FORK != info.origin())
        {
            trace.startEmpty();
        }
        ring.heartbeat(nowMs);
        final Tracked t = new Tracked(entry.key(), entry.pid(), entry.incarnation(), entry.path(), ring, trace);
        openLeftBacklog(t);
        if (null != recoverReason)
        {
            t.dead = true;
            t.deathReason = recoverReason;
        }
        tracked.put(entry.key(), t);
    }

    /** A backlog an earlier collector left: its records come first, and the ring's that it holds are skipped. */
    private void openLeftBacklog(final Tracked t)
    {
        final Path path = SessionScanner.backlogFile(context.outputDir(), t.pid, t.incarnation);
        try
        {
            t.backlog = RingBacklog.openLeft(path, t.ring);
        }
        catch (final IOException | RuntimeException ex)
        {
            unreadable++;
            log.log("backlog file " + path + " skipped", ex);
            t.backlogFailed = true; // kept for inspection: no new backlog over it
        }
    }

    private void addSpillOnly(final SessionScanner.Entry entry)
    {
        final SpillSource spill;
        try
        {
            spill = SpillSource.open(entry.path());
        }
        catch (final IOException | RuntimeException ex)
        {
            unreadable++;
            log.log("spill file " + entry.path() + " skipped", ex);
            ignored.add(entry.path());
            return;
        }
        if (null == spill)
        {
            unreadable++;
            log.log("spill file " + entry.path() + " skipped: incomplete header");
            ignored.add(entry.path());
            return;
        }
        final ProcessTrace trace;
        try
        {
            trace = ProcessTrace.open(context, spill.info());
        }
        catch (final IOException | RuntimeException ex)
        {
            unreadable++;
            log.log("spill file " + entry.path() + " skipped: cannot open its JSON file", ex);
            spill.close();
            ignored.add(entry.path());
            return;
        }
        if (TraceFormat.ORIGIN_FORK != spill.info().origin())
        {
            trace.startEmpty();
        }
        final Tracked t = new Tracked(entry.key(), entry.pid(), entry.incarnation(), null, null, trace);
        t.spill = spill;
        t.dead = true;
        t.deathReason = "spill file only";
        tracked.put(entry.key(), t);
    }

    /**
     * One duty cycle: drain every ring (and spill file being followed), check producers, retire the dead.
     *
     * @param nowMs epoch ms.
     * @return records handled (0 when idle).
     */
    public int doWork(final long nowMs)
    {
        if (tracked.isEmpty())
        {
            return 0;
        }
        int work = 0;
        final boolean checkLiveness = nowMs - lastLivenessMs >= LIVENESS_INTERVAL_MS;
        if (checkLiveness)
        {
            lastLivenessMs = nowMs;
        }
        final List<Tracked> current = new ArrayList<>(tracked.values());
        for (final Tracked t : current)
        {
            if (!t.trace.isStarted() && !tryStart(t))
            {
                // its records wait for the parent's fork record (perhaps far back in a backlog); the child does not
                makeRoom(t);
                continue;
            }
            work += drain(t, nowMs);
            if (checkLiveness && !t.dead && Mode.COLLECT == mode)
            {
                final String reason = deathReason(t.pid, t.incarnation, t.ringPath, t.ring);
                if (null != reason)
                {
                    t.dead = true;
                    t.deathReason = reason;
                }
            }
            // a dead producer's backlog is read a batch per cycle like a live one (it can be long; the other rings
            // must not wait for it); once it is empty, the ring and spill file (bounded) are read in one go
            if (t.dead && (Mode.RECOVER == mode || !backlogHasRecords(t)))
            {
                work += retire(t);
                if (t.trace.isFinished())
                {
                    for (final ProcessTrace.CompletedExec exec : t.trace.completedExecs())
                    {
                        execsAwaitingImage.add(new UntracedExec(exec.pid(), exec.incarnation(), exec.target(), nowMs));
                    }
                }
            }
        }
        if (checkLiveness)
        {
            checkUntracedExecs(nowMs, false);
        }
        return work;
    }

    /**
     * An exec completed but its new image never registered a ring: that program runs untraced. Say so once, with
     * the reason when it can be seen from the file (setuid/setgid: the loader ignores LD_PRELOAD in secure-execution
     * mode; no program interpreter: statically linked, nothing can be preloaded).
     *
     * @param nowMs epoch ms.
     * @param all   true at the end: every exec still waiting is reported.
     */
    /** Report every exec still waiting for its image, now (the collector is about to release the session). */
    public void reportPendingExecs()
    {
        checkUntracedExecs(Long.MAX_VALUE, true);
    }

    private void checkUntracedExecs(final long nowMs, final boolean all)
    {
        execsAwaitingImage.removeIf(x ->
        {
            final Integer seen = seenIncarnation.get(x.pid());
            if (null != seen && seen > x.incarnation())
            {
                return true; // the new image is traced
            }
            if (!all && nowMs - x.sinceMs() < EXEC_IMAGE_GRACE_MS)
            {
                return false;
            }
            context.warnings().warn(x.pid(), Math.max(0, x.incarnation()), "exec", null, "the program pid " + x.pid() +
                " exec'd (" + x.target() + ") is not traced: " + UntracedImage.reason(x.target()));
            return true;
        });
    }


    /**
     * Refresh the consumer heartbeat of every ring when due.
     *
     * @param nowMs epoch ms.
     */
    public void heartbeat(final long nowMs)
    {
        if (nowMs - lastHeartbeatMs >= HEARTBEAT_INTERVAL_MS)
        {
            lastHeartbeatMs = nowMs;
            for (final Tracked t : tracked.values())
            {
                if (null != t.ring)
                {
                    t.ring.heartbeat(nowMs);
                }
            }
        }
    }

    /** Push buffered output of every incarnation and the warnings to their files. */
    public void flush()
    {
        for (final Tracked t : tracked.values())
        {
            t.trace.flush();
        }
    }

    private boolean tryStart(final Tracked t)
    {
        final IncarnationInfo info = t.trace.info();
        if (null != t.trace.resumedHandles())
        {
            t.trace.start(t.trace.resumedHandles());
            return true;
        }
        final HandleTable snapshot = context.forkSnapshots().take(info.ppid(), info.pid());
        if (null != snapshot)
        {
            t.trace.start(snapshot);
            return true;
        }
        for (final Tracked other : tracked.values())
        {
            if (other != t && other.pid == info.ppid() && !other.trace.isFinished())
            {
                final long parentStart = other.trace.info().startTimeNs();
                if (0 == parentStart || 0 == info.startTimeNs() || parentStart <= info.startTimeNs())
                {
                    return false; // the parent's fork record may still come
                }
            }
        }
        t.trace.startEmpty();
        t.trace.warn("fork", null, "fork child of pid " + info.ppid() + ": the parent's handles at the fork are " +
            "not known (no fork record of this child in its trace); resolution starts empty");
        return true;
    }

    private String deathReason(final int pid, final int incarnation, final Path ringPath, final RingSource ring)
    {
        final Integer newest = maxIncarnation.get(pid);
        if (null != newest && newest > incarnation)
        {
            return "superseded by incarnation " + newest;
        }
        if (null == ring)
        {
            return "no ring";
        }
        final ProducerLiveness.Status status = ProducerLiveness.status(pid, ring.info().procStartTicks());
        if (ProducerLiveness.Status.ALIVE != status)
        {
            return "producer " + status.name().toLowerCase();
        }
        if (TraceFormat.STATE_EXEC_PENDING == ring.state() && !ProducerLiveness.mapsFile(pid, ringPath))
        {
            return "exec completed";
        }
        if (TraceFormat.STATE_DETACHED == ring.state())
        {
            return "tracer detached"; // iotrace attach ended; the process runs on untraced
        }
        return null;
    }

    private int drain(final Tracked t, final long nowMs)
    {
        int n = 0;
        if (null != t.ring && !t.broken)
        {
            try
            {
                if (!makeRoom(t))
                {
                    return 0;
                }
                n = backlogHasRecords(t) ? readBacklog(t, READ_LIMIT) :
                    t.ring.read(t.trace, t.trace::flush, READ_LIMIT);
            }
            catch (final RuntimeException ex)
            {
                ringUnreadable(t, ex);
                return 0;
            }
        }
        // a thread's spilled records follow all its ring records: the spill is read only once the ring is empty
        // (a read stops at the end of the data area, so a short read does not mean the ring is drained)
        if (n < READ_LIMIT && !backlogHasRecords(t) &&
            (null == t.ring || ((t.dead || t.ring.isSpilling()) && !t.ring.hasRecords())))
        {
            n += readSpill(t, READ_LIMIT - n, nowMs);
        }
        return n;
    }

    /**
     * Keep room in a live producer's ring: its next pages made ahead of it (first lap), its records moved into
     * the backlog when the collector is behind.
     *
     * @return false when the ring turned out unreadable (then it is broken).
     */
    private boolean makeRoom(final Tracked t)
    {
        if (Mode.COLLECT != mode || t.dead || null == t.ring || t.broken)
        {
            return !t.broken;
        }
        try
        {
            t.ring.populateAhead(); // the program's first lap over its ring costs it less (RingSource)
            moveToBacklogIfBehind(t);
            return true;
        }
        catch (final RuntimeException ex)
        {
            ringUnreadable(t, ex);
            return false;
        }
    }

    private void ringUnreadable(final Tracked t, final RuntimeException ex)
    {
        unreadable++;
        log.log("ring " + t.ringPath + " skipped: cannot read it", ex);
        t.broken = true;
        t.dead = true;
        t.deathReason = "broken";
    }

    private static boolean backlogHasRecords(final Tracked t)
    {
        return null != t.backlog && t.backlog.hasRecords();
    }

    /**
     * A live ring more than a quarter full: move its complete records into the backlog (at memory-copy speed),
     * so the producer finds room while the decoding catches up. Records already in the backlog are older than any
     * in the ring, so once it has records every later ring record must pass through it as well.
     */
    private void moveToBacklogIfBehind(final Tracked t)
    {
        if (t.backlogFailed || !isBehind(t.ring))
        {
            return;
        }
        try
        {
            if (null == t.backlog)
            {
                t.backlog = RingBacklog.create(
                    SessionScanner.backlogFile(context.outputDir(), t.pid, t.incarnation), t.ring);
                log.log("pid " + t.pid + " incarnation " + t.incarnation + ": the collector is behind (ring " +
                    t.ring.unreadBytes() + " of " + t.ring.capacity() + " bytes full); records wait in " +
                    t.backlog.path() + " until it catches up");
            }
            final long moved = t.backlog.takeFrom(t.ring, BACKLOG_BLOCK);
            if (moved > 0)
            {
                t.backlogBytes += moved;
                t.backlogMoves++;
            }
        }
        catch (final IOException ex)
        {
            t.backlogFailed = true;
            log.log("pid " + t.pid + " incarnation " + t.incarnation + ": no backlog any more (" + ex +
                "): the ring is read directly and the program may wait for ring space");
        }
    }

    /** @return true when a ring is so full that its records should go to the backlog (BACKLOG_AT_FILL_SHIFT). */
    static boolean isBehind(final RingSource ring)
    {
        return ring.unreadBytes() >= (ring.capacity() >> BACKLOG_AT_FILL_SHIFT);
    }

    private int readBacklog(final Tracked t, final int limit)
    {
        try
        {
            final int n = t.backlog.read(t.trace, limit);
            t.trace.flush();
            t.backlog.commit();
            return n;
        }
        catch (final IOException | RuntimeException ex)
        {
            unreadable++;
            log.log("backlog file " + t.backlog.path() + ": rest skipped", ex);
            t.backlog.close();
            t.backlog = null;
            t.backlogFailed = true; // kept for inspection; the ring's records come next
            return 0;
        }
    }

    private int readSpill(final Tracked t, final int limit, final long nowMs)
    {
        if (t.spillBroken)
        {
            return 0;
        }
        if (null == t.spill)
        {
            if (!t.dead && nowMs - t.lastSpillProbeMs < HEARTBEAT_INTERVAL_MS)
            {
                return 0;
            }
            t.lastSpillProbeMs = nowMs;
            final Path path = SessionScanner.spillFile(context.outputDir(), t.pid, t.incarnation);
            if (!Files.exists(path))
            {
                return 0;
            }
            try
            {
                t.spill = SpillSource.open(path);
            }
            catch (final IOException | RuntimeException ex)
            {
                unreadable++;
                log.log("spill file " + path + " skipped", ex);
                t.spillBroken = true;
                return 0;
            }
            if (null == t.spill)
            {
                return 0;
            }
        }
        try
        {
            return t.spill.read(t.trace, limit);
        }
        catch (final IOException | RuntimeException ex)
        {
            unreadable++;
            log.log("spill file " + t.spill.path() + ": rest skipped", ex);
            t.spillBroken = true;
            return 0;
        }
    }

    private int retire(final Tracked t)
    {
        int n = 0;
        if (!t.trace.isStarted() && !tryStart(t))
        {
            return 0;
        }
        long lost = 0;
        long fullWaits = 0;
        long fullWaitNanos = 0;
        int fromBacklog;
        while (backlogHasRecords(t) && (fromBacklog = readBacklog(t, READ_LIMIT)) > 0)
        {
            n += fromBacklog;
        }
        if (null != t.ring)
        {
            if (!t.broken)
            {
                try
                {
                    int read;
                    do
                    {
                        while ((read = t.ring.read(t.trace, t.trace::flush, READ_LIMIT)) > 0)
                        {
                            n += read;
                        }
                    }
                    while (t.ring.unblock());
                    if (t.ring.hasRecords() && !t.ring.unreadBytesAreZero())
                    {
                        // agrona could not step over what is left, and it is not a claim never written: corrupt
                        unreadable++;
                        log.log("ring " + t.ringPath + ": rest skipped, " + t.ring.unreadBytes() +
                            " bytes before the producer position hold no readable record");
                        t.broken = true;
                    }
                }
                catch (final RuntimeException ex)
                {
                    unreadable++;
                    log.log("ring " + t.ringPath + ": rest skipped, cannot read it", ex);
                    t.broken = true;
                }
                if (!t.broken && t.ring.hasRecords())
                {
                    // a record header that is neither a record nor unblockable (a corrupt length): what follows can
                    // never be read; the ring is kept for inspection instead of being deleted with it
                    unreadable++;
                    log.log("ring " + t.ringPath + ": a corrupt record header: the rest of the ring is skipped");
                    t.broken = true;
                }
            }
            lost = t.ring.lostEvents();
            fullWaits = t.ring.fullWaits();
            fullWaitNanos = t.ring.fullWaitNanos();
        }
        int read;
        while ((read = readSpill(t, READ_LIMIT, 0)) > 0)
        {
            n += read;
        }
        if (null != t.spill && !t.spillBroken && t.spill.truncatedBytes() > 0)
        {
            log.log("spill file " + t.spill.path() + " ends with a truncated record (" + t.spill.truncatedBytes() +
                " bytes): ignored");
        }
        t.trace.finish(lost, fullWaits, fullWaitNanos);
        records += t.trace.records();
        tracked.remove(t.key);
        done.add(t.key);
        if (t.backlogMoves > 0)
        {
            log.log("pid " + t.pid + " incarnation " + t.incarnation + ": " + t.backlogBytes + " bytes of records " +
                "went through the backlog in " + t.backlogMoves + " moves");
        }
        if (null != t.backlog)
        {
            t.backlog.close(); // before the ring: a backlog without its ring never holds records
            if (!t.backlog.hasRecords())
            {
                delete(t.backlog.path());
            }
        }
        if (null != t.ring)
        {
            t.ring.close();
            if (t.broken)
            {
                ignored.add(t.ringPath);
            }
            else
            {
                delete(t.ringPath);
                forgetPid(t);
            }
            retiredRings++;
        }
        else
        {
            retiredSpills++;
        }
        if (null != t.spill)
        {
            t.spill.close();
            if (!t.spillBroken)
            {
                delete(t.spill.path());
            }
        }
        return Math.max(n, 1);
    }

    /** The pid's newest ring is gone: remove its entry in the pid index if it still points at this session. */
    private void forgetPid(final Tracked t)
    {
        final Integer newest = maxIncarnation.get(t.pid);
        if (null != newest && newest > t.incarnation)
        {
            return;
        }
        final Path link = runtimeDir.resolveSibling(TraceFormat.PID_INDEX_DIR).resolve(Integer.toString(t.pid));
        try
        {
            if (Files.isSymbolicLink(link) &&
                Files.readSymbolicLink(link).toString().equals(runtimeDir.getFileName().toString()))
            {
                Files.deleteIfExists(link);
            }
        }
        catch (final IOException ex)
        {
            log.log("cannot remove " + link, ex);
        }
    }

    private void delete(final Path path)
    {
        try
        {
            Files.deleteIfExists(path);
        }
        catch (final IOException ex)
        {
            log.log("cannot delete " + path, ex);
        }
    }

    /** Unmap every ring and close every JSON file without finishing (rings stay for a later collector). */
    public void close()
    {
        checkUntracedExecs(Long.MAX_VALUE, true); // execs still waiting for their image: reported now
        for (final Tracked t : tracked.values())
        {
            t.trace.abandon();
            if (null != t.ring)
            {
                t.ring.close();
            }
            if (null != t.spill)
            {
                t.spill.close();
            }
            if (null != t.backlog)
            {
                t.backlog.close(); // its records stay for a later collector
            }
        }
        tracked.clear();
    }
}
