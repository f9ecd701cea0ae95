package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static io.iotrace.core.it.TraceRecords.data;
import static io.iotrace.core.it.TraceRecords.errno;
import static io.iotrace.core.it.TraceRecords.filename;
import static io.iotrace.core.it.TraceRecords.functionName;
import static io.iotrace.core.it.TraceRecords.state;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Directory streams (DIR* named like a FILE*, with the descriptor dirfd gives), scandir, statx/statfs, readlink,
 * realpath and the *at / utime / mknod metadata calls, from test-programs/dirs.c built plainly and with 64-bit
 * offsets + fortify (the *64 and __*_chk variants).
 */
class DirectoriesFamilyTest
{
    @TempDir
    Path work;

    @ParameterizedTest(name = "{0}")
    @CsvSource({"dirs, false", "dirs-lfs, true"})
    void shouldRecordDirectoryStreamsAndMetadataCallsWithTheirFiles(final String program, final boolean lfs)
        throws Exception
    {
        final String v = lfs ? "64" : "";
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program(program, data.toString()).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final TraceRecords trace = run.records();
        assertEquals(List.of(), trace.warnings(), "every handle resolved");

        final String d = data.resolve("d").toString();
        final String f1 = d + "/f1";
        final String link = d + "/l";
        final String readdir = "readdir" + v;
        final String readdirR = lfs ? "readdir64_r" : "readdir_r";
        final String readlink = lfs ? "__readlink_chk" : "readlink";
        final String readlinkat = lfs ? "__readlinkat_chk" : "readlinkat";
        final String cwd = Path.of("").toAbsolutePath().toString(); // the program runs in the JVM's directory
        final Expected e = new Expected();
        e.add("mkdir", d).add("open" + v, f1).add("write", f1).add("close", f1).add("mkfifo", d + "/p")
            .add("mknod", d + "/n").add("symlink", link).add("opendir", d);
        e.times(7, readdir, d);
        e.add("rewinddir", d).add(readdir, d).add("telldir", d).add(readdir, d).add("seekdir", d).add(readdir, d)
            .add("dirfd", d).add("fstatfs" + v, d).add("futimens", d).add("closedir", d)
            .add("opendir", d + "/none");
        final int missingAt = e.names.size() - 1;
        e.add("opendir", d).add("dirfd", d).add("close", d).add(readdir, d).add("closedir", d);
        final int badfAt = e.names.size() - 2;
        e.add("open" + v, d).add("fdopendir", d);
        e.times(7, readdirR, d);
        e.add("closedir", d).add("scandir" + v, d).add("open" + v, d).add("scandirat" + v, d).add("statx", f1)
            .add("statfs" + v, d).add(readlink, link).add(readlinkat, link).add(readlink, f1)
            .add(lfs ? "__realpath_chk" : "realpath", link).add("nftw" + v, d).add("getdents64", d)
            .add("getdents64", d).add("statvfs" + v, d).add("fstatvfs" + v, d).add("euidaccess", f1)
            .add("futimesat", f1).add(lfs ? "__getcwd_chk" : "getcwd", cwd)
            .add("linkat", d + "/h").add("symlinkat", d + "/s")
            .add("renameat2", d + "/h").add("fchmodat", f1).add("fchownat", f1).add("mknodat", d + "/n2")
            .add("mkfifoat", d + "/p2").add("utime", f1).add("utimes", f1).add("lutimes", link).add("close", d)
            .add("open" + v, f1).add("futimes", f1).add("close", f1);
        for (final String name : List.of("f1", "p", "n", "l", "h2", "s", "n2", "p2"))
        {
            e.add("unlink", d + "/" + name);
        }
        e.add("rmdir", d);
        final List<JsonNode> calls = trace.calls();
        assertEquals(e.names, trace.callNames());
        assertEquals(e.files, calls.stream().map(TraceRecords::filename).toList());

        // readdir: the 6 entries in some order, then the end of the directory (eof, errno untouched)
        final Set<String> entries = Set.of(".", "..", "f1", "p", "n", "l");
        for (final String function : List.of(readdir, readdirR))
        {
            final int first = e.names.indexOf(function);
            final List<JsonNode> reads = calls.subList(first, first + 7);
            assertEquals(entries, reads.subList(0, 6).stream().map(r -> text(r, "entry")).collect(Collectors.toSet()));
            assertTrue(reads.subList(0, 6).stream().allMatch(r -> "ok".equals(state(r))));
            assertEquals("eof", state(reads.get(6)), reads.get(6).toString());
            assertEquals("", text(reads.get(6), "entry"));
        }
        // one DIR* per stream record, the same address from opendir to closedir; its fd is 3
        final int opendir = e.names.indexOf("opendir");
        final String stream = calls.get(opendir).path("file_type").path("stream").asText();
        assertTrue(stream.startsWith("0x"), calls.get(opendir).toString());
        for (int i = opendir; i <= e.names.indexOf("closedir"); i++)
        {
            final JsonNode r = calls.get(i);
            if (!functionName(r).startsWith("fstatfs") && !"futimens".equals(functionName(r)))
            {
                assertEquals(stream, r.path("file_type").path("stream").asText(), r.toString());
            }
        }
        assertEquals(3, data(calls.get(opendir), "fd"));
        // seekdir back to telldir's position: the entry read after it is read again
        final int telldir = e.names.indexOf("telldir");
        assertEquals(data(calls.get(telldir), "location"), data(calls.get(telldir + 2), "location"));
        assertEquals(text(calls.get(telldir + 1), "entry"), text(calls.get(telldir + 3), "entry"));

        final JsonNode missing = calls.get(missingAt);
        assertEquals("error", state(missing));
        assertEquals(2, errno(missing));
        final JsonNode notALink = calls.get(e.names.lastIndexOf(readlink));
        assertEquals("error", state(notALink));
        assertEquals(22, errno(notALink));
        // readdir on a stream whose descriptor was closed: an error (EBADF), not the end; so is closedir
        final List<JsonNode> badf = calls.subList(badfAt, badfAt + 2);
        for (final JsonNode r : badf)
        {
            assertEquals("error", state(r), r.toString());
            assertEquals(9, errno(r), r.toString());
        }
        final List<JsonNode> errors = List.of(missing, notALink, badf.get(0), badf.get(1));
        assertEquals(2, calls.stream().filter(r -> "eof".equals(state(r)) && functionName(r).startsWith("readdir"))
            .count());
        assertTrue(calls.stream().filter(r -> errors.stream().noneMatch(x -> x == r) && !"eof".equals(state(r)))
            .allMatch(r -> "ok".equals(state(r))));
        final int getdents = e.names.indexOf("getdents64");
        assertTrue(data(calls.get(getdents), "read_bytes") > 0);
        assertEquals("eof", state(calls.get(getdents + 1)));
        assertEquals(cwd, TraceRecords.path(calls.get(getdents + 6)));

        assertEquals(6, data(calls.get(e.names.indexOf("scandir" + v)), "entries"));
        assertEquals(6, data(calls.get(e.names.indexOf("scandirat" + v)), "entries"));
        assertEquals(5, data(calls.get(e.names.indexOf("statx")), "size"));
        assertEquals("f1", text(calls.get(e.names.indexOf(readlink)), "target"));
        assertEquals("f1", text(calls.get(e.names.indexOf(readlinkat)), "target"));
        assertEquals(f1, text(calls.get(e.names.indexOf(lfs ? "__realpath_chk" : "realpath")), "resolved_path"));
        assertEquals("h2", text(calls.get(e.names.indexOf("renameat2")), "newpath"));
        assertEquals("f1", text(calls.get(e.names.indexOf("linkat")), "target"));
        assertFalse(Files.exists(data.resolve("d")));
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

    /** The expected records: function names and traced filenames, in order. */
    private static final class Expected
    {
        final List<String> names = new ArrayList<>();
        final List<String> files = new ArrayList<>();

        Expected add(final String name, final String file)
        {
            names.add(name);
            files.add(file);
            return this;
        }

        Expected times(final int count, final String name, final String file)
        {
            names.addAll(Collections.nCopies(count, name));
            files.addAll(Collections.nCopies(count, file));
            return this;
        }
    }
}
