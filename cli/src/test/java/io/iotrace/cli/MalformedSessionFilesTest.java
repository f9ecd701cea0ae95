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
        assertEquals(0, CliHarness.trace(traceDir, Map.of("IOTRACE_COLLECTOR", "none"), program("basic_io"),
            Files.createDirectories(work.resolve("data")).toString()));
        final Path runtimeDir = TraceSession.runtimeDirFor(traceDir);
        final Path good;
        try (var rings = Files.list(runtimeDir))
        {
            good = rings.filter(p -> p.toString().endsWith(".ring")).findFirst().orElseThrow();
        }
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
}
