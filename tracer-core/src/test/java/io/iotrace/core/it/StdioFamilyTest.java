package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static io.iotrace.core.it.TraceRecords.data;
import static io.iotrace.core.it.TraceRecords.filename;
import static io.iotrace.core.it.TraceRecords.state;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The FILE* API beyond fopen/fread/fwrite/fclose (test-programs/stdio_more.c, whose header lists every call with
 * its byte count), built plainly and with distribution flags (64-bit offsets, fortify), where glibc's headers
 * rename many of the calls. stdout goes to a file, so the records on stdout name it.
 */
class StdioFamilyTest
{
    /** The names the -lfs build (-O2 -D_FORTIFY_SOURCE=2 -D_FILE_OFFSET_BITS=64) calls instead. */
    private static final Map<String, String> LFS_NAMES = Map.ofEntries(
        Map.entry("fopen", "fopen64"), Map.entry("freopen", "freopen64"), Map.entry("tmpfile", "tmpfile64"),
        Map.entry("fseeko", "fseeko64"), Map.entry("ftello", "ftello64"), Map.entry("fgetpos", "fgetpos64"),
        Map.entry("fsetpos", "fsetpos64"), Map.entry("fprintf", "__fprintf_chk"),
        Map.entry("vfprintf", "__vfprintf_chk"), Map.entry("printf", "__printf_chk"),
        Map.entry("vprintf", "__vfprintf_chk"), Map.entry("dprintf", "__dprintf_chk"),
        Map.entry("fwprintf", "__fwprintf_chk"), Map.entry("getline", "__getdelim"));

    private static final List<String> PART_A = List.of("fopen", "setvbuf", "fputc", "putc", "fputs", "fprintf",
        "vfprintf", "fwrite_unlocked", "fputs_unlocked", "fputc_unlocked", "putc_unlocked", "fflush", "ftell",
        "fseek", "fgetc", "getc", "fgets", "getline", "__isoc99_fscanf", "fgetc_unlocked", "fread_unlocked",
        "fgets_unlocked", "getc_unlocked", "fgetc_unlocked", "fgetc", "feof", "ungetc", "fgetc", "clearerr", "ferror",
        "rewind", "fgetpos", "fseeko", "ftello", "fsetpos", "ftello", "fileno_unlocked", "fclose");
    private static final List<String> PART_B = List.of("fopen", "fprintf", "freopen", "fprintf", "fclose");
    private static final List<String> PART_C = List.of("printf", "vprintf", "puts", "putchar", "dprintf", "fflush");
    private static final List<String> PART_D = List.of("tmpfile", "fputs", "fclose");
    private static final List<String> PART_E = List.of("popen", "__isoc99_fscanf", "fgets", "pclose");
    private static final List<String> PART_F =
        List.of("fmemopen", "fprintf", "fclose", "open_memstream", "fprintf", "fclose");
    private static final List<String> PART_W = List.of("fopen", "fputwc", "putwc", "fputws", "fwprintf", "rewind",
        "fgetwc", "getwc", "fgetws", "__isoc99_fwscanf", "fgetwc", "fgetwc", "fclose");
    private static final List<String> PART_U = List.of("fopen", "fputws", "fwprintf", "fclose");
    private static final List<String> PART_S = List.of("freopen", "getchar", "getchar_unlocked", "__isoc99_scanf");
    private static final List<String> PART_X =
        List.of("fopen", "fputc", "ferror", "fprintf", "fclose", "fopen", "freopen");
    private static final List<String> PART_Z = List.of("fflush", "fcloseall");

    @TempDir
    Path work;

    @ParameterizedTest(name = "{0}")
    @CsvSource({"stdio_more, false", "stdio_more-lfs, true"})
    void shouldRecordEveryStreamCallWithExactCounts(final String program, final boolean lfs) throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final Path stdout = work.toRealPath().resolve("stdout.txt");
        final TracedRun.Outcome run = TracedRun.program(program, data.toString()).stdoutTo(stdout).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final TraceRecords all = run.records();
        // popen's shell is a traced process of its own: the program's records are those of the first pid
        final long pid = all.calls().getFirst().get("pid").asLong();
        final List<JsonNode> calls = all.pid(pid).calls();

