package io.iotrace.core.collector;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotrace.core.format.FunctionTable;
import io.iotrace.core.format.TraceFormat;
import io.iotrace.core.testing.EventEncoder;
import io.iotrace.core.testing.JsonLines;
import io.iotrace.core.testing.RingFileWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CollectorTest
{
    private static final int CAPACITY = 64 * 1024;

    @TempDir
    Path tmp;
    private Path runtimeDir;
    private Path outputDir;
    private final FunctionTable table = FunctionTable.load();
    private CollectorLog log;
    private SessionContext context;

    @BeforeEach
    void setUp() throws Exception
    {
        runtimeDir = Files.createDirectories(tmp.resolve("run"));
        outputDir = Files.createDirectories(tmp.resolve("out"));
        log = new CollectorLog(outputDir.resolve(TraceFormat.LOG_FILE), System.err);
        context = new SessionContext(outputDir, table, log);
    }

    @AfterEach
    void tearDown()
    {
        context.close();
        log.close();
    }

    static int deadPid() throws Exception
    {
        final Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return (int)p.pid();
    }

    private EventEncoder ev(final String function, final long t)
    {
        return EventEncoder.event(table.byName(function)).times(t, t + 1).tid(100);
    }

    private void runUntilEmpty(final Collector collector)
    {
        final long start = System.currentTimeMillis();
        collector.scan(start);
        for (int i = 0; i < 1000 && !collector.isEmpty(); i++)
        {
            collector.scan(start + i * Collector.LIVENESS_INTERVAL_MS);
            collector.doWork(start + i * Collector.LIVENESS_INTERVAL_MS);
        }
        collector.flush();
    }

    /** Duty cycles (now, so nobody looks dead) until one finds nothing; then flush. @return records read. */
    private static int drainLive(final Collector collector)
    {
        int read = 0;
        int got;
        while ((got = collector.doWork(System.currentTimeMillis())) > 0)
        {
            read += got;
        }
        collector.flush();
        return read;
    }

    /** The incarnation's trace holds records 0..count-1 (their time_start) in order, each once. */
    private void assertEveryRecordInItsPlace(final int pid, final int count)
    {
        final List<JsonNode> r = records(pid, 0);
        assertEquals(count, r.size());
        for (int i = 0; i < count; i++)
        {
            assertEquals(i, r.get(i).get("time_start").asLong(), "record " + i + " in its place");
        }
    }

    private List<JsonNode> records(final int pid, final int inc)
    {
        final List<JsonNode> records = JsonLines.readCalls(outputDir.resolve("testhost_" + pid + "_" + inc + ".jsonl"));
        JsonLines.assertValid(records);
        return records;
    }

    @Test
    void shouldDecodeResolveAndRetireARingOfADeadProducer() throws Exception
    {
        final int pid = deadPid();
        final int child = deadPid();
        final Path ringPath = runtimeDir.resolve(pid + "-0.ring");
        try (RingFileWriter ring = new RingFileWriter(ringPath, new RingFileWriter.Header().pid(pid), CAPACITY))
        {
            ring.write(ev("fd_discovered", 1).slot("fd", 1).slot("how", 0).string("path", "/dev/pts/0"));
            ring.write(ev("open", 10).result(3).slot("flags", 0102).slot("mode", 0644).string("path", "data.txt"));
            ring.write(ev("read", 20).result(12).slot("fd", 3).slot("count", 100));
            ring.write(ev("fork", 25).result(child));
            ring.write(ev("openat", 26).failed(2).slot("dirfd", -100).slot("flags", 0).string("path", "../no"));
            ring.write(ev("dup2", 27).result(7).slot("oldfd", 3).slot("newfd", 7));
            ring.write(ev("write", 28).result(5).slot("fd", 7).slot("count", 5));
            ring.write(ev("close", 30).slot("fd", 3));
            ring.write(ev("write", 40).result(5).slot("fd", 1).slot("count", 5));
            ring.write(ev("read", 50).result(5).slot("fd", 9).slot("count", 5));
            ring.write(ev("fopen", 60).result(0x5000).slot("fd", 4).string("path", "/abs/s.txt").string("mode", "r"));
            ring.write(ev("fread", 61).result(2).slot("stream", 0x5000).slot("fd", 4).slot("size", 8)
                .slot("nmemb", 4));
            ring.write(ev("fwrite", 62).result(1).slot("stream", 0x6000).slot("fd", 2).slot("size", 3)
                .slot("nmemb", 1));
            ring.write(ev("fclose", 63).slot("stream", 0x5000).slot("fd", 4));
            ring.write(ev("mmap", 70).result(0x7000_0000L).slot("length", 8192).slot("prot", 1).slot("flags", 1)
                .slot("fd", 7));
            ring.write(ev("munmap", 71).slot("addr", 0x7000_0000L).slot("length", 8192));
            ring.write(ev("chdir", 80).string("path", "/tmp"));
            ring.write(ev("open", 81).result(3).slot("flags", 0).string("path", "x/../y"));
            ring.write(EventEncoder.event(table.byName("execve")).times(90, 90).tid(100)
                .status(TraceFormat.STATUS_IN_FLIGHT).string("path", "/bin/nope").argv("argv", "nope", "-x"));
            ring.write(ev("execve", 90).times(90, 95).failed(2).string("path", "/bin/nope").argv("argv", "nope"));
            ring.write(999, new byte[40]);
            ring.write(EventEncoder.event(table.byName("execve")).times(100, 100).tid(100)
                .status(TraceFormat.STATUS_IN_FLIGHT).string("path", "/bin/true").argv("argv", "true"));
            ring.lostEvents(3);
        }
        final Path childRing = runtimeDir.resolve(child + "-0.ring");
        try (RingFileWriter ring = new RingFileWriter(childRing, new RingFileWriter.Header().pid(child).ppid(pid)
            .origin(TraceFormat.ORIGIN_FORK).startTimeNs(2), CAPACITY))
        {
            ring.write(ev("read", 26).tid(child).result(1).slot("fd", 3).slot("count", 1));
        }

        final Collector collector = new Collector(Collector.Mode.COLLECT, runtimeDir, context);
        runUntilEmpty(collector);
        assertTrue(collector.isEmpty());
        assertFalse(Files.exists(ringPath), "ring deleted");
        assertFalse(Files.exists(childRing), "child ring deleted");

        final List<JsonNode> r = records(pid, 0);
        int i = 0;
        assertEquals("fd_discovered", r.get(i).get("function_name").asText());
        assertEquals("/dev/pts/0", r.get(i).get("traced_filename").asText());
        assertEquals("{\"fd\":1,\"how\":\"start\"}", r.get(i++).get("function_data").toString());
        assertEquals("/work/dir/data.txt", r.get(i).get("traced_filename").asText());
        assertEquals(3, r.get(i++).get("file_type").get("descriptor").asInt());
        assertEquals("/work/dir/data.txt", r.get(i).get("traced_filename").asText());
        assertEquals(12, r.get(i++).get("function_data").get("read_bytes").asInt());
        assertEquals("<not a file>", r.get(i).get("traced_filename").asText());
        assertEquals(child, r.get(i++).get("function_data").get("pid").asInt());
        assertEquals("/work/no", r.get(i).get("traced_filename").asText(), "failed open still names the file");
        assertFalse(r.get(i).has("file_type"));
        assertEquals("No such file or directory", r.get(i++).get("return_state_detail").get("errno_text").asText());
        assertEquals("dup2", r.get(i).get("function_name").asText());
        assertEquals(7, r.get(i++).get("file_type").get("descriptor").asInt());
        assertEquals("/work/dir/data.txt", r.get(i++).get("traced_filename").asText(), "write via dup2'ed fd");
        assertEquals("/work/dir/data.txt", r.get(i++).get("traced_filename").asText(), "close");
        assertEquals("/dev/pts/0", r.get(i++).get("traced_filename").asText());
        assertEquals("<unresolved>", r.get(i++).get("traced_filename").asText(), "read of unknown fd 9");
        assertEquals("/abs/s.txt", r.get(i).get("traced_filename").asText());
        assertEquals("0x5000", r.get(i++).get("file_type").get("stream").asText());
        assertEquals("/abs/s.txt", r.get(i).get("traced_filename").asText());
        assertEquals(16, r.get(i++).get("function_data").get("read_bytes").asInt());
        assertEquals("<unresolved>", r.get(i++).get("traced_filename").asText(), "stderr stream, fd 2 not known");
        assertEquals("/abs/s.txt", r.get(i++).get("traced_filename").asText(), "fclose");
        assertEquals("/work/dir/data.txt", r.get(i++).get("traced_filename").asText(), "mmap of fd 7");
        assertEquals("/work/dir/data.txt", r.get(i).get("traced_filename").asText(), "munmap");
        assertEquals("{\"address\":\"0x70000000\",\"length\":8192}", r.get(i++).get("file_type").toString());
        assertEquals("/tmp", r.get(i++).get("traced_filename").asText());
        assertEquals("/tmp/y", r.get(i++).get("traced_filename").asText(), "open after chdir");
        assertEquals("execve", r.get(i).get("function_name").asText(), "in-flight replaced by its completion");
        assertEquals("error", r.get(i++).get("return_state").asText());
        assertEquals("unknown_999", r.get(i++).get("function_name").asText());
        assertEquals("execve", r.get(i).get("function_name").asText(), "pending in-flight written at the end");
        assertEquals("ok", r.get(i).get("return_state").asText());
        assertEquals("/bin/true", r.get(i++).get("traced_filename").asText());
        assertEquals(i, r.size());

        final List<JsonNode> c = records(child, 0);
        assertEquals(1, c.size());
        assertEquals("/work/dir/data.txt", c.getFirst().get("traced_filename").asText(), "inherited at fork");
        assertEquals(pid, c.getFirst().get("ppid").asInt());

        final String warnings = Files.readString(outputDir.resolve(TraceFormat.WARNINGS_FILE));
        assertTrue(warnings.contains("\"handle\":9"), warnings);
        assertTrue(warnings.contains("unknown_999"), warnings);
        assertTrue(warnings.contains("3 events lost"), warnings);
        for (final JsonNode w : JsonLines.parse(warnings))
        {
            assertTrue(w.has("pid") && w.has("incarnation") && w.has("message"), w.toString());
        }
    }

    @Test
    void shouldDrainALiveRingAndKeepItsHeartbeatFresh() throws Exception
    {
        final int pid = (int)ProcessHandle.current().pid();
        final Path ringPath = runtimeDir.resolve(pid + "-0.ring");
        try (RingFileWriter ring = new RingFileWriter(ringPath, new RingFileWriter.Header().pid(pid), CAPACITY))
        {
            final Collector collector = new Collector(Collector.Mode.COLLECT, runtimeDir, context);
            collector.scan(System.currentTimeMillis());
            assertEquals(1, collector.size());
            for (int round = 0; round < 3; round++)
            {
                for (int n = 0; n < 1000; n++)
                {
                    assertTrue(ring.write(ev("write", n).result(1).slot("fd", 1).slot("count", 1)));
                }
                final long now = System.currentTimeMillis() + round * 1000;
                int read = 0;
                int got;
                while ((got = collector.doWork(now)) > 0)
                {
                    read += got;
                }
                collector.heartbeat(now);
                assertEquals(1000, read);
                assertEquals(now, ring.consumerHeartbeat());
            }
            collector.flush();
            assertEquals(3000, records(pid, 0).size());
            assertTrue(Files.exists(ringPath), "live ring stays");
            collector.close();
        }
    }

    @Test
    void shouldMoveARingThatIsBehindIntoItsBacklogAndKeepEveryRecordOnceInOrder() throws Exception
    {
        final int pid = (int)ProcessHandle.current().pid();
        final Path ringPath = runtimeDir.resolve(pid + "-0.ring");
        final Path backlog = SessionScanner.backlogFile(outputDir, pid, 0);
        final int capacity = 1 << 20;
        try (RingFileWriter ring = new RingFileWriter(ringPath, new RingFileWriter.Header().pid(pid), capacity))
        {
            final Collector collector = new Collector(Collector.Mode.COLLECT, runtimeDir, context);
            collector.scan(System.currentTimeMillis());
            int written = 0;
            // more than a quarter of the ring and more than one duty cycle reads: the ring goes to the backlog
            while (ring.ring().producerPosition() < capacity / 2)
            {
                assertTrue(ring.write(ev("write", written++).result(1).slot("fd", 1).slot("count", 1)));
            }
            assertTrue(written > Collector.READ_LIMIT, "records: " + written);
            final long now = System.currentTimeMillis();
            assertEquals(Collector.READ_LIMIT, collector.doWork(now));
            assertEquals(ring.ring().producerPosition(), ring.ring().consumerPosition(),
                "every complete record left the ring at once");
            assertTrue(Files.size(backlog) > TraceFormat.RING_HEADER_LENGTH, "the records wait in " + backlog);

            // records written now are later than those in the backlog: they must not overtake them
            final int later = written + 1000;
            while (written < later)
            {
                assertTrue(ring.write(ev("write", written++).result(1).slot("fd", 1).slot("count", 1)));
            }
            assertEquals(written, Collector.READ_LIMIT + drainLive(collector));
            assertEquals(TraceFormat.RING_HEADER_LENGTH, Files.size(backlog), "an emptied backlog is reset");
            assertEveryRecordInItsPlace(pid, written);
            collector.close();
            assertTrue(Files.exists(backlog), "a live incarnation's backlog stays");
        }
    }

    @Test
    void shouldTakeOverTheBacklogsMadeWhileTheFunctionTableLoaded() throws Exception
    {
        final int pid = (int)ProcessHandle.current().pid();
        final Path backlog = SessionScanner.backlogFile(outputDir, pid, 0);
        try (RingFileWriter ring = new RingFileWriter(runtimeDir.resolve(pid + "-0.ring"),
            new RingFileWriter.Header().pid(pid), CAPACITY))
        {
            int written = 0;
            try (StartupBacklogs startup = new StartupBacklogs(runtimeDir, outputDir))
            {
                startup.moveWhereBehind();
                assertFalse(Files.exists(backlog), "a ring less than a quarter full stays as it is");
                for (int round = 0; round < 3; round++)
                {
                    while (ring.ring().producerPosition() - ring.ring().consumerPosition() < CAPACITY / 2)
                    {
                        assertTrue(ring.write(ev("write", written++).result(1).slot("fd", 1).slot("count", 1)));
                    }
                    startup.moveWhereBehind();
                    assertEquals(ring.ring().producerPosition(), ring.ring().consumerPosition(), "round " + round);
                }
            }
            assertTrue(written > CAPACITY / 64, "more records than the ring holds: " + written);
            final Collector collector = new Collector(Collector.Mode.COLLECT, runtimeDir, context);
            collector.scan(System.currentTimeMillis());
            assertEquals(written, drainLive(collector));
            assertEveryRecordInItsPlace(pid, written);
            collector.close();
        }
    }

    @Test
    void shouldReadTheRingDirectlyWhenNoBacklogCanBeWritten() throws Exception
    {
        Files.writeString(outputDir.resolve(TraceFormat.SPILL_DIR), "a file where the directory should be");
        final int pid = (int)ProcessHandle.current().pid();
        try (RingFileWriter ring = new RingFileWriter(runtimeDir.resolve(pid + "-0.ring"),
            new RingFileWriter.Header().pid(pid), CAPACITY))
        {
            final Collector collector = new Collector(Collector.Mode.COLLECT, runtimeDir, context);
            collector.scan(System.currentTimeMillis());
            int written = 0;
            while (ring.ring().producerPosition() < CAPACITY / 2)
            {
                assertTrue(ring.write(ev("write", written++).result(1).slot("fd", 1).slot("count", 1)));
            }
            assertEquals(written, drainLive(collector));
            assertEveryRecordInItsPlace(pid, written);
            assertTrue(Files.readString(outputDir.resolve(TraceFormat.LOG_FILE)).contains(
                "no backlog any more"), "the fallback is logged");
            collector.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Collector.Mode.class)
    void shouldReadABacklogAnEarlierCollectorLeftFirstAndEachRecordOnce(final Collector.Mode mode) throws Exception
    {
        final int pid = deadPid();
        final RingFileWriter.Header header = new RingFileWriter.Header().pid(pid);
        final EventEncoder[] events = new EventEncoder[100];
        for (int i = 0; i < events.length; i++)
        {
            events[i] = 10 == i ? ev("open", i).result(3).string("path", "/b") :
                ev("read", i).result(1).slot("fd", 3).slot("count", 1);
        }
        // killed between moving records 0..49 into the backlog and consuming them from the ring, after the JSON
        // of records 0..9 had been flushed (that file is gone here: they are not expected again), in the middle
        // of moving 50..59 once more
        final long ringEnd = RingFileWriter.frame(events, 50).length;
        RingFileWriter.writeBacklog(SessionScanner.backlogFile(outputDir, pid, 0), header,
            java.util.Arrays.copyOf(events, 60), 10, 50, ringEnd);
        try (RingFileWriter ring = new RingFileWriter(runtimeDir.resolve(pid + "-0.ring"), header, CAPACITY))
        {
            for (final EventEncoder event : events)
            {
                assertTrue(ring.write(event));
            }
        }
        final Collector collector = new Collector(mode, runtimeDir, context);
        runUntilEmpty(collector);
        final List<JsonNode> r = records(pid, 0);
        assertEquals(90, r.size());
        for (int i = 0; i < r.size(); i++)
        {
            assertEquals(10 + i, r.get(i).get("time_start").asLong(), "record " + i);
        }
        assertEquals("open", r.getFirst().get("function_name").asText());
        assertEquals("/b", r.get(89).get("traced_filename").asText(), "handles resolve across backlog and ring");
        assertEquals(0, collector.unreadable());
        assertFalse(Files.exists(SessionScanner.backlogFile(outputDir, pid, 0)), "backlog deleted");
        assertFalse(Files.exists(runtimeDir.resolve(pid + "-0.ring")), "ring deleted");
    }

    @Test
    void shouldReadOnPastAPaddingRecordAtTheConsumerPosition() throws Exception
    {
        final int pid = deadPid();
        try (RingFileWriter ring = new RingFileWriter(runtimeDir.resolve(pid + "-0.ring"),
            new RingFileWriter.Header().pid(pid), CAPACITY))
        {
            // an earlier collector read everything up to a few bytes before the end of the data area
            int written = 0;
            while (ring.ring().producerPosition() < CAPACITY - 40)
            {
                assertTrue(ring.write(ev("read", written++).result(1).slot("fd", 1).slot("count", 1)));
            }
            ring.ring().read((type, buffer, index, length) -> { }, Integer.MAX_VALUE);
            // the next record does not fit there: a padding record, then the record at the start
            assertTrue(ring.write(ev("close", written).slot("fd", 1)));
        }
        final RingSource source = RingSource.map(runtimeDir.resolve(pid + "-0.ring"));
        try
        {
            final List<Integer> types = new java.util.ArrayList<>();
            assertEquals(1, source.read((type, buffer, index, length) -> types.add(type), () -> { }, 10),
                "a read that steps over the padding goes on to the record after it (a retire stops at 0)");
            assertEquals(List.of(table.byName("close").id()), types);
            assertFalse(source.hasRecords());
        }
        finally
        {
            source.close();
        }
    }

    @Test
    void shouldNameACorruptBacklogAndGoOnWithTheRing() throws Exception
    {
        final int pid = deadPid();
        final RingFileWriter.Header header = new RingFileWriter.Header().pid(pid);
        final EventEncoder[] events = new EventEncoder[20];
        for (int i = 0; i < events.length; i++)
        {
            events[i] = ev("read", i).result(1).slot("fd", 1).slot("count", 1);
        }
        final Path backlog = SessionScanner.backlogFile(outputDir, pid, 0);
        final long ringEnd = RingFileWriter.frame(events, 10).length;
        RingFileWriter.writeBacklog(backlog, header, java.util.Arrays.copyOf(events, 12), 0, 10, ringEnd);
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(backlog,
            java.nio.file.StandardOpenOption.WRITE))
        {
            // its end 8 bytes into record 10: a record that runs past the end
            final java.nio.ByteBuffer end = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putLong(TraceFormat.RING_HEADER_LENGTH + ringEnd + 8).flip();
            channel.write(end, TraceFormat.HDR_BACKLOG_END_OFFSET);
        }
        try (RingFileWriter ring = new RingFileWriter(runtimeDir.resolve(pid + "-0.ring"), header, CAPACITY))
        {
            for (final EventEncoder event : events)
            {
                assertTrue(ring.write(event));
            }
        }
        final Collector collector = new Collector(Collector.Mode.RECOVER, runtimeDir, context);
        runUntilEmpty(collector);
        assertEveryRecordInItsPlace(pid, 20); // 0..9 from the backlog, 10.. from the ring
        assertEquals(1, collector.unreadable());
        assertTrue(Files.readString(outputDir.resolve(TraceFormat.LOG_FILE)).contains("runs past the backlog's end"));
    }

    @Test
    void shouldTakeABacklogWithAnUnfinishedHeaderForEmpty() throws Exception
    {
        final int pid = deadPid();
        final Path backlog = SessionScanner.backlogFile(outputDir, pid, 0);
        Files.createDirectories(backlog.getParent());
        Files.write(backlog, new byte[100]); // the collector was stopped while creating it
        try (RingFileWriter ring = new RingFileWriter(runtimeDir.resolve(pid + "-0.ring"),
            new RingFileWriter.Header().pid(pid), CAPACITY))
        {
            ring.write(ev("close", 1).slot("fd", 1));
        }
        final Collector collector = new Collector(Collector.Mode.RECOVER, runtimeDir, context);
        runUntilEmpty(collector);
        assertEquals(1, records(pid, 0).size());
        assertEquals(0, collector.unreadable());
        assertFalse(Files.exists(backlog));
    }

    @Test
    void shouldSkipMalformedRecordsAndRingsWithoutDying() throws Exception
    {
        final int pid = deadPid();
        final Path ringPath = runtimeDir.resolve(pid + "-0.ring");
        try (RingFileWriter ring = new RingFileWriter(ringPath, new RingFileWriter.Header().pid(pid), CAPACITY))
        {
            ring.write(table.byName("read").id(), new byte[12]);
            final byte[] open = ev("open", 1).result(3).string("path", "abc").build();
            ring.write(table.byName("open").id(), java.util.Arrays.copyOf(open, open.length - 2));
            ring.write(ev("close", 2).slot("fd", 3));
        }
        Files.write(runtimeDir.resolve("77777-0.ring"), new byte[TraceFormat.RING_HEADER_LENGTH + 1024]);
        Files.write(runtimeDir.resolve("77778-0.ring"), "garbage".repeat(4000).getBytes());
        final Collector collector = new Collector(Collector.Mode.COLLECT, runtimeDir, context);
        runUntilEmpty(collector);
        final List<JsonNode> r = records(pid, 0);
        assertEquals(1, r.size());
        assertEquals("close", r.getFirst().get("function_name").asText());
        final String warnings = Files.readString(outputDir.resolve(TraceFormat.WARNINGS_FILE));
        assertEquals(2, warnings.lines().filter(l -> l.contains("malformed record")).count(), warnings);
        assertTrue(Files.readString(outputDir.resolve(TraceFormat.LOG_FILE)).contains("77778-0.ring skipped"));
    }

    @Test
    void shouldFollowTheSpillFileAfterTheRingAndIgnoreATruncatedTail() throws Exception
    {
        final int pid = deadPid();
        final RingFileWriter.Header header = new RingFileWriter.Header().pid(pid);
        try (RingFileWriter ring = new RingFileWriter(runtimeDir.resolve(pid + "-0.ring"), header, CAPACITY))
        {
            ring.write(ev("open", 1).result(3).string("path", "/f"));
            ring.spilling(true);
        }
        final Path spill = SessionScanner.spillFile(outputDir, pid, 0);
        RingFileWriter.writeSpill(spill, header, new EventEncoder[] {
            ev("read", 2).result(7).slot("fd", 3).slot("count", 7),
            ev("execve", 3).string("path", "/bin/odd-length").argv("argv", "a", "bcd"),
            ev("close", 4).slot("fd", 3),
            ev("read", 5).result(1).slot("fd", 3) }, 5);

        final Collector collector = new Collector(Collector.Mode.COLLECT, runtimeDir, context);
        runUntilEmpty(collector);
        final List<JsonNode> r = records(pid, 0);
        assertEquals(List.of("open", "read", "execve", "close"),
            r.stream().map(n -> n.get("function_name").asText()).toList());
        assertEquals("/f", r.get(1).get("traced_filename").asText());
        assertEquals("/f", r.get(3).get("traced_filename").asText());
        assertFalse(Files.exists(spill), "spill deleted");
        assertTrue(Files.readString(outputDir.resolve(TraceFormat.LOG_FILE)).contains("truncated record"));
    }

    @Test
    void shouldRecoverSpillFilesWithoutRingAndSkipLiveProducers() throws Exception
    {
        final int dead = deadPid();
        RingFileWriter.writeSpill(SessionScanner.spillFile(outputDir, dead, 2),
            new RingFileWriter.Header().pid(dead).incarnation(2), new EventEncoder[] {
                ev("open", 1).result(4).string("path", "/r"), ev("read", 2).result(1).slot("fd", 4) }, 0);
        final int alive = (int)ProcessHandle.current().pid();
        try (RingFileWriter ring = new RingFileWriter(runtimeDir.resolve(alive + "-0.ring"),
            new RingFileWriter.Header().pid(alive), CAPACITY))
        {
            ring.write(ev("close", 1).slot("fd", 1));
            final Collector collector = new Collector(Collector.Mode.RECOVER, runtimeDir, context);
            collector.scan(System.currentTimeMillis());
            runUntilEmpty(collector);
            assertEquals(1, collector.skippedAlive());
            assertEquals(1, collector.retiredSpills());
            final List<JsonNode> r = records(dead, 2);
            assertEquals(2, r.size());
            assertEquals("/r", r.get(1).get("traced_filename").asText());
            assertTrue(Files.exists(runtimeDir.resolve(alive + "-0.ring")));
        }
    }

    @Test
    void shouldDeferAForkChildUntilItsParentsForkRecord() throws Exception
    {
        final int parent = (int)ProcessHandle.current().pid();
        final int child = deadPid();
        final Path parentRing = runtimeDir.resolve(parent + "-0.ring");
        try (RingFileWriter p = new RingFileWriter(parentRing, new RingFileWriter.Header().pid(parent), CAPACITY);
            RingFileWriter c = new RingFileWriter(runtimeDir.resolve(child + "-0.ring"),
                new RingFileWriter.Header().pid(child).ppid(parent).origin(TraceFormat.ORIGIN_FORK).startTimeNs(5),
                CAPACITY))
        {
            c.write(ev("write", 10).result(1).slot("fd", 5).tid(child));
            p.write(ev("open", 1).result(5).string("path", "/before-fork"));
            final Collector collector = new Collector(Collector.Mode.COLLECT, runtimeDir, context);
            collector.scan(System.currentTimeMillis());
            for (int i = 0; i < 5; i++)
            {
                collector.doWork(System.currentTimeMillis() + i * 200);
            }
            assertEquals(2, collector.size(), "child dead but deferred while the parent lives");
            p.write(ev("fork", 2).result(child));
            p.write(ev("close", 3).slot("fd", 5));
            for (int i = 0; i < 5; i++)
            {
                collector.doWork(System.currentTimeMillis() + 2000 + i * 200);
            }
            assertEquals(1, collector.size());
            collector.flush();
            assertEquals("/before-fork", records(child, 0).getFirst().get("traced_filename").asText());
            collector.close();
        }
    }

    @Test
    void shouldMakeRoomInAForkChildsRingWhileItWaitsForItsParentsForkRecord() throws Exception
    {
        final int parent = (int)ProcessHandle.current().pid();
        final Process sleeper = new ProcessBuilder("sleep", "60").start();
        try
        {
            final int child = (int)sleeper.pid();
            try (RingFileWriter p = new RingFileWriter(runtimeDir.resolve(parent + "-0.ring"),
                    new RingFileWriter.Header().pid(parent), CAPACITY);
                RingFileWriter c = new RingFileWriter(runtimeDir.resolve(child + "-0.ring"),
                    new RingFileWriter.Header().pid(child).ppid(parent).origin(TraceFormat.ORIGIN_FORK).startTimeNs(5),
                    CAPACITY))
            {
                p.write(ev("open", 1).result(5).string("path", "/before-fork"));
                int written = 0;
                while (c.ring().producerPosition() < CAPACITY / 2)
                {
                    assertTrue(c.write(ev("write", 10 + written++).result(1).slot("fd", 5).tid(child)));
                }
                final Collector collector = new Collector(Collector.Mode.COLLECT, runtimeDir, context);
                collector.scan(System.currentTimeMillis());
                collector.doWork(System.currentTimeMillis());
                assertEquals(c.ring().producerPosition(), c.ring().consumerPosition(),
                    "the child's records went to its backlog: the child finds room");
                p.write(ev("fork", 2).result(child));
                while (collector.doWork(System.currentTimeMillis()) > 0)
                {
                    // drain
                }
                collector.flush();
                final List<JsonNode> r = records(child, 0);
                assertEquals(written, r.size());
                for (int i = 0; i < written; i++)
                {
                    assertEquals(10 + i, r.get(i).get("time_start").asLong());
                    assertEquals("/before-fork", r.get(i).get("traced_filename").asText());
                }
                collector.close();
            }
        }
        finally
        {
            sleeper.destroyForcibly().waitFor();
        }
    }

    @Test
    void shouldRetireAnOlderIncarnationWhenANewerOneAppears() throws Exception
    {
        final int pid = (int)ProcessHandle.current().pid();
        try (RingFileWriter old = new RingFileWriter(runtimeDir.resolve(pid + "-0.ring"),
            new RingFileWriter.Header().pid(pid), CAPACITY);
            RingFileWriter next = new RingFileWriter(runtimeDir.resolve(pid + "-1.ring"),
                new RingFileWriter.Header().pid(pid).incarnation(1).origin(TraceFormat.ORIGIN_EXEC), CAPACITY))
        {
            old.write(EventEncoder.event(table.byName("execve")).times(5, 5).status(TraceFormat.STATUS_IN_FLIGHT)
                .string("path", "/bin/next").argv("argv", "next"));
            old.state(TraceFormat.STATE_EXEC_PENDING);
            next.write(ev("close", 6).slot("fd", 0));
            final Collector collector = new Collector(Collector.Mode.COLLECT, runtimeDir, context);
            collector.scan(System.currentTimeMillis());
            collector.doWork(System.currentTimeMillis() + 1000);
            assertEquals(1, collector.size());
            assertFalse(Files.exists(runtimeDir.resolve(pid + "-0.ring")));
            final List<JsonNode> r = records(pid, 0);
            assertEquals("execve", r.getFirst().get("function_name").asText());
            assertEquals("ok", r.getFirst().get("return_state").asText());
            collector.close();
        }
    }
}
