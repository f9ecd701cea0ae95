package io.iotrace.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.iotrace.cli.CliHarness.cli;
import static io.iotrace.cli.CliHarness.program;
import static io.iotrace.cli.CliHarness.records;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code iotrace run --ptrace-only}: a statically linked program (test-programs/static_handles.c), where LD_PRELOAD
 * cannot load, traced by the ptrace fallback alone: its handle calls, writes and its fork child's, with the JSON and
 * file names of a shim trace, and the program's exit status; a socketpair's ends named from /proc at first use. test-programs/data_calls.c, built static and dynamic:
 * the records of its reads, writes, seeks, syncs, truncation and fstat under --ptrace-only are what it reports and
 * exactly the shim's records of the dynamic build (but for "source":"syscall" and the times); data_calls_i386's
 * int 0x80 calls with offsets beyond 4 GiB; the writes of four threads (threads.c), each in its order.
 */
class PtraceOnlyRunTest
{
    @TempDir
    Path tmp;

    /** function, traced_filename, descriptor (or fd argument), state; one per record of the data dir. */
    private record Call(String function, String file, int fd, String state)
    {
    }

    private static Call call(final JsonNode r)
    {
        final JsonNode descriptor = r.path("file_type").path("descriptor");
        return new Call(r.get("function_name").asText(), r.get("traced_filename").asText(),
            descriptor.isMissingNode() ? -1 : descriptor.asInt(), r.get("return_state").asText());
    }

    @Test
    void tracesAStaticProgramAndItsChildWithPtraceAlone() throws IOException
    {
        final Path data = Files.createDirectories(tmp.resolve("data")).toRealPath();
        final Path traceDir = tmp.resolve("trace");
        final CliHarness.Result run = cli("run", "--ptrace-only", "-d", traceDir.toString(), "--",
            program("static_handles-static"), data.toString());
        assertEquals(5, run.status(), run.err());
        assertTrue(run.err().startsWith("iotrace: trace in " + traceDir), run.err());
        assertEquals("static", Files.readString(data.resolve("static.dat")));

        final List<JsonNode> records = records(traceDir);
        // every call record is the tracer's (the collector adds its process_start records)
        assertTrue(records.stream().allMatch(r -> "process_start".equals(r.get("function_name").asText()) ||
            "syscall".equals(r.path("function_data").path("source").asText())), records.toString());
        assertTrue(records.stream().noneMatch(r -> r.get("traced_filename").asText().contains("unresolved")),
            records.toString());
        final long parent = records.stream().filter(r -> r.get("traced_filename").asText().endsWith("/static.dat"))
            .findFirst().orElseThrow().get("pid").asLong();
        final String file = data + "/static.dat";
        final String childFile = data + "/child.dat";
        assertEquals(List.of(
            new Call("openat", file, 3, "ok"),
            new Call("write", file, 3, "ok"),
            new Call("dup", file, 4, "ok"),
            new Call("close", file, 4, "ok"),
            new Call("close", file, 3, "ok")),
            records.stream().filter(r -> r.get("pid").asLong() == parent &&
                r.get("traced_filename").asText().startsWith(data.toString())).map(PtraceOnlyRunTest::call).toList());
        final List<JsonNode> child = records.stream().filter(r -> r.get("traced_filename").asText().equals(childFile))
            .toList();
        assertEquals(List.of(new Call("openat", childFile, 3, "ok"), new Call("write", childFile, 3, "ok"),
                new Call("close", childFile, 3, "ok")),
            child.stream().map(PtraceOnlyRunTest::call).toList());
        assertEquals(parent, child.getFirst().get("ppid").asLong());
        final JsonNode open = records.stream().filter(r -> r.get("traced_filename").asText().equals(file)).findFirst()
            .orElseThrow();
        assertEquals("write_only", open.get("function_data").get("mode").asText());
        assertEquals("[\"creat\",\"trunc\"]", open.get("function_data").get("creation").toString());
        // the socketpair's ends (a call the tracer does not record) are named from /proc at their first use
        final List<JsonNode> socketCalls = records.stream().filter(r -> r.get("pid").asLong() == parent &&
            r.get("traced_filename").asText().startsWith("socket:[") &&
            !"fd_discovered".equals(r.get("function_name").asText())).toList();
        assertEquals(List.of("write 3 4", "read 4 4", "close 3 -1", "close 4 -1"), socketCalls.stream().map(r ->
            r.get("function_name").asText() + " " + r.get("file_type").get("descriptor").asInt() + " " +
            r.get("function_data").path("written_bytes").asInt(r.get("function_data").path("read_bytes")
                .asInt(-1))).toList());
        assertEquals(socketCalls.get(0).get("traced_filename"), socketCalls.get(2).get("traced_filename"));
        assertEquals(socketCalls.get(1).get("traced_filename"), socketCalls.get(3).get("traced_filename"));
        assertTrue(!socketCalls.get(0).get("traced_filename").equals(socketCalls.get(1).get("traced_filename")));
        final List<String> warnings = Files.readAllLines(traceDir.resolve("iotrace-warnings.jsonl"));
        assertEquals(2, warnings.size(), warnings.toString());
        assertTrue(warnings.stream().allMatch(w -> w.contains("open not observed: descriptor ") &&
            w.contains("a call the ptrace tracer does not stop on") && !w.contains("wrappers")), warnings.toString());
    }

