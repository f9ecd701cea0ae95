package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static io.iotrace.core.it.TraceRecords.data;
import static io.iotrace.core.it.TraceRecords.descriptor;
import static io.iotrace.core.it.TraceRecords.errno;
import static io.iotrace.core.it.TraceRecords.filename;
import static io.iotrace.core.it.TraceRecords.state;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two-descriptor transfers (copy_file_range, sendfile, splice, tee, vmsplice), fcntl's commands with their
 * arguments and struct flock decoded, close_range/closefrom in the tracer's and the collector's descriptor tables,
 * posix_fadvise/posix_fallocate error numbers and sync: test-programs/fd_io_extra.c, built plainly and with
 * distribution flags (where fcntl, sendfile, posix_fadvise and posix_fallocate are the *64 variants).
 */
class FdTransferAndControlTest
{
    @TempDir
    Path work;

    @ParameterizedTest(name = "{0}")
    @CsvSource({"fd_io_extra, ''", "fd_io_extra-lfs, 64"})
    void shouldRecordTransfersFcntlCommandsLocksAndRangeCloses(final String program, final String lfs)
        throws Exception
    {
        final String v = null == lfs ? "" : lfs;
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program(program, data.toString()).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final TraceRecords trace = run.records().withoutStdoutReport();
        final List<String> expected = new ArrayList<>(List.of("open" + v, "write", "open" + v, "copy_file_range",
            "sendfile" + v, "pipe", "splice", "pipe", "tee", "splice", "vmsplice"));
        expected.addAll(Collections.nCopies(15, "fcntl" + v));
        expected.addAll(List.of("dup2", "close_range", "write", "close_range", "write", "closefrom", "write",
            "posix_fadvise" + v, "posix_fadvise" + v, "posix_fallocate" + v, "posix_fallocate" + v, "sync",
            "fcntl" + v, "fcntl" + v, "fcntl" + v, "open" + v, "fcntl" + v, "fcntl" + v, "close", "__fcntl"));
        expected.addAll(Collections.nCopies(7, "close"));
        assertEquals(expected, trace.callNames());

        final List<JsonNode> calls = trace.calls();
        final String in = data.resolve("in.dat").toString();
        final String out = data.resolve("out.dat").toString();
        final String pipe = filename(calls.get(5));
        final String otherPipe = filename(calls.get(7));
        assertTrue(pipe.startsWith("pipe:["), pipe);

        // transfers: traced_filename is the file read, out_filename the file written, read_bytes what moved
        assertTransfer(calls.get(3), in, 3, out, 4, 40);
        assertTransfer(calls.get(4), in, 3, out, 4, 30);
        assertTransfer(calls.get(6), in, 3, pipe, 6, 20);
        assertEquals("[\"move\"]", calls.get(6).path("function_data").path("splice_flags").toString());
        assertTransfer(calls.get(8), pipe, 5, otherPipe, 8, 20);
        assertTransfer(calls.get(9), pipe, 5, out, 4, 20);
        // offsets passed by pointer: where the transfer began (-1: the descriptor's own file offset)
        assertEquals(List.of(0L, -1L), List.of(data(calls.get(3), "position"), data(calls.get(3), "out_position")));
        assertEquals(40, data(calls.get(4), "position"));
        assertEquals(List.of(70L, -1L), List.of(data(calls.get(6), "position"), data(calls.get(6), "out_position")));
        assertEquals(List.of(-1L, -1L), List.of(data(calls.get(9), "position"), data(calls.get(9), "out_position")));
        assertEquals(pipe, filename(calls.get(10)));
        assertEquals(10, data(calls.get(10), "written_bytes"));

        // fcntl: each command's argument (or result) decoded
        final List<JsonNode> fcntl = calls.subList(11, 26);
        assertFcntl(fcntl.get(0), "getfl", in, "{\"mode\":\"read_and_write\",\"status\":[\"largefile\"]}");
        assertFcntl(fcntl.get(1), "setfl", in, "{\"status\":[\"append\",\"nonblock\"]}");
        assertFcntl(fcntl.get(2), "getfd", in, "{\"fd_flags\":[]}");
        assertFcntl(fcntl.get(3), "setfd", in, "{\"fd_flags\":[\"cloexec\"]}");
        assertFcntl(fcntl.get(4), "getfd", in, "{\"fd_flags\":[\"cloexec\"]}");
        assertFcntl(fcntl.get(5), "setlk", in, lock("write", 10, 20, 0));
        assertFcntl(fcntl.get(6), "getlk", in, lock("unlock", 0, 0, 0));
        assertFcntl(fcntl.get(7), "ofd_setlkw", in, lock("read", 50, 5, 0));
        // the conflicting lock the kernel reports is our own F_SETLK lock, held by this process
        assertFcntl(fcntl.get(8), "ofd_getlk", in, lock("write", 10, 20, fcntl.get(8).get("pid").asLong()));
        assertFcntl(fcntl.get(9), "setlk", in, "{}"); // bad pointer: the struct is not read
        assertEquals(14, errno(fcntl.get(9)));
        assertFcntl(fcntl.get(10), "getlk", "<not open>", "{}");
        assertEquals(9, errno(fcntl.get(10)));
        final String[] printed = run.stdout().strip().split("\n");
        final long pipeSize = Long.parseLong(printed[0].split(" ")[1]);
        assertFcntl(fcntl.get(11), "getpipe_sz", pipe, "{\"pipe_size\":" + pipeSize + "}");
        assertFcntl(fcntl.get(12), "setpipe_sz", pipe, "{\"arg\":8192,\"pipe_size\":8192}");
        assertFcntl(fcntl.get(13), "dupfd", in, "{\"arg\":20}");
        assertFcntl(fcntl.get(14), "dupfd_cloexec", in, "{\"arg\":21}");
        fcntl.subList(0, 9).forEach(r -> assertEquals("ok", state(r), r.toString()));

        // close_range(20, 21) closed 20 and 21 for the tracer too: fd 20, made behind its back, is named afresh
        final JsonNode range = calls.get(27);
        assertEquals(List.of(20L, 21L), List.of(data(range, "first"), data(range, "last")));
        assertEquals("<not a file>", filename(range));
        assertEquals(out, filename(calls.get(28)));
        assertEquals(20, descriptor(calls.get(28)));
        // CLOSE_RANGE_CLOEXEC closes nothing: fd 22 still names in.dat
        assertEquals("[\"cloexec\"]", calls.get(29).path("function_data").path("range_flags").toString());
        assertEquals(4294967295L, data(calls.get(29), "last"));
        assertEquals(in, filename(calls.get(30)));
        // closefrom(20) closed 22: the number made again behind the tracer's back names out.dat
        assertEquals(20, data(calls.get(31), "first"));
        assertEquals(out, filename(calls.get(32)));
        assertEquals(List.of(20L, 22L), trace.function("fd_discovered").stream()
            .filter(r -> "first_use".equals(r.path("function_data").path("how").asText()))
            .map(r -> data(r, "fd")).toList());

        // error numbers returned (errcode) become the record's errno
        assertEquals(List.of("ok", "error", "ok", "error"), calls.subList(33, 37).stream().map(TraceRecords::state)
            .toList());
        assertEquals(List.of(0, 22, 0, 29), calls.subList(33, 37).stream().map(TraceRecords::errno).toList());
        assertEquals(List.of(in, in, out, pipe), calls.subList(33, 37).stream().map(TraceRecords::filename).toList());
        assertEquals(100, data(calls.get(33), "len"));
        assertEquals(4096, data(calls.get(35), "len"));
        assertEquals("<not a file>", filename(calls.get(37)));

        // lease, seals and dnotify: what the file system supports is printed ("lease L errno seals S errno G errno
        // notify N errno"); the records agree with it
        final String[] results = printed[1].split(" ");
        final boolean leaseOk = !"-1".equals(results[1]);
        assertFcntlResult(calls.get(38), "getlease", in, results[1], results[2], leaseOk ?
            "{\"lease\":\"" + List.of("read", "write", "unlock").get(Integer.parseInt(results[1])) + "\"}" : "{}");
        assertFcntlResult(calls.get(39), "add_seals", in, results[4], results[5], "{\"seals\":[\"shrink\",\"grow\"]}");
        final int seals = Integer.parseInt(results[6]);
        final List<String> sealNames = List.of("seal", "shrink", "grow", "write", "future_write", "exec");
        assertFcntlResult(calls.get(40), "get_seals", in, results[6], results[7], -1 == seals ? "{}" :
            "{\"seals\":[" + String.join(",", java.util.stream.IntStream.range(0, sealNames.size())
                .filter(bit -> 0 != (seals & (1 << bit))).mapToObj(bit -> "\"" + sealNames.get(bit) + "\"").toList()) +
            "]}");
        final String dir = data.toString();
        assertEquals(dir, filename(calls.get(41)));
        assertFcntlResult(calls.get(42), "notify", dir, results[9], results[10],
            "{\"notify_flags\":[\"create\",\"multishot\"]}");
        assertFcntl(calls.get(43), "notify", dir, "{\"notify_flags\":[]}");
        assertEquals(dir, filename(calls.get(44)));
        assertFcntl(calls.get(45), "getfd", in, "{\"fd_flags\":[\"cloexec\"]}");
        assertEquals(List.of(out, otherPipe, otherPipe, pipe, pipe, out, in),
            calls.subList(46, 53).stream().map(TraceRecords::filename).toList());
        // out.dat: 40 + 30 + 20 transferred bytes, the writes through fds 20 and 22, zeros to 4096 (posix_fallocate)
        final String content = Files.readString(data.resolve("out.dat"));
        assertEquals(4096, content.length());
        assertEquals("e".repeat(90) + "xz", content.substring(0, 92));
    }

