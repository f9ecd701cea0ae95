package io.iotrace.core.collector;

import io.iotrace.core.format.FunctionTable;
import io.iotrace.core.format.TraceFormat;
import io.iotrace.core.live.LiveCounters;
import io.iotrace.core.live.LiveCountersWriter;
import io.iotrace.core.nativeio.NativeIo;
import io.iotrace.core.session.TraceSession;
import io.iotrace.core.summary.TraceSummary;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The session collector, spawned by the first traced process of a session:
 * {@code CollectorMain --session-dir R --output-dir O --lock-fd N}, or {@code CollectorMain recover O}.
 * <p>
 * Holds the session's collector lock (the inherited descriptor N, flock'ed by the spawning process) for its whole
 * life; exits when no ring has been left for IOTRACE_COLLECTOR_LINGER_MS. Readers take a free lock for "every
 * record is written", so the last scan happens before the lock goes, and the moment without it holds only a listing:
 * a process that registered its ring just before probing the lock makes the collector take the lock back.
 */
public final class CollectorMain
{
    /** Exit code: done. */
    public static final int EXIT_OK = 0;
    /** Exit code: failed. */
    public static final int EXIT_FAILED = 1;
    /** Exit code: wrong arguments. */
    public static final int EXIT_WRONG_ARGUMENTS = 2;

    /** Rescan interval of the runtime dir. */
    public static final long SCAN_INTERVAL_MS = 50;
    /** Attempts, 1 ms apart, to take the lock back when a ring registered while it was being released. */
    private static final int RETAKE_ATTEMPTS = 20;
    private static final String NO_RING_LEFT = "no ring left for ";
    /** How often rings are looked at while the function table loads (StartupBacklogs). */
    private static final long STARTUP_POLL_NS = TimeUnit.MILLISECONDS.toNanos(5);
    /** Output flush interval while busy. */
    public static final long FLUSH_INTERVAL_MS = 100;
    /**
     * How long the collector waits after a duty cycle that found records but less than a full batch, i.e. once it
     * has caught up with the programs. Reading right behind a producer makes the two cores pass the ring's cache
     * lines (the record being filled, the next record's length, the tail) back and forth on every event, and the
     * program pays for each pass in its traced calls (issue 7: about +90 ns per open+close pair); a millisecond
     * later those lines are finished and one read takes them all. The ring holds far more than a millisecond of
     * events, and a backlog (a full batch) is read on at once.
     */
    public static final long CAUGHT_UP_WAIT_NS = TimeUnit.MILLISECONDS.toNanos(1);

    private static final String USAGE =
        "usage: iotrace-collector --session-dir R --output-dir O [--lock-fd N]\n" +
        "       iotrace-collector recover O\n" +
        "       iotrace-collector await O [timeout-seconds]\n" +
        "       iotrace-collector summary O";

    private volatile boolean running = true;

    private CollectorMain()
    {
    }

    /**
     * @param args command line.
     */
    public static void main(final String[] args)
    {
        System.exit(run(args));
    }

    /**
     * @param args command line.
     * @return exit code.
     */
    public static int run(final String[] args)
    {
        if (args.length >= 1 && "recover".equals(args[0]))
        {
            if (2 != args.length)
            {
                System.err.println(USAGE);
                return EXIT_WRONG_ARGUMENTS;
            }
            return Recover.run(Path.of(args[1]), System.out, System.err);
        }
        if (args.length >= 1 && "await".equals(args[0]))
        {
            return await(args);
        }
        if (args.length >= 1 && "summary".equals(args[0]))
        {
            return summary(args);
        }
        Path sessionDir = null;
        Path outputDir = null;
        int lockFd = -1;
        for (int i = 0; i < args.length; i++)
        {
            final String arg = args[i];
            if (i + 1 >= args.length)
            {
                System.err.println("iotrace-collector: option " + arg + " needs a value\n" + USAGE);
                return EXIT_WRONG_ARGUMENTS;
            }
            switch (arg)
            {
                case "--session-dir" -> sessionDir = Path.of(args[++i]);
                case "--output-dir" -> outputDir = Path.of(args[++i]);
                case "--lock-fd" ->
                {
                    try
                    {
                        lockFd = Integer.parseInt(args[++i]);
                    }
                    catch (final NumberFormatException ex)
                    {
                        System.err.println("iotrace-collector: bad --lock-fd " + args[i]);
                        return EXIT_WRONG_ARGUMENTS;
                    }
                }
                default ->
                {
                    System.err.println("iotrace-collector: unknown option " + arg + "\n" + USAGE);
                    return EXIT_WRONG_ARGUMENTS;
                }
            }
        }
        if (null == sessionDir || null == outputDir)
        {
            System.err.println(USAGE);
            return EXIT_WRONG_ARGUMENTS;
        }
        return new CollectorMain().collect(sessionDir.toAbsolutePath(), outputDir.toAbsolutePath().normalize(),
            lockFd);
    }

