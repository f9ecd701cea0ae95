package io.iotrace.cli;

import io.iotrace.core.session.TraceSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.iotrace.cli.CliHarness.cli;
import static io.iotrace.cli.CliHarness.program;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 8: `iotrace recover` given malformed ring and spill files (layouts: native-shim/include/iotrace_format.h,
 * sections 2 and 4). Each bad file gets one line naming it and the problem, never a stack trace; the good files
 * beside them are converted; the exit status says something could not be read.
 */
class MalformedSessionFilesTest
{
    private static final int HEADER = 16384;

    @TempDir
    Path work;

    /** The garbage rings are left in place by recover (they are evidence): the test removes them. */
    @org.junit.jupiter.api.AfterEach
    void removeGarbageRings() throws Exception
    {
        final Path runtimeDir = TraceSession.runtimeDirFor(work.resolve("trace"));
        if (Files.isDirectory(runtimeDir))
        {
            try (var files = Files.list(runtimeDir))
            {
                for (final Path p : files.toList())
                {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(runtimeDir);
        }
    }

    @Test
    void shouldNameEveryUnreadableFileAndConvertTheRest() throws Exception
    {
        final Path traceDir = work.resolve("trace");
        final Path good = goodRingLeftIn(traceDir);
        final Path runtimeDir = good.getParent();
        final byte[] ring = Files.readAllBytes(good);
        final Random random = new Random(8);

        final byte[] noise = new byte[100_000];
        random.nextBytes(noise);
        Files.write(runtimeDir.resolve("4000001-0.ring"), noise);
        Files.write(runtimeDir.resolve("4000002-0.ring"), new byte[0]);
        Files.write(runtimeDir.resolve("4000003-0.ring"), java.util.Arrays.copyOf(ring, 100));
        Files.write(runtimeDir.resolve("4000004-0.ring"), patched(ring, 4000004, 0, "XXXXXXXX".getBytes()));
        Files.write(runtimeDir.resolve("4000005-0.ring"), patched(ring, 4000005, 8, le(99)));          // version
        Files.write(runtimeDir.resolve("4000006-0.ring"), patched(ring, 4000006, 16, le(3 << 20)));   // capacity
        Files.write(runtimeDir.resolve("4000007-0.ring"), patched(ring, 4000007, HEADER, le(0x7fffffff)));
        Files.write(runtimeDir.resolve("4000010-0.ring"), patched(ring, 4000010, HEADER, le(0)));   // length 0
        Files.write(runtimeDir.resolve("4000011-0.ring"), patched(ring, 4000011, HEADER, le(-3)));  // odd negative
        final Path spills = Files.createDirectories(traceDir.resolve(".iotrace-spill"));
        final byte[] spillNoise = new byte[5000];
        random.nextBytes(spillNoise);
        Files.write(spills.resolve("4000008-0.spill"), spillNoise);
        Files.write(spills.resolve("4000009-0.spill"), java.util.Arrays.copyOf(spillNoise, 20));

        final CliHarness.Result result = cli("recover", traceDir.toString());
        assertEquals(1, result.status(), result.out() + result.err());
        final String all = result.out() + result.err();
        assertFalse(all.contains("\tat ") || all.contains("Exception:"), "no stack trace, no exception names: " + all);
        final List<String> lines = result.err().lines().toList();
        for (int pid = 4000001; pid <= 4000011; pid++)
        {
            final String name = pid + "-0." + (pid == 4000008 || pid == 4000009 ? "spill" : "ring");
            assertEquals(1, lines.stream().filter(l -> l.contains(name)).count(), name + " named once:\n" + all);
        }
        assertTrue(result.out().contains("11 files unreadable"), result.out());
        // the good ring beside them: converted
        assertTrue(CliHarness.processFiles(traceDir).stream().anyMatch(p -> p.getFileName().toString()
            .contains(good.getFileName().toString().replace(".ring", "") .replace("-", "_"))),
            CliHarness.processFiles(traceDir).toString());
        assertTrue(CliHarness.records(traceDir).size() >= 19, "basic_io's records recovered");
    }

    /**
     * One corruption at a time, beside the good ring of the same session: the bad file named in one line that says
     * what is wrong in words (no exception names), every record of the good ring converted, exit status 1.
     * Cases: ring record headers and trailer positions that lie (section 2b/2c of iotrace_format.h), spill records
     * of impossible length, a spill file of another format version.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
        "ring record length past the data area   | ring  | has an impossible length 33554440",
        "ring record length past the producer    | ring  | runs past the producer position",
        "ring record shorter than its header     | ring  | has an impossible length 4",
        "ring record of a huge negative length   | ring  | has a length past the end of the data area",
        "ring consumer position beyond producer  | ring  | ring trailer corrupt: consumer position 1048576",
        "ring producer position not aligned      | ring  | ring trailer corrupt",
        "ring producer position negative         | ring  | ring trailer corrupt",
        "ring capacity a power of two, too large | ring  | ring capacity 67108864 does not fit a file",
        "spill record of length 0                | spill | has an impossible length 0",
        "spill record of negative length         | spill | has an impossible length -8",
        "spill record of 1 GiB                   | spill | has an impossible length 1073741824",
        "spill file of format version 7          | spill | format version 7, expected 1"})
    void shouldNameOneCorruptionInWordsAndConvertTheGoodRing(final String corruption, final String kind,
        final String problem) throws Exception
    {
        final Path traceDir = work.resolve("trace");
        final Path good = goodRingLeftIn(traceDir);
        final Path runtimeDir = good.getParent();
        final byte[] ring = Files.readAllBytes(good);
        final ByteBuffer view = ByteBuffer.wrap(ring).order(ByteOrder.LITTLE_ENDIAN);
        final int capacity = view.getInt(16);
        final int trailer = HEADER + capacity;
        final int tail = (int)view.getLong(trailer + 128); // a short run: the producer position fits an int
        final int second = HEADER + ((view.getInt(HEADER) + 7) & ~7); // the second record's header
        final int badPid = 4100001;
        final Path bad;
        if ("ring".equals(kind))
        {
            bad = runtimeDir.resolve(badPid + "-0.ring");
            final byte[] patched = switch (corruption.substring(5).strip())
            {
                case "record length past the data area" -> patched(ring, badPid, second, le(capacity + 8));
                case "record length past the producer" -> patched(ring, badPid, second, le(tail + 4096));
                case "record shorter than its header" -> patched(ring, badPid, second, le(4));
                case "record of a huge negative length" -> patched(ring, badPid, second, le(-0x7ffffff8));
                case "consumer position beyond producer" -> patched(ring, badPid, trailer + 384, le(1 << 20));
                case "producer position not aligned" -> patched(ring, badPid, trailer + 128, le(tail + 3));
                case "producer position negative" ->
                    patched(patched(ring, badPid, trailer + 128, le(-64)), badPid, trailer + 132, le(-1));
                default -> patched(ring, badPid, 16, le(1 << 26));
            };
            Files.write(bad, patched);
        }
        else
        {
            // a spill file: the ring's header with the spill magic and capacity 0, then framed records (section 4)
            final byte[] header = patched(java.util.Arrays.copyOf(ring, HEADER), badPid, 0, "IOTRSPIL".getBytes());
            System.arraycopy(le(0), 0, header, 16, 4);
            final byte[] records = java.util.Arrays.copyOfRange(ring, HEADER, HEADER + tail);
            final ByteBuffer body = ByteBuffer.allocate(records.length + 72).order(ByteOrder.LITTLE_ENDIAN);
            switch (problem.replaceAll("[^0-9-]+", " ").strip().split(" ")[0])
            {
                case "0" -> body.putInt(0).putInt(1).put(new byte[64]);
                case "-8" -> body.putInt(-8).putInt(1).put(new byte[64]);
                case "1073741824" -> body.putInt(1 << 30).putInt(1).put(new byte[64]);
                default -> System.arraycopy(le(7), 0, header, 8, 4); // format version 7, good records
            }
            body.put(records);
            bad = Files.createDirectories(traceDir.resolve(".iotrace-spill")).resolve(badPid + "-0.spill");
            final byte[] all = new byte[HEADER + body.position()];
            System.arraycopy(header, 0, all, 0, HEADER);
            System.arraycopy(body.array(), 0, all, HEADER, body.position());
            Files.write(bad, all);
        }

        final CliHarness.Result result = cli("recover", traceDir.toString());
        final String all = result.out() + result.err();
        assertEquals(1, result.status(), all);
        assertFalse(all.contains("\tat ") || all.contains("Exception"), "no stack trace, no exception names: " + all);
        final List<String> named = result.err().lines().filter(l -> l.contains(bad.toString())).toList();
        assertEquals(1, named.size(), all);
        assertTrue(named.get(0).contains(problem), named.get(0));
        assertTrue(result.out().contains("1 files unreadable"), result.out());
        final int goodPid = view.getInt(20);
        final List<com.fasterxml.jackson.databind.JsonNode> goodRecords = CliHarness.records(traceDir).stream()
            .filter(r -> goodPid == r.get("pid").asInt()).toList();
        assertEquals(19, goodRecords.stream().map(r -> r.get("function_name").asText())
            .filter(f -> !"process_start".equals(f) && !"fd_discovered".equals(f)).count(),
            "basic_io's 19 calls, from the good ring: " + goodRecords.size());
    }

    private static byte[] le(final int value)
    {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array();
    }

    /** The good ring as another pid's (header pid at byte 20), with bytes at offset replaced. */
    private static byte[] patched(final byte[] ring, final int pid, final int offset, final byte[] bytes)
    {
        final byte[] copy = ring.clone();
        System.arraycopy(le(pid), 0, copy, 20, 4);
        System.arraycopy(bytes, 0, copy, offset, bytes.length);
        return copy;
    }

    /** basic_io traced with no collector: its ring (19 calls) is left in the session's runtime directory. */
    private Path goodRingLeftIn(final Path traceDir) throws Exception
    {
        assertEquals(0, CliHarness.trace(traceDir, Map.of("IOTRACE_COLLECTOR", "none"), program("basic_io"),
            Files.createDirectories(work.resolve("data")).toString()));
        try (var rings = Files.list(TraceSession.runtimeDirFor(traceDir)))
        {
            return rings.filter(p -> p.toString().endsWith(".ring")).findFirst().orElseThrow();
        }
    }
}