    private static void assertTransfer(
        final JsonNode record, final String from, final int fd, final String to, final int outFd, final long bytes)
    {
        assertEquals("ok", state(record), record.toString());
        assertEquals(from, filename(record), record.toString());
        assertEquals(fd, descriptor(record));
        assertEquals(outFd, data(record, "out_fd"));
        assertEquals(to, record.path("function_data").path("out_filename").asText(), record.toString());
        assertEquals(bytes, data(record, "read_bytes"));
    }

    /** The record's fd, cmd and file, and its function_data apart from fd and cmd. */
    private static void assertFcntl(final JsonNode record, final String cmd, final String file, final String rest)
    {
        assertEquals(cmd, record.path("function_data").path("cmd").asText(), record.toString());
        assertEquals(file, filename(record), record.toString());
        final com.fasterxml.jackson.databind.node.ObjectNode others =
            ((com.fasterxml.jackson.databind.node.ObjectNode)record.get("function_data")).deepCopy();
        others.remove(List.of("fd", "cmd"));
        assertEquals(rest, others.toString(), record.toString());
    }

    /** {@link #assertFcntl} plus the result the program printed: ok, or error with the printed errno. */
    private static void assertFcntlResult(
        final JsonNode record, final String cmd, final String file, final String result, final String errno,
        final String rest)
    {
        assertFcntl(record, cmd, file, rest);
        assertEquals("-1".equals(result) ? "error" : "ok", state(record), record.toString());
        assertEquals(Integer.parseInt(errno), errno(record), record.toString());
    }

