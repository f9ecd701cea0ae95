package io.iotrace.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.iotrace.cli.CliHarness.cli;
import static io.iotrace.cli.CliHarness.program;
import static io.iotrace.cli.CliHarness.records;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code iotrace run --ptrace-only}: a statically linked program (test-programs/static_handles.c), where LD_PRELOAD
 * cannot load, traced by the ptrace fallback alone: its handle calls and its fork child's, with the JSON and file
 * names of a shim trace, and the program's exit status.
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
            new Call("dup", file, 4, "ok"),
            new Call("close", file, 4, "ok"),
            new Call("close", file, 3, "ok")),
            records.stream().filter(r -> r.get("pid").asLong() == parent &&
                r.get("traced_filename").asText().startsWith(data.toString())).map(PtraceOnlyRunTest::call).toList());
        final List<JsonNode> child = records.stream().filter(r -> r.get("traced_filename").asText().equals(childFile))
            .toList();
        assertEquals(List.of(new Call("openat", childFile, 3, "ok"), new Call("close", childFile, 3, "ok")),
            child.stream().map(PtraceOnlyRunTest::call).toList());
        assertEquals(parent, child.getFirst().get("ppid").asLong());
        final JsonNode open = records.stream().filter(r -> r.get("traced_filename").asText().equals(file)).findFirst()
            .orElseThrow();
        assertEquals("write_only", open.get("function_data").get("mode").asText());
        assertEquals("[\"creat\",\"trunc\"]", open.get("function_data").get("creation").toString());
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
