package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static io.iotrace.core.it.TraceRecords.data;
import static io.iotrace.core.it.TraceRecords.descriptor;
import static io.iotrace.core.it.TraceRecords.errno;
import static io.iotrace.core.it.TraceRecords.filename;
import static io.iotrace.core.it.TraceRecords.state;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Test programs of test-programs/ traced for real; every record of their documented calls is checked. */
class PosixCallsTest
{
    @TempDir
    Path work;

    private Path dataDir() throws Exception
    {
        return Files.createDirectories(work.resolve("data")).toRealPath();
    }

    @Test
    void shouldRecordEveryBasicIoCallWithArgumentsResultsAndFilename() throws Exception
    {
        final Path data = dataDir();
        final TracedRun.Outcome run = TracedRun.program("basic_io", data.toString()).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final TraceRecords trace = run.records();
        assertEquals(1, trace.files().size(), "one process, one trace file");

        assertEquals(List.of("open", "write", "write", "write", "pwrite", "pread", "lseek", "readv", "writev",
            "lseek", "read", "fsync", "fdatasync", "close", "open", "read", "creat", "write", "close"),
            trace.callNames());
        final List<JsonNode> calls = trace.calls();
        final String basic = data.resolve("basic.dat").toString();
        for (int i = 0; i < 14; i++)
        {
            assertEquals(basic, filename(calls.get(i)), "record " + i);
            assertEquals(3, descriptor(calls.get(i)), "record " + i);
        }
        final JsonNode open = calls.get(0);
        assertEquals("read_and_write", open.path("function_data").path("mode").asText());
        assertEquals(List.of("creat", "trunc"), texts(open.path("function_data").path("creation")));
        assertEquals(List.of("read_by_owner", "write_by_owner", "read_by_group"),
            texts(open.path("function_data").path("file_mode")));

        assertEquals(List.of(100L, 200L, 300L), calls.subList(1, 4).stream().map(r -> data(r, "written_bytes")).toList());
        assertEquals(1000, data(calls.get(4), "position"));
        assertEquals(50, data(calls.get(4), "written_bytes"));
        assertEquals(100, data(calls.get(5), "read_bytes"));
        assertEquals(0, data(calls.get(6), "new_offset_relative_to_beginning_of_file"));
        assertEquals("beginning_of_file", calls.get(6).path("function_data").path("relative_to").asText());
        assertEquals(30, data(calls.get(7), "read_bytes"));
        assertEquals(11, data(calls.get(8), "written_bytes"));
        assertEquals("end_of_file", calls.get(9).path("function_data").path("relative_to").asText());
        assertEquals(1050, data(calls.get(9), "new_offset_relative_to_beginning_of_file"));
        assertEquals("eof", state(calls.get(10)));
        assertEquals(0, data(calls.get(10), "read_bytes"));
        assertTrue(calls.subList(0, 14).stream().filter(r -> r != calls.get(10)).allMatch(r -> "ok".equals(state(r))));

        final JsonNode failedOpen = calls.get(14);
        assertEquals("error", state(failedOpen));
        assertEquals(2, errno(failedOpen));
        assertEquals("No such file or directory", failedOpen.path("return_state_detail").path("errno_text").asText());
        assertEquals(data.resolve("missing/none").toString(), filename(failedOpen));

        final JsonNode failedRead = calls.get(15);
        assertEquals("error", state(failedRead));
        assertEquals(9, errno(failedRead));
        // the kernel said descriptor 3 is not open: nothing to resolve, so no warning either
        assertEquals("<not open>", filename(failedRead));
        assertTrue(trace.warnings().stream().noneMatch(w -> "read".equals(w.path("function_name").asText())),
            trace.warnings().toString());

        final String created = data.resolve("created.dat").toString();
        calls.subList(16, 19).forEach(r -> assertEquals(created, filename(r)));
        assertEquals(7, data(calls.get(17), "written_bytes"));

        final long pid = run.records().all().get(0).get("pid").asLong();
        assertTrue(trace.all().stream().allMatch(r -> r.get("pid").asLong() == pid && r.get("tid").asLong() == pid));
        long previousEnd = 0;
        for (final JsonNode call : calls)
        {
            assertTrue(call.get("time_start").asLong() <= call.get("time_end").asLong());
            assertTrue(call.get("time_start").asLong() >= previousEnd, "one thread: records in call order");
            previousEnd = call.get("time_end").asLong();
        }
    }

