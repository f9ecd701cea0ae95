package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.iotrace.core.it.TraceRecords.data;
import static io.iotrace.core.it.TraceRecords.errno;
import static io.iotrace.core.it.TraceRecords.filename;
import static io.iotrace.core.it.TraceRecords.state;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Vectored, truncating, allocating, advisory and locking descriptor calls, from a program built plainly and with
 * distribution flags (64-bit offsets, fortify), where the same source calls the *64 variants.
 */
class FdIoFamilyTest
{
    @TempDir
    Path work;

    @ParameterizedTest(name = "{0}")
    @CsvSource({"fd_io_more, ''", "fd_io_more-lfs, 64"})
    void shouldRecordVectoredTruncatingAllocatingAndLockingCalls(final String program, final String lfs)
        throws Exception
    {
        final String v = null == lfs ? "" : lfs;
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program(program, data.toString()).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final TraceRecords trace = run.records();
        final String printf = v.isEmpty() ? "printf" : "__printf_chk"; // the fallocate result, on stdout
        assertEquals(List.of("open" + v, "pwritev" + v, "preadv" + v, v2("pwritev", v), v2("preadv", v),
            "ftruncate" + v, "fallocate" + v, printf, "readahead", "syncfs", "sync_file_range", "flock", "flock",
            "close", "truncate" + v, "chdir", "truncate" + v, "truncate" + v), trace.callNames());

        final JsonNode printed = trace.function(printf).getFirst();
        assertEquals(run.stdout().length(), data(printed, "written_bytes"));
        final List<JsonNode> calls = trace.calls().stream()
            .filter(r -> !printf.equals(r.get("function_name").asText())).toList();
        final String file = data.resolve("more.dat").toString();
        calls.subList(0, 14).forEach(r -> assertEquals(file, filename(r), r.toString()));
        assertEquals(file, filename(calls.get(15)), "a relative truncate after chdir");
        assertEquals(List.of(30L, 30L, 5L, 35L), List.of(data(calls.get(1), "written_bytes"),
            data(calls.get(2), "read_bytes"), data(calls.get(3), "written_bytes"), data(calls.get(4), "read_bytes")));
        assertEquals(30, data(calls.get(3), "position"));
        assertEquals(100, data(calls.get(5), "length"));
        assertEquals(4096, data(calls.get(6), "length"));
        final String[] fallocate = run.stdout().strip().split(" ");
        assertEquals("0".equals(fallocate[1]) ? "ok" : "error", state(calls.get(6)), run.stdout());
        assertEquals(4096, data(calls.get(7), "count"));
        assertEquals(List.of(2L, 8L), List.of(data(calls.get(10), "operation"), data(calls.get(11), "operation")));
        assertEquals(10, data(calls.get(13), "length"));
        final JsonNode missing = calls.get(16);
        assertEquals("error", state(missing));
        assertEquals(2, errno(missing));
        assertEquals(data.resolve("missing/none").toString(), filename(missing));
        assertEquals(5, Files.size(data.resolve("more.dat")));
    }

    /** pwritev2 in a plain build, pwritev64v2 in a 64-bit-offset build. */
    private static String v2(final String name, final String lfs)
    {
        return name + lfs + (lfs.isEmpty() ? "2" : "v2");
    }
}
