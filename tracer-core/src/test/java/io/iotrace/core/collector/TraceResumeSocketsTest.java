package io.iotrace.core.collector;

import io.iotrace.core.format.FunctionTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A collector that continues a file rebuilds the names that socket-family records gave descriptors. */
class TraceResumeSocketsTest
{
    @TempDir
    Path dir;

    @Test
    void shouldRebuildSocketAndAnonymousDescriptorNamesFromTheRecordsWritten() throws Exception
    {
        final Path file = dir.resolve("host_1_0.jsonl");
        Files.write(file, List.of(
            line("socket:[11]", "socketpair", 1, "ok", 3, "\"fd0\":3,\"fd1\":4,\"fd0_name\":\"socket:[11]\"," +
                "\"fd1_name\":\"socket:[12]\""),
            line("socket:[13]", "socket", 2, "ok", 5, "\"fd_name\":\"socket:[13]\""),
            line("tcp:127.0.0.1:5000", "bind", 3, "ok", 5, "\"fd\":5,\"sockaddr\":\"tcp:127.0.0.1:5000\""),
            line("tcp:127.0.0.1:40000", "accept", 4, "ok", 6, "\"fd\":5,\"sockaddr\":\"tcp:127.0.0.1:40000\""),
            line("anon_inode:[eventfd]", "eventfd", 5, "ok", 7, "\"fd_name\":\"anon_inode:[eventfd]\""),
            line("socket:[14]", "socket", 6, "ok", 8, "\"fd_name\":\"socket:[14]\""),
            line("socket:[14]", "connect", 7, "error", 8, "\"fd\":8,\"sockaddr\":\"tcp:127.0.0.1:1\""),
            line("<not a file>", "socketpair", 8, "error", -1, "\"fd0\":-1,\"fd1\":-1,\"fd0_name\":\"\",\"fd1_name\":\"\"")));

        final TraceResume resume = TraceResume.prepare(file, FunctionTable.load(), "/");
        final var handles = resume.handles;
        assertEquals(List.of("socket:[11]", "socket:[12]", "tcp:127.0.0.1:5000", "tcp:127.0.0.1:40000",
                "anon_inode:[eventfd]", "socket:[14]"),
            List.of(handles.fdName(3, Long.MAX_VALUE), handles.fdName(4, Long.MAX_VALUE),
                handles.fdName(5, Long.MAX_VALUE), handles.fdName(6, Long.MAX_VALUE), handles.fdName(7, Long.MAX_VALUE),
                handles.fdName(8, Long.MAX_VALUE)));
        assertNull(handles.fdName(9, Long.MAX_VALUE));
    }

    private static String line(final String filename, final String function, final long time, final String state,
        final int descriptor, final String data)
    {
        return "{\"traced_filename\":\"" + filename + "\",\"hostname\":\"host\",\"pid\":1,\"ppid\":0,\"tid\":1," +
            "\"incarnation\":0,\"function_name\":\"" + function + "\",\"time_start\":" + time + ",\"time_end\":" +
            time + ",\"return_state\":\"" + state + "\"" +
            (descriptor >= 0 ? ",\"file_type\":{\"descriptor\":" + descriptor + "}" : "") +
            ",\"function_data\":{" + data + "}}";
    }
}