    @Test
    void shouldResolveEveryAliasOfADescriptor() throws Exception
    {
        final Path data = dataDir();
        final TracedRun.Outcome run = TracedRun.program("dup_fcntl", data.toString()).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final TraceRecords trace = run.records();
        assertEquals(List.of("open", "dup", "dup2", "dup3", "fcntl", "write", "write", "write", "write", "write",
            "dup2", "write", "close", "close", "close", "close", "close"), trace.callNames());
        final String dup = data.resolve("dup.dat").toString();
        trace.calls().forEach(r -> assertEquals(dup, filename(r), r.toString()));
        assertEquals(List.of(3L, 4L, 10L, 11L, 20L),
            trace.function("write").subList(0, 5).stream().map(r -> data(r, "fd")).toList());
        final JsonNode stdoutWrite = trace.function("write").get(5);
        assertEquals(1, data(stdoutWrite, "fd"));
        assertEquals(6, data(stdoutWrite, "written_bytes"));
        assertEquals("dupfd_cloexec", trace.function("fcntl").get(0).path("function_data").path("cmd").asText());
        assertEquals(List.of("cloexec"), texts(trace.function("dup3").get(0).path("function_data").path("flags")));
        assertEquals(6 + 5, Files.size(data.resolve("dup.dat")));
    }

    @Test
    void shouldResolveStreamsAndCountTheirBytes() throws Exception
    {
        final Path data = dataDir();
        final TracedRun.Outcome run = TracedRun.program("stdio", data.toString()).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final TraceRecords trace = run.records();
        assertEquals(List.of("fopen", "fileno", "fwrite", "fwrite", "fwrite", "fclose",
            "fopen", "fread", "fread", "fread", "fclose",
            "open", "fdopen", "fread", "fclose", "fopen"), trace.callNames());
        final String stream = data.resolve("stream.txt").toString();
        trace.calls().subList(0, 15).forEach(r -> assertEquals(stream, filename(r), r.toString()));
        final List<JsonNode> writes = trace.function("fwrite");
        writes.forEach(w -> assertEquals(10, data(w, "written_bytes")));
        final String firstStream = trace.calls().get(0).path("file_type").path("stream").asText();
        assertTrue(firstStream.startsWith("0x"));
        writes.forEach(w -> assertEquals(firstStream, w.path("file_type").path("stream").asText()));
        final List<JsonNode> reads = trace.function("fread");
        assertEquals(List.of(16L, 14L, 0L, 30L), reads.stream().map(r -> data(r, "read_bytes")).toList());
        assertEquals("eof", state(reads.get(2)));
        final JsonNode failed = trace.calls().get(15);
        assertEquals("error", state(failed));
        assertEquals(2, errno(failed));
    }

    @Test
    void shouldNameMappedAddressesAndPartialUnmaps() throws Exception
    {
        final Path data = dataDir();
        final TracedRun.Outcome run = TracedRun.program("mmap", data.toString()).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final long address = Long.parseUnsignedLong(run.stdout().trim().replace("mapped 0x", ""), 16);
        final TraceRecords trace = run.records();
        assertEquals(List.of("open", "write", "mmap", "printf", "fflush", "close", "munmap", "munmap", "munmap", "mmap",
            "munmap"), trace.callNames());
        final String mapped = data.resolve("mapped.dat").toString();
        final List<JsonNode> maps = trace.function("mmap");
        assertEquals(mapped, filename(maps.get(0)));
        assertEquals(address, Long.parseUnsignedLong(maps.get(0).path("function_data").path("address").asText()
            .substring(2), 16));
        assertEquals(16384, data(maps.get(0), "length"));
        assertEquals(List.of("read"), texts(maps.get(0).path("function_data").path("protection_flags")));
        assertEquals(List.of("shared"), texts(maps.get(0).path("function_data").path("map_flags")));
        final List<JsonNode> unmaps = trace.function("munmap");
        final long[] expectedStarts = {address, address + 12288, address + 4096};
        for (int i = 0; i < 3; i++)
        {
            assertEquals(mapped, filename(unmaps.get(i)), "the mapping outlives the closed descriptor");
            assertEquals(expectedStarts[i], Long.parseUnsignedLong(
                unmaps.get(i).path("file_type").path("address").asText().substring(2), 16));
        }
        assertEquals("<not a file>", filename(maps.get(1)));
        assertEquals("<not a file>", filename(unmaps.get(3)));
    }

