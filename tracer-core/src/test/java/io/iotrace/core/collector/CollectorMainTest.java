package io.iotrace.core.collector;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotrace.core.format.FunctionTable;
import io.iotrace.core.format.TraceFormat;
import io.iotrace.core.session.TraceSession;
import io.iotrace.core.testing.EventEncoder;
import io.iotrace.core.testing.JsonLines;
import io.iotrace.core.testing.RingFileWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CollectorMainTest
{
    @TempDir
    Path tmp;
    private final FunctionTable table = FunctionTable.load();

    @Test
    void shouldCollectADeadRingTakeAndReleaseTheLockAndExitAfterLinger() throws Exception
    {
        final Path r = Files.createDirectories(tmp.resolve("run"));
        final Path o = tmp.resolve("out/nested");
        final int pid = CollectorTest.deadPid();
        try (RingFileWriter ring = new RingFileWriter(r.resolve(pid + "-0.ring"),
            new RingFileWriter.Header().pid(pid), 64 * 1024))
        {
            ring.write(EventEncoder.event(table.byName("open")).result(3).string("path", "f"));
            ring.write(EventEncoder.event(table.byName("close")).times(3000, 3001).slot("fd", 3));
        }
        final long start = System.nanoTime();
        final int exit = CollectorMain.run(new String[] {"--session-dir", r.toString(), "--output-dir", o.toString()});
        final long ms = (System.nanoTime() - start) / 1_000_000;
        assertEquals(CollectorMain.EXIT_OK, exit);
        assertTrue(ms >= TraceFormat.LINGER_MS_DEFAULT - 50, "lingered " + ms + " ms");
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(o)));
        final Path json = o.resolve("testhost_" + pid + "_0.jsonl");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(json)));
        final List<JsonNode> records = JsonLines.readCalls(json);
        assertEquals(2, records.size());
        assertEquals("/work/dir/f", records.get(1).get("traced_filename").asText());
        assertFalse(Files.exists(r.resolve(pid + "-0.ring")));
        assertFalse(TraceSession.isCollectorLockHeld(r));
        assertTrue(Files.readString(o.resolve(TraceFormat.LOG_FILE)).contains("collector exiting"));
    }

    @Test
    void shouldExitAtOnceWhenAnotherCollectorHoldsTheLock() throws Exception
    {
        final Path r = Files.createDirectories(tmp.resolve("run"));
        final int fd = CollectorMain.tryLock(r);
        assertTrue(fd >= 0);
        try
        {
            assertEquals(CollectorMain.EXIT_OK,
                CollectorMain.run(new String[] {"--session-dir", r.toString(), "--output-dir", tmp.toString()}));
            assertTrue(Files.readString(tmp.resolve(TraceFormat.LOG_FILE)).contains("another collector"));
        }
        finally
        {
            io.iotrace.core.nativeio.NativeIo.close(fd);
        }
    }

    @Test
    void shouldRejectBadArguments()
    {
        final PrintStream err = System.err;
        System.setErr(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try
        {
            assertEquals(CollectorMain.EXIT_WRONG_ARGUMENTS, CollectorMain.run(new String[] {"--bogus", "x"}));
            assertEquals(CollectorMain.EXIT_WRONG_ARGUMENTS, CollectorMain.run(new String[] {"--session-dir"}));
            assertEquals(CollectorMain.EXIT_WRONG_ARGUMENTS, CollectorMain.run(new String[] {"recover"}));
        }
        finally
        {
            System.setErr(err);
        }
    }

    @Test
    void shouldRecoverAnOutputDirAndPrintOneSummaryLine() throws Exception
    {
        final Path o = Files.createDirectories(tmp.resolve("o"));
        final int pid = CollectorTest.deadPid();
        RingFileWriter.writeSpill(SessionScanner.spillFile(o, pid, 0), new RingFileWriter.Header().pid(pid),
            new EventEncoder[] {EventEncoder.event(table.byName("close")).slot("fd", 1)}, 0);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(0, Recover.run(o, new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8)));
        final String summary = out.toString(StandardCharsets.UTF_8);
        assertEquals(1, summary.lines().count(), summary);
        assertTrue(summary.contains("1 spill files recovered, 1 records"), summary);
        assertEquals(1, JsonLines.readCalls(o.resolve("testhost_" + pid + "_0.jsonl")).size());
    }
}