    private static int await(final String[] args)
    {
        if (args.length < 2 || args.length > 3)
        {
            System.err.println(USAGE);
            return EXIT_WRONG_ARGUMENTS;
        }
        long seconds = 120;
        try
        {
            seconds = args.length == 3 ? Long.parseLong(args[2]) : seconds;
        }
        catch (final NumberFormatException ex)
        {
            System.err.println("iotrace-collector: await: bad timeout '" + args[2] + "' (whole seconds)");
            return EXIT_WRONG_ARGUMENTS;
        }
        final Path outputDir = Path.of(args[1]).toAbsolutePath().normalize();
        if (TraceSession.isCollectorLockHeld(TraceSession.runtimeDirFor(outputDir)))
        {
            System.err.println("iotrace: waiting for the collector of " + outputDir + " to finish");
        }
        if (!TraceSession.awaitCollector(outputDir, Duration.ofSeconds(seconds)))
        {
            System.err.println("iotrace: the collector of " + outputDir + " is still running after " + seconds + " s");
            return EXIT_FAILED;
        }
        return EXIT_OK;
    }

    private static int summary(final String[] args)
    {
        if (2 != args.length)
        {
            System.err.println(USAGE);
            return EXIT_WRONG_ARGUMENTS;
        }
        try
        {
            TraceSummary.of(Path.of(args[1])).print(System.out, 10);
            return EXIT_OK;
        }
        catch (final IOException ex)
        {
            System.err.println("iotrace: cannot read trace " + args[1] + ": " + ex.getMessage());
            return EXIT_FAILED;
        }
        catch (final io.iotrace.core.summary.TraceFormatException ex)
        {
            System.err.println("iotrace: " + ex.getMessage());
            return EXIT_WRONG_ARGUMENTS;
        }
    }

