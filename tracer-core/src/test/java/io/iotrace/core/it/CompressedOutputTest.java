package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotrace.core.summary.Compression;
import io.iotrace.core.summary.TraceFiles;
import io.iotrace.core.zstd.ZstdInputStream;
import io.iotrace.core.zstd.ZstdOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * IOTRACE_COMPRESS=gzip or zstd: the collector writes every process trace as a .jsonl.gz / .jsonl.zst (a finished
 * gzip stream / zstd frames, no plain file beside it) holding the same records as a plain run of the same program;
 * the records are also the same when the compressed trace is converted by recover from rings left without a
 * collector. The zstd files are checked by the zstd command too when it is installed (the format's reference).
 */
class CompressedOutputTest
{
    @TempDir
    Path work;

    @ParameterizedTest(name = "IOTRACE_COMPRESS={0}")
    @ValueSource(strings = {"gzip", "zstd"})
    void shouldWriteTheSameRecordsCompressed(final String compress) throws Exception
    {
        final Compression compression = Compression.fromSetting(compress);
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TraceRecords plain = run(data, "plain", null, false);
        final TraceRecords compressed = run(data, compress, compress, false);
        final TraceRecords recovered = run(data, compress + "-recovered", compress, true);
        assertTrue(plain.calls().size() > 40, "fork_child and threads make many calls");
        for (final TraceRecords packed : List.of(compressed, recovered))
        {
            assertEquals(plain.files().size(), packed.files().size());
            for (final Path file : packed.files())
            {
                final String name = file.getFileName().toString();
                assertTrue(name.endsWith(".jsonl" + compression.suffix()), file.toString());
                assertTrue(Files.notExists(file.resolveSibling(Compression.withoutSuffix(name))));
                assertTrue(readFinished(file, compression).length > 0, "a complete stream: " + file);
            }
            assertEquals(summary(plain), summary(packed));
        }
    }

    /**
     * zstd asked for where libzstd cannot be loaded (here: the collector told another library name): gzip files,
     * and one line naming the problem in the collector log and iotrace-config-errors.log.
     */
    @Test
    void shouldWriteGzipWhenZstdIsMissing() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final Path traceDir = work.resolve("fallback");
        final TracedRun.Outcome outcome = TracedRun.program("basic_io", data.toString()).traceDir(traceDir)
            .env("IOTRACE_COMPRESS", "zstd").env("JAVA_TOOL_OPTIONS", "-Diotrace.zstd.library=libzstd-absent.so.1")
            .run(work);
        assertEquals(0, outcome.exitStatus(), outcome.stderr());
        assertEquals("", outcome.stderr(), "nothing on the program's stderr");
        final TraceRecords trace = TraceRecords.load(traceDir);
        assertEquals(1, trace.files().size());
        final Path file = trace.files().get(0);
        assertTrue(file.getFileName().toString().endsWith(".jsonl.gz"), file.toString());
        assertTrue(readFinished(file, Compression.GZIP).length > 0);
        assertTrue(trace.function("write").size() > 0);
        final List<String> errors = Files.readAllLines(traceDir.resolve("iotrace-config-errors.log"));
        assertEquals(1, errors.size(), errors.toString());
        assertTrue(errors.get(0).matches(".*IOTRACE_COMPRESS=zstd: libzstd-absent.so.1 cannot be used \\(.*\\): " +
            "writing gzip \\(.jsonl.gz\\) instead"), errors.get(0));
    }

    /** The file's bytes, read by a reader that fails on a stream that is not finished (and by zstd -t if any). */
    private static byte[] readFinished(final Path file, final Compression compression) throws Exception
    {
        if (Compression.GZIP == compression)
        {
            try (InputStream in = new GZIPInputStream(Files.newInputStream(file)))
            {
                return in.readAllBytes();
            }
        }
        final byte[] text;
        try (ZstdInputStream in = new ZstdInputStream(Files.newInputStream(file)))
        {
            text = in.readAllBytes();
            assertTrue(in.lastFrameComplete(), "the last frame is ended: " + file);
        }
        final Path zstd = Path.of("/usr/bin/zstd");
        if (Files.isExecutable(zstd))
        {
            final Process check = new ProcessBuilder(zstd.toString(), "-t", "-q", file.toString())
                .redirectErrorStream(true).start();
            final String output = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, check.waitFor(), "zstd -t " + file + ": " + output);
        }
        return text;
    }

    /** Runs basic_io, fork_child and threads into one trace dir; recover: without a collector, then recover. */
    private TraceRecords run(final Path data, final String name, final String compress, final boolean recover)
        throws Exception
    {
        final Path traceDir = work.resolve(name);
        for (final String[] program : List.of(new String[] {"basic_io", data.toString()},
            new String[] {"fork_child", data.toString()}, new String[] {"threads", data.toString(), "3", "50"}))
        {
            final TracedRun run = TracedRun.program(program[0], java.util.Arrays.copyOfRange(program, 1,
                program.length)).traceDir(traceDir);
            if (null != compress)
            {
                run.env("IOTRACE_COMPRESS", compress);
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
            builder.environment().put("IOTRACE_COMPRESS", compress);
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
        final Path zst = work.resolve("h_1_0.jsonl.zst");
        try (java.io.OutputStream out = new ZstdOutputStream(Files.newOutputStream(zst)))
        {
            out.write(text);
        }
        try (InputStream a = TraceFiles.open(plain); InputStream b = TraceFiles.open(gz);
             InputStream c = TraceFiles.open(zst))
        {
            final byte[] expected = a.readAllBytes();
            assertArrayEquals(expected, b.readAllBytes());
            assertArrayEquals(expected, c.readAllBytes());
        }
        final Path zstd = Path.of("/usr/bin/zstd");
        if (Files.isExecutable(zstd)) // a file the reference implementation made
        {
            final Path cli = work.resolve("h_2_0.jsonl.zst");
            final Process make = new ProcessBuilder(zstd.toString(), "-q", "-o", cli.toString(), plain.toString())
                .redirectErrorStream(true).start();
            make.getInputStream().readAllBytes();
            assertEquals(0, make.waitFor());
            try (InputStream in = TraceFiles.open(cli))
            {
                assertArrayEquals(text, in.readAllBytes());
            }
        }
        final Path notZstd = Files.write(work.resolve("h_3_0.jsonl.zst"), text);
        try (InputStream in = TraceFiles.open(notZstd))
        {
            final java.io.IOException error = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                in::readAllBytes);
            assertTrue(error.getMessage().startsWith(notZstd + ": not zstd data"), error.getMessage());
        }
        assertTrue(TraceFiles.isProcessFile("h_1_0.jsonl.gz"));
        assertTrue(TraceFiles.isProcessFile("h_1_0.jsonl.zst"));
        assertTrue(TraceFiles.isProcessFile("h_1_0.jsonl"));
        assertTrue(!TraceFiles.isProcessFile("iotrace-warnings.jsonl"));
        assertTrue(!TraceFiles.isProcessFile("collector.log"));
    }
}
