package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotrace.core.summary.TraceFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * IOTRACE_COMPRESS=gzip: the collector writes every process trace as a .jsonl.gz (valid gzip, no plain file
 * beside it) holding the same records as a plain run of the same program; the records are
 * also the same when the compressed trace is converted by recover from rings left without a collector.
 */
class CompressedOutputTest
{
    @TempDir
    Path work;

    @Test
    void shouldWriteTheSameRecordsCompressed() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TraceRecords plain = run(data, "plain", false, false);
        final TraceRecords compressed = run(data, "gzip", true, false);
        final TraceRecords recovered = run(data, "gzip-recovered", true, true);
        assertTrue(plain.calls().size() > 40, "fork_child and threads make many calls");
        for (final TraceRecords gz : List.of(compressed, recovered))
        {
            assertEquals(plain.files().size(), gz.files().size());
            for (final Path file : gz.files())
            {
                assertTrue(file.getFileName().toString().endsWith(".jsonl.gz"), file.toString());
                assertTrue(Files.notExists(file.resolveSibling(file.getFileName().toString().replace(".gz", ""))));
                try (InputStream in = new GZIPInputStream(Files.newInputStream(file)))
                {
                    assertTrue(in.readAllBytes().length > 0, "a complete gzip stream: " + file);
                }
            }
            assertEquals(summary(plain), summary(gz));
        }
    }

    /** Runs basic_io, fork_child and threads into one trace dir; recover: without a collector, then recover. */
    private TraceRecords run(final Path data, final String name, final boolean gzip, final boolean recover)
        throws Exception
    {
        final Path traceDir = work.resolve(name);
        for (final String[] program : List.of(new String[] {"basic_io", data.toString()},
            new String[] {"fork_child", data.toString()}, new String[] {"threads", data.toString(), "3", "50"}))
        {
            final TracedRun run = TracedRun.program(program[0], java.util.Arrays.copyOfRange(program, 1,
                program.length)).traceDir(traceDir);
            if (gzip)
            {
                run.env("IOTRACE_COMPRESS", "gzip");
            }
            if (recover)
            {
                run.env("IOTRACE_COLLECTOR", "none");
            }
            final TracedRun.Outcome outcome = run.run(work);
            assertEquals(0, outcome.exitStatus(), outcome.stderr());
        }
        if (recover)
        {
            final ProcessBuilder builder = new ProcessBuilder(TracedRun.COLLECTOR.toString(), "recover",
                traceDir.toString()).redirectError(ProcessBuilder.Redirect.INHERIT);
            builder.environment().put("IOTRACE_COMPRESS", "gzip");
            final Process process = builder.start();
            final String output = new String(process.getInputStream().readAllBytes(),
                java.nio.charset.StandardCharsets.UTF_8);
            assertEquals(0, process.waitFor(), output);
        }
        return TraceRecords.load(traceDir);
    }

    /**
     * What must agree between two runs: per record function, file name, state, byte counts (not times, ids, pipe
     * inodes, nor the byte counts of writes to the stdout pipe: fork_child prints pids, whose length differs between
     * runs); as a sorted list, since the threads of `threads` interleave differently in each run.
     */
    private static List<String> summary(final TraceRecords trace)
    {
        return trace.all().stream().map(CompressedOutputTest::describe).map(d -> d.replaceAll("pipe:\\[\\d+]", "pipe"))
            .sorted().toList();
    }

    private static String describe(final JsonNode r)
    {
        final JsonNode data = r.path("traced_filename").asText().startsWith("pipe:") ? null : r.get("function_data");
        return r.get("function_name").asText() + " " + r.path("traced_filename").asText() + " " +
            r.path("return_state").asText() + " " + (null == data ? "" : data.path("read_bytes").asText() + "/" +
            data.path("written_bytes").asText() + "/" + data.path("origin").asText());
    }

    @Test
    void shouldOpenPlainAndCompressedTraceFilesAlike() throws Exception
    {
        final byte[] text = "{\"a\":1}\n{\"a\":2}\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        final Path plain = Files.write(work.resolve("h_1_0.jsonl"), text);
        final Path gz = work.resolve("h_1_0.jsonl.gz");
        try (java.io.OutputStream out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(gz)))
        {
            out.write(text);
        }
        try (InputStream a = TraceFiles.open(plain); InputStream b = TraceFiles.open(gz))
        {
            assertArrayEquals(a.readAllBytes(), b.readAllBytes());
        }
        assertTrue(TraceFiles.isProcessFile("h_1_0.jsonl.gz"));
        assertTrue(TraceFiles.isProcessFile("h_1_0.jsonl"));
        assertTrue(!TraceFiles.isProcessFile("iotrace-warnings.jsonl"));
        assertTrue(!TraceFiles.isProcessFile("collector.log"));
    }
}
