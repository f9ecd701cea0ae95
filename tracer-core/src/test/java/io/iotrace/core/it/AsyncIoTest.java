package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.iotrace.core.it.TraceRecords.data;
import static io.iotrace.core.it.TraceRecords.descriptor;
import static io.iotrace.core.it.TraceRecords.errno;
import static io.iotrace.core.it.TraceRecords.filename;
import static io.iotrace.core.it.TraceRecords.state;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * POSIX aio, memfd_create, libc's syscall() (traced as the row of the syscall's number, or as a generic record)
 * and io_uring through syscall(), from a program built plainly and with distribution flags (64-bit offsets,
 * fortify: the aio calls become their *64 variants).
 */
class AsyncIoTest
{
    private static final int EINVAL = 22;
    private static final int EBADF = 9;
    private static final int ENOENT = 2;
    private static final int SYS_GETPID = 39;

    @TempDir
    Path work;

    @ParameterizedTest(name = "{0}")
    @CsvSource({"async_io, ''", "async_io-lfs, 64"})
    void shouldRecordAioSyscallAndIoUringCalls(final String program, final String lfs) throws Exception
    {
        final String v = null == lfs ? "" : lfs;
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program(program, data.toString()).run(work);
        // the program checks every result and errno itself: exit 0 = it saw what it sees untraced
        assertEquals(0, run.exitStatus(), run.stderr());
        assertEquals("", run.stderr());
        final String[] out = run.stdout().strip().split("\n");
        final long pid = Long.parseLong(out[0].split(" ")[1]);
        final String[] ioUring = out[1].split(" ");
        final boolean ring = Long.parseLong(ioUring[1]) >= 0;

        final TraceRecords trace = run.records();
        final List<String> expected = new ArrayList<>(List.of(
            "open" + v,
            "aio_write" + v, "aio_suspend" + v, "aio_error" + v, "aio_return" + v,
            "aio_read" + v, "aio_suspend" + v, "aio_return" + v,
            "aio_fsync" + v, "aio_suspend" + v, "aio_return" + v, "aio_fsync" + v,
            "lio_listio" + v, "aio_return" + v, "aio_return" + v,
            "aio_read" + v, "aio_suspend" + v, "aio_error" + v, "aio_return" + v, "aio_cancel" + v, "close",
            "memfd_create", "write", "close",
            "openat", "write", "lseek", "read", "pread64", "dup", "close", "close", "close", "syscall", "syscall",
            "openat",
            "io_uring_setup"));
        if (ring)
        {
            expected.addAll(List.of("mmap" + v, "mmap" + v, "mmap" + v, "io_uring_enter", "munmap", "munmap",
                "munmap", "close"));
        }
        expected.add(v.isEmpty() ? "printf" : "__printf_chk"); // the program's report on stdout (fortified in -lfs)
        assertEquals(expected, trace.callNames());
        final List<JsonNode> calls = trace.calls();
        // glibc's aio helper threads do the I/O with internal pread/pwrite: nothing of theirs reaches the trace,
        // so every record is the program's own call (no I/O counted twice)
        calls.forEach(r -> assertEquals(pid, r.get("tid").asLong(), r.toString()));

        // POSIX aio: fd, offset, nbytes and aiocb from the struct; aio_return's bytes by the request's direction
        final String aioFile = data.resolve("aio.dat").toString();
        calls.subList(0, 15).forEach(r -> assertEquals(aioFile, filename(r), r.toString()));
        calls.subList(19, 21).forEach(r -> assertEquals(aioFile, filename(r), r.toString()));
        calls.subList(1, 15).forEach(r -> assertEquals(3, data(r, "fd"), r.toString()));
        final JsonNode write = calls.get(1);
        assertEquals(List.of(0L, 16L), List.of(data(write, "offset"), data(write, "nbytes")));
        final String writeCb = aiocb(write);
        assertEquals(writeCb, aiocb(calls.get(3)));
        assertEquals(0, data(calls.get(3), "request_error"));
        assertEquals(writeCb, aiocb(calls.get(4)));
        assertEquals(16, data(calls.get(4), "written_bytes"));
        assertFalse(calls.get(4).path("function_data").has("read_bytes"));
        assertEquals(1, data(calls.get(2), "nent"));
        final JsonNode read = calls.get(5);
        assertEquals(List.of(6L, 3L), List.of(data(read, "offset"), data(read, "nbytes")));
        assertEquals(aiocb(read), aiocb(calls.get(7)));
        assertEquals(3, data(calls.get(7), "read_bytes"));
        assertFalse(calls.get(7).path("function_data").has("written_bytes"));
        assertEquals("ok", state(calls.get(8)));
        assertEquals(aiocb(calls.get(8)), aiocb(calls.get(10)));
        assertEquals("ok", state(calls.get(10)), "an fsync request's aio_return of 0 is no end of file");
        assertFalse(calls.get(10).path("function_data").has("read_bytes"));
        assertFalse(calls.get(10).path("function_data").has("written_bytes"));
        assertEquals("error", state(calls.get(11)));
        assertEquals(EINVAL, errno(calls.get(11)));
        assertEquals(12345, data(calls.get(11), "sync_op"));
        final JsonNode lio = calls.get(12);
        assertEquals(List.of(0L, 2L), List.of(data(lio, "lio_mode"), data(lio, "nent")));
        assertEquals("3:write:16:4 3:read:0:5", lio.path("function_data").path("lio_entries").asText());
        assertEquals(4, data(calls.get(13), "written_bytes"));
        assertEquals(5, data(calls.get(14), "read_bytes"));
        // a request that failed: aio_error has its error, aio_return fails with it as errno
        calls.subList(15, 19).forEach(r -> assertEquals(99, data(r, "fd"), r.toString()));
        // unknown fd 99: unresolved while the calls succeed; not open once one fails with EBADF
        calls.subList(15, 19).forEach(r -> assertEquals(
            "error".equals(state(r)) && EBADF == errno(r) ? "<not open>" : "<unresolved>", filename(r), r.toString()));
        assertEquals("ok", state(calls.get(15)));
        assertEquals(EBADF, data(calls.get(17), "request_error"));
        final JsonNode failed = calls.get(18);
        assertEquals(aiocb(calls.get(15)), aiocb(failed));
        assertEquals("error", state(failed));
        assertEquals(EBADF, errno(failed));
        assertFalse(failed.path("function_data").has("read_bytes"));
        assertEquals(3, data(calls.get(19), "fd"));
        assertEquals(2, data(calls.get(19), "cancel_result"), "AIO_ALLDONE");
        assertEquals("hello aio world!LIO!", Files.readString(data.resolve("aio.dat")));

        // memfd_create: the fd is named as /proc names it, and later calls on it resolve to that name
        final String memfd = "/memfd:iotrace-memfd (deleted)";
        calls.subList(21, 24).forEach(r -> assertEquals(memfd, filename(r), r.toString()));
        assertEquals(3, descriptor(calls.get(21)));
        assertEquals(1, data(calls.get(22), "written_bytes"));

        // syscall(SYS_x, ...): the record of x with "via":"syscall", same byte counts, errno and file names
        final String sysFile = data.resolve("sys.dat").toString();
        final List<JsonNode> viaSyscall = calls.subList(24, 37);
        viaSyscall.stream().filter(r -> !"syscall".equals(TraceRecords.functionName(r)))
            .forEach(r -> assertEquals("syscall", r.path("function_data").path("via").asText(), r.toString()));
        calls.subList(24, 32).forEach(r -> assertEquals(sysFile, filename(r), r.toString()));
        assertEquals(3, descriptor(calls.get(24)));
        assertEquals(sysFile, calls.get(24).path("function_data").path("path").asText());
        assertEquals(8, data(calls.get(25), "written_bytes"));
        assertEquals(0, data(calls.get(26), "new_offset_relative_to_beginning_of_file"));
        assertEquals(8, data(calls.get(27), "read_bytes"));
        assertEquals(100, data(calls.get(27), "count"));
        assertEquals(List.of(3L, 4L), List.of(data(calls.get(28), "read_bytes"), data(calls.get(28), "position")));
        assertEquals(4, descriptor(calls.get(29)), "dup's new fd");
        assertEquals(4, data(calls.get(30), "fd"));
        assertEquals(3, data(calls.get(31), "fd"));
        final JsonNode closedTwice = calls.get(32);
        assertEquals("error", state(closedTwice));
        assertEquals(EBADF, errno(closedTwice));
        final JsonNode getpid = calls.get(33);
        assertEquals(SYS_GETPID, data(getpid, "syscall_number"));
        assertEquals("getpid", getpid.path("function_data").path("syscall_name").asText());
        assertEquals(pid, data(getpid, "return_value"));
        assertFalse(getpid.path("function_data").has("via"), "the generic record is syscall() itself");
        assertEquals("<not a file>", filename(getpid));
        final JsonNode getcwd = calls.get(34);
        assertEquals("getcwd", getcwd.path("function_data").path("syscall_name").asText());
        assertEquals(4096, data(getcwd, "arg1"));
        assertEquals(Long.parseLong(out[2].split(" ")[1]), data(getcwd, "return_value"));
        final JsonNode missing = calls.get(35);
        assertEquals("error", state(missing));
        assertEquals(ENOENT, errno(missing));
        assertEquals(data.resolve("missing/none").toString(), filename(missing));

        // io_uring through syscall(): the ring fd is named as /proc names it; what it runs is not visible (warned)
        final JsonNode setup = calls.get(36);
        assertEquals("syscall", setup.path("function_data").path("via").asText());
        assertEquals(4, data(setup, "ring_entries"));
        assertEquals(0, data(setup, "setup_flags"));
        if (!ring)
        {
            assertEquals("error", state(setup));
            assertEquals(Integer.parseInt(ioUring[2]), errno(setup));
            return;
        }
        final String ringName = "anon_inode:[io_uring]";
        calls.subList(36, calls.size() - 1).forEach(r -> assertEquals(ringName, filename(r), r.toString()));
        assertEquals(Long.parseLong(ioUring[1]), descriptor(setup));
        final JsonNode enter = calls.get(40);
        assertEquals("syscall", enter.path("function_data").path("via").asText());
        assertEquals(List.of(1L, 1L, 1L), List.of(data(enter, "to_submit"), data(enter, "min_complete"),
            data(enter, "enter_flags")));
        assertTrue(trace.warnings().stream().anyMatch(w -> "io_uring_enter".equals(w.path("function_name").asText())
            && w.path("message").asText().contains("not traced one by one")), trace.warnings().toString());
    }

    private static String aiocb(final JsonNode record)
    {
        final String address = record.path("function_data").path("aiocb").asText();
        assertTrue(address.startsWith("0x") && !"0x0".equals(address), record.toString());
        return address;
    }
}
