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
 * Calls about memory mappings (msync, madvise, posix_madvise) are about the file mapped at their address, which
 * mremap grows, shrinks and moves: test-programs/mmap_more.c, built plainly and with distribution flags (mmap and
 * ftruncate become mmap64 and ftruncate64).
 */
class MappingCallsTest
{
    @TempDir
    Path work;

    @ParameterizedTest(name = "{0}")
    @CsvSource({"mmap_more, ''", "mmap_more-lfs, 64"})
    void shouldNameTheMappedFileOfMsyncMadviseAndMremap(final String program, final String lfs) throws Exception
    {
        final String v = null == lfs ? "" : lfs;
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program(program, data.toString()).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final TraceRecords trace = run.records().withoutStdoutReport();
        assertEquals(List.of("open" + v, "ftruncate" + v, "mmap" + v, "msync", "msync", "madvise", "posix_madvise",
            "mremap", "msync", "mmap" + v, "madvise", "mremap", "madvise", "msync", "posix_madvise", "mmap" + v,
            "mremap", "msync", "munmap", "munmap", "close"), trace.callNames());

        final String[] printed = run.stdout().strip().split(" ");
        final long page = Long.parseLong(printed[1]);
        final long a = Long.decode(printed[2]);
        final long b = Long.decode(printed[3]);
        final long c = Long.decode(printed[4]);
        final long d = Long.decode(printed[5]);
        final List<JsonNode> calls = trace.calls();
        final String file = data.resolve("map.dat").toString();
        final String none = "<not a file>";

        final JsonNode mmap = calls.get(2);
        assertEquals("[\"read\",\"write\"]", mmap.path("function_data").path("protection_flags").toString());
        assertEquals("[\"shared\"]", mmap.path("function_data").path("map_flags").toString());
        assertEquals("[\"private\",\"anonymous\"]", calls.get(9).path("function_data").path("map_flags").toString());
        assertEquals("[\"none\"]", calls.get(15).path("function_data").path("protection_flags").toString());

        assertMapping(calls.get(3), file, a, 2 * page, "msync_flags", "[\"sync\"]");
        assertMapping(calls.get(4), file, a + page, page, "msync_flags", "[\"async\",\"invalidate\"]");
        assertMapping(calls.get(5), file, a, 2 * page, "memory_advice", "\"sequential\"");
        assertMapping(calls.get(6), file, a, page, "memory_advice", "\"willneed\"");

        final JsonNode grow = calls.get(7);
        assertMapping(grow, file, b, 4 * page, "mremap_flags", "[\"maymove\"]");
        assertEquals(List.of(a, 2 * page, 4 * page, b), List.of(hex(grow, "addr"), data(grow, "length"),
            data(grow, "new_length"), hex(grow, "address")));
        assertMapping(calls.get(8), file, b + 3 * page, page, "msync_flags", "[\"sync\"]");
        assertMapping(calls.get(10), none, c, page, "memory_advice", "\"dontneed\"");

        final JsonNode shrink = calls.get(11);
        assertMapping(shrink, file, b, page, "mremap_flags", "[]");
        assertMapping(calls.get(12), none, b + page, page, "memory_advice", "\"normal\"");
        assertEquals(List.of("error", 12), List.of(state(calls.get(12)), errno(calls.get(12))));
        assertMapping(calls.get(13), file, b, page, "msync_flags", "[\"async\",\"sync\"]");
        assertEquals(List.of("error", 22), List.of(state(calls.get(13)), errno(calls.get(13))));
        assertMapping(calls.get(14), file, b, page, "memory_advice", "12345");
        assertEquals(List.of("error", 22), List.of(state(calls.get(14)), errno(calls.get(14))));

        final JsonNode move = calls.get(16);
        assertMapping(move, file, d, page, "mremap_flags", "[\"maymove\",\"fixed\"]");
        assertEquals(List.of(b, d), List.of(hex(move, "addr"), hex(move, "fixed_address")));
        assertMapping(calls.get(17), file, d, page, "msync_flags", "[\"sync\"]");
        assertEquals(file, filename(calls.get(18)), "munmap of the moved mapping");
        assertEquals(none, filename(calls.get(19)), "munmap of the anonymous mapping");
        assertEquals(file, filename(calls.get(20)));
    }

    /** traced_filename, file_type (the range the call is about) and one decoded item. */
    private static void assertMapping(
        final JsonNode record, final String file, final long address, final long length, final String item,
        final String value)
    {
        assertEquals(file, filename(record), record.toString());
        assertEquals(address, Long.decode(record.path("file_type").path("address").asText()), record.toString());
        assertEquals(length, record.path("file_type").path("length").asLong(), record.toString());
        assertEquals(value, record.path("function_data").path(item).toString(), record.toString());
    }

    private static long hex(final JsonNode record, final String item)
    {
        return Long.decode(record.path("function_data").path(item).asText());
    }
}
