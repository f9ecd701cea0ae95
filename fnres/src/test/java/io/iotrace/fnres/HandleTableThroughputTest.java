package io.iotrace.fnres;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A quick throughput check: prints figures, asserts only correctness (timings depend on the machine).
 */
class HandleTableThroughputTest
{
    private static final int LOOKUPS = 10_000_000;
    private static final int OPEN_CLOSE_PAIRS = 1_000_000;
    private static final int OPEN_FDS = 256;

    @Test
    void shouldReportLookupAndOpenCloseThroughput()
    {
        final HandleTable table = new HandleTable("/home/u");
        final String[] names = new String[OPEN_FDS];
        for (int fd = 0; fd < OPEN_FDS; fd++)
        {
            names[fd] = "/data/file-" + fd;
            table.fdOpened(fd, names[fd], 1);
        }

        long checksum = 0;
        for (int round = 0; round < 3; round++)
        {
            final long start = System.nanoTime();
            checksum += lookups(table, LOOKUPS);
            final long elapsed = System.nanoTime() - start;
            System.out.printf("fnres: %,d fdName lookups in %.1f ms (%.1f M/s)%n",
                LOOKUPS, elapsed / 1e6, LOOKUPS * 1e3 / elapsed);
        }
        assertEquals(3L * LOOKUPS, checksum);

        for (int round = 0; round < 3; round++)
        {
            final long start = System.nanoTime();
            final int closedNames = openClose(table, OPEN_CLOSE_PAIRS, names, round);
            final long elapsed = System.nanoTime() - start;
            System.out.printf("fnres: %,d open/close pairs in %.1f ms (%.1f M pairs/s)%n",
                OPEN_CLOSE_PAIRS, elapsed / 1e6, OPEN_CLOSE_PAIRS * 1e3 / elapsed);
            assertEquals(OPEN_CLOSE_PAIRS, closedNames);
        }
        assertEquals(OPEN_FDS, table.size());
    }

    private static long lookups(final HandleTable table, final int count)
    {
        final int[] fds = randomFds();
        final int mask = fds.length - 1;
        long found = 0;
        for (int i = 0; i < count; i++)
        {
            if (null != table.fdName(fds[i & mask], 1000L + i))
            {
                found++;
            }
        }

        return found;
    }

    private static int[] randomFds()
    {
        final SplittableRandom random = new SplittableRandom(42);
        final int[] fds = new int[1 << 16];
        for (int i = 0; i < fds.length; i++)
        {
            fds[i] = random.nextInt(OPEN_FDS);
        }

        return fds;
    }

    private static int openClose(final HandleTable table, final int pairs, final String[] names, final int round)
    {
        int closedNames = 0;
        long time = 10L + (long)round * 4 * pairs;
        for (int i = 0; i < pairs; i++)
        {
            final int fd = OPEN_FDS + (i & 15);
            table.fdOpened(fd, names[i & (OPEN_FDS - 1)], time++);
            if (null != table.fdClosed(fd, time++, time++))
            {
                closedNames++;
            }
        }

        return closedNames;
    }
}