    private int collect(final Path runtimeDir, final Path outputDir, final int inheritedLockFd)
    {
        try
        {
            OutputFiles.createPrivateDirectory(outputDir);
        }
        catch (final IOException ex)
        {
            System.err.println("iotrace-collector: cannot create " + outputDir + ": " + ex);
            return EXIT_FAILED;
        }
        final CollectorLog log = new CollectorLog(outputDir.resolve(TraceFormat.LOG_FILE), null);
        int lockFd = inheritedLockFd;
        if (lockFd < 0)
        {
            lockFd = tryLock(runtimeDir);
            if (lockFd < 0)
            {
                log.log("another collector owns session " + runtimeDir + ": exiting");
                log.close();
                return EXIT_OK;
            }
        }
        final long lingerMs = lingerMs();
        final SessionContext context = new SessionContext(outputDir, loadTable(runtimeDir, outputDir), log);
        log.log("collector started: pid " + ProcessHandle.current().pid() + ", session " + runtimeDir +
            ", output " + outputDir + ", writing " + context.filter);
        final Collector collector = new Collector(Collector.Mode.COLLECT, runtimeDir, context);
        try
        {
            context.liveCounters(LiveCountersWriter.open(outputDir, ProcessHandle.current().pid()));
        }
        catch (final IOException | RuntimeException ex)
        {
            log.log("no live counters (iotrace top): cannot create " + LiveCounters.fileIn(outputDir), ex);
        }
        final Thread mainThread = Thread.currentThread();
        final Thread hook = new Thread(() ->
        {
            running = false;
            try
            {
                mainThread.join(2000);
            }
            catch (final InterruptedException ignore)
            {
                // exiting anyway
            }
        }, "iotrace-collector-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        final IdleStrategy idle = new BackoffIdleStrategy(
            10, 20, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MILLISECONDS.toNanos(2));
        long lastScanMs = 0;
        long lastFlushMs = 0;
        long lastNonEmptyMs = System.currentTimeMillis();
        String exitReason = "signal";
        try
        {
            while (running)
            {
                final long nowMs = System.currentTimeMillis();
                int work = 0;
                try
                {
                    if (nowMs - lastScanMs >= SCAN_INTERVAL_MS)
                    {
                        lastScanMs = nowMs;
                        collector.scan(nowMs);
                    }
                    work = collector.doWork(nowMs);
                    collector.heartbeat(nowMs);
                    context.publishLiveCounters(nowMs);
                    if (0 == work || nowMs - lastFlushMs >= FLUSH_INTERVAL_MS)
                    {
                        lastFlushMs = nowMs;
                        collector.flush();
                    }
                }
                catch (final RuntimeException ex)
                {
                    log.log("internal error, continuing", ex);
                    idle.idle(0);
                }

                // "empty" counts from the last cycle that did work: a cycle can find dead producers' rings and retire
                // them all, ending as empty as it began
                if (!collector.isEmpty() || work > 0)
                {
                    lastNonEmptyMs = nowMs;
                }
                else if (nowMs - lastNonEmptyMs >= lingerMs)
                {
                    // a last look while the lock is still held: readers take a free lock for "everything is written"
                    collector.scan(System.currentTimeMillis());
                    if (!collector.isEmpty())
                    {
                        lastNonEmptyMs = nowMs;
                        continue;
                    }
                    // before the lock goes: the warnings of execs whose image never came
                    collector.reportPendingExecs();
                    context.liveCountersFinished(true); // `iotrace top` takes a free lock for "finished" too
                    NativeIo.close(lockFd);
                    lockFd = -1;
                    // a producer that registered its ring since that look found the lock held and spawned nobody
                    if (!collector.hasNewRings())
                    {
                        exitReason = NO_RING_LEFT + lingerMs + " ms";
                        break;
                    }
                    lockFd = retakeLock(runtimeDir);
                    if (lockFd < 0)
                    {
                        exitReason = "another collector took over the session";
                        break;
                    }
                    context.liveCountersFinished(false);
                    lastNonEmptyMs = nowMs;
                }
                if (work >= Collector.READ_LIMIT)
                {
                    idle.reset(); // a backlog: read on at once
                }
                else if (work > 0)
                {
                    idle.reset();
                    LockSupport.parkNanos(CAUGHT_UP_WAIT_NS);
                }
                else
                {
                    idle.idle(0);
                }
            }
        }
        finally
        {
            collector.close();
            context.close();
            if (lockFd >= 0)
            {
                NativeIo.close(lockFd);
            }
            log.log("collector exiting (" + exitReason + "): " + collector.records() + " records, " +
                collector.retiredRings() + " rings retired, " + context.warnings().count() + " warnings");
            if (exitReason.startsWith(NO_RING_LEFT)) // other sessions of this user left unused (StaleSessions)
            {
                StaleSessions.sweep(runtimeDir.getParent(), runtimeDir, System.currentTimeMillis(), log);
            }
            log.close();
            try
            {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
            catch (final IllegalStateException ignore)
            {
                // shutting down
            }
        }
        return EXIT_OK;
    }

    /**
     * Load the function table on another thread while this one moves the rings that fill up into their backlogs
     * ({@link StartupBacklogs}): loading takes ~0.1 s, in which a program doing cached I/O from its first moment
     * fills a third of its ring.
     */
    private static FunctionTable loadTable(final Path runtimeDir, final Path outputDir)
    {
        final FutureTask<FunctionTable> load = new FutureTask<>(FunctionTable::load);
        Thread.ofPlatform().name("iotrace-function-table").daemon().start(load);
        try (StartupBacklogs backlogs = new StartupBacklogs(runtimeDir, outputDir))
        {
            while (!load.isDone())
            {
                backlogs.moveWhereBehind();
                LockSupport.parkNanos(STARTUP_POLL_NS);
            }
        }
        try
        {
            return load.get();
        }
        catch (final ExecutionException ex)
        {
            throw ex.getCause() instanceof RuntimeException r ? r : new IllegalStateException(ex.getCause());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while loading the function table", ex);
        }
    }

    /**
     * Take the session's collector lock without blocking.
     *
     * @param runtimeDir R.
     * @return the locked descriptor, or -1 when another process holds the lock (or it cannot be opened).
     */
    static int tryLock(final Path runtimeDir)
    {
        final NativeIo.Result open = NativeIo.open(runtimeDir.resolve(TraceFormat.LOCK_FILE).toString(),
            NativeIo.O_RDWR | NativeIo.O_CREAT | NativeIo.O_CLOEXEC | NativeIo.O_NOFOLLOW, 0600);
        if (open.failed())
        {
            return -1;
        }
        final NativeIo.Result lock = NativeIo.flock(open.result(), NativeIo.LOCK_EX | NativeIo.LOCK_NB);
        if (lock.failed())
        {
            NativeIo.close(open.result());
            return -1;
        }
        return open.result();
    }

    /**
     * Take the lock back after letting it go. A producer's probe holds it for a moment (iotrace_collector_lock_held):
     * only a lock still held after a few tries belongs to another collector.
     */
    private static int retakeLock(final Path runtimeDir)
    {
        for (int attempt = 0; attempt < RETAKE_ATTEMPTS; attempt++)
        {
            final int fd = tryLock(runtimeDir);
            if (fd >= 0)
            {
                return fd;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        return -1;
    }

    static long lingerMs()
    {
        final String value = System.getenv(TraceFormat.LINGER_ENV);
        if (null != value && !value.isBlank())
        {
            try
            {
                return Math.max(0, Long.parseLong(value.trim()));
            }
            catch (final NumberFormatException ignore)
            {
                // default
            }
        }
        return TraceFormat.LINGER_MS_DEFAULT;
    }
}
