package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

import static io.iotrace.core.it.TraceRecords.data;
import static io.iotrace.core.it.TraceRecords.errno;
import static io.iotrace.core.it.TraceRecords.filename;
import static io.iotrace.core.it.TraceRecords.state;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Handles glibc creates with its own (not interposable) open: shm_open, sem_open, the mkstemp family, mkdtemp, glob,
 * dlopen, and the pre-2.33 __xstat entry points, from test-programs/glibc_internal.c built plainly and with 64-bit
 * offsets + fortify. Each record names its file, and later records on the handle (write to the mkstemp fd, mmap of
 * the shm fd, sem_close of the semaphore) resolve to it.
 */
class GlibcInternalHandlesTest
{
    @TempDir
    Path work;

    @ParameterizedTest(name = "{0}")
    @CsvSource({"glibc_internal, ''", "glibc_internal-lfs, 64"})
    void shouldNameTheFilesGlibcOpensInsideItsOwnCalls(final String program, final String lfs) throws Exception
    {
        final String v = null == lfs ? "" : lfs;
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program(program, data.toString()).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final TraceRecords trace = run.records();
        assertEquals(List.of(), trace.warnings(), "every handle resolved");
        assertEquals(List.of("shm_open", "ftruncate" + v, "mmap" + v, "munmap", "close", "shm_unlink",
            "sem_open", "sem_close", "sem_unlink", "sem_open",
            "mkstemp" + v, "write", "close", "unlink", "mkostemp" + v, "close", "unlink", "mkstemps" + v, "close",
            "mkostemps" + v, "close", "mkstemp" + v, "mkdtemp", "rmdir",
            "glob" + v, "globfree" + v, "glob" + v, "globfree" + v, "unlink", "unlink",
            "dlopen", "dlclose", "dlopen", "__xstat", "__fxstat", "__lxstat", "__fxstatat", "canonicalize_file_name"),
            trace.callNames());
        final List<JsonNode> c = trace.calls();
        final long pid = TraceRecords.pid(c.getFirst());

        // shm_open: the fd names /dev/shm/NAME, and so do ftruncate, the mapping, munmap and close
        final String shm = "/dev/shm/iotrace-shm-" + pid;
        for (int i = 0; i <= 5; i++)
        {
            assertEquals(shm, filename(c.get(i)), c.get(i).toString());
        }
        assertEquals(3, TraceRecords.descriptor(c.getFirst()));
        assertEquals("/iotrace-shm-" + pid, text(c.getFirst(), "name"));

        // sem_open: /dev/shm/sem.NAME mapped at the sem_t* address; sem_close unmaps that address
        final String sem = "/dev/shm/sem.iotrace-sem-" + pid;
        for (int i = 6; i <= 9; i++)
        {
            assertEquals(sem, filename(c.get(i)), c.get(i).toString());
        }
        final String semAddress = c.get(6).path("file_type").path("address").asText();
        assertTrue(semAddress.startsWith("0x"), c.get(6).toString());
        assertEquals(semAddress, c.get(7).path("file_type").path("address").asText());
        assertEquals(1, data(c.get(6), "value"));
        assertEquals("error", state(c.get(9)));
        assertEquals(2, errno(c.get(9)));

        // the mkstemp family: the name the call filled into the template, also on the fd's later records
        assertTemporary(c, 10, 13, data.resolve("tmp"), "");
        assertEquals(7, data(c.get(11), "written_bytes"));
        assertTemporary(c, 14, 16, data.resolve("o"), "");
        assertTemporary(c, 17, 18, data.resolve("s"), ".txt");
        assertTemporary(c, 19, 20, data.resolve("t"), ".txt");
        assertEquals(4, data(c.get(17), "suffixlen"));
        assertEquals(data.resolve("no-template").toString(), filename(c.get(21)));
        assertEquals("error", state(c.get(21)));
        assertEquals(22, errno(c.get(21)));
        assertTemporary(c, 22, 23, data.resolve("d"), "");

        // glob: the pattern, the match count (and GLOB_NOMATCH as its code, not an errno)
        assertEquals(data.resolve("[st]*.txt").toString(), filename(c.get(24)));
        assertEquals(List.of(2L, 0L, 2L), List.of(data(c.get(24), "matches"), data(c.get(24), "glob_code"),
            data(c.get(25), "matches")));
        assertEquals(List.of(0L, 3L), List.of(data(c.get(26), "matches"), data(c.get(26), "glob_code")));
        assertEquals("<not a file>", filename(c.get(25)));
        assertEquals(List.of(filename(c.get(17)), filename(c.get(19))), List.of(filename(c.get(28)),
            filename(c.get(29))));

        // dlopen: the file the loader found for a bare name; dlclose names it too
        final String libm = filename(c.get(30));
        assertTrue(libm.startsWith("/") && libm.endsWith("/libm.so.6") && Files.exists(Path.of(libm)), libm);
        assertEquals("libm.so.6", text(c.get(30), "filename"));
        assertEquals(libm, filename(c.get(31)));
        assertEquals("ok", state(c.get(31)));
        assertEquals("error", state(c.get(32)));

        assertEquals(data.toString(), filename(c.get(33)));
        assertEquals(1, data(c.get(33), "stat_ver"));
        assertEquals(1, TraceRecords.descriptor(c.get(34)));
        assertNotEquals("<unresolved>", filename(c.get(34)));
        assertEquals(data.resolve("none").toString(), filename(c.get(35)));
        assertEquals(List.of("error", 2), List.of(state(c.get(35)), errno(c.get(35))));
        assertEquals(data.toString(), filename(c.get(36)));
        assertTrue(data(c.get(36), "size") > 0);
        assertEquals(data.toString(), filename(c.get(37)));
        assertEquals(data.toString(), text(c.get(37), "resolved_path"));
        try (var left = Files.list(data))
        {
            assertEquals(0, left.count(), "the program removed what it made");
        }
    }

    /** Records first..last are about one file: prefix + 6 random characters + suffix, created by records[first]. */
    private static void assertTemporary(
        final List<JsonNode> c, final int first, final int last, final Path prefix, final String suffix)
    {
        final String name = filename(c.get(first));
        assertTrue(Pattern.matches(Pattern.quote(prefix.toString()) + "[A-Za-z0-9]{6}" + Pattern.quote(suffix), name),
            c.get(first).toString());
        assertEquals(name, text(c.get(first), "path"));
        assertEquals("ok", state(c.get(first)));
        for (int i = first; i <= last; i++)
        {
            assertEquals(name, filename(c.get(i)), c.get(i).toString());
        }
    }

    private static String text(final JsonNode record, final String field)
    {
        final JsonNode value = record.path("function_data").get(field);
        if (null == value)
        {
            throw new AssertionError("no function_data." + field + " in " + record);
        }
        return value.asText();
    }
}
