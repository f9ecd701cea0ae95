package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MPI-IO of test-programs/mpi/mpi_io.c with 2 ranks, under Open MPI and under MPICH, with the same shim: every
 * MPI_File call with its exact byte count and file, nonblocking requests resolved at their Wait/Waitall, the
 * point-to-point Waitall untouched, the rank in every record of a rank's process, the clock syncs at MPI_Init and
 * MPI_Finalize. Skipped (saying so) when the implementation is not installed (scripts/setup.sh installs both).
 */
class MpiIoTest
{
    @TempDir
    Path work;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"openmpi", "mpich"})
    void shouldTraceEveryMpiFileCallOfEveryRank(final String mpi) throws Exception
    {
        final Path program = MpiRun.program(mpi, "mpi_io");
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = MpiRun.launch(mpi, 2, program.toString(), data.toString()).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        assertEquals("ok\n", run.stdout());
        final List<JsonNode> all = run.records().all();
        final String file = data.resolve("shared.dat").toString();
        for (final int rank : List.of(0, 1))
        {
            final List<JsonNode> mine = all.stream().filter(r -> r.has("rank") && rank == r.get("rank").asInt())
                .toList();
            final List<JsonNode> mpiCalls = mine.stream().filter(r -> name(r).startsWith("MPI_")).toList();
            final List<String> expected = new java.util.ArrayList<>(List.of("MPI_Init", "MPI_File_open",
                "MPI_File_set_size", "MPI_File_set_view", "MPI_File_write_at", "MPI_File_write_at_all",
                "MPI_File_sync", "MPI_File_get_size", "MPI_File_read_at", "MPI_File_iwrite_at", "MPI_File_iread_at",
                "MPI_Waitall", "MPI_Waitall", "MPI_File_iread_at", "MPI_Wait", "MPI_File_read_at_all_begin",
                "MPI_File_read_at_all_end", "MPI_File_seek", "MPI_File_get_position", "MPI_File_close"));
            if (0 == rank)
            {
                expected.addAll(List.of("MPI_File_delete", "MPI_File_open"));
            }
            expected.add("MPI_Finalize");
            // the point-to-point Waitall (not file requests) has no record
            assertEquals(expected, mpiCalls.stream().map(MpiIoTest::name).toList(), "rank " + rank);
            mpiCalls.subList(1, 20).forEach(r -> assertEquals(file, r.get("traced_filename").asText(), r.toString()));
            final Map<String, Long> bytes = Map.of("MPI_File_write_at", 4000L, "MPI_File_write_at_all", 2000L,
                "MPI_File_read_at", 4000L, "MPI_File_read_at_all_end", 64L);
            bytes.forEach((function, count) -> assertEquals(count, mpiCalls.stream()
                .filter(r -> function.equals(name(r))).mapToLong(MpiIoTest::transferred).sum(), function));
            assertEquals(List.of(512L, 100L, 300L), List.of(transferred(mpiCalls.get(11)),
                transferred(mpiCalls.get(12)), transferred(mpiCalls.get(14))), "Waitall/Wait bytes");
            assertEquals(data(mpiCalls.get(9), "request"), data(mpiCalls.get(11), "request"));
            assertEquals("[\"create\",\"rdwr\"]", mpiCalls.get(1).get("function_data").get("mpi_amode").toString());
            assertEquals("access_style=read_mostly", data(mpiCalls.get(1), "info"));
            // the rank is in every record of the process, process_start included (the launcher's environment)
            // (the launcher's fork child that exec'd the rank's program is another incarnation of the pid)
            final long pid = mine.getFirst().get("pid").asLong();
            final long incarnation = mine.getFirst().get("incarnation").asLong();
            all.stream().filter(r -> pid == r.get("pid").asLong() && incarnation == r.get("incarnation").asLong())
                .forEach(r -> assertEquals(rank, r.path("rank").asInt(-1), r.toString()));
            final List<JsonNode> syncs = mine.stream().filter(r -> "mpi_clock_sync".equals(name(r))).toList();
            assertEquals(2, syncs.size());
            syncs.forEach(s -> assertEquals(8, s.get("function_data").get("rounds").asInt(), s.toString()));
            // the POSIX I/O of the MPI-IO calls is marked as nested in them
            assertTrue(mine.stream().anyMatch(r -> file.equals(r.get("traced_filename").asText()) &&
                !name(r).startsWith("MPI_") && r.get("function_data").has("in_mpi")), "nested POSIX records");
        }
        final JsonNode failedOpen = all.stream().filter(r -> "MPI_File_open".equals(name(r)) &&
            "error".equals(r.get("return_state").asText())).findFirst().orElseThrow();
        assertEquals(data.resolve("missing.dat").toString(), failedOpen.get("traced_filename").asText());
        assertTrue(failedOpen.get("function_data").get("mpi_error").asLong() != 0);
    }

    private static String name(final JsonNode r)
    {
        return r.get("function_name").asText();
    }

    private static String data(final JsonNode r, final String key)
    {
        return r.get("function_data").get(key).asText();
    }

    private static long transferred(final JsonNode r)
    {
        final JsonNode d = r.get("function_data");
        return d.has("read_bytes") ? d.get("read_bytes").asLong() : d.get("written_bytes").asLong();
    }
}
