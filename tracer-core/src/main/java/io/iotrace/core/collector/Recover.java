package io.iotrace.core.collector;

import io.iotrace.core.format.FunctionTable;
import io.iotrace.core.format.TraceFormat;
import io.iotrace.core.nativeio.NativeIo;
import io.iotrace.core.session.TraceSession;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * {@code recover O}: converts what a dead session left (rings of dead producers, spill files) into JSON Lines,
 * exactly as the collector would, appending to the existing files. Waits for a running collector first.
 */
public final class Recover
{
    private static final int MAX_ROUNDS = 1_000_000;

    private Recover()
    {
    }

    /**
     * @param outputDirArg output dir O.
     * @param out          for the summary line.
     * @param err          for errors.
     * @return exit code.
     */
    public static int run(final Path outputDirArg, final PrintStream out, final PrintStream err)
    {
        final Path outputDir = Path.of(TraceSession.canonicalOutputDir(outputDirArg));
        final Path runtimeDir = TraceSession.runtimeDirFor(outputDir);
        if (!Files.isDirectory(outputDir, LinkOption.NOFOLLOW_LINKS))
        {
            // with no collector ever started, only the rings exist: the output dir is made here
            if (!Files.isDirectory(runtimeDir) || Files.exists(outputDir, LinkOption.NOFOLLOW_LINKS))
            {
                err.println("iotrace recover: " + outputDir + " is not a trace directory and has no session rings");
                return CollectorMain.EXIT_FAILED;
            }
            try
            {
                OutputFiles.createPrivateDirectory(outputDir);
            }
            catch (final java.io.IOException ex)
            {
                err.println("iotrace recover: cannot create " + outputDir + ": " + ex.getMessage());
                return CollectorMain.EXIT_FAILED;
            }
        }
        int lockFd = -1;
        if (Files.isDirectory(runtimeDir))
        {
            final NativeIo.Result open = NativeIo.open(runtimeDir.resolve(TraceFormat.LOCK_FILE).toString(),
                NativeIo.O_RDWR | NativeIo.O_CREAT | NativeIo.O_CLOEXEC | NativeIo.O_NOFOLLOW, 0600);
            if (!open.failed())
            {
                lockFd = open.result();
                if (NativeIo.flock(lockFd, NativeIo.LOCK_EX | NativeIo.LOCK_NB).failed())
                {
                    err.println("iotrace recover: waiting for the session's collector to finish");
                    NativeIo.flock(lockFd, NativeIo.LOCK_EX);
                }
            }
        }
        final CollectorLog log = new CollectorLog(outputDir.resolve(TraceFormat.LOG_FILE), err);
        final SessionContext context = new SessionContext(outputDir, FunctionTable.load(), log);
        final Collector collector = new Collector(Collector.Mode.RECOVER, runtimeDir, context);
        try
        {
            collector.scan(System.currentTimeMillis());
            int rounds = 0;
            while (!collector.isEmpty() && rounds++ < MAX_ROUNDS)
            {
                collector.doWork(System.currentTimeMillis());
            }
            collector.flush();
            out.println("iotrace recover: " + outputDir + ": " + collector.retiredRings() + " rings and " +
                collector.retiredSpills() + " spill files recovered, " + collector.records() + " records, " +
                collector.skippedAlive() + " rings skipped (producer alive), " + context.warnings().count() +
                " warnings" + (collector.unreadable() > 0 ? ", " + collector.unreadable() +
                " files unreadable (named above and in " + TraceFormat.LOG_FILE + ")" : ""));
        }
        finally
        {
            collector.close();
            context.close();
            log.close();
            if (lockFd >= 0)
            {
                NativeIo.close(lockFd);
            }
        }
        return 0 == collector.unreadable() ? CollectorMain.EXIT_OK : CollectorMain.EXIT_FAILED;
    }
}
