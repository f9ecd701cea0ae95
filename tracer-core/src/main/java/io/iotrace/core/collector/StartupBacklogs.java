package io.iotrace.core.collector;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * A new collector spends its first ~0.1 s loading the function table, while a program doing cached I/O from its
 * first moment fills its 32 MiB ring in ~0.3 s. Meanwhile this moves every ring that is behind into its backlog
 * ({@link RingBacklog}), which the {@link Collector} reads first once it runs: the program does not wait for its
 * collector's start-up. It needs nothing of the function table; anything it cannot do it leaves to the Collector,
 * which meets the same ring or backlog and reports it.
 */
final class StartupBacklogs implements AutoCloseable
{
    private final Path runtimeDir;
    private final Path outputDir;
    private final Map<Path, RingSource> rings = new HashMap<>();
    private final Map<Path, RingBacklog> backlogs = new HashMap<>();
    private final Set<Path> leftToCollector = new HashSet<>();

    /**
     * @param runtimeDir R.
     * @param outputDir  O.
     */
    StartupBacklogs(final Path runtimeDir, final Path outputDir)
    {
        this.runtimeDir = runtimeDir;
        this.outputDir = outputDir;
    }

    /** Look at every ring of the session once: move the records of those that are behind into their backlogs. */
    void moveWhereBehind()
    {
        for (final SessionScanner.Entry entry : SessionScanner.rings(runtimeDir))
        {
            final Path path = entry.path();
            if (leftToCollector.contains(path))
            {
                continue;
            }
            final RingSource ring = map(entry);
            if (null == ring || !Collector.isBehind(ring))
            {
                continue;
            }
            try
            {
                RingBacklog backlog = backlogs.get(path);
                if (null == backlog)
                {
                    final Path backlogPath = SessionScanner.backlogFile(outputDir, entry.pid(), entry.incarnation());
                    backlog = RingBacklog.openLeft(backlogPath, ring);
                    if (null == backlog)
                    {
                        backlog = RingBacklog.create(backlogPath, ring);
                    }
                    backlogs.put(path, backlog);
                }
                backlog.takeFrom(ring, Collector.BACKLOG_BLOCK);
            }
            catch (final IOException | RuntimeException ex)
            {
                leftToCollector.add(path);
            }
        }
    }

    private RingSource map(final SessionScanner.Entry entry)
    {
        RingSource ring = rings.get(entry.path());
        if (null == ring)
        {
            try
            {
                ring = RingSource.map(entry.path());
            }
            catch (final RingSource.NotReadyException ex)
            {
                return null; // its header comes later
            }
            catch (final IOException | RuntimeException ex)
            {
                leftToCollector.add(entry.path());
                return null;
            }
            if (ring.info().pid() != entry.pid() || ring.info().incarnation() != entry.incarnation())
            {
                ring.close();
                leftToCollector.add(entry.path());
                return null;
            }
            rings.put(entry.path(), ring);
        }
        return ring;
    }

    /** Close the backlogs and unmap the rings: the Collector opens them again. */
    public void close()
    {
        backlogs.values().forEach(RingBacklog::close);
        rings.values().forEach(RingSource::close);
    }
}
