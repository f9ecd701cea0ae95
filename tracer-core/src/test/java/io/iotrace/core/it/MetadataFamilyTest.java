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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** stat family, access, mkdir/rmdir, chmod/chown, link/symlink/rename/unlink, plain and with 64-bit offsets. */
class MetadataFamilyTest
{
    @TempDir
    Path work;

    @ParameterizedTest(name = "{0}")
    @CsvSource({"metadata, ''", "metadata-lfs, 64"})
    void shouldRecordMetadataCallsWithTheFilesTheyName(final String program, final String lfs) throws Exception
    {
        final String v = null == lfs ? "" : lfs;
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program(program, data.toString()).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final TraceRecords trace = run.records();
        assertEquals(List.of("mkdir", "open" + v, "write", "fstat" + v, "fchmod", "fchown", "close",
            "stat" + v, "lstat" + v, "access", "access", "open" + v, "fstatat" + v, "faccessat", "mkdirat",
            "chmod", "chown", "lchown", "link", "symlink", "rename", "renameat", "utimensat",
            "unlinkat", "unlinkat", "unlink", "unlink", "close", "rmdir"), trace.callNames());

        final String meta = data.resolve("meta").toString();
        final String a = meta + "/a.txt";
        final List<String> expected = List.of(meta, a, a, a, a, a, a, a, a, a, meta + "/none", meta, a, a,
            meta + "/sub", a, a, a, meta + "/b.txt", meta + "/c.lnk", meta + "/b.txt", meta + "/d.txt", a,
            meta + "/e.txt", meta + "/sub", meta + "/c.lnk", a, meta, meta);
        final List<JsonNode> calls = trace.calls();
        assertEquals(expected, calls.stream().map(TraceRecords::filename).toList());

        for (final int stat : new int[] {3, 7, 8, 12})
        {
            assertEquals(11, data(calls.get(stat), "size"), calls.get(stat).toString());
        }
        final JsonNode missing = calls.get(10);
        assertEquals("error", state(missing));
        assertEquals(2, errno(missing));
        assertTrue(calls.stream().filter(r -> r != missing).allMatch(r -> "ok".equals(state(r))));
        assertEquals(List.of("read_by_owner", "write_by_owner", "execute_by_owner", "read_by_group",
            "execute_by_group"), PosixCallsTest.texts(calls.get(0).path("function_data").path("file_mode")));
        assertEquals(meta + "/d.txt", calls.get(20).path("function_data").path("newpath").asText());
        assertEquals("a.txt", calls.get(19).path("function_data").path("target").asText());
        assertFalse(Files.exists(data.resolve("meta")));
        assertEquals(filename(calls.get(0)), meta);
    }
}