    private static final Path LAUNCHER = CliHarness.HOME.resolve("bin/iotrace");

    /** A record without its times, pids and "source": what a shim trace and a ptrace trace must share. */
    private static String shared(final JsonNode r)
    {
        final ObjectNode data = r.path("function_data").isObject() ? ((ObjectNode) r.get("function_data")).deepCopy()
            : CliHarness.JSON.createObjectNode();
        data.remove("source");
        return r.get("function_name").asText() + " " + r.get("traced_filename").asText() + " " +
            r.path("file_type") + " " + r.get("return_state").asText() + " " + data;
    }

    /** What data_calls prints for a record: its function and result (bytes, new offset, the size fstat found). */
    private static String reported(final JsonNode r)
    {
        final JsonNode data = r.get("function_data");
        final String result = data.has("written_bytes") ? data.get("written_bytes").asText()
            : data.has("read_bytes") ? data.get("read_bytes").asText()
            : data.has("new_offset_relative_to_beginning_of_file") ?
                data.get("new_offset_relative_to_beginning_of_file").asText()
            : data.has("size") ? data.get("size").asText() : "0";
        return r.get("function_name").asText() + " " + result;
    }

    @Test
    void readsAndWritesOfAStaticProgramAreWhatItReportsAndWhatTheShimRecords() throws Exception
    {
        final long total = 65536;
        final int calls = 16;
        final Path data = Files.createDirectories(tmp.resolve("data")).toRealPath();
        final String file = data + "/data.dat";
        final Path traceDir = tmp.resolve("ptrace");
        final Path out = tmp.resolve("out.txt");
        final Path err = tmp.resolve("err.txt");
        assertTrue(Files.isExecutable(LAUNCHER), "bin/iotrace not built: run `make launcher`");
        // through the launcher, so that the program's stdout (its report) can be read
        final Process run = new ProcessBuilder(LAUNCHER.toString(), "run", "--ptrace-only", "-d", traceDir.toString(),
            "--", program("data_calls-static"), data.toString(), Long.toString(total), Integer.toString(calls))
            .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertEquals(0, run.waitFor(), Files.readString(err));
        final List<String> report = Files.readAllLines(out);

        final List<JsonNode> records = records(traceDir).stream()
            .filter(r -> file.equals(r.get("traced_filename").asText())).toList();
        assertTrue(records.stream().allMatch(r -> "syscall".equals(r.path("function_data").path("source").asText())),
            records.toString());
        assertTrue(records.stream().allMatch(r -> 3 == r.path("file_type").path("descriptor").asInt()),
            records.toString());
        assertEquals("openat", records.getFirst().get("function_name").asText());
        // one record per call it made, in order, each with the result it got
        assertEquals(report, records.stream().skip(1).map(PtraceOnlyRunTest::reported).toList());
        final List<JsonNode> writes = records.stream().filter(r -> "write".equals(r.get("function_name").asText()))
            .toList();
        assertEquals(calls, writes.size());
        assertEquals(total, writes.stream().mapToLong(r -> r.get("function_data").get("written_bytes").asLong()).sum());
        final JsonNode pread = records.stream().filter(r -> "pread64".equals(r.get("function_name").asText()))
            .findFirst().orElseThrow().get("function_data");
        assertEquals(total / calls, pread.get("position").asLong());
        assertEquals(total / calls, pread.get("read_bytes").asLong());
        final List<JsonNode> reads = records.stream().filter(r -> "read".equals(r.get("function_name").asText()))
            .toList();
        assertEquals(List.of("ok", "eof"), reads.stream().map(r -> r.get("return_state").asText()).toList());
        assertEquals(total, reads.getFirst().get("function_data").get("read_bytes").asLong());
        final JsonNode truncate = records.stream().filter(r -> "ftruncate".equals(r.get("function_name").asText()))
            .findFirst().orElseThrow().get("function_data");
        assertEquals(total / 2, truncate.get("length").asLong());

        // the shim's trace of the dynamic build of the same source: the same records
        final Path shimDir = tmp.resolve("shim");
        assertEquals(0, CliHarness.trace(shimDir, Map.of(), program("data_calls"), data.toString(),
            Long.toString(total), Integer.toString(calls)));
        final List<JsonNode> shim = records(shimDir).stream()
            .filter(r -> file.equals(r.get("traced_filename").asText())).toList();
        assertTrue(shim.stream().noneMatch(r -> r.path("function_data").has("source")), shim.toString());
        assertEquals(shim.stream().map(PtraceOnlyRunTest::shared).toList(),
            records.stream().map(PtraceOnlyRunTest::shared).toList());

        // its stdout is named from the descriptors it started with, as the shim names them: its writes to it are
        // the report, byte for byte; nothing is unresolved
        final List<JsonNode> all = records(traceDir);
        assertTrue(all.stream().noneMatch(r -> r.get("traced_filename").asText().contains("unresolved")),
            all.toString());
        final List<JsonNode> printed = all.stream().filter(r -> "write".equals(r.get("function_name").asText()) &&
            1 == r.path("file_type").path("descriptor").asInt()).toList();
        final String stdout = out.toRealPath().toString();
        assertTrue(printed.stream().allMatch(r -> stdout.equals(r.get("traced_filename").asText())),
            printed.toString());
        assertEquals(Files.size(out), printed.stream().mapToLong(r -> r.get("function_data").get("written_bytes")
            .asLong()).sum());
    }

