package io.iotrace.core.session;

import io.iotrace.core.nativeio.NativeIo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TraceSessionTest
{
    @TempDir
    Path tmp;

    @Test
    void shouldHashTheOutputDirWithFnv1a64()
    {
        assertEquals("cbf29ce484222325", TraceSession.fnv1a64Hex(new byte[0]));
        assertEquals("af63dc4c8601ec8c", TraceSession.fnv1a64Hex("a".getBytes(StandardCharsets.UTF_8)));
        assertEquals("85944171f73967e8", TraceSession.fnv1a64Hex("foobar".getBytes(StandardCharsets.UTF_8)));
        assertEquals(TraceSession.fnv1a64Hex("/x/out".getBytes(StandardCharsets.UTF_8)),
            TraceSession.sessionId(Path.of("/x/./y/../out/")));
        assertEquals(16, TraceSession.sessionId(Path.of("/")).length());
    }

    @Test
    void shouldPlaceTheRuntimeDirUnderTheUsersDirectory()
    {
        final Path r = TraceSession.runtimeDirFor(Path.of("/x/out"));
        assertEquals("iotrace-" + NativeIo.getuid(), r.getParent().getFileName().toString());
        assertEquals(TraceSession.sessionId(Path.of("/x/out")), r.getFileName().toString());
    }

    @Test
    void shouldSeeAnFlockHeldOnTheCollectorLockWithoutTakingIt() throws Exception
    {
        final Path r = tmp.resolve("run");
        Files.createDirectories(r);
        assertFalse(TraceSession.isCollectorLockHeld(r));
        final NativeIo.Result fd = NativeIo.open(r.resolve("collector.lock").toString(),
            NativeIo.O_RDWR | NativeIo.O_CREAT | NativeIo.O_CLOEXEC, 0600);
        assertFalse(fd.failed());
        assertFalse(TraceSession.isCollectorLockHeld(r));
        assertFalse(NativeIo.flock(fd.result(), NativeIo.LOCK_EX | NativeIo.LOCK_NB).failed());
        assertTrue(TraceSession.isCollectorLockHeld(r));
        // a second open file description cannot take it: what a producer's probe sees
        final NativeIo.Result other = NativeIo.open(r.resolve("collector.lock").toString(), NativeIo.O_RDWR, 0);
        final NativeIo.Result probe = NativeIo.flock(other.result(), NativeIo.LOCK_EX | NativeIo.LOCK_NB);
        assertTrue(probe.failed());
        assertEquals(NativeIo.EWOULDBLOCK, probe.errno());
        NativeIo.close(other.result());
        NativeIo.close(fd.result());
        assertFalse(TraceSession.isCollectorLockHeld(r));
    }

    @Test
    void shouldWaitForTheCollectorWhileItsLockIsHeld() throws Exception
    {
        final Path out = tmp.resolve("out");
        final Path r = TraceSession.runtimeDirFor(out);
        // the real per-user runtime dir: made private, as the shim makes it
        Files.createDirectories(r, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
            java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        try
        {
            assertTrue(TraceSession.awaitCollector(out, Duration.ofMillis(100)));
            final NativeIo.Result fd = NativeIo.open(r.resolve("collector.lock").toString(),
                NativeIo.O_RDWR | NativeIo.O_CREAT | NativeIo.O_CLOEXEC, 0600);
            NativeIo.flock(fd.result(), NativeIo.LOCK_EX);
            assertFalse(TraceSession.awaitCollector(out, Duration.ofMillis(100)));
            final Thread release = Thread.ofVirtual().start(() ->
            {
                try
                {
                    Thread.sleep(200);
                }
                catch (final InterruptedException ignore)
                {
                    // release now
                }
                NativeIo.close(fd.result());
            });
            assertTrue(TraceSession.awaitCollector(out, Duration.ofSeconds(5)));
            release.join();
        }
        finally
        {
            Files.deleteIfExists(r.resolve("collector.lock"));
            Files.deleteIfExists(r);
        }
    }
}
