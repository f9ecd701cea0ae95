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
}
