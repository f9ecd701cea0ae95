package io.iotrace.core.collector;

import io.iotrace.core.format.FunctionTable;
import io.iotrace.fnres.HandleTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A later collector rebuilds close_range/closefrom and mremap from the records an earlier one wrote. */
class TraceResumeRangeAndRemapTest
{
    @TempDir
    Path work;

    private static String record(final String function, final String file, final String fileType, final String data)
    {
        return "{\"traced_filename\":\"" + file + "\",\"hostname\":\"h\",\"pid\":5,\"ppid\":1,\"tid\":5," +
            "\"incarnation\":0,\"function_name\":\"" + function + "\",\"time_start\":1,\"time_end\":2," +
            "\"return_state\":\"ok\"" + fileType + ",\"function_data\":" + data + "}\n";
    }

    private static String open(final int fd, final String file)
    {
        return record("open", file, ",\"file_type\":{\"descriptor\":" + fd + "}", "{\"path\":\"" + file + "\"}");
    }

    @Test
    void shouldCloseRangesButNotCloexecMarkedOnes() throws Exception
    {
        final Path file = work.resolve("h_5_0.jsonl");
        Files.writeString(file, open(3, "/d/a") + open(4, "/d/b") + open(5, "/d/c") + open(9, "/d/e") +
            record("close_range", "<not a file>", "", "{\"first\":3,\"last\":4,\"range_flags\":[]}") +
            record("close_range", "<not a file>", "",
                "{\"first\":5,\"last\":4294967295,\"range_flags\":[\"cloexec\"]}") +
            open(4, "/d/d"));

        final HandleTable table = TraceResume.prepare(file, FunctionTable.load(), "/").handles;

        assertNull(table.fdName(3, Long.MAX_VALUE));
        assertEquals("/d/d", table.fdName(4, Long.MAX_VALUE));
        assertEquals("/d/c", table.fdName(5, Long.MAX_VALUE), "CLOSE_RANGE_CLOEXEC closes nothing");

        Files.writeString(file, record("closefrom", "<not a file>", "", "{\"first\":4}"),
            java.nio.file.StandardOpenOption.APPEND);
        final HandleTable after = TraceResume.prepare(file, FunctionTable.load(), "/").handles;
        assertNull(after.fdName(9, Long.MAX_VALUE));
        assertNull(after.fdName(4, Long.MAX_VALUE));
    }

    @Test
    void shouldNameANumberReopenedAfterAClose() throws Exception
    {
        final Path file = work.resolve("h_5_0.jsonl");
        Files.writeString(file, open(4, "/d/b") +
            record("close", "/d/b", ",\"file_type\":{\"descriptor\":4}", "{\"fd\":4}") + open(4, "/d/d"));
        assertEquals("/d/d", TraceResume.prepare(file, FunctionTable.load(), "/").handles.fdName(4, Long.MAX_VALUE));
    }

    @Test
    void shouldMoveMappingsOfMremap() throws Exception
    {
        final Path file = work.resolve("h_5_0.jsonl");
        Files.writeString(file, open(3, "/d/m") +
            record("mmap", "/d/m", ",\"file_type\":{\"descriptor\":3}",
                "{\"addr\":\"0x0\",\"length\":8192,\"fd\":3,\"offset\":0,\"address\":\"0x10000\"}") +
            record("mremap", "/d/m", ",\"file_type\":{\"address\":\"0x40000\",\"length\":16384}",
                "{\"addr\":\"0x10000\",\"length\":8192,\"new_length\":16384,\"mremap_flags\":[\"maymove\"]," +
                "\"fixed_address\":\"0x0\",\"address\":\"0x40000\"}"));

        final HandleTable table = TraceResume.prepare(file, FunctionTable.load(), "/").handles;

        assertNull(table.mappingName(0x10000));
        assertEquals("/d/m", table.mappingName(0x40000 + 16383));
    }
}
