package io.iotrace.core.json;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotrace.core.decode.DecodedEvent;
import io.iotrace.core.decode.EventDecoder;
import io.iotrace.core.format.FunctionTable;
import io.iotrace.core.format.TraceFormat;
import io.iotrace.core.testing.EventEncoder;
import io.iotrace.core.testing.JsonLines;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonRecordWriterTest
{
    private final FunctionTable table = FunctionTable.load();
    private final EventDecoder decoder = new EventDecoder(table);
    private final DecodedEvent event = new DecodedEvent();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final JsonRecordWriter writer = new JsonRecordWriter(out, "host\"x", 42, 7, 1);

    private void write(final EventEncoder encoder, final String name, final int fileType, final long handle)
    {
        final byte[] payload = encoder.build();
        decoder.decode(encoder.typeId(), new UnsafeBuffer(payload), 0, payload.length, event);
        writer.write(event, name, fileType, handle, 0, false);
    }

    private List<JsonNode> lines()
    {
        writer.flush();
        final List<JsonNode> records = JsonLines.parse(out.toString(StandardCharsets.UTF_8));
        JsonLines.assertValid(records);
        return records;
    }

    @Test
    void shouldWriteFieldsInLibiotraceOrder()
    {
        write(EventEncoder.event(table.byName("open")).times(10, 20).result(3).tid(43)
            .slot("flags", 02 | 0100).slot("mode", 0644).string("path", "a.txt"),
            "/w/a.txt", JsonRecordWriter.FILE_TYPE_DESCRIPTOR, 3);
        final JsonNode record = lines().getFirst();
        final List<String> names = new java.util.ArrayList<>();
        record.fieldNames().forEachRemaining(names::add);
        assertEquals(List.of("traced_filename", "hostname", "pid", "ppid", "tid", "incarnation", "function_name",
            "time_start", "time_end", "return_state", "file_type", "function_data"), names);
        assertEquals("/w/a.txt", record.get("traced_filename").asText());
        assertEquals("host\"x", record.get("hostname").asText());
        assertEquals(42, record.get("pid").asInt());
        assertEquals(7, record.get("ppid").asInt());
        assertEquals(43, record.get("tid").asInt());
        assertEquals(1, record.get("incarnation").asInt());
        assertEquals("open", record.get("function_name").asText());
        assertEquals(10, record.get("time_start").asLong());
        assertEquals(20, record.get("time_end").asLong());
        assertEquals("ok", record.get("return_state").asText());
        assertEquals(3, record.get("file_type").get("descriptor").asInt());
        final JsonNode data = record.get("function_data");
        assertEquals("a.txt", data.get("path").asText());
        assertEquals("read_and_write", data.get("mode").asText());
        assertEquals("[\"creat\"]", data.get("creation").toString());
        assertEquals("[]", data.get("status").toString());
        assertEquals("[\"read_by_owner\",\"write_by_owner\",\"read_by_group\",\"read_by_others\"]",
            data.get("file_mode").toString());
    }

    @Test
    void shouldWriteErrnoDetailOnlyWhenFailed()
    {
        write(EventEncoder.event(table.byName("read")).failed(9).slot("fd", 5).slot("count", 10),
            "<unresolved>", JsonRecordWriter.FILE_TYPE_DESCRIPTOR, 5);
        write(EventEncoder.event(table.byName("read")).result(0).status(2).slot("fd", 5).slot("count", 10),
            "/f", JsonRecordWriter.FILE_TYPE_DESCRIPTOR, 5);
        final List<JsonNode> records = lines();
        assertEquals("error", records.get(0).get("return_state").asText());
        assertEquals(9, records.get(0).get("return_state_detail").get("errno_value").asInt());
        assertEquals("Bad file descriptor", records.get(0).get("return_state_detail").get("errno_text").asText());
        assertFalse(records.get(0).get("function_data").has("read_bytes"));
        assertEquals("eof", records.get(1).get("return_state").asText());
        assertFalse(records.get(1).has("return_state_detail"));
        assertEquals(0, records.get(1).get("function_data").get("read_bytes").asInt());
    }

    @Test
    void shouldKeepWeirdFileNamesValidJson()
    {
        final byte[] invalidUtf8 = { '/', 't', (byte)0xff, (byte)0xc3, '(', '\n', '"', '\\', 0x01, 'x' };
        write(EventEncoder.event(table.byName("open")).result(3).bytes("path", invalidUtf8),
            "/dir/\"quoted\"\nnew\tline\u0000", JsonRecordWriter.FILE_TYPE_DESCRIPTOR, 3);
        write(EventEncoder.event(table.byName("execve")).string("path", "/bin/ü")
            .argv("argv", "a b", "\"", "\n", ""), "/bin/ü", JsonRecordWriter.FILE_TYPE_NONE, 0);
        final List<JsonNode> records = lines();
        final String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(2, records.size());
        assertEquals(2, text.split("\n").length);
        assertEquals("/dir/\"quoted\"\nnew\tline\u0000", records.get(0).get("traced_filename").asText());
        assertTrue(records.get(0).get("function_data").get("path").asText().startsWith("/t\uFFFD"));
        final Iterator<JsonNode> argv = records.get(1).get("function_data").get("argv").elements();
        assertEquals("a b", argv.next().asText());
        assertEquals("\"", argv.next().asText());
        assertEquals("\n", argv.next().asText());
        assertEquals("", argv.next().asText());
        assertEquals("/bin/ü", records.get(1).get("traced_filename").asText());
    }

    @Test
    void shouldWriteStreamsPointersAndItemBytes()
    {
        write(EventEncoder.event(table.byName("fwrite")).result(3).slot("stream", 0x7f18a6e15800L).slot("fd", 4)
            .slot("size", 10).slot("nmemb", 3), "/f", JsonRecordWriter.FILE_TYPE_STREAM, 0x7f18a6e15800L);
        write(EventEncoder.event(table.byName("mmap")).result(0x7f0000001000L).slot("addr", 0).slot("length", 4096)
            .slot("prot", 1).slot("flags", 1).slot("fd", 4), "/f", JsonRecordWriter.FILE_TYPE_DESCRIPTOR, 4);
        final byte[] payload = EventEncoder.event(table.byName("munmap")).slot("addr", 0x7f0000001000L)
            .slot("length", 4096).build();
        decoder.decode(table.byName("munmap").id(), new UnsafeBuffer(payload), 0, payload.length, event);
        writer.write(event, "/f", JsonRecordWriter.FILE_TYPE_MEMORY, 0x7f0000001000L, 4096, false);
        write(EventEncoder.event(table.byName("lseek")).result(100).slot("fd", 4).slot("offset", -5)
            .slot("relative_to", 2), "/f", JsonRecordWriter.FILE_TYPE_DESCRIPTOR, 4);

        final List<JsonNode> records = lines();
        assertEquals("{\"stream\":\"0x7f18a6e15800\"}", records.get(0).get("file_type").toString());
        assertEquals(30, records.get(0).get("function_data").get("written_bytes").asInt());
        assertEquals("0x7f18a6e15800", records.get(0).get("function_data").get("stream").asText());
        final JsonNode mmap = records.get(1).get("function_data");
        assertEquals("0x7f0000001000", mmap.get("address").asText());
        assertEquals("0x0", mmap.get("addr").asText());
        assertEquals("[\"read\"]", mmap.get("protection_flags").toString());
        assertEquals("[\"shared\"]", mmap.get("map_flags").toString());
        assertEquals("{\"address\":\"0x7f0000001000\",\"length\":4096}", records.get(2).get("file_type").toString());
        assertEquals("end_of_file", records.get(3).get("function_data").get("relative_to").asText());
        assertEquals(-5, records.get(3).get("function_data").get("offset").asInt());
        assertEquals(100, records.get(3).get("function_data").get("new_offset_relative_to_beginning_of_file")
            .asInt());
    }

    @Test
    void shouldWriteUnknownFunctionsWithoutData()
    {
        final byte[] payload = new byte[64];
        decoder.decode(999, new UnsafeBuffer(payload), 0, payload.length, event);
        writer.write(event, JsonRecordWriter.NOT_A_FILE, JsonRecordWriter.FILE_TYPE_NONE, 0, 0, false);
        final JsonNode record = lines().getFirst();
        assertEquals("unknown_999", record.get("function_name").asText());
        assertFalse(record.has("function_data"));
    }
    @Test
    void shouldMarkCallsMadeThroughSyscallNameGenericSyscallsAndLabelAioBytesByOpcode()
    {
        write(EventEncoder.event(table.byName("write")).result(8).status(TraceFormat.STATUS_VIA_SYSCALL)
            .slot("fd", 3).slot("count", 8), "/w/s", JsonRecordWriter.FILE_TYPE_DESCRIPTOR, 3);
        write(EventEncoder.event(table.byName("syscall")).result(77).slot("syscall_number", 39)
            .slot("arg0", -1).slot("return_value", 77), JsonRecordWriter.NOT_A_FILE, JsonRecordWriter.FILE_TYPE_NONE, 0);
        write(EventEncoder.event(table.byName("syscall")).result(0).slot("syscall_number", 999),
            JsonRecordWriter.NOT_A_FILE, JsonRecordWriter.FILE_TYPE_NONE, 0);
        write(EventEncoder.event(table.byName("aio_return64")).result(5).slot("fd", 3).slot("lio_opcode", 128),
            "/w/a", JsonRecordWriter.FILE_TYPE_DESCRIPTOR, 3);
        write(EventEncoder.event(table.byName("aio_return")).result(4).slot("fd", 3).slot("lio_opcode", 1),
            "/w/a", JsonRecordWriter.FILE_TYPE_DESCRIPTOR, 3);
        write(EventEncoder.event(table.byName("aio_return")).result(0).slot("fd", 3).slot("lio_opcode", 4),
            "/w/a", JsonRecordWriter.FILE_TYPE_DESCRIPTOR, 3);
        final List<JsonNode> records = lines();
        assertEquals("{\"fd\":3,\"count\":8,\"via\":\"syscall\",\"written_bytes\":8}",
            records.get(0).get("function_data").toString());
        final JsonNode generic = records.get(1).get("function_data");
        assertEquals(39, generic.get("syscall_number").asInt());
        assertEquals("getpid", generic.get("syscall_name").asText());
        assertEquals(-1, generic.get("arg0").asLong());
        assertEquals(77, generic.get("return_value").asLong());
        assertEquals(null, generic.get("via"));
        assertEquals(null, records.get(2).get("function_data").get("syscall_name"), "no name for an unknown number");
        assertEquals(5, records.get(3).get("function_data").get("read_bytes").asLong(), "LIO_READ | 128 (aio *64)");
        assertEquals(4, records.get(4).get("function_data").get("written_bytes").asLong());
        assertEquals(null, records.get(5).get("function_data").get("read_bytes"), "fsync request: no bytes");
        assertEquals(null, records.get(5).get("function_data").get("written_bytes"));
    }
}
