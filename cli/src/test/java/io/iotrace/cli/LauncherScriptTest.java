package io.iotrace.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.iotrace.cli.CliHarness.program;
import static io.iotrace.cli.CliHarness.records;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The installed command, bin/iotrace as the build writes it (its own JVM and flags), not the in-process entry point
 * the other cli tests call: recover reads rings through agrona, which needs the JVM flags of the script.
 */
class LauncherScriptTest
{
    private static final Path SCRIPT = CliHarness.HOME.resolve("bin/iotrace");

    @TempDir
    Path work;

    private static String runScript(final String... args) throws Exception
    {
        final List<String> command = new java.util.ArrayList<>(List.of(SCRIPT.toString()));
        command.addAll(List.of(args));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), String.join(" ", args) + ": " + output);
        return output;
    }

    @Test
    void shouldRecoverRingsAndSpillFilesWithTheInstalledScript() throws Exception
    {
        assertTrue(Files.isExecutable(SCRIPT), "bin/iotrace is written by `make`");
        final Path traceDir = work.resolve("trace");
        // no collector: the 200,000 events wait in a 64 KiB ring and its spill file
        assertEquals(0, CliHarness.trace(traceDir, Map.of("IOTRACE_COLLECTOR", "none", "IOTRACE_RING_SIZE", "65536"),
            program("burst"), "200000"));
        final String output = runScript("recover", traceDir.toString());
        assertTrue(output.contains("recovered"), output);
        final List<JsonNode> writes = records(traceDir).stream()
            .filter(r -> "write".equals(r.get("function_name").asText())).toList();
        assertEquals(200_000, writes.size(), "every write recovered");
        final String summary = runScript("summary", traceDir.toString(), "--json");
        assertTrue(CliHarness.JSON.readTree(summary).toString().contains("\"write\""), summary);
    }

    @Test
    void shouldSayBeforeRunningItThatAStaticProgramCannotBeTraced() throws Exception
    {
        final Path out = work.resolve("static.out");
        final CliHarness.Result result = CliHarness.cli("run", "-d", work.resolve("trace").toString(), "--",
            program("image_writer-static"), out.toString());
        assertEquals(0, result.status(), result.err());
        assertEquals("image\n", Files.readString(out), "it ran all the same");
        assertTrue(result.err().contains("will run untraced: it is statically linked"), result.err());
    }
}