    @Test
    void shouldResolveRelativePathsAfterChdirAndAgainstADirectoryDescriptor() throws Exception
    {
        final Path data = dataDir();
        Files.createDirectories(data.resolve("sub"));
        final TracedRun.Outcome run = TracedRun.program("chdir_relative", data.toString()).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final TraceRecords trace = run.records();
        assertEquals(List.of("chdir", "open", "write", "close", "open", "openat", "write", "close", "fchdir", "close",
            "open", "read", "close"), trace.callNames());
        final List<JsonNode> calls = trace.calls();
        final String relative = data.resolve("sub/relative.txt").toString();
        calls.subList(1, 4).forEach(r -> assertEquals(relative, filename(r)));
        assertEquals(data.toString(), filename(calls.get(4)));
        final String at = data.resolve("at.txt").toString();
        calls.subList(5, 8).forEach(r -> assertEquals(at, filename(r)));
        calls.subList(10, 13).forEach(r -> assertEquals(relative, filename(r), "after fchdir to the data dir"));
    }

    @Test
    void shouldNameARedirectedStdoutAndAnInheritedDescriptor() throws Exception
    {
        final Path data = dataDir();
        final Path inherited = data.resolve("inherited.txt");
        final Path stdout = data.resolve("stdout.txt");
        final TracedRun.Outcome run = TracedRun.program("inherited_fd")
            .inheritedFd(3, inherited)
            .stdoutTo(stdout)
            .run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        assertEquals("to stdout\n", Files.readString(stdout));
        assertEquals("inherited\n", Files.readString(inherited));
        final TraceRecords trace = run.records();
        final List<JsonNode> writes = trace.function("write");
        assertEquals(2, writes.size(), writes.toString());
        assertEquals(3, data(writes.get(0), "fd"));
        assertEquals(10, data(writes.get(0), "written_bytes"));
        assertEquals(inherited.toString(), filename(writes.get(0)));
        assertEquals(1, data(writes.get(1), "fd"));
        assertEquals(10, data(writes.get(1), "written_bytes"));
        assertEquals(stdout.toString(), filename(writes.get(1)));
        // the shell opened fd 3 (a traced open in its incarnation 0) and exec'd the program: incarnation 1 of the
        // same pid, which found both descriptors open at its start
        final long pid = TraceRecords.pid(writes.get(0));
        assertEquals(1, writes.get(0).get("incarnation").asLong(), "the program is the shell's second image");
        assertTrue(trace.pid(pid).incarnation(0).where(r -> Set.of("open", "open64")
            .contains(TraceRecords.functionName(r)) && inherited.toString().equals(filename(r))).size() == 1,
            "the shell's redirection is traced (dash calls open64)");
        final List<JsonNode> discovered = trace.pid(pid).incarnation(1).function("fd_discovered");
        for (final long fd : List.of(1L, 3L))
        {
            final String expected = 1 == fd ? stdout.toString() : inherited.toString();
            assertTrue(discovered.stream().anyMatch(r -> fd == data(r, "fd") &&
                "start".equals(r.path("function_data").path("how").asText()) && expected.equals(filename(r))),
                "fd " + fd + " discovered at start as " + expected + ": " + discovered);
        }
    }

    private static List<JsonNode> writes(final TraceRecords trace)
    {
        return trace.function("write");
    }

