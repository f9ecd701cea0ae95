package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static io.iotrace.core.it.TraceRecords.data;
import static io.iotrace.core.it.TraceRecords.filename;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The names glibc's headers give the calls of a program built the way real programs are built: with
 * -D_FILE_OFFSET_BITS=64 (the 64-bit variants) and with -D_FORTIFY_SOURCE=2 (the checking variants that
 * distributions' packages call).
 */
class LibcVariantsTest
{
    private static final long FIVE_GIB = 5L << 30;

    @TempDir
    Path work;

    @Test
    void shouldRecordTheSixtyFourBitVariantsWithOffsetsBeyondFourGiB() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program("largefile", data.toString()).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final TraceRecords trace = run.records();
        assertEquals(List.of("open64", "pwrite64", "pread64", "lseek64", "mmap64", "munmap", "openat64", "close",
            "close", "fopen64", "fclose"), trace.callNames());
        final String large = data.resolve("large.dat").toString();
        trace.calls().forEach(r -> assertEquals(large, filename(r), r.toString()));
        trace.calls().forEach(r -> assertEquals("ok", TraceRecords.state(r), r.toString()));

        final JsonNode pwrite = trace.function("pwrite64").get(0);
        assertEquals(FIVE_GIB, data(pwrite, "position"));
        assertEquals(8, data(pwrite, "written_bytes"));
        final JsonNode pread = trace.function("pread64").get(0);
        assertEquals(FIVE_GIB, data(pread, "position"));
        assertEquals(8, data(pread, "read_bytes"));
        final JsonNode lseek = trace.function("lseek64").get(0);
        assertEquals(FIVE_GIB + 8, data(lseek, "new_offset_relative_to_beginning_of_file"));
        assertEquals("end_of_file", lseek.path("function_data").path("relative_to").asText());
        final JsonNode mmap = trace.function("mmap64").get(0);
        assertEquals(FIVE_GIB, data(mmap, "offset"));
        assertEquals(4096, data(mmap, "length"));
        assertEquals(mmap.path("function_data").path("address").asText(),
            trace.function("munmap").get(0).path("file_type").path("address").asText());
        final JsonNode openat = trace.function("openat64").get(0);
        assertEquals(-100, data(openat, "dirfd"), "AT_FDCWD");
        assertEquals(4, TraceRecords.descriptor(openat));
        assertTrue(Files.size(data.resolve("large.dat")) == FIVE_GIB + 8);
    }

    @Test
    void shouldRecordTheCallsOfAFortifiedProgram() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program("fortify", data.toString()).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final TraceRecords trace = run.records();
        final String file = data.resolve("fortify.dat").toString();
        final List<String> missing = new ArrayList<>();

        expectOne(trace, missing, "__open_2", r -> file.equals(filename(r)) && 3 == TraceRecords.descriptor(r));
        expectOne(trace, missing, "__openat_2", r -> file.equals(filename(r)) && 5 == TraceRecords.descriptor(r) &&
            4 == data(r, "dirfd"));
        // a fortified read/pread/fread calls __read_chk/__pread_chk/__fread_chk: recorded under either name
        expectOne(trace, missing, Set.of("read", "__read_chk"), r -> file.equals(filename(r)) &&
            3 == data(r, "fd") && 16 == data(r, "read_bytes"));
        expectOne(trace, missing, Set.of("pread", "pread64", "__pread_chk", "__pread64_chk"), r ->
            file.equals(filename(r)) && 16 == data(r, "read_bytes") && 32 == data(r, "position"));
        expectOne(trace, missing, Set.of("fread", "__fread_chk"), r -> file.equals(filename(r)) &&
            16 == data(r, "read_bytes"));
        assertEquals(List.of(), missing, "calls of the fortified program missing from the trace " +
            trace.callNames());
    }

    private static void expectOne(final TraceRecords trace, final List<String> missing, final String name,
        final java.util.function.Predicate<JsonNode> check)
    {
        expectOne(trace, missing, Set.of(name), check);
    }

    private static void expectOne(final TraceRecords trace, final List<String> missing, final Set<String> names,
        final java.util.function.Predicate<JsonNode> check)
    {
        final List<JsonNode> records = trace.where(r -> names.contains(r.get("function_name").asText()));
        boolean ok;
        try
        {
            ok = 1 == records.size() && check.test(records.get(0));
        }
        catch (final AssertionError ex)
        {
            ok = false;
        }
        if (!ok)
        {
            missing.add(names + ": " + records);
        }
    }
}