    private static String lock(final String type, final long start, final long len, final long pid)
    {
        return "{\"lock_type\":\"" + type + "\",\"lock_whence\":\"beginning_of_file\",\"lock_start\":" + start +
            ",\"lock_len\":" + len + ",\"lock_pid\":" + pid + "}";
    }

    /**
     * A stream whose closing call fails has still given its descriptor back (fclose whose flush fails on /dev/full,
     * freopen to a path that cannot be opened): the shim forgets the number before the call, so when the program
     * opens it again behind the tracer's back (raw openat) the next write discovers the new file instead of being
     * named after the stream's old one.
     */
    @Test
    void shouldForgetTheDescriptorOfAStreamWhoseCloseFailed() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program("failed_close", data.toString()).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final String[] printed = run.stdout().trim().split(" ");
        final TraceRecords trace = run.records().withoutStdoutReport();
        assertEquals(List.of("fopen", "fileno", "fputs", "fclose", "write", "close", "fopen", "fileno", "freopen", "write",
            "close"),
            trace.callNames());
        final List<JsonNode> calls = trace.calls();

        final JsonNode fclose = calls.get(3);
        assertEquals(List.of("error", "/dev/full", 28), List.of(state(fclose), filename(fclose), errno(fclose)));
        assertEquals(data.resolve("after_fclose.dat").toString(), filename(calls.get(4)));
        assertEquals(Integer.parseInt(printed[4]), descriptor(calls.get(4)));
        assertEquals(3, data(calls.get(4), "count"));

        final JsonNode freopen = calls.get(8);
        assertEquals(List.of("error", 2), List.of(state(freopen), errno(freopen)));
        assertEquals(data.resolve("after_freopen.dat").toString(), filename(calls.get(9)));
        assertEquals(Integer.parseInt(printed[9]), descriptor(calls.get(9)));

        // both reused numbers were discovered at their first use, named by /proc
        assertEquals(List.of(data.resolve("after_fclose.dat").toString(), data.resolve("after_freopen.dat").toString()),
            trace.function("fd_discovered").stream()
                .filter(r -> "first_use".equals(r.path("function_data").path("how").asText()))
                .map(TraceRecords::filename).toList());
    }
}