    @Test
    void i386DataCallsOfA64BitProgramWithOffsetsBeyond4GiB() throws Exception
    {
        final Path data = Files.createDirectories(tmp.resolve("data")).toRealPath();
        final String file = data + "/data32.dat";
        final Path traceDir = tmp.resolve("ptrace");
        final Path out = tmp.resolve("out.txt");
        final Path err = tmp.resolve("err.txt");
        final Process run = new ProcessBuilder(LAUNCHER.toString(), "run", "--ptrace-only", "-d", traceDir.toString(),
            "--", program("data_calls_i386-static"), data.toString())
            .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertEquals(0, run.waitFor(), Files.readString(err));
        final List<JsonNode> records = records(traceDir).stream()
            .filter(r -> file.equals(r.get("traced_filename").asText())).toList();
        // int 0x80's numbers decoded as i386's, 64-bit offsets from their two registers, _llseek's result from memory
        assertEquals(List.of(
            "open " + file,
            "write 10",
            "ftruncate64 4294967312",
            "lseek64 4294967297 4294967297",
            "pread64 4294967301 8",
            "fstat64 4294967312",
            "close 3"), records.stream().map(r -> {
                final JsonNode d = r.get("function_data");
                return r.get("function_name").asText() + " " + switch (r.get("function_name").asText())
                {
                    case "open" -> d.get("path").asText();
                    case "write" -> d.get("written_bytes").asText();
                    case "ftruncate64" -> d.get("length").asText();
                    case "lseek64" -> d.get("offset").asText() + " " +
                        d.get("new_offset_relative_to_beginning_of_file").asText();
                    case "pread64" -> d.get("position").asText() + " " + d.get("read_bytes").asText();
                    case "fstat64" -> d.get("size").asText();
                    default -> d.get("fd").asText();
                };
            }).toList());
        // and the results are those the program got
        assertEquals(Files.readAllLines(out).stream().map(l -> l.split(" ")[1]).toList(),
            records.stream().skip(1).map(r -> reported(r).split(" ")[1]).toList());
    }

    @Test
    void writesOfFourThreadsEachInItsOrder() throws IOException
    {
        final int threads = 4;
        final int writes = 500;
        final Path data = Files.createDirectories(tmp.resolve("data")).toRealPath();
        final Path traceDir = tmp.resolve("trace");
        final CliHarness.Result run = cli("run", "--ptrace-only", "-d", traceDir.toString(), "--",
            program("threads-static"), data.toString(), Integer.toString(threads), Integer.toString(writes));
        assertEquals(0, run.status(), run.err());
        final List<JsonNode> records = records(traceDir);
        for (int t = 0; t < threads; t++)
        {
            final String file = data + "/thread-" + t + ".dat";
            final List<JsonNode> own = records.stream().filter(r -> file.equals(r.get("traced_filename").asText()))
                .toList();
            // one thread's calls: its open, its writes of (i % 64) + 1 bytes in the order it made them, its close
            assertEquals(1, own.stream().map(r -> r.get("tid").asLong()).distinct().count(), file);
            assertEquals("openat", own.getFirst().get("function_name").asText(), file);
            assertEquals("close", own.getLast().get("function_name").asText(), file);
            final List<Long> sizes = own.subList(1, own.size() - 1).stream().map(r -> {
                assertEquals("write", r.get("function_name").asText(), r.toString());
                return r.get("function_data").get("written_bytes").asLong();
            }).toList();
            assertEquals(java.util.stream.LongStream.range(0, writes).map(i -> i % 64 + 1).boxed().toList(), sizes,
                file);
            assertEquals(Files.size(Path.of(file)), sizes.stream().mapToLong(Long::longValue).sum());
        }
    }

    @Test
    void aProgramThatCannotRunEndsWith127() throws IOException
    {
        // the tracer's one-line reason goes to the inherited stderr; the status says it
        final CliHarness.Result missing = cli("run", "--ptrace-only", "-d", tmp.resolve("m").toString(),
            "/no/such/program");
        assertEquals(127, missing.status(), missing.err());
    }
}
