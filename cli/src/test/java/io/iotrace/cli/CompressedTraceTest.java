package io.iotrace.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.iotrace.cli.CliHarness.JSON;
import static io.iotrace.cli.CliHarness.cli;
import static io.iotrace.cli.CliHarness.program;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The readers take a compressed trace (IOTRACE_COMPRESS=gzip: .jsonl.gz files) as they take a plain one: summary
 * --json, merge and export give the same figures and records for the same program traced both ways.
 */
class CompressedTraceTest
{
    @TempDir
    Path tmp;

    @Test
    void shouldReadACompressedTraceLikeAPlainOne() throws Exception
    {
        final Path work = Files.createDirectory(tmp.resolve("work"));
        final Path plain = tmp.resolve("plain");
        final Path gzip = tmp.resolve("gzip");
        assertEquals(0, CliHarness.trace(plain, Map.of(), program("basic_io"), work.toString()));
        assertEquals(0, CliHarness.trace(gzip, Map.of("IOTRACE_COMPRESS", "gzip"), program("basic_io"),
            work.toString()));
        final List<Path> files = CliHarness.processFiles(gzip);
        assertEquals(1, files.size());
        assertTrue(files.getFirst().toString().endsWith(".jsonl.gz"), files.toString());

        final JsonNode a = JSON.readTree(cli("summary", plain.toString(), "--json").out());
        final JsonNode b = JSON.readTree(cli("summary", gzip.toString(), "--json").out());
        assertEquals(a.get("records"), b.get("records"));
        assertTrue(a.get("records").asLong() > 20, a.toString());
        assertEquals(a.get("process_files"), b.get("process_files"));

        final Path mergedPlain = tmp.resolve("a.jsonl");
        final Path mergedGzip = tmp.resolve("b.jsonl");
        assertEquals(0, cli("merge", plain.toString(), "-o", mergedPlain.toString()).status());
        assertEquals(0, cli("merge", gzip.toString(), "-o", mergedGzip.toString()).status());
        final List<String> linesPlain = Files.readAllLines(mergedPlain);
        final List<String> linesGzip = Files.readAllLines(mergedGzip);
        assertEquals(linesPlain.size(), linesGzip.size());
        for (int i = 0; i < linesPlain.size(); i++)
        {
            assertEquals(JSON.readTree(linesPlain.get(i)).get("function_name"),
                JSON.readTree(linesGzip.get(i)).get("function_name"));
        }
        final Path perfetto = tmp.resolve("b.json");
        assertEquals(0, cli("export", gzip.toString(), "-f", "perfetto", "-o", perfetto.toString()).status());
        assertTrue(JSON.readTree(perfetto.toFile()).toString().contains("basic.dat"));
    }
}
