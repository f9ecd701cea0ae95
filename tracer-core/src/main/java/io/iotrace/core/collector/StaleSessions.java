package io.iotrace.core.collector;

import io.iotrace.core.format.TraceFormat;
import io.iotrace.core.nativeio.NativeIo;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Removes the session directories nobody uses any more. A session directory R (runtime dir/iotrace-&lt;uid&gt;/&lt;id&gt;,
 * one per trace directory ever traced into) keeps its lock file and session file after its last ring has gone:
 * about 5 KB of tmpfs, i.e. memory, each, for ever. A collector that ends normally therefore removes the stale ones
 * of its user: no ring and no subdirectory in them, unchanged for {@link #IDLE_MS}, and no collector (their lock is
 * free). Sessions with rings (a collector was killed: they wait for `recover`) are never touched.
 * <p>
 * A process may join such a session at that very moment (same IOTRACE_DIR): it makes R if missing, writes
 * R/session, creates its ring in R, then probes R/collector.lock. So R is first renamed away, with its lock held,
 * and looked at again: if a ring (or anything new) arrived before the rename, everything goes back into a new R,
 * where that process (which names R by path) finds it; a process that comes after the rename makes a new R itself.
 */
final class StaleSessions
{
    /** How long a session directory must be unchanged (its entries: rings come and go) before it is removed. */
    static final long IDLE_MS = TimeUnit.HOURS.toMillis(1);
    private static final Pattern SESSION_ID = Pattern.compile("[0-9a-f]{16}");
    private static final int MAX_PER_SWEEP = 10_000;

    private StaleSessions()
    {
    }

    /**
     * @param userDir    runtime dir/iotrace-&lt;uid&gt;.
     * @param ownSession the sweeping collector's session (left alone: it was just used).
     * @param nowMs      epoch ms.
     * @param log        where removals and failures are noted.
     * @return how many session directories were removed.
     */
    static int sweep(final Path userDir, final Path ownSession, final long nowMs, final CollectorLog log)
    {
        final List<Path> candidates = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(userDir))
        {
            for (final Path dir : entries)
            {
                if (SESSION_ID.matcher(dir.getFileName().toString()).matches() && !dir.equals(ownSession) &&
                    isIdleDirectory(dir, nowMs))
                {
                    candidates.add(dir);
                    if (candidates.size() == MAX_PER_SWEEP)
                    {
                        break;
                    }
                }
            }
        }
        catch (final IOException ex)
        {
            log.log("cannot list " + userDir + " for stale sessions", ex);
            return 0;
        }
        int removed = 0;
        for (final Path dir : candidates)
        {
            removed += removeIfUnused(dir, log) ? 1 : 0;
        }
        if (removed > 0)
        {
            log.log("removed " + removed + " stale session directories (no ring, unchanged for an hour) in " +
                userDir);
        }
        return removed;
    }

    private static boolean isIdleDirectory(final Path dir, final long nowMs)
    {
        try
        {
            final BasicFileAttributes attributes =
                Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return attributes.isDirectory() && nowMs - attributes.lastModifiedTime().toMillis() >= IDLE_MS;
        }
        catch (final IOException ex)
        {
            return false; // gone meanwhile
        }
    }

    private static boolean removeIfUnused(final Path dir, final CollectorLog log)
    {
        final int lockFd = CollectorMain.tryLock(dir);
        if (lockFd < 0)
        {
            return false; // a collector lives (or a producer is probing): in use
        }
        try
        {
            if (!onlyBookkeeping(dir))
            {
                return false;
            }
            final Path tombstone = dir.resolveSibling(".removing-" + dir.getFileName() + "-" +
                ProcessHandle.current().pid());
            Files.move(dir, tombstone, StandardCopyOption.ATOMIC_MOVE);
            if (!onlyBookkeeping(tombstone))
            {
                putBack(tombstone, dir, log);
                return false;
            }
            deleteTree(tombstone);
            return true;
        }
        catch (final AtomicMoveNotSupportedException ex)
        {
            return false;
        }
        catch (final IOException ex)
        {
            log.log("cannot remove stale session " + dir, ex);
            return false;
        }
        finally
        {
            NativeIo.close(lockFd);
        }
    }

    /** Nothing but the session's own small files: no ring, no spill or other directory. */
    private static boolean onlyBookkeeping(final Path dir) throws IOException
    {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir))
        {
            for (final Path entry : entries)
            {
                if (entry.getFileName().toString().endsWith(TraceFormat.RING_SUFFIX) ||
                    Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS))
                {
                    return false;
                }
            }
        }
        return true;
    }

    /** A process joined while we renamed: every entry goes back into (a new) dir, which it names by path. */
    private static void putBack(final Path tombstone, final Path dir, final CollectorLog log) throws IOException
    {
        try
        {
            Files.move(tombstone, dir, StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        catch (final IOException ex)
        {
            // the joining process made a new dir meanwhile: move the entries one by one
        }
        OutputFiles.createPrivateDirectory(dir);
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(tombstone))
        {
            for (final Path entry : entries)
            {
                final Path target = dir.resolve(entry.getFileName());
                if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS))
                {
                    Files.move(entry, target, StandardCopyOption.ATOMIC_MOVE);
                }
            }
        }
        log.log("session " + dir + " was joined while being removed: kept");
        deleteTree(tombstone);
    }

    private static void deleteTree(final Path dir) throws IOException
    {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir))
        {
            for (final Path entry : entries)
            {
                Files.deleteIfExists(entry);
            }
        }
        Files.deleteIfExists(dir);
    }
}
