package io.iotrace.fnres;

import org.junit.jupiter.api.Test;

import static io.iotrace.fnres.HandleTable.AT_FDCWD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HandleTableTest
{
    private static final long PAGE = 4096;

    private final HandleTable table = new HandleTable("/home/u");

    // ---------------------------------------------------------------- descriptors

    @Test
    void shouldNameOpenedFdUntilClosed()
    {
        table.fdOpened(3, "/data/a", 10);

        assertEquals("/data/a", table.fdName(3, 11));
        assertEquals(1, table.size());
        assertEquals("/data/a", table.fdClosed(3, 20, 21));
        assertNull(table.fdName(3, 30));
        assertEquals(0, table.size());
    }

    @Test
    void shouldReturnNullForUnknownFds()
    {
        assertNull(table.fdName(7, 1));
        assertNull(table.fdName(-1, 1));
        assertNull(table.fdName(1 << 30, 1));
        assertNull(table.fdClosed(7, 1, 2));
        assertEquals(0, table.size());
    }

    @Test
    void shouldNameReusedFdAfterClose()
    {
        table.fdOpened(3, "/data/a", 10);
        table.fdClosed(3, 20, 21);
        table.fdOpened(3, "/data/b", 30);

        assertEquals("/data/b", table.fdName(3, 31));
        assertEquals("/data/b", table.fdClosed(3, 40, 41));
        assertEquals(0, table.size());
    }

    @Test
    void shouldAnswerLateRecordAboutClosedFdFromHistory()
    {
        table.fdOpened(3, "/data/a", 10);
        table.fdClosed(3, 20, 21);
        table.fdOpened(3, "/data/b", 30);

        assertEquals("/data/a", table.fdName(3, 15), "read by another thread that started before the close");
        assertEquals("/data/b", table.fdName(3, 35));
    }

    @Test
    void shouldHandleHighAndGrowingFdNumbers()
    {
        table.fdOpened(1000, "/a", 1);
        table.fdOpened(70_000, "/b", 1);
        table.fdOpened(5_000_000, "/c", 1);

        assertEquals("/a", table.fdName(1000, 2));
        assertEquals("/b", table.fdName(70_000, 2));
        assertEquals("/c", table.fdName(5_000_000, 2));
        assertEquals(3, table.size());
        assertEquals("/c", table.fdClosed(5_000_000, 3, 4));
        assertEquals(2, table.size());
    }

    @Test
    void shouldForgetNameWhenOpenedWithUnknownPath()
    {
        table.fdOpened(4, "/a", 1);
        table.fdOpened(4, null, 5);

        assertNull(table.fdName(4, 6));
        assertEquals(0, table.size());
    }

    // ---------------------------------------------------------------- dup

    @Test
    void shouldGiveDuplicateTheOriginalsName()
    {
        table.fdOpened(3, "/data/a", 10);
        table.fdDuplicated(3, 4, 11);

        assertEquals("/data/a", table.fdName(4, 12));
        assertEquals(2, table.size());
        assertEquals("/data/a", table.fdClosed(3, 13, 14));
        assertEquals("/data/a", table.fdName(4, 15), "closing the original keeps the duplicate");
    }

    @Test
    void shouldReplaceOpenFdOnDup2()
    {
        table.fdOpened(3, "/data/a", 10);
        table.fdOpened(1, "/dev/pts/0", 1);
        table.fdDuplicated(3, 1, 20);

        assertEquals("/data/a", table.fdName(1, 21));
        assertEquals("/dev/pts/0", table.fdName(1, 15), "a write that started before the dup2");
        assertEquals(2, table.size());
    }

    @Test
    void shouldMakeDuplicateOfUnknownFdUnknown()
    {
        table.fdOpened(1, "/dev/pts/0", 1);
        table.fdDuplicated(9, 1, 20);

        assertNull(table.fdName(1, 21));
        assertEquals(0, table.size());
    }

    @Test
    void shouldIgnoreDup2OntoItself()
    {
        table.fdOpened(3, "/data/a", 10);
        table.fdDuplicated(3, 3, 20);

        assertEquals("/data/a", table.fdName(3, 21));
        assertEquals("/data/a", table.fdName(3, 15));
        assertEquals(1, table.size());
    }

    // ---------------------------------------------------------------- late records across threads

    @Test
    void shouldResolveLateCloseAfterReuseByAnotherThread()
    {
        table.fdOpened(5, "/data/old", 10);
        // thread A: close(5) runs 100..120; thread B: open() -> 5 ends at 130, published first
        table.fdOpened(5, "/data/new", 130);

        assertEquals("/data/old", table.fdClosed(5, 100, 120));
        assertEquals("/data/new", table.fdName(5, 140));
        assertEquals(1, table.size());
        assertEquals("/data/old", table.fdName(5, 90), "another late record of thread A");
        assertEquals("/data/new", table.fdClosed(5, 150, 151));
        assertEquals(0, table.size());
    }

    @Test
    void shouldResolveLateCloseAfterAnotherThreadReusedTheNumberAndClosedItAgain()
    {
        table.fdOpened(5, "/data/thread-0", 10);
        // thread A: close(5) runs 100..110, then A is preempted before publishing it; meanwhile thread B opens 5
        // (ends 130), writes and closes it (200..210), and B's records are all published first
        table.fdOpened(5, "/data/thread-2", 130);
        assertEquals("/data/thread-2", table.fdName(5, 150), "B's write");
        assertEquals("/data/thread-2", table.fdClosed(5, 200, 210));
        assertEquals("/data/thread-0", table.fdClosed(5, 100, 110), "A's close, published last");
        assertEquals(0, table.size());
        // and once more with the number reused three times before the late record
        table.fdOpened(6, "/a", 10);
        table.fdOpened(6, "/b", 130);
        table.fdClosed(6, 140, 150);
        table.fdOpened(6, "/c", 160);
        table.fdClosed(6, 170, 180);
        assertEquals("/a", table.fdClosed(6, 100, 110));
        assertEquals("/a", table.fdName(6, 50), "another late record of the first file");
    }

    @Test
    void shouldResolveLateCloseWhenReuseEndedBeforeTheClose()
    {
        table.fdOpened(5, "/data/old", 10);
        // close(5) runs 100..200 (slow flush); the number is freed early and B's open -> 5 ends at 150
        table.fdOpened(5, "/data/new", 150);

        assertEquals("/data/old", table.fdClosed(5, 100, 200));
        assertEquals("/data/new", table.fdName(5, 160));
        assertEquals(1, table.size());
    }

    @Test
    void shouldAcceptOpenPublishedAfterOverlappingClose()
    {
        table.fdOpened(5, "/data/old", 10);
        table.fdClosed(5, 100, 200);
        table.fdOpened(5, "/data/new", 150);

        assertEquals("/data/new", table.fdName(5, 160));
        assertEquals("/data/old", table.fdName(5, 50));
        assertEquals(1, table.size());
    }

    @Test
    void shouldKeepLateOpenInHistory()
    {
        // B's open -> 5 (end 300) is published before A's open -> 5 (end 100) and A's close (200..210)
        table.fdOpened(5, "/data/new", 300);
        table.fdOpened(5, "/data/old", 100);

        assertEquals("/data/new", table.fdName(5, 310));
        assertEquals("/data/old", table.fdName(5, 150));
        assertEquals("/data/old", table.fdClosed(5, 200, 210));
        assertEquals("/data/new", table.fdName(5, 320));
        assertEquals(1, table.size());
    }

    // ---------------------------------------------------------------- paths and cwd

    @Test
    void shouldResolvePathsAgainstCwd()
    {
        assertEquals("/home/u", table.cwd());
        assertEquals("/home/u/a.txt", table.absolutePath(AT_FDCWD, "a.txt"));
        assertEquals("/home/b", table.absolutePath(AT_FDCWD, "../b"));
        assertEquals("/etc/hosts", table.absolutePath(AT_FDCWD, "/etc//./hosts"));
        assertEquals("/etc/hosts", table.absolutePath(42, "/etc/hosts"), "absolute paths need no dirfd");
        assertNull(table.absolutePath(AT_FDCWD, null));
    }

    @Test
    void shouldResolveRelativePathAfterChdir()
    {
        table.chdir("work/../run");
        assertEquals("/home/u/run", table.cwd());
        assertEquals("/home/u/run/out.dat", table.absolutePath(AT_FDCWD, "./out.dat"));

        table.chdir("/tmp//x/");
        assertEquals("/tmp/x", table.cwd());
        assertEquals("/tmp/y", table.absolutePath(AT_FDCWD, "../y"));

        table.chdir("../../../..");
        assertEquals("/", table.cwd());
        assertEquals("/z", table.absolutePath(AT_FDCWD, "z"));
    }

    @Test
    void shouldResolveRelativePathAfterFchdir()
    {
        table.fdOpened(7, "/scratch/job", 10);

        assertTrue(table.fchdir(7));
        assertEquals("/scratch/job", table.cwd());
        assertEquals("/scratch/job/in.dat", table.absolutePath(AT_FDCWD, "in.dat"));

        assertFalse(table.fchdir(99));
        assertEquals("/scratch/job", table.cwd(), "unchanged after fchdir of an unknown fd");
    }

    @Test
    void shouldResolveOpenatRelativeToDirfd()
    {
        table.fdOpened(8, "/data/set", 10);

        assertEquals("/data/set/part-0", table.absolutePath(8, "part-0"));
        assertEquals("/data/other", table.absolutePath(8, "../other"));
        assertEquals("/data/set", table.absolutePath(8, "."));
        assertNull(table.absolutePath(9, "part-0"), "unknown dirfd");
    }

    @Test
    void shouldResolveEmptyPathToDirfdItself()
    {
        table.fdOpened(8, "/data/set/f", 10);

        assertEquals("/data/set/f", table.absolutePath(8, ""));
        assertEquals("/home/u", table.absolutePath(AT_FDCWD, ""));
        assertNull(table.absolutePath(9, ""));
    }

    @Test
    void shouldResolveDirfdOfLateRecordFromHistory()
    {
        table.fdOpened(8, "/data/set", 10);
        table.fdOpened(8, "/data/other", 50);

        assertEquals("/data/set/x", table.absolutePath(8, "x", 20));
        assertEquals("/data/other/x", table.absolutePath(8, "x", 60));
    }

    @Test
    void shouldTreatUnknownInitialCwdAsUnknown()
    {
        final HandleTable unknownCwd = new HandleTable(null);

        assertNull(unknownCwd.cwd());
        assertNull(unknownCwd.absolutePath(AT_FDCWD, "a"));
        assertEquals("/a", unknownCwd.absolutePath(AT_FDCWD, "/a"));

        unknownCwd.chdir("/srv");
        assertEquals("/srv/a", unknownCwd.absolutePath(AT_FDCWD, "a"));
    }

    // ---------------------------------------------------------------- streams

    @Test
    void shouldFollowStreamLifecycle()
    {
        final long stream = 0x5555_0000_1000L;
        table.fdOpened(3, "/data/log.txt", 10);
        table.streamOpened(stream, 3, 10);

        assertEquals(3, table.streamFd(stream));
        assertEquals("/data/log.txt", table.streamName(stream, 20));
        assertEquals(2, table.size());

        assertEquals("/data/log.txt", table.streamClosed(stream, 30, 31));
        assertEquals(-1, table.streamFd(stream));
        assertNull(table.streamName(stream, 40));
        assertNull(table.fdName(3, 40), "fclose closed the fd too");
        assertEquals(0, table.size());
    }

    @Test
    void shouldNameStreamFromFdOpenedByFdopen()
    {
        final long stream = 0x1000L;
        table.fdOpened(4, "/data/x", 5);
        table.streamOpened(stream, 4, 6);

        assertEquals("/data/x", table.streamName(stream, 7));
        table.fdDuplicated(4, 9, 8);
        assertEquals("/data/x", table.streamClosed(stream, 9, 10));
        assertEquals("/data/x", table.fdName(9, 11), "a duplicate outlives the stream");
    }

    @Test
    void shouldFallBackToNameAtOpenWhenStreamFdBecameUnknown()
    {
        final long stream = 0x2000L;
        table.fdOpened(4, "/data/x", 5);
        table.streamOpened(stream, 4, 6);
        table.fdDuplicated(77, 4, 7);

        assertEquals("/data/x", table.streamName(stream, 8));
        assertEquals("/data/x", table.streamClosed(stream, 9, 10));
    }

    @Test
    void shouldNameAReopenedStreamByItsNewFile()
    {
        final long stream = 0x5000L;
        table.fdOpened(3, "/data/a", 10);
        table.streamOpened(stream, 3, 10);

        assertEquals("/data/b", table.streamReopened(stream, 3, "/data/b", stream, 3, 20, 21));
        assertEquals("/data/b", table.streamName(stream, 30));
        assertEquals("/data/b", table.fdName(3, 30));
        assertEquals("/data/a", table.streamName(stream, 15), "a late record of the old stream");

        assertEquals("/data/b", table.streamReopened(stream, 3, null, stream, 4, 40, 41), "NULL path: same file");
        assertEquals("/data/b", table.fdName(4, 50));
        assertNull(table.fdName(3, 50), "the old descriptor is closed");
        assertEquals(2, table.size());
    }

    @Test
    void shouldCloseTheOldStreamWhenReopenFails()
    {
        final long stream = 0x6000L;
        table.fdOpened(3, "/data/a", 10);
        table.streamOpened(stream, 3, 10);

        assertEquals("/missing/b", table.streamReopened(stream, 3, "/missing/b", 0, -1, 20, 21));
        assertNull(table.streamName(stream, 30));
        assertNull(table.fdName(3, 30));
    }

    @Test
    void shouldReopenAStandardStreamKnownByItsDescriptorOnly()
    {
        final long stdout = 0x7000L;
        table.fdOpened(1, "/dev/pts/0", 1);

        assertEquals("/data/out", table.streamReopened(stdout, 1, "/data/out", stdout, 1, 20, 21));
        assertEquals("/data/out", table.streamName(stdout, 30));
        assertEquals("/data/out", table.fdName(1, 30));
    }

    @Test
    void shouldNameAMemoryStreamWithoutDescriptor()
    {
        final long stream = 0x8000L;
        table.fdOpened(0, "/dev/null", 1);
        table.streamOpenedWithoutFd(stream, "<not a file>", 10);

        assertEquals("<not a file>", table.streamName(stream, 20));
        assertEquals(-1, table.streamFd(stream));
        assertEquals("<not a file>", table.streamClosed(stream, 30, 31));
        assertEquals("/dev/null", table.fdName(0, 40), "no descriptor was closed with it");
    }

    @Test
    void shouldReturnNullForUnknownStream()
    {
        assertNull(table.streamName(0x3000L, 1));
        assertNull(table.streamClosed(0x3000L, 1, 2));
        assertEquals(-1, table.streamFd(0x3000L));
    }

    @Test
    void shouldResolveLateFcloseAfterStreamAddressReuse()
    {
        final long stream = 0x4000L;
        table.fdOpened(3, "/data/old", 10);
        table.streamOpened(stream, 3, 10);
        // thread A: fclose runs 100..120 (frees fd 3 and the FILE); thread B: fopen gets both again, ends at 130
        table.fdOpened(3, "/data/new", 130);
        table.streamOpened(stream, 3, 130);

        assertEquals("/data/old", table.streamClosed(stream, 100, 120));
        assertEquals("/data/new", table.streamName(stream, 140));
        assertEquals(3, table.streamFd(stream));
        assertEquals("/data/new", table.fdName(3, 140));
        assertEquals(2, table.size());
    }

    @Test
    void shouldResolveLateFcloseAfterAnotherThreadReusedTheAddressAndClosedItAgain()
    {
        final long stream = 0x4000L;
        table.fdOpened(3, "/data/old", 10);
        table.streamOpened(stream, 3, 10);
        // thread A: fclose runs 100..120, A is preempted before publishing it; thread B: fopen gets fd 3 and the
        // same FILE (ends 130), fwrites, fcloses (200..210); B's records are all published first
        table.fdOpened(3, "/data/new", 130);
        table.streamOpened(stream, 3, 130);
        assertEquals("/data/new", table.streamName(stream, 150), "B's fwrite");
        assertEquals("/data/new", table.streamClosed(stream, 200, 210));
        assertEquals("/data/old", table.streamClosed(stream, 100, 120), "A's fclose, published last");
        assertEquals("/data/old", table.streamName(stream, 50), "another late record of A's stream");
        assertEquals(0, table.size());
    }

    // ---------------------------------------------------------------- mappings

    @Test
    void shouldNameEveryAddressInsideMapping()
    {
        table.mapped(10 * PAGE, 4 * PAGE, "/lib/a.so");

        assertNull(table.mappingName(10 * PAGE - 1));
        assertEquals("/lib/a.so", table.mappingName(10 * PAGE));
        assertEquals("/lib/a.so", table.mappingName(12 * PAGE + 17));
        assertEquals("/lib/a.so", table.mappingName(14 * PAGE - 1));
        assertNull(table.mappingName(14 * PAGE));
        assertEquals(1, table.size());
    }

    @Test
    void shouldRemoveWholeMapping()
    {
        table.mapped(10 * PAGE, 4 * PAGE, "/lib/a.so");

        assertEquals("/lib/a.so", table.unmapped(10 * PAGE, 4 * PAGE));
        assertNull(table.mappingName(11 * PAGE));
        assertEquals(0, table.size());
        assertNull(table.unmapped(10 * PAGE, 4 * PAGE));
    }

    @Test
    void shouldTrimFrontOnPartialUnmap()
    {
        table.mapped(10 * PAGE, 4 * PAGE, "/lib/a.so");

        assertEquals("/lib/a.so", table.unmapped(9 * PAGE, 2 * PAGE));
        assertNull(table.mappingName(10 * PAGE));
        assertEquals("/lib/a.so", table.mappingName(11 * PAGE));
        assertEquals("/lib/a.so", table.mappingName(14 * PAGE - 1));
        assertEquals(1, table.size());
    }

    @Test
    void shouldTrimBackOnPartialUnmap()
    {
        table.mapped(10 * PAGE, 4 * PAGE, "/lib/a.so");

        assertEquals("/lib/a.so", table.unmapped(13 * PAGE, 4 * PAGE));
        assertEquals("/lib/a.so", table.mappingName(13 * PAGE - 1));
        assertNull(table.mappingName(13 * PAGE));
        assertEquals(1, table.size());
    }

    @Test
    void shouldSplitMappingOnUnmapInTheMiddle()
    {
        table.mapped(10 * PAGE, 4 * PAGE, "/lib/a.so");

        assertEquals("/lib/a.so", table.unmapped(11 * PAGE, PAGE));
        assertEquals("/lib/a.so", table.mappingName(11 * PAGE - 1));
        assertNull(table.mappingName(11 * PAGE));
        assertNull(table.mappingName(12 * PAGE - 1));
        assertEquals("/lib/a.so", table.mappingName(12 * PAGE));
        assertEquals("/lib/a.so", table.mappingName(14 * PAGE - 1));
        assertEquals(2, table.size());
    }

    @Test
    void shouldUnmapAcrossSeveralMappingsAndReturnTheFirst()
    {
        table.mapped(10 * PAGE, 2 * PAGE, "/a");
        table.mapped(12 * PAGE, 2 * PAGE, "/b");
        table.mapped(16 * PAGE, 2 * PAGE, "/c");

        assertEquals("/a", table.unmapped(11 * PAGE, 6 * PAGE));
        assertEquals("/a", table.mappingName(10 * PAGE));
        assertNull(table.mappingName(11 * PAGE));
        assertNull(table.mappingName(13 * PAGE));
        assertNull(table.mappingName(16 * PAGE));
        assertEquals("/c", table.mappingName(17 * PAGE));
        assertEquals(2, table.size());
        assertNull(table.unmapped(14 * PAGE, 2 * PAGE), "a hole overlaps no file mapping");
    }

    @Test
    void shouldReplaceOverlappedPartsOnMapFixed()
    {
        table.mapped(10 * PAGE, 8 * PAGE, "/big");
        table.mapped(12 * PAGE, 2 * PAGE, "/fixed");

        assertEquals("/big", table.mappingName(11 * PAGE));
        assertEquals("/fixed", table.mappingName(12 * PAGE));
        assertEquals("/fixed", table.mappingName(14 * PAGE - 1));
        assertEquals("/big", table.mappingName(14 * PAGE));
        assertEquals(3, table.size());

        table.mapped(9 * PAGE, 4 * PAGE, "/over");
        assertNull(table.mappingName(9 * PAGE - 1));
        assertEquals("/over", table.mappingName(9 * PAGE));
        assertEquals("/over", table.mappingName(12 * PAGE));
        assertEquals("/fixed", table.mappingName(13 * PAGE));
        assertEquals("/big", table.mappingName(17 * PAGE));
        assertEquals(3, table.size());

        table.mapped(0, 100 * PAGE, "/all");
        assertEquals("/all", table.mappingName(13 * PAGE));
        assertEquals(1, table.size());
    }

    @Test
    void shouldRemoveFileMappingWhenAnonymousMappingIsPlacedOverIt()
    {
        table.mapped(10 * PAGE, 4 * PAGE, "/lib/a.so");
        table.mapped(11 * PAGE, PAGE, null);

        assertEquals("/lib/a.so", table.mappingName(10 * PAGE));
        assertNull(table.mappingName(11 * PAGE));
        assertEquals("/lib/a.so", table.mappingName(12 * PAGE));
        assertEquals(2, table.size());
    }

    @Test
    void shouldIgnoreEmptyRangesAndClampOverflow()
    {
        table.mapped(PAGE, 0, "/empty");
        assertEquals(0, table.size());

        table.mapped(Long.MAX_VALUE - PAGE, 2 * PAGE, "/top");
        assertEquals("/top", table.mappingName(Long.MAX_VALUE - 1));
        assertNull(table.unmapped(PAGE, -5));
    }

    // ---------------------------------------------------------------- fork

    @Test
    void shouldCopyForForkIndependently()
    {
        final long stream = 0x6000L;
        table.fdOpened(3, "/data/a", 10);
        table.fdOpened(4, "/data/b", 10);
        table.streamOpened(stream, 4, 10);
        table.mapped(10 * PAGE, 4 * PAGE, "/lib/a.so");
        table.fdOpened(2_000_000, "/data/high", 10);

        final HandleTable child = table.copyForFork();
        assertEquals(table.size(), child.size());
        assertEquals("/data/a", child.fdName(3, 20));
        assertEquals("/data/b", child.streamName(stream, 20));
        assertEquals("/lib/a.so", child.mappingName(11 * PAGE));
        assertEquals("/home/u", child.cwd());

        child.fdClosed(3, 30, 31);
        child.streamClosed(stream, 30, 31);
        child.unmapped(11 * PAGE, PAGE);
        child.fdOpened(5, "/data/child", 32);
        child.fdClosed(2_000_000, 30, 31);
        child.chdir("/tmp");

        assertEquals("/data/a", table.fdName(3, 40));
        assertEquals("/data/b", table.streamName(stream, 40));
        assertEquals("/data/b", table.fdName(4, 40));
        assertEquals("/lib/a.so", table.mappingName(11 * PAGE));
        assertNull(table.fdName(5, 40));
        assertEquals("/data/high", table.fdName(2_000_000, 40));
        assertEquals("/home/u", table.cwd());
        assertEquals(5, table.size());

        table.fdClosed(5, 40, 41);
        table.fdOpened(6, "/data/parent", 42);
        table.mapped(50 * PAGE, PAGE, "/p");
        assertNull(child.fdName(6, 50));
        assertEquals("/data/child", child.fdName(5, 50));
        assertNull(child.mappingName(50 * PAGE));
        assertEquals("/tmp", child.cwd());
        assertEquals(3, child.size());
    }
}
