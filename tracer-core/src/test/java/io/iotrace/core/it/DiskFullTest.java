package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.iotrace.core.it.TraceRecords.data;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 8: the trace directory's disk fills up while the program runs (a 4 MiB tmpfs mounted for the test; needs
 * root, as in CI). The program runs to completion unchanged, the JSON file ends with a complete record (the partial
 * batch is cut off), and one warning says how many records were not written and why; the records written plus those
 * counted as not written are exactly the records of the same run on a roomy disk.
 */
class DiskFullTest
{
    private static final int WRITES = 50_000;

    @TempDir
    Path work;

    private Path mountPoint;

    @AfterEach
    void unmount() throws Exception
    {
        if (null != mountPoint)
        {
            // lazy: the collector may still be closing its log in there for a moment after it let its lock go
            new ProcessBuilder("umount", "-l", mountPoint.toString()).inheritIO().start().waitFor();
        }
    }

    @Test
    void shouldRunTheProgramToCompletionAndSayWhatWasNotWritten() throws Exception
    {
        final Path full = Files.createDirectories(work.resolve("small-disk"));
        final Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", full.toString())
            .redirectErrorStream(true).start();
        final String mountOutput = new String(mount.getInputStream().readAllBytes());
        Assumptions.assumeTrue(0 == mount.waitFor(), "mounting a small tmpfs needs root: " + mountOutput);
        mountPoint = full;

        final Path roomy = work.resolve("roomy");
        final TracedRun.Outcome reference = TracedRun.program("write_loop", roomy.resolve("out").toString(),
            Integer.toString(WRITES), "61").traceDir(roomy.resolve("trace")).run(Files.createDirectories(roomy));
        final long expectedRecords = reference.records().all().size();

        final Path data = Files.createDirectories(work.resolve("data"));
        final Path traceDir = full.resolve("trace");
        final TracedRun.Outcome run = TracedRun.program("write_loop", data.resolve("out").toString(),
            Integer.toString(WRITES), "61").traceDir(traceDir).run(data);
        assertEquals(0, run.exitStatus(), run.stderr());
        assertEquals("", run.stderr(), "nothing on the program's stderr");
        assertEquals(reference.stdout(), run.stdout());
        assertEquals(Files.size(roomy.resolve("out")), Files.size(data.resolve("out")), "the program's own output");

        final TraceRecords trace = TraceRecords.load(traceDir); // every line parses: the file ends with a record
        final List<JsonNode> warnings = trace.warnings().stream()
            .filter(w -> w.get("message").asText().contains("records not written")).toList();
        assertEquals(1, warnings.size(), trace.warnings().toString());
        final String message = warnings.get(0).get("message").asText();
        assertTrue(message.contains("No space left on device"), message);
        final Matcher count = Pattern.compile("^(\\d+) records not written").matcher(message);
        assertTrue(count.find(), message);
        final long notWritten = Long.parseLong(count.group(1));
        final long written = trace.all().size();
        assertTrue(written > 0 && notWritten > 0, written + " written, " + notWritten + " not");
        assertEquals(expectedRecords, written + notWritten, "written + counted = every record of the run");

        // what was written is the start of the run, in order: write i has (i % 61) + 1 bytes
        final List<JsonNode> writes = trace.function("write");
        for (int i = 0; i < writes.size(); i++)
        {
            assertEquals(i % 61 + 1, data(writes.get(i), "written_bytes"), "write " + i);
        }
    }
}
