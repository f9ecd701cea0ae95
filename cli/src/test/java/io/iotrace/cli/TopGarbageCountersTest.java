package io.iotrace.cli;

import io.iotrace.core.live.LiveCounters;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static io.iotrace.cli.CliHarness.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 8: `iotrace top` given a live counters file that is not one: one line naming the file, exit status 1. */
class TopGarbageCountersTest
{
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} bytes of noise")
    @ValueSource(ints = {LiveCounters.FILE_SIZE, LiveCounters.FILE_SIZE + 12345})
    void shouldNameAGarbageCountersFileInOneLine(final int length) throws Exception
    {
        final byte[] noise = new byte[length];
        new Random(length).nextBytes(noise);
        final Path file = Files.write(LiveCounters.fileIn(dir), noise);
        final CliHarness.Result result = cli("top", "--once", "--wait=1", dir.toString());
        assertEquals(1, result.status(), result.err());
        CliHarness.assertOneLine(result.err());
        assertEquals("iotrace top: " + file + " is not a live counters file", result.err().strip());
        assertFalse(result.err().contains("Exception"), result.err());
        assertTrue(result.out().isEmpty(), result.out());
    }
}
