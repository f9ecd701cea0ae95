package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.iotrace.core.it.TraceRecords.data;
import static io.iotrace.core.it.TraceRecords.filename;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 8: a JVM under the tracer. The JVM installs its own SIGSEGV handler (stack guard pages, implicit null checks
 * in compiled code) and many threads; it must run exactly as untraced, and its file I/O be traced.
 * The program is test-programs/java/JavaUnderTracer.java, run in source-file mode by this JDK's java.
 */
class JavaUnderTracerTest
{
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private static final String PROGRAM = TracedRun.HOME.resolve("test-programs/java/JavaUnderTracer.java").toString();

    @TempDir
    Path work;

    @Test
    void shouldTraceJavaVersionWithoutChangingIt() throws Exception
    {
        final TracedRun.Outcome plain = TracedRun.command(JAVA, "-version").untraced().run(work.resolve("u"));
        final TracedRun.Outcome traced = TracedRun.command(JAVA, "-version").run(work.resolve("t"));
        assertEquals(0, traced.exitStatus(), traced.stderr());
        assertEquals(plain.stdout(), traced.stdout());
        assertEquals(plain.stderr(), traced.stderr(), "java -version prints on stderr: exactly the same");
        assertTrue(plain.stderr().contains("version"), plain.stderr());
        final TraceRecords trace = traced.records();
        assertEquals(1, trace.pids().size(), "one process");
        assertTrue(trace.calls().stream().anyMatch(r -> filename(r).endsWith("/lib/modules")),
            "the JVM's module image is opened and traced");
    }

    @Test
    void shouldKeepTheJvmsSignalHandlingAndTraceItsWrites() throws Exception
    {
        final int writes = 1000;
        final Path plainData = Files.createDirectories(work.resolve("u/data")).toRealPath();
        final Path tracedData = Files.createDirectories(work.resolve("t/data")).toRealPath();
        final TracedRun.Outcome plain = TracedRun.command(JAVA, PROGRAM, plainData.toString(),
            Integer.toString(writes)).untraced().run(work.resolve("u"));
        final TracedRun.Outcome traced = TracedRun.command(JAVA, PROGRAM, tracedData.toString(),
            Integer.toString(writes)).run(work.resolve("t"));
        assertEquals(0, plain.exitStatus(), plain.stderr());
        assertEquals(0, traced.exitStatus(), traced.stderr());
        assertEquals("", traced.stderr());
        // the NullPointerExceptions and StackOverflowErrors come from the JVM's SIGSEGV handler: all caught
        assertEquals("writes 1000 bytes 100000 npe 100000 soe 3\n", traced.stdout());
        assertEquals(plain.stdout(), traced.stdout());

        final TraceRecords trace = traced.records();
        final String file = tracedData.resolve("java.dat").toString();
        final List<JsonNode> fileWrites = trace.where(r -> "write".equals(TraceRecords.functionName(r)) &&
            file.equals(filename(r)));
        assertEquals(writes, fileWrites.size(), "one write(2) per FileOutputStream.write");
        fileWrites.forEach(w -> assertEquals(100, data(w, "written_bytes")));
        assertEquals(List.of(), trace.warnings().stream().filter(w -> w.toString().contains("lost")).toList());
    }
}
