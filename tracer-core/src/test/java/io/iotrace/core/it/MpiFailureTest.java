package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotrace.core.session.TraceSession;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static io.iotrace.core.it.TraceRecords.data;
import static io.iotrace.core.it.TraceRecords.filename;
import static io.iotrace.core.it.TraceRecords.functionName;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A rank that fails (test-programs/mpi/fail_rank.c, 2 ranks, Open MPI and MPICH): rank 1 calls MPI_Abort, exits
 * with an error or kills itself while rank 0 is in MPI_Finalize (where the tracer's clock sync waits for the ranks)
 * or in MPI_Barrier. The job ends (the launcher's verdict, a failure status), and each rank's trace holds every call
 * it made before the failure, in order, with its file and bytes, and its rank; nothing is reported lost. With a
 * launcher that leaves the survivors running (MPICH's -disable-auto-cleanup), rank 0's clock sync at MPI_Finalize
 * sees rank 1 dead and goes on at once (its mpi_clock_sync record: gone 1, gave_up 0), instead of waiting out its
 * deadline.
 */
class MpiFailureTest
{
    @TempDir
    Path work;

    static Stream<Arguments> failures()
    {
        final List<Arguments> cases = new ArrayList<>();
        for (final String mpi : List.of(MpiRun.OPEN_MPI, MpiRun.MPICH))
        {
            cases.add(Arguments.of(mpi, "abort", "finalize"));
            cases.add(Arguments.of(mpi, "exit", "finalize"));
            cases.add(Arguments.of(mpi, "signal", "barrier"));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}: rank 1 {1}, rank 0 in {2}")
    @MethodSource("failures")
    void shouldEndTheJobWithEveryRanksRecordsBeforeTheFailure(final String mpi, final String how,
        final String where) throws Exception
    {
        final Path program = MpiRun.program(mpi, "fail_rank");
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = MpiRun.launch(mpi, 2, program.toString(), data.toString(), how, where)
            .run(work); // fails the test if the job does not end
        assertNotEquals(0, run.exitStatus(), "the launcher reports the failed rank");
        assertEquals("before\n", Files.readString(data.resolve("rank0.log")), "rank 0 did not get past " + where);
        final TraceRecords trace = run.records();
        for (int rank = 0; rank < 2; rank++)
        {
            final List<JsonNode> calls = rankCalls(trace, program, rank);
            assertCallsBeforeTheFailure(calls, data, rank);
            if (1 == rank && "exit".equals(how))
            {
                final List<JsonNode> exits = calls.stream().filter(r -> "exit".equals(functionName(r))).toList();
                assertEquals(1, exits.size(), "rank 1's exit (its atexit handlers run after it)");
                assertEquals(4, data(exits.getFirst(), "exit_status"));
            }
            if (0 == rank)
            {
                // if the launcher let rank 0's clock sync end before killing it, it had seen rank 1 die
                trace.function("mpi_clock_sync").stream()
                    .filter(s -> 0 == s.path("rank").asInt(-1) && 1 == data(s, "phase"))
                    .forEach(s -> assertEquals(List.of(1L, 0L), List.of(data(s, "gone"), data(s, "gave_up")),
                        s.toString()));
            }
        }
        assertFalse(trace.warnings().stream().anyMatch(w -> w.toString().contains("lost")), trace.warnings()
            .toString());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {MpiRun.MPICH})
    void shouldNotWaitForADeadRankWhenTheLauncherLeavesTheOthersRunning(final String mpi) throws Exception
    {
        final Path program = MpiRun.program(mpi, "fail_rank");
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Started started = TracedRun.command("mpirun.mpich", "-disable-auto-cleanup", "-np", "2",
            program.toString(), data.toString(), "exit", "finalize").start(work);
        try
        {
            // rank 1 exits before MPI_Finalize; rank 0's sync there sees it gone (MPICH's own MPI_Finalize then
            // waits for it forever, untraced too: the test ends the job)
            MpiRun.awaitText(started.traceDir(), "\"phase\":1", 1);
        }
        finally
        {
            started.process().descendants().forEach(ProcessHandle::destroyForcibly);
            started.process().destroyForcibly();
            started.process().waitFor();
        }
        assertTrue(TraceSession.awaitCollector(started.traceDir(), Duration.ofSeconds(60)));
        final TraceRecords trace = TraceRecords.load(started.traceDir());
        final List<JsonNode> syncs = trace.function("mpi_clock_sync").stream()
            .filter(s -> 1 == data(s, "phase")).toList();
        assertEquals(1, syncs.size(), "rank 0's, at MPI_Finalize: " + syncs);
        assertEquals(0, syncs.getFirst().get("rank").asInt());
        assertEquals(List.of(1L, 0L), List.of(data(syncs.getFirst(), "gone"), data(syncs.getFirst(), "gave_up")),
            "rank 1 seen dead, no deadline waited out: " + syncs.getFirst());
        for (int rank = 0; rank < 2; rank++)
        {
            assertCallsBeforeTheFailure(rankCalls(trace, program, rank), data, rank);
        }
    }

    /** The calls (records other than fd_discovered and the meta records) of a rank's program image, in order. */
    private static List<JsonNode> rankCalls(final TraceRecords trace, final Path program, final int rank)
    {
        final JsonNode start = trace.where(r -> "process_start".equals(functionName(r)) &&
            program.toString().equals(filename(r)) && rank == r.path("rank").asInt(-1)).getFirst();
        final long pid = start.get("pid").asLong();
        final long incarnation = start.get("incarnation").asLong();
        final List<JsonNode> image = trace.pid(pid).incarnation(incarnation).all();
        image.forEach(r -> assertEquals(rank, r.path("rank").asInt(-1), r.toString()));
        return image.stream().filter(r -> !List.of("process_start", "fd_discovered", "mpi_rank", "mpi_clock_sync")
            .contains(functionName(r))).toList();
    }

    /** MPI_Init, the MPI-IO of 64 bytes to shared.dat, and "before\n" written to rank<r>.log, in this order. */
    private static void assertCallsBeforeTheFailure(final List<JsonNode> calls, final Path data, final int rank)
    {
        final String shared = data.resolve("shared.dat").toString();
        final String log = data.resolve("rank" + rank + ".log").toString();
        final List<String> expected = List.of("MPI_Init", "MPI_File_open " + shared, "MPI_File_write_at " + shared,
            "MPI_File_close " + shared, "open " + log, "write " + log, "close " + log);
        final List<String> seen = new ArrayList<>();
        for (final JsonNode r : calls)
        {
            final String call = functionName(r) + ("MPI_Init".equals(functionName(r)) ? "" : " " + filename(r));
            if (expected.contains(call))
            {
                seen.add(call);
                assertEquals("ok", r.get("return_state").asText(), r.toString());
                if (call.startsWith("MPI_File_write_at"))
                {
                    assertEquals(64, data(r, "written_bytes"));
                }
                if (call.startsWith("write "))
                {
                    assertEquals(7, data(r, "written_bytes"));
                }
            }
        }
        assertEquals(expected, seen, "rank " + rank);
    }
}
