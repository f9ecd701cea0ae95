package io.iotrace.core.collector;

import io.iotrace.core.format.FunctionTable;
import io.iotrace.core.summary.Compression;
import io.iotrace.core.summary.TraceFiles;
import io.iotrace.core.zstd.ZstdInputStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A compressed trace file a killed collector left (flushed, never finished, its last line cut) is continued by
 * the next collector: its complete records are kept and replayed, the file becomes a finished gzip member or zstd
 * frame of exactly those lines, and one appended after it reads as the continuation.
 */
class TraceResumeCompressedTest
{
    @TempDir
    Path work;

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"GZIP", "ZSTD"})
    void shouldContinueACompressedFileAKilledCollectorLeft(final Compression compression) throws Exception
    {
        final Path file = work.resolve("h_5_0.jsonl" + compression.suffix());
        final String open = "{\"traced_filename\":\"/tmp/a\",\"hostname\":\"h\",\"pid\":5,\"ppid\":1,\"tid\":5," +
            "\"incarnation\":0,\"function_name\":\"open\",\"time_start\":10,\"time_end\":11,\"return_state\":\"ok\"," +
            "\"file_type\":{\"descriptor\":3},\"function_data\":{\"flags\":[\"O_RDONLY\"],\"mode\":0}}\n";
        final OutputStream killed = OutputFiles.openAppendableCompressed(file, compression);
        killed.write(open.getBytes(StandardCharsets.UTF_8));
        killed.write("{\"traced_filename\":\"/tmp/a\",\"pid\":5,\"tid\":5,\"function_na".getBytes(
            StandardCharsets.UTF_8));
        killed.flush(); // a SYNC_FLUSH / ZSTD_e_flush, and then the collector dies: no gzip trailer, no frame end
        if (Compression.ZSTD == compression)
        {
            try (ZstdInputStream in = new ZstdInputStream(Files.newInputStream(file)))
            {
                assertTrue(new String(in.readAllBytes(), StandardCharsets.UTF_8).startsWith(open), "flushed");
                assertFalse(in.lastFrameComplete(), "the frame a killed collector left is not ended");
            }
        }

        final TraceResume resume = TraceResume.prepareCompressed(file, compression, FunctionTable.load(), "/");
        assertNotNull(resume);
        assertEquals(10, resume.writtenUntil.get(5));
        assertEquals("/tmp/a", resume.handles.fdName(3, Long.MAX_VALUE));
        assertEquals(open, readFinished(file, compression), "one finished member / frame");
        try (OutputStream next = OutputFiles.openAppendableCompressed(file, compression))
        {
            next.write("{\"next\":1}\n".getBytes(StandardCharsets.UTF_8));
        }
        try (InputStream in = TraceFiles.open(file))
        {
            assertEquals(open + "{\"next\":1}\n", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    /** The file's text, read by a reader that fails on a stream that is not finished. */
    private static String readFinished(final Path file, final Compression compression) throws Exception
    {
        if (Compression.GZIP == compression)
        {
            try (InputStream in = new GZIPInputStream(Files.newInputStream(file)))
            {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        }
        try (ZstdInputStream in = new ZstdInputStream(Files.newInputStream(file)))
        {
            final String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(in.lastFrameComplete(), "the rewritten frame is ended");
            return text;
        }
    }
}
