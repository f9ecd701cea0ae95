package io.iotrace.core.it;

import io.iotrace.core.format.TraceFormat;
import io.iotrace.core.nativeio.NativeIo;
import io.iotrace.core.session.TraceSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A collector that ends removes the session directories of its user that nobody uses any more (no ring, unchanged
 * for an hour, no collector: tracer-core's StaleSessions), and no other: one whose ring waits for `recover`, one
 * whose collector lock is held, and one used a moment ago stay.
 */
class StaleSessionsTest
{
    @TempDir
    Path work;

    private final List<Path> made = new ArrayList<>();

    @Test
    void shouldRemoveUnusedSessionDirectoriesOnlyWhenACollectorEnds() throws Exception
    {
        final Path trace = work.resolve("trace");
        final Path userDir = TraceSession.runtimeDirFor(trace).getParent();
        final FileTime twoHoursAgo = FileTime.fromMillis(System.currentTimeMillis() - TimeUnit.HOURS.toMillis(2));
        final int lockFd;
        try
        {
            // the program's own session: it makes the user dir if this machine has none yet
            final TracedRun.Started started = TracedRun.command("sh", "-c", "echo started; sleep 1")
                .traceDir(trace).start(work);
            assertEquals("started", started.readLine());
            final Path unused = fakeSession(userDir);
            final Path withRing = fakeSession(userDir);
            Files.writeString(withRing.resolve("4242-0.ring"), "a ring left for recover");
            final Path locked = fakeSession(userDir);
            final NativeIo.Result open = NativeIo.open(locked.resolve(TraceFormat.LOCK_FILE).toString(),
                NativeIo.O_RDWR | NativeIo.O_CLOEXEC, 0);
            assertFalse(open.failed());
            lockFd = open.result();
            assertFalse(NativeIo.flock(lockFd, NativeIo.LOCK_EX | NativeIo.LOCK_NB).failed());
            final Path recent = fakeSession(userDir);
            for (final Path old : List.of(unused, withRing, locked))
            {
                Files.setLastModifiedTime(old, twoHoursAgo);
            }

            final String runtimeDir = TraceSession.runtimeDirFor(trace).toString();
            final ProcessHandle collector = CollectorFailureTest.findCollector(runtimeDir, Duration.ofSeconds(20))
                .orElseThrow(() -> new AssertionError("no collector running for " + runtimeDir));
            assertEquals(0, started.finish(Duration.ofSeconds(30)).exitStatus());
            collector.onExit().get(60, TimeUnit.SECONDS);

            assertFalse(Files.exists(unused), "no ring, unchanged for two hours, lock free: removed");
            assertTrue(Files.exists(withRing.resolve("4242-0.ring")), "a ring waiting for recover: kept");
            assertTrue(Files.exists(locked.resolve(TraceFormat.SESSION_FILE)), "its lock is held: kept");
            assertTrue(Files.exists(recent.resolve(TraceFormat.SESSION_FILE)), "used a moment ago: kept");
            try (Stream<Path> entries = Files.list(userDir))
            {
                assertEquals(List.of(), entries.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith(".removing-")).toList(), "no half-removed directory left");
            }
            NativeIo.close(lockFd);
        }
        finally
        {
            for (final Path dir : made)
            {
                deleteTree(dir);
            }
        }
    }

    /** A session directory as the shim leaves it once its last ring has gone: the lock file and R/session. */
    private Path fakeSession(final Path userDir) throws IOException
    {
        final Path dir = userDir.resolve(String.format("%016x", ThreadLocalRandom.current().nextLong()));
        Files.createDirectory(dir);
        made.add(dir);
        Files.writeString(dir.resolve(TraceFormat.LOCK_FILE), "");
        Files.writeString(dir.resolve(TraceFormat.SESSION_FILE), work.resolve("elsewhere") + "\n");
        return dir;
    }

    private static void deleteTree(final Path dir) throws IOException
    {
        if (!Files.isDirectory(dir))
        {
            return;
        }
        try (Stream<Path> entries = Files.list(dir))
        {
            for (final Path entry : entries.toList())
            {
                Files.deleteIfExists(entry);
            }
        }
        Files.deleteIfExists(dir);
    }
}
