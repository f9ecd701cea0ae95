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

/** Issue 8's signals: the application's SIGALRM and SIGSEGV handlers under the tracer (test-programs/signals.c). */
class SignalsTest
{
    @TempDir
    Path work;

    @Test
    void shouldKeepTheProgramsHandlersWorkingAndRecordItsOwnCalls() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program("signals", data.toString()).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        assertEquals("", run.stderr());
        final String[] out = run.stdout().strip().split(" ");
        assertEquals(List.of("main", "20000", "segv", "1"), List.of(out[2], out[3], out[4], out[5]), run.stdout());
        assertTrue(Long.parseLong(out[1]) > 0, "the SIGALRM handler ran: " + run.stdout());

        final TraceRecords trace = run.records();
        final String main = data.resolve("main.dat").toString();
        final List<JsonNode> mainWrites = trace.where(r -> "write".equals(TraceRecords.functionName(r)) &&
            main.equals(filename(r)));
        assertEquals(20000, mainWrites.size(), "every write of the interrupted loop");
        mainWrites.forEach(w -> assertEquals(64, data(w, "written_bytes")));
        assertEquals(64L * 20000, Files.size(data.resolve("main.dat")));
        // after the SIGSEGV handler's siglongjmp the program goes on, traced
        final String after = data.resolve("after.dat").toString();
        assertEquals(List.of("open", "write", "close"), trace.where(r -> after.equals(filename(r))).stream()
            .map(TraceRecords::functionName).toList());
    }

    /** A handler's call that interrupts a wrapper's own bookkeeping is deferred and published when that wrapper leaves. */
    @Test
    void shouldRecordEveryCallTheSignalHandlerMakes() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program("signals", data.toString()).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final long handled = Long.parseLong(run.stdout().strip().split(" ")[1]);
        final List<JsonNode> handlerWrites = run.records().where(r -> "write".equals(TraceRecords.functionName(r)) &&
            filename(r).startsWith("pipe:["));
        assertEquals(handled, handlerWrites.size());
        // each run of the handler also dup()s the pipe's write end and close()s the copy
        final TraceRecords trace = run.records();
        assertEquals(handled, trace.function("dup").size(), "dup records");
        final long handlerCloses = trace.function("close").stream().filter(r -> filename(r).startsWith("pipe:[")).count();
        assertEquals(handled + 2, handlerCloses, "the handler's closes, plus main's close of the pipe's two ends");
    }
}