        final List<String> expected = new ArrayList<>();
        for (final List<String> part : List.of(PART_A, PART_B, PART_C, PART_D, PART_E, PART_F, PART_W, PART_U, PART_S, PART_X,
            PART_Z))
        {
            part.forEach(name -> expected.add(lfs ? LFS_NAMES.getOrDefault(name, name) : name));
        }
        assertEquals(expected, calls.stream().map(TraceRecords::functionName).toList());
        assertTrue(all.warnings().isEmpty(), all.warnings().toString());

        int at = 0;
        final List<JsonNode> a = calls.subList(at, at += PART_A.size());
        final List<JsonNode> b = calls.subList(at, at += PART_B.size());
        final List<JsonNode> c = calls.subList(at, at += PART_C.size());
        final List<JsonNode> d = calls.subList(at, at += PART_D.size());
        final List<JsonNode> e = calls.subList(at, at += PART_E.size());
        final List<JsonNode> f = calls.subList(at, at += PART_F.size());
        final List<JsonNode> w = calls.subList(at, at += PART_W.size());
        final List<JsonNode> utf8 = calls.subList(at, at += PART_U.size());
        final List<JsonNode> stdin = calls.subList(at, at += PART_S.size());
        final List<JsonNode> x = calls.subList(at, at += PART_X.size());
        final List<JsonNode> z = calls.subList(at, at + PART_Z.size());

        // A: one file written and read back through the byte functions
        final Path more = data.resolve("more.txt");
        a.forEach(r -> assertEquals(more.toString(), filename(r), r.toString()));
        assertEquals(List.of(1L, 1L, 3L, 7L, 6L, 10L, 3L, 1L, 1L), counts(a.subList(2, 11), "written_bytes"));
        assertEquals(Files.size(more), sum(a, "written_bytes"), "every byte written is counted exactly once");
        assertEquals(33, data(a.get(12), "new_offset_relative_to_beginning_of_file"));
        assertEquals(3, data(a.get(16), "length"));
        final JsonNode scan = a.get(18);
        assertEquals(List.of(1L, 5L), List.of(data(scan, "matched_items"), data(scan, "read_bytes")));
        assertEquals(List.of(1L, 1L, 3L, 7L, 5L, 1L, 10L, 3L, 1L, 1L), counts(a.subList(14, 24), "read_bytes"));
        assertEquals(List.of("eof", "ok"), List.of(state(a.get(24)), state(a.get(25))));
        assertEquals(0, data(a.get(24), "read_bytes"), "fgetc at the end of the file");
        assertEquals(1, data(a.get(25), "indicator"), "feof after the end");
        assertEquals(1, data(a.get(27), "read_bytes"), "the character ungetc pushed back");
        assertEquals(0, data(a.get(29), "indicator"), "ferror");
        assertEquals(List.of(5L, 0L), List.of(data(a.get(33), "new_offset_relative_to_beginning_of_file"),
            data(a.get(35), "new_offset_relative_to_beginning_of_file")));
        assertEquals(Files.size(more) + 1, sum(a, "read_bytes"), "the file once, plus the pushed-back z");
        a.forEach(r -> assertEquals("eof".equals(state(r)) ? "eof" : "ok", state(r), r.toString()));

        // B: freopen moves the stream to another file
        assertEquals(data.resolve("a.txt").toString(), filename(b.get(1)));
        assertEquals(data.resolve("b.txt").toString(), filename(b.get(2)));
        assertEquals(data.resolve("b.txt").toString(), filename(b.get(3)));
        assertEquals(data.resolve("b.txt").toString(), filename(b.get(4)));
        assertEquals(List.of(3L, 4L), counts(List.of(b.get(1), b.get(3)), "written_bytes"));
        assertEquals(List.of(3L, 4L), List.of(Files.size(data.resolve("a.txt")), Files.size(data.resolve("b.txt"))));

        // C: stdout, redirected to a file
        c.forEach(r -> assertEquals(stdout.toString(), filename(r), r.toString()));
        assertEquals(List.of(4L, 3L, 3L, 1L, 2L), counts(c.subList(0, 5), "written_bytes"));
        assertEquals(Files.size(stdout), sum(c, "written_bytes"));

