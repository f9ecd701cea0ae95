package io.iotrace.core.it;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 8's scale: 64 threads in one process; a process opening and closing 1,000,000 files. */
class ScaleTest
{
    @TempDir
    Path work;

    @Test
    void shouldRecordEveryWriteOfSixtyFourThreadsInPerThreadOrder() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program("threads", data.toString(), "64", "2000").run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final TraceRecords trace = run.records();
        final Map<Long, List<JsonNode>> byTid = trace.callsByTid();
        assertEquals(65, byTid.size(), "main + 64 threads");
        int writers = 0;
        for (final List<JsonNode> calls : byTid.values())
        {
            final List<JsonNode> writes = calls.stream().filter(r -> "write".equals(TraceRecords.functionName(r)))
                .toList();
            if (writes.isEmpty())
            {
                continue;
            }
            writers++;
            assertEquals("", TraceRecords.sequenceDefects(writes, 2000, 64));
            final String file = TraceRecords.filename(writes.get(0));
            assertTrue(file.startsWith(data.resolve("thread-").toString()), file);
            writes.forEach(w -> assertEquals(file, TraceRecords.filename(w)));
        }
        assertEquals(64, writers);
        assertTrue(trace.warnings().isEmpty(), trace.warnings().toString());
    }

    /** 2,000,000 records: counted with a streaming parser, never held in memory. */
    @Test
    void shouldRecordAMillionOpenCloseCyclesWithTheirFilenames() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final Path traceDir = work.resolve("trace");
        final TracedRun.Outcome run = TracedRun.program("open_close", data.toString(), "1000000")
            .traceDir(traceDir).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        assertEquals("cycles 1000000", run.stdout().strip());

        final Map<String, Long> calls = new TreeMap<>();
        long outsideData = 0;
        final JsonFactory factory = new JsonFactory();
        try (Stream<Path> files = Files.list(traceDir))
        {
            for (final Path file : files.filter(f -> f.getFileName().toString().matches(".*_\\d+_\\d+\\.jsonl"))
                .toList())
            {
                try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8))
                {
                    String line;
                    while (null != (line = reader.readLine()))
                    {
                        String function = null;
                        String filename = null;
                        try (JsonParser parser = factory.createParser(line))
                        {
                            parser.nextToken();
                            while (JsonToken.END_OBJECT != parser.nextToken())
                            {
                                final String field = parser.currentName();
                                parser.nextToken();
                                if ("function_name".equals(field))
                                {
                                    function = parser.getText();
                                }
                                else if ("traced_filename".equals(field))
                                {
                                    filename = parser.getText();
                                }
                                parser.skipChildren();
                            }
                        }
                        calls.merge(function, 1L, Long::sum);
                        if (("open".equals(function) || "close".equals(function)) &&
                            !filename.startsWith(data.resolve("f-").toString()))
                        {
                            outsideData++;
                        }
                    }
                }
            }
        }
        assertEquals(1_000_000L, calls.get("open"), calls.toString());
        assertEquals(1_000_000L, calls.getOrDefault("close", 0L), calls.toString());
        assertEquals(0, outsideData, "every open and close is named after its file");
        // no warning but, possibly, that the program waited for ring space while the new collector started (its
        // JVM and JIT take ~0.3-1 s; 2 M records outgrow the ring meanwhile): a fact about timing, not about the trace
        final Path warnings = traceDir.resolve("iotrace-warnings.jsonl");
        final List<String> other = Files.exists(warnings) ? Files.readAllLines(warnings).stream()
            .filter(w -> !w.contains("records waited for ring space")).toList() : List.of();
        assertEquals(List.of(), other, "no warnings");
    }

    /** 10,000 files open at once: every open, write and close named after its own file. */
    @Test
    void shouldNameEveryOneOfTenThousandFilesOpenAtOnce() throws Exception
    {
        final int files = 10_000;
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program("many_open", data.toString(), Integer.toString(files))
            .run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        assertEquals("open " + files, run.stdout().strip());
        final TraceRecords trace = run.records().withoutStdoutReport();
        for (final String function : List.of("open", "write", "close"))
        {
            final List<JsonNode> records = trace.function(function);
            assertEquals(files, records.size(), function);
            for (int i = 0; i < files; i++)
            {
                assertEquals(data.resolve("m-" + i).toString(), TraceRecords.filename(records.get(i)), function + " " + i);
            }
        }
        assertEquals(List.of(), trace.warnings());
    }

    /**
     * 10,000,000 events in one run (burst: 8-byte writes to /dev/null), written gzip-compressed
     * (~12 bytes per event instead of ~320: 120 MB instead of 3 GB) and counted line by line while decompressing.
     */
    @Test
    void shouldRecordTenMillionEventsInOneRun() throws Exception
    {
        final long events = 10_000_000L;
        final Path traceDir = work.resolve("trace");
        final TracedRun.Outcome run = TracedRun.program("burst", Long.toString(events)).traceDir(traceDir)
            .env("IOTRACE_COMPRESS", "gzip").run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        long writes = 0;
        long others = 0;
        try (Stream<Path> list = Files.list(traceDir))
        {
            for (final Path file : list.filter(f -> f.toString().endsWith(".jsonl.gz")).toList())
            {
                try (BufferedReader reader = new BufferedReader(new java.io.InputStreamReader(
                    new java.util.zip.GZIPInputStream(Files.newInputStream(file), 1 << 16), StandardCharsets.UTF_8),
                    1 << 16))
                {
                    String line;
                    while (null != (line = reader.readLine()))
                    {
                        // our own field order: traced_filename first, function_name after the ids
                        if (line.startsWith("{\"traced_filename\":\"/dev/null\"") &&
                            line.contains("\"function_name\":\"write\"") && line.contains("\"written_bytes\":8}"))
                        {
                            writes++;
                        }
                        else
                        {
                            others++;
                        }
                    }
                }
            }
        }
        assertEquals(events, writes, others + " other records");
        assertTrue(others < 100, others + " other records");
        final Path warnings = traceDir.resolve("iotrace-warnings.jsonl");
        assertTrue(!Files.exists(warnings) || !Files.readString(warnings).contains("lost"), "nothing lost");
    }
}
