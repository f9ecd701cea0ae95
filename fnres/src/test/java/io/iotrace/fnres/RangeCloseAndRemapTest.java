package io.iotrace.fnres;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** close_range/closefrom (every descriptor in a range) and mremap (a mapping grows, shrinks or moves). */
class RangeCloseAndRemapTest
{
    private static final long PAGE = 4096;
    private static final int NO_LIMIT = Integer.MAX_VALUE;

    private final HandleTable table = new HandleTable("/home/u");

    @Test
    void shouldCloseEveryNamedFdInTheRangeAndNothingOutside()
    {
        for (int fd = 3; fd <= 8; fd++)
        {
            table.fdOpened(fd, "/data/f" + fd, 10);
        }
        table.fdOpened(2_000_000, "/data/high", 10); // beyond the directly indexed numbers

        assertEquals(3, table.fdRangeClosed(4, 6, 20, 21));

        assertEquals("/data/f3", table.fdName(3, 30));
        assertNull(table.fdName(4, 30));
        assertNull(table.fdName(6, 30));
        assertEquals("/data/f7", table.fdName(7, 30));
        assertEquals("/data/f5", table.fdName(5, 15), "a late record of a call before the close still resolves");
        assertEquals(4, table.size());
    }

    @Test
    void shouldCloseEverythingFromFirstOnLikeClosefrom()
    {
        table.fdOpened(0, "/dev/null", 1);
        table.fdOpened(5, "/data/a", 1);
        table.fdOpened(70, "/data/b", 1);
        table.fdOpened(3_000_000, "/data/high", 1);

        assertEquals(3, table.fdRangeClosed(3, NO_LIMIT, 5, 6));

        assertEquals("/dev/null", table.fdName(0, 10));
        assertNull(table.fdName(5, 10));
        assertNull(table.fdName(70, 10));
        assertNull(table.fdName(3_000_000, 10));
        assertEquals(1, table.size());
        assertEquals(0, table.fdRangeClosed(100, 50, 7, 8), "an empty range closes nothing");
    }

    @Test
    void shouldKeepADescriptorReopenedWhileTheRangeCloseRan()
    {
        table.fdOpened(4, "/data/old", 1);
        table.fdOpened(4, "/data/new", 25); // another thread's open, published first, ended after the close began

        table.fdRangeClosed(3, 10, 20, 30);

        assertEquals("/data/new", table.fdName(4, 40));
    }

    @Test
    void shouldMoveAGrownMappingAndForgetItsOldPlace()
    {
        table.mapped(10 * PAGE, 2 * PAGE, "/data/m");

        assertEquals("/data/m", table.remapped(10 * PAGE, 2 * PAGE, 40 * PAGE, 4 * PAGE, false));

        assertNull(table.mappingName(10 * PAGE));
        assertEquals("/data/m", table.mappingName(40 * PAGE));
        assertEquals("/data/m", table.mappingName(43 * PAGE + 5));
        assertNull(table.mappingName(44 * PAGE));
    }

    @Test
    void shouldShrinkInPlace()
    {
        table.mapped(10 * PAGE, 4 * PAGE, "/data/m");

        assertEquals("/data/m", table.remapped(10 * PAGE, 4 * PAGE, 10 * PAGE, PAGE, false));

        assertEquals("/data/m", table.mappingName(10 * PAGE));
        assertNull(table.mappingName(11 * PAGE));
    }

    @Test
    void shouldRemapPartOfAMappingAndKeepTheRest()
    {
        table.mapped(10 * PAGE, 4 * PAGE, "/data/m");

        table.remapped(11 * PAGE, PAGE, 50 * PAGE, PAGE, false);

        assertEquals("/data/m", table.mappingName(10 * PAGE));
        assertNull(table.mappingName(11 * PAGE));
        assertEquals("/data/m", table.mappingName(12 * PAGE));
        assertEquals("/data/m", table.mappingName(50 * PAGE));
    }

    @Test
    void shouldKeepTheOldRangeWithDontunmap()
    {
        table.mapped(10 * PAGE, PAGE, "/data/m");

        table.remapped(10 * PAGE, PAGE, 30 * PAGE, PAGE, true);

        assertEquals("/data/m", table.mappingName(10 * PAGE));
        assertEquals("/data/m", table.mappingName(30 * PAGE));
    }

    @Test
    void shouldReplaceAFileMappingAnAnonymousOneIsMovedOnto()
    {
        table.mapped(30 * PAGE, PAGE, "/data/m");

        assertNull(table.remapped(10 * PAGE, PAGE, 30 * PAGE, PAGE, false), "anonymous: no name");

        assertNull(table.mappingName(30 * PAGE));
    }
}
