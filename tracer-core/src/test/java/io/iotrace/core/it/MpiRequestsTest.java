package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.iotrace.core.it.TraceRecords.data;
import static io.iotrace.core.it.TraceRecords.filename;
import static io.iotrace.core.it.TraceRecords.functionName;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * File requests through the Wait/Test family with more than 64 requests per call and MPI_STATUSES_IGNORE,
 * MPI_Request_free and MPI_Cancel of file requests, and point-to-point requests beside them
 * (test-programs/mpi/mpi_requests.c, 2 ranks, Open MPI and MPICH). Walking each rank's records in order: every
 * nonblocking file call's request is completed by exactly one record (Waitall, Testall/Testsome, Waitsome, Wait) that
 * names the file and the bytes requested, or released by one MPI_Request_free record; MPI_Cancel is recorded and the
 * request still completes at its Wait; no request is left pending; point-to-point requests (Isend/Irecv in a Waitall
 * with file requests, after a freed file request, cancelled, freed, Testany/Waitany) give no record.
 */
class MpiRequestsTest
{
    private static final int N = 100;
    private static final Pattern REPORT = Pattern.compile("rank=(\\d) cancelled=([01]) count=(\\d+) reused=([01])");

    @TempDir
    Path work;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {MpiRun.OPEN_MPI, MpiRun.MPICH})
    void shouldFollowEveryFileRequestAndNoOtherOne(final String mpi) throws Exception
    {
        final Path program = MpiRun.program(mpi, "mpi_requests");
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = MpiRun.launch(mpi, 2, program.toString(), data.toString(),
            Integer.toString(N)).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final List<String> lines = run.stdout().lines().toList();
        assertEquals("ok", lines.getLast(), run.stdout());
        final String file = data.resolve("requests.dat").toString();
        // MPICH 4.0's MPI_Testall aborts on several ROMIO requests (untraced too): the program uses Testsome there
        final String testPhase = MpiRun.OPEN_MPI.equals(mpi) ? "MPI_Testall" : "MPI_Testsome";

        for (int rank = 0; rank < 2; rank++)
        {
            final int r = rank;
            final Matcher report = REPORT.matcher(lines.get(rank));
            assertTrue(report.matches(), lines.get(rank));
            final long cancelledCount = Long.parseLong(report.group(3));
            final List<JsonNode> mpiRecords = run.records().all().stream()
                .filter(x -> r == x.path("rank").asInt(-1) && functionName(x).startsWith("MPI_")).toList();
            final Map<String, Integer> completions = new TreeMap<>();
            final Map<Long, JsonNode> pending = new HashMap<>();
            JsonNode cancelled = null;
            JsonNode afterCancel = null;
            for (final JsonNode x : mpiRecords)
            {
                final String function = functionName(x);
                if (function.startsWith("MPI_File_i"))
                {
                    final long request = hex(x);
                    assertNull(pending.put(request, x), "a request value pending twice: " + x);
                    continue;
                }
                if (!x.path("function_data").has("request") || function.startsWith("MPI_File_"))
                {
                    continue; // open, sync, close, Init, Finalize
                }
                completions.merge(function, 1, Integer::sum);
                final JsonNode started = pending.get(hex(x));
                assertNotNull(started, "about a request no file call started: " + x);
                assertEquals(file, filename(x), x.toString());
                assertEquals(started.get("function_name").asText().startsWith("MPI_File_iwrite") ? 1 : 0,
                    data(x, "is_write"), x.toString());
                switch (function)
                {
                    case "MPI_Cancel" -> cancelled = started;
                    case "MPI_Request_free" ->
                    {
                        assertEquals(1, data(x, "released"), x.toString());
                        pending.remove(hex(x));
                    }
                    default ->
                    {
                        assertEquals(1, data(x, "completed"), x.toString());
                        final long bytes = data(x, 0 != data(x, "is_write") ? "written_bytes" : "read_bytes");
                        if (started == cancelled)
                        {
                            afterCancel = x;
                            assertEquals(cancelledCount, bytes, "the cancelled request's count: " + x);
                        }
                        else
                        {
                            assertEquals(data(started, "requested_bytes"), bytes, x.toString());
                        }
                        pending.remove(hex(x));
                    }
                }
            }
            assertEquals(Map.of(), pending, "rank " + rank + ": requests never completed or freed");
            assertEquals(new TreeMap<>(Map.of("MPI_Waitall", 2 * N, testPhase, N, "MPI_Waitsome", N,
                "MPI_Wait", 1, "MPI_Request_free", 1, "MPI_Cancel", 1)), completions, "rank " + rank);
            assertNotNull(afterCancel, "the cancelled request completed at its MPI_Wait");
            assertEquals("MPI_Wait", functionName(afterCancel));
            // every nonblocking file call: A, C, D, E iwrite (3N + 1), B, F iread (N + 1)
            assertEquals(3 * N + 1, mpiRecords.stream().filter(x -> "MPI_File_iwrite_at".equals(functionName(x)))
                .count());
            assertEquals(N + 1, mpiRecords.stream().filter(x -> "MPI_File_iread_at".equals(functionName(x)))
                .count());
            // point-to-point requests only: nothing
            for (final String untouched : List.of("MPI_Testany", "MPI_Waitany", "MPI_Test"))
            {
                assertFalse(mpiRecords.stream().anyMatch(x -> untouched.equals(functionName(x))), untouched);
            }
        }
    }

    private static long hex(final JsonNode record)
    {
        return Long.parseUnsignedLong(record.get("function_data").get("request").asText().substring(2), 16);
    }
}
