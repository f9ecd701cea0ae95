package io.iotrace.core.live;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The live counters file: consistent snapshots under a busy writer, long names, overflow, continuation. */
class LiveCountersTest
{
    @TempDir
    Path dir;

    /**
     * The writer keeps an invariant in every publication (each file's bytes read = written = 10 x calls, and the
     * total calls = the sum of the files' calls); a reader that saw a torn snapshot would see it broken.
     */
    @Test
    void readersSeeOnlyCompleteSnapshots() throws Exception
    {
        final LiveCountersWriter writer = LiveCountersWriter.open(dir, 42);
        final AtomicBoolean done = new AtomicBoolean();
        final AtomicLong snapshots = new AtomicLong();
        final AtomicLong torn = new AtomicLong();
        final Thread reader = new Thread(() ->
        {
            try
            {
                long lastSequence = 0;
                while (!done.get())
                {
                    final LiveCounters.Snapshot s = LiveCounters.read(LiveCounters.fileIn(dir));
                    long calls = 0;
                    for (final LiveCounters.FileCounters f : s.files())
                    {
                        calls += f.calls();
                        if (f.bytesRead() != 10 * f.calls() || f.bytesWritten() != 10 * f.calls())
                        {
                            torn.incrementAndGet();
                        }
                    }
                    if (calls != s.totalCalls() || s.sequence() < lastSequence || 0 != (s.sequence() & 1))
                    {
                        torn.incrementAndGet();
                    }
                    lastSequence = s.sequence();
                    snapshots.incrementAndGet();
                }
            }
            catch (final Exception ex)
            {
                torn.addAndGet(1_000_000);
            }
        });
        reader.start();
        final long end = System.currentTimeMillis() + 1500;
        long i = 0;
        while (System.currentTimeMillis() < end)
        {
            writer.count("/data/file-" + (i++ % 50), 10, 10, 5);
            if (0 == i % 97)
            {
                writer.publish(0, true);
            }
        }
        done.set(true);
        reader.join();
        writer.close();
        assertEquals(0, torn.get(), "torn snapshots among " + snapshots.get());
        assertTrue(snapshots.get() > 100, "snapshots read: " + snapshots.get());
        final LiveCounters.Snapshot last = LiveCounters.read(LiveCounters.fileIn(dir));
        assertTrue(last.finished());
        assertEquals(42, last.collectorPid());
        assertEquals(i, last.totalCalls());
        assertEquals(50, last.files().size());
    }

    @Test
    void aSymlinkPlantedAtTheCountersNameIsNotFollowed() throws Exception
    {
        final Path victim = java.nio.file.Files.writeString(dir.resolve("victim.txt"), "precious");
        java.nio.file.Files.createSymbolicLink(dir.resolve(LiveCounters.FILE_NAME), victim);
        org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> LiveCountersWriter.open(dir, 1));
        assertEquals("precious", java.nio.file.Files.readString(victim));
        assertEquals(8, java.nio.file.Files.size(victim));
    }

    @Test
    void publishesAtMostEveryInterval() throws Exception
    {
        final LiveCountersWriter writer = LiveCountersWriter.open(dir, 1);
        writer.publish(1000, false);
        final long first = LiveCounters.read(LiveCounters.fileIn(dir)).sequence();
        writer.count("/a", 1, 0, 1);
        writer.publish(1000 + LiveCounters.PUBLISH_INTERVAL_MS - 1, false);
        assertEquals(first, LiveCounters.read(LiveCounters.fileIn(dir)).sequence(), "not yet");
        assertTrue(LiveCounters.read(LiveCounters.fileIn(dir)).files().stream().noneMatch(f -> f.name().equals("/a")));
        writer.publish(1000 + LiveCounters.PUBLISH_INTERVAL_MS, false);
        assertEquals(1, LiveCounters.read(LiveCounters.fileIn(dir)).files().get(0).bytesRead());
        assertFalse(LiveCounters.read(LiveCounters.fileIn(dir)).finished());
        writer.close();
    }

    @Test
    void longNamesKeepTheirEndAndOverflowGoesToOtherFiles() throws Exception
    {
        final LiveCountersWriter writer = LiveCountersWriter.open(dir, 1);
        final String longName = "/" + "d".repeat(400) + "/é-file.dat";
        writer.count(longName, 0, 7, 1);
        for (int i = 0; i < LiveCounters.CAPACITY + 10; i++)
        {
            writer.count("/many/" + i, 1, 0, 1);
        }
        writer.close();
        final LiveCounters.Snapshot s = LiveCounters.read(LiveCounters.fileIn(dir));
        assertEquals(LiveCounters.CAPACITY, s.files().size());
        final LiveCounters.FileCounters first = s.files().get(0);
        assertTrue(first.nameTruncated());
        assertTrue(longName.endsWith(first.name()) && first.name().endsWith("/é-file.dat"), first.name());
        final LiveCounters.FileCounters other = s.files().get(LiveCounters.CAPACITY - 1);
        assertEquals(LiveCounters.OTHER_FILES, other.name());
        // files 0 .. CAPACITY-3 of /many got their own records, the remaining 12 share the last one
        assertEquals(LiveCounters.CAPACITY + 10 - (LiveCounters.CAPACITY - 2), other.calls());
        assertEquals(LiveCounters.CAPACITY + 11, s.totalCalls());
    }

    @Test
    void aSecondCollectorContinuesTheCounts() throws Exception
    {
        try (LiveCountersWriter first = LiveCountersWriter.open(dir, 1))
        {
            first.count("/x", 5, 6, 7);
        }
        try (LiveCountersWriter second = LiveCountersWriter.open(dir, 2))
        {
            second.count("/x", 1, 1, 1);
            second.count("/y", 0, 3, 1);
        }
        final LiveCounters.Snapshot s = LiveCounters.read(LiveCounters.fileIn(dir));
        assertEquals(2, s.collectorPid());
        assertEquals(new LiveCounters.FileCounters("/x", false, 6, 7, 2, 8), s.files().get(0));
        assertEquals(new LiveCounters.FileCounters("/y", false, 0, 3, 1, 1), s.files().get(1));
        assertEquals(3, s.totalCalls());
    }
}