        // D: tmpfile names the anonymous file as /proc does
        final String anonymous = filename(d.getFirst());
        assertTrue(anonymous.startsWith("/tmp/") && anonymous.endsWith(" (deleted)"), anonymous);
        d.forEach(r -> assertEquals(anonymous, filename(r), r.toString()));
        assertEquals(4, data(d.get(1), "written_bytes"));

        // E: popen's stream is its pipe
        final String pipe = filename(e.getFirst());
        assertTrue(pipe.matches("pipe:\\[[0-9]+\\]"), pipe);
        e.forEach(r -> assertEquals(pipe, filename(r), r.toString()));
        final JsonNode pipeScan = e.get(1);
        assertEquals(1, data(pipeScan, "matched_items"));
        assertEquals(List.of(-1L, -1L), List.of(data(pipeScan, "offset_before"), data(pipeScan, "offset_after")));
        assertFalse(pipeScan.path("function_data").has("read_bytes"), "a pipe cannot tell what fscanf consumed");
        assertEquals(4, data(e.get(2), "read_bytes"));

        // F: memory streams are no files
        f.forEach(r -> assertEquals("<not a file>", filename(r), r.toString()));
        assertEquals(List.of(5L, 2L), counts(List.of(f.get(1), f.get(4)), "written_bytes"));

        // W: wide characters are counted as characters (C locale: one byte each), fwscanf's input in bytes
        final Path wide = data.resolve("wide.txt");
        w.forEach(r -> assertEquals(wide.toString(), filename(r), r.toString()));
        assertEquals(List.of(1L, 1L, 3L, 3L), counts(w.subList(1, 5), "written_characters"));
        assertEquals(List.of(1L, 1L, 3L), counts(w.subList(6, 9), "read_characters"));
        assertEquals(List.of(1L, 2L), List.of(data(w.get(9), "matched_items"), data(w.get(9), "read_bytes")));
        assertEquals(List.of("ok", "eof"), List.of(state(w.get(10)), state(w.get(11))));
        assertEquals(Files.size(wide), sum(w, "written_characters"));
        assertFalse(w.stream().anyMatch(r -> r.path("function_data").has("written_bytes")),
            "wide output is not counted in bytes");

        // U: in UTF-8, characters are not bytes: 4 characters written, 7 bytes in the file
        assertEquals(List.of(2L, 2L), counts(utf8.subList(1, 3), "written_characters"));
        assertEquals(7, Files.size(data.resolve("utf8.txt")));

        // S: stdin reopened on a file; getchar and scanf read it
        stdin.forEach(r -> assertEquals(more.toString(), filename(r), r.toString()));
        assertEquals(List.of(0L, 0L), List.of(data(stdin.getFirst(), "old_fd"), data(stdin.getFirst(), "fd")));
        assertEquals(List.of(1L, 1L, 2L), counts(stdin.subList(1, 4), "read_bytes"));
        assertEquals(1, data(stdin.get(3), "matched_items"));

        // X: writing to a read-only stream fails with EBADF; a failed freopen names the file it could not open
        x.subList(0, 5).forEach(r -> assertEquals(more.toString(), filename(r), r.toString()));
        assertEquals(List.of("error", "ok", "error"), List.of(state(x.get(1)), state(x.get(2)), state(x.get(3))));
        assertEquals(List.of(9, 9), List.of(TraceRecords.errno(x.get(1)), TraceRecords.errno(x.get(3))));
        assertEquals(1, data(x.get(2), "indicator"));
        assertFalse(x.get(1).path("function_data").has("written_bytes"));
        final JsonNode failedReopen = x.get(6);
        assertEquals("error", state(failedReopen));
        assertEquals(2, TraceRecords.errno(failedReopen));
        assertEquals(data.resolve("missing/none").toString(), filename(failedReopen));

        // Z: fflush(NULL) and fcloseall are about every stream, not one file
        z.forEach(r -> assertEquals("<not a file>", filename(r), r.toString()));
        z.forEach(r -> assertEquals("ok", state(r), r.toString()));
    }

    private static List<Long> counts(final List<JsonNode> records, final String field)
    {
        return records.stream().map(r -> data(r, field)).toList();
    }

    private static long sum(final List<JsonNode> records, final String field)
    {
        final Predicate<JsonNode> has = r -> r.path("function_data").has(field);
        return records.stream().filter(has).mapToLong(r -> data(r, field)).sum();
    }
}
