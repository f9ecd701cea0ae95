package io.iotrace.core.collector;

import io.iotrace.core.format.FunctionTable;
import io.iotrace.core.summary.TraceFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * A compressed trace file a killed collector left (flushed, never finished, its last line cut) is continued by
 * the next collector: its complete records are kept and replayed, the file becomes a finished gzip stream of
 * exactly those lines, and a member appended after it reads as the continuation.
 */
class TraceResumeCompressedTest
{
    @TempDir
    Path work;

    @Test
    void shouldContinueACompressedFileAKilledCollectorLeft() throws Exception
    {
        final Path file = work.resolve("h_5_0.jsonl.gz");
        final String open = "{\"traced_filename\":\"/tmp/a\",\"hostname\":\"h\",\"pid\":5,\"ppid\":1,\"tid\":5," +
            "\"incarnation\":0,\"function_name\":\"open\",\"time_start\":10,\"time_end\":11,\"return_state\":\"ok\"," +
            "\"file_type\":{\"descriptor\":3},\"function_data\":{\"flags\":[\"O_RDONLY\"],\"mode\":0}}\n";
        final OutputStream killed = OutputFiles.openAppendableGzip(file);
        killed.write(open.getBytes(StandardCharsets.UTF_8));
        killed.write("{\"traced_filename\":\"/tmp/a\",\"pid\":5,\"tid\":5,\"function_na".getBytes(
            StandardCharsets.UTF_8));
        killed.flush(); // a SYNC_FLUSH, and then the collector dies: no gzip trailer

        final TraceResume resume = TraceResume.prepareCompressed(file, FunctionTable.load(), "/");
        assertNotNull(resume);
        assertEquals(10, resume.writtenUntil.get(5));
        assertEquals("/tmp/a", resume.handles.fdName(3, Long.MAX_VALUE));
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file)))
        {
            assertEquals(open, new String(in.readAllBytes(), StandardCharsets.UTF_8), "one finished member");
        }
        try (OutputStream next = OutputFiles.openAppendableGzip(file))
        {
            next.write("{\"next\":1}\n".getBytes(StandardCharsets.UTF_8));
        }
        try (InputStream in = TraceFiles.open(file))
        {
            assertEquals(open + "{\"next\":1}\n", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }
}