    @Test
    void shouldWriteValidJsonForFileNamesThatNeedEscaping() throws Exception
    {
        final Path data = dataDir();
        final TracedRun.Outcome run = TracedRun.program("odd_names", data.toString()).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        // every line parsed and matched the schema while loading; now the names themselves
        final List<String> names = List.of("quote\"d", "back\\slash", "tab\there", "new\nline", "ctrl\u0001\u001fx",
            "uni\u00fc\u20ac", "bad\ufffd\ufffdname", "sp ace,comma=eq", "cont\ufffd", "cut\ufffd\ufffd",
            "long\ufffd\ufffd");
        // the exact bytes of the names that are not valid UTF-8 (traced_filename_bytes, hex)
        final java.util.Map<Integer, byte[]> invalid = java.util.Map.of(6, new byte[] {'b', 'a', 'd', (byte)0xff,
            (byte)0xfe, 'n', 'a', 'm', 'e'}, 8, new byte[] {'c', 'o', 'n', 't', (byte)0x80}, 9, new byte[] {'c', 'u',
            't', (byte)0xe2, (byte)0x82}, 10, new byte[] {'l', 'o', 'n', 'g', (byte)0xc0, (byte)0xaf});
        final TraceRecords trace = run.records();
        assertEquals(names.size() * 3, trace.calls().size(), trace.callNames().toString());
        final List<JsonNode> opens = trace.function("open");
        for (int i = 0; i < names.size(); i++)
        {
            final String expected = data + "/" + names.get(i);
            assertEquals(expected, filename(opens.get(i)), "open " + i);
            assertEquals(expected, TraceRecords.path(opens.get(i)), "open " + i + " function_data.path");
            final JsonNode bytes = opens.get(i).get("traced_filename_bytes");
            if (invalid.containsKey(i))
            {
                final byte[] prefix = (data + "/").getBytes(java.nio.charset.StandardCharsets.UTF_8);
                final byte[] exact = java.util.Arrays.copyOf(prefix, prefix.length + invalid.get(i).length);
                System.arraycopy(invalid.get(i), 0, exact, prefix.length, invalid.get(i).length);
                assertEquals(java.util.HexFormat.of().formatHex(exact), bytes.asText(), "open " + i + " exact bytes");
                assertEquals(bytes, writes(trace).get(i).get("traced_filename_bytes"), "write " + i + " too");
            }
            else
            {
                assertEquals(null, bytes, "open " + i + ": valid UTF-8 needs no bytes");
            }
        }
        final List<JsonNode> writes = trace.function("write");
        for (int i = 0; i < names.size(); i++)
        {
            assertEquals(data + "/" + names.get(i), filename(writes.get(i)), "write " + i);
        }
        for (final Path file : run.records().files())
        {
            final long lines = Files.readString(file).chars().filter(c -> c == '\n').count();
            assertEquals(io.iotrace.core.testing.JsonLines.read(file).size(), lines, "one record per line: no raw newline inside a record");
        }
    }

    @Test
    void shouldNamePipesAsTheKernelDoes() throws Exception
    {
        final TracedRun.Outcome run = TracedRun.program("pipe_io").run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final TraceRecords trace = run.records();
        assertEquals(List.of("pipe", "write", "read", "close", "read", "close", "pipe2", "close", "close"),
            trace.callNames());
        final List<JsonNode> calls = trace.calls();
        final String first = filename(calls.get(0));
        assertTrue(first.matches("pipe:\\[[1-9][0-9]*]"), first);
        assertEquals(List.of(3L, 4L), List.of(data(calls.get(0), "fd0"), data(calls.get(0), "fd1")));
        calls.subList(1, 6).forEach(r -> assertEquals(first, filename(r), r.toString()));
        assertEquals("eof", state(calls.get(4)));
        final String second = filename(calls.get(6));
        assertTrue(second.matches("pipe:\\[[1-9][0-9]*]") && !second.equals(first), second);
        calls.subList(7, 9).forEach(r -> assertEquals(second, filename(r)));
        assertEquals(List.of(), trace.warnings(), "every pipe end resolves");
    }

    static List<String> texts(final JsonNode array)
    {
        assertTrue(array.isArray(), "not an array: " + array);
        return java.util.stream.StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
    }
}
