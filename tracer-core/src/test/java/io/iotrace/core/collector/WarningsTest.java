package io.iotrace.core.collector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Two collectors of one output directory (one finishing while the next starts) append to the same
 * iotrace-warnings.jsonl: every line stays whole, and each writer's warnings keep their order.
 */
class WarningsTest
{
    private static final int PER_WRITER = 3_000;

    @TempDir
    Path work;

    @Test
    void shouldKeepEveryLineWholeWhenTwoCollectorsAppend() throws Exception
    {
        final Path file = work.resolve("iotrace-warnings.jsonl");
        final CountDownLatch start = new CountDownLatch(1);
        final Thread[] writers = new Thread[2];
        for (int w = 0; w < writers.length; w++)
        {
            final int pid = 100 + w;
            writers[w] = Thread.ofPlatform().start(() ->
            {
                final CollectorLog log = new CollectorLog(null, null);
                try (Warnings warnings = new Warnings(file, log))
                {
                    start.await();
                    for (int i = 0; i < PER_WRITER; i++)
                    {
                        // lengths from a few bytes to beyond the 64 KiB output buffer
                        warnings.warn(pid, 0, "write", i, "warning " + i + " " + "x".repeat((i * 977) % 70_000));
                    }
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            });
        }
        start.countDown();
        for (final Thread writer : writers)
        {
            writer.join();
        }

        final ObjectMapper mapper = new ObjectMapper();
        final List<String> lines = Files.readAllLines(file);
        assertEquals(2 * PER_WRITER, lines.size());
        final Map<Integer, Integer> next = new HashMap<>(Map.of(100, 0, 101, 0));
        for (final String line : lines)
        {
            final JsonNode warning = mapper.readTree(line); // a line cut by the other writer does not parse
            final int pid = warning.get("pid").asInt();
            final int i = next.get(pid);
            assertEquals(i, warning.get("handle").asInt(), "writer " + pid + "'s order");
            assertEquals("warning " + i + " " + "x".repeat((i * 977) % 70_000), warning.get("message").asText());
            next.put(pid, i + 1);
        }
    }
}
