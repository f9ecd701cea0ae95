package io.iotrace.core.decode;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FlagsTest
{
    @Test
    void shouldDecodeOpenFlagsAsLibiotrace()
    {
        final int flags = 02 | 0100 | 01000 | 02000000; // O_RDWR|O_CREAT|O_TRUNC|O_CLOEXEC
        assertEquals("read_and_write", Flags.accessMode(flags));
        assertEquals(List.of("creat", "trunc", "cloexec"), Flags.CREATION.decode(flags));
        assertEquals(List.of(), Flags.STATUS.decode(flags));
        assertEquals("read_only", Flags.accessMode(0));
        assertEquals("write_only", Flags.accessMode(1));
    }

    @Test
    void shouldNotReportDsyncOrDirectoryInsideSyncOrTmpfile()
    {
        assertEquals(List.of("sync"), Flags.STATUS.decode(04010000));
        assertEquals(List.of("dsync"), Flags.STATUS.decode(010000));
        assertEquals(List.of("tmpfile"), Flags.CREATION.decode(020200000));
        assertEquals(List.of("directory"), Flags.CREATION.decode(0200000));
        assertEquals(List.of("append", "nonblock"), Flags.STATUS.decode(02000 | 04000));
    }

    @Test
    void shouldDecodeFileMode()
    {
        assertEquals(List.of("read_by_owner", "write_by_owner", "read_by_group", "read_by_others"),
            Flags.FILE_MODE.decode(0644));
        assertEquals(List.of("read_by_owner", "write_by_owner", "execute_by_owner", "sticky_bit"),
            Flags.FILE_MODE.decode(01700));
        assertEquals(List.of("set_user_id", "set_group_id"), Flags.FILE_MODE.decode(06000));
    }

    @Test
    void shouldDecodeMmapProtectionAndFlags()
    {
        assertEquals(List.of("none"), Flags.PROTECTION.decode(0));
        assertEquals(List.of("read", "write"), Flags.PROTECTION.decode(3));
        assertEquals(List.of("shared"), Flags.MAP_FLAGS.decode(0x01));
        assertEquals(List.of("private", "anonymous"), Flags.MAP_FLAGS.decode(0x22));
        assertEquals(List.of("shared_validate", "fixed"), Flags.MAP_FLAGS.decode(0x13));
    }

    @Test
    void shouldNameWhenceAndFcntlCommands()
    {
        assertEquals("beginning_of_file", Flags.whence(0));
        assertEquals("current_position", Flags.whence(1));
        assertEquals("end_of_file", Flags.whence(2));
        assertEquals("data", Flags.whence(3));
        assertEquals("hole", Flags.whence(4));
        assertNull(Flags.whence(5));
        assertEquals("dupfd", Flags.fcntlCommand(0));
        assertEquals("setlkw", Flags.fcntlCommand(7));
        assertEquals("dupfd_cloexec", Flags.fcntlCommand(1030));
        assertEquals("ofd_setlk", Flags.fcntlCommand(37));
        assertNull(Flags.fcntlCommand(99));
        assertTrue(Flags.isFcntlDup(0));
        assertTrue(Flags.isFcntlDup(1030));
        assertFalse(Flags.isFcntlDup(1));
        assertEquals(List.of("cloexec"), Flags.DUP_FLAGS.decode(02000000));
    }

    @Test
    void shouldGiveGlibcErrnoTexts()
    {
        assertEquals("No such file or directory", Errno.text(2));
        assertEquals("Bad file descriptor", Errno.text(9));
        assertEquals("Disk quota exceeded", Errno.text(122));
        assertEquals("Unknown error 999", Errno.text(999));
    }

    @Test
    void shouldDecodeFcntlArgumentsLocksAndLeases()
    {
        assertEquals(List.of(true, true, true, true, true, true), List.of(Flags.isFcntlLock(5), Flags.isFcntlLock(6),
            Flags.isFcntlLock(7), Flags.isFcntlLock(36), Flags.isFcntlLock(37), Flags.isFcntlLock(38)));
        assertFalse(Flags.isFcntlLock(4));
        assertFalse(Flags.isFcntlLock(8));
        assertFalse(Flags.isFcntlLock(1024));
        assertEquals(List.of("read", "write", "unlock"), List.of(Flags.lockType(0), Flags.lockType(1),
            Flags.lockType(2)));
        assertNull(Flags.lockType(3));
        assertEquals(List.of("cloexec"), Flags.FD_FLAGS.decode(1));
        assertEquals(List.of("modify", "delete", "multishot"), Flags.NOTIFY_FLAGS.decode(0x2 | 0x8 | 0x80000000L));
        assertEquals(List.of("seal", "grow", "future_write"), Flags.SEALS.decode(0x1 | 0x4 | 0x10));
        assertEquals("cancellk", Flags.fcntlCommand(1029));
        assertEquals("getpipe_sz", Flags.fcntlCommand(1032));
        assertEquals("set_file_rw_hint", Flags.fcntlCommand(1038));
    }

    @Test
    void shouldDecodeMappingAndSpliceFlagsAndAdvice()
    {
        assertEquals(List.of("async", "invalidate"), Flags.MSYNC_FLAGS.decode(3));
        assertEquals(List.of("sync"), Flags.MSYNC_FLAGS.decode(4));
        assertEquals(List.of("maymove", "fixed", "dontunmap"), Flags.MREMAP_FLAGS.decode(7));
        assertEquals(List.of("move", "more"), Flags.SPLICE_FLAGS.decode(5));
        assertEquals(List.of("cloexec"), Flags.CLOSE_RANGE_FLAGS.decode(4));
        assertEquals(List.of("unshare"), Flags.CLOSE_RANGE_FLAGS.decode(2));
        assertEquals("willneed", Flags.memoryAdvice(3));
        assertEquals("dontneed", Flags.memoryAdvice(4));
        assertEquals("free", Flags.memoryAdvice(8));
        assertEquals("collapse", Flags.memoryAdvice(25));
        assertEquals("hwpoison", Flags.memoryAdvice(100));
        assertNull(Flags.memoryAdvice(5));
        assertNull(Flags.memoryAdvice(-1));
    }
}
