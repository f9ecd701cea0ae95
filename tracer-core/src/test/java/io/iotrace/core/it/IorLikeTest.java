package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static io.iotrace.core.it.TraceRecords.data;
import static io.iotrace.core.it.TraceRecords.filename;
import static io.iotrace.core.it.TraceRecords.functionName;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * test-programs/mpi/ior_like.c (IOR's options and file layout; IOR itself is not packaged) with 2 ranks under Open
 * MPI and MPICH, -a POSIX and -a MPIIO (independent and collective, shared file and file per process), writing then
 * reading back 3 segments of 64 KiB blocks in 16 KiB transfers: per rank and phase, the records equal the transfers
 * the program reports — their number, their bytes, their file, and each transfer's offset in IOR's layout (POSIX:
 * the lseek before each write/read; MPI-IO: the call's offset). The POSIX I/O of the MPI library on the file is
 * marked in_mpi; the POSIX runs have none.
 */
class IorLikeTest
{
    private static final long BLOCK = 65536;
    private static final long TRANSFER = 16384;
    private static final long SEGMENTS = 3;
    private static final int RANKS = 2;
    private static final Pattern REPORT =
        Pattern.compile("rank=(\\d+) op=(write|read) transfers=(\\d+) bytes=(\\d+) file=(.+)");

    @TempDir
    Path work;

    static Stream<Arguments> runs()
    {
        final List<Arguments> runs = new ArrayList<>();
        for (final String mpi : List.of(MpiRun.OPEN_MPI, MpiRun.MPICH))
        {
            for (final String options : List.of("-a POSIX", "-a POSIX -F", "-a MPIIO", "-a MPIIO -c",
                "-a MPIIO -F", "-a MPIIO -c -F"))
            {
                runs.add(Arguments.of(mpi, options));
            }
        }
        return runs.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("runs")
    void shouldRecordExactlyTheTransfersTheProgramReports(final String mpi, final String options) throws Exception
    {
        final Path program = MpiRun.program(mpi, "ior_like");
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final List<String> args = new ArrayList<>(List.of(program.toString(), "-o", data.resolve("testFile")
            .toString(), "-b", "64k", "-t", "16k", "-s", Long.toString(SEGMENTS), "-w", "-r"));
        args.addAll(List.of(options.split(" ")));
        final TracedRun.Outcome run = MpiRun.launch(mpi, RANKS, args.toArray(String[]::new)).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final boolean mpiio = options.contains("MPIIO");
        final boolean perProcess = options.contains("-F");
        final boolean collective = options.contains("-c");
        final List<String> lines = run.stdout().lines().toList();
        assertEquals("ior_like api=" + (mpiio ? "MPIIO" : "POSIX") + " ranks=2 block=65536 transfer=16384 " +
            "segments=3 file_per_proc=" + (perProcess ? 1 : 0) + " collective=" + (collective ? 1 : 0), lines.get(0));
        assertEquals(1 + 2 * RANKS, lines.size(), run.stdout());

        final List<JsonNode> all = run.records().all();
        for (final String line : lines.subList(1, lines.size()))
        {
            final Matcher m = REPORT.matcher(line);
            assertTrue(m.matches(), line);
            final int rank = Integer.parseInt(m.group(1));
            final boolean write = "write".equals(m.group(2));
            final long transfers = Long.parseLong(m.group(3));
            final long bytes = Long.parseLong(m.group(4));
            final String file = m.group(5);
            assertEquals(data.resolve(perProcess ? String.format("testFile.%08d", rank) : "testFile").toString(),
                file);
            assertEquals(SEGMENTS * BLOCK / TRANSFER, transfers, line);
            assertEquals(SEGMENTS * BLOCK, bytes, line);
            final List<JsonNode> mine = all.stream()
                .filter(r -> rank == r.path("rank").asInt(-1) && file.equals(filename(r))).toList();
            final List<Long> offsets = offsets(rank, perProcess);
            final String what = mpi + " " + options + ": " + line;
            if (mpiio)
            {
                final String function = "MPI_File_" + (write ? "write" : "read") + "_at" + (collective ? "_all" : "");
                final List<JsonNode> calls = mine.stream().filter(r -> function.equals(functionName(r))).toList();
                assertEquals(transfers, calls.size(), what);
                assertEquals(bytes, calls.stream().mapToLong(r -> data(r, write ? "written_bytes" : "read_bytes"))
                    .sum(), what);
                assertEquals(offsets, calls.stream().map(r -> data(r, "offset")).toList(), what);
                calls.forEach(r -> assertEquals(TRANSFER, data(r, "count"), r.toString()));
                final String other = "MPI_File_" + (write ? "write" : "read") + "_at" + (collective ? "" : "_all");
                assertFalse(mine.stream().anyMatch(r -> other.equals(functionName(r))), what);
            }
            else
            {
                final List<JsonNode> calls = mine.stream().filter(r -> (write ? "write" : "read")
                    .equals(functionName(r))).toList();
                assertEquals(transfers, calls.size(), what);
                assertEquals(bytes, calls.stream().mapToLong(r -> data(r, write ? "written_bytes" : "read_bytes"))
                    .sum(), what);
                // the lseeks of both phases: the write phase's, then the read phase's
                final List<Long> seeks = mine.stream().filter(r -> "lseek".equals(functionName(r)))
                    .map(r -> data(r, "offset")).toList();
                assertEquals(2 * offsets.size(), seeks.size(), what);
                assertEquals(offsets, seeks.subList(write ? 0 : offsets.size(), (write ? 1 : 2) * offsets.size()),
                    what);
            }
            // MPI-IO: the library's POSIX calls on the file are nested in MPI calls; POSIX: nothing is
            mine.stream().filter(r -> !functionName(r).startsWith("MPI_"))
                .forEach(r -> assertEquals(mpiio, r.path("function_data").path("in_mpi").asBoolean(false),
                    what + " " + r));
        }
        if (mpiio)
        {
            // underneath, the library moved exactly the bytes of the MPI calls, by POSIX calls nested in them
            for (final String file : lines.subList(1, lines.size()).stream().map(l -> l.replaceAll(".* file=", ""))
                .distinct().toList())
            {
                for (final String field : List.of("written_bytes", "read_bytes"))
                {
                    final long viaMpi = all.stream().filter(r -> file.equals(filename(r)) &&
                        functionName(r).startsWith("MPI_")).mapToLong(r -> r.path("function_data").path(field)
                        .asLong(0)).sum();
                    final long viaPosix = all.stream().filter(r -> file.equals(filename(r)) &&
                        !functionName(r).startsWith("MPI_")).mapToLong(r -> r.path("function_data").path(field)
                        .asLong(0)).sum();
                    assertEquals(viaMpi, viaPosix, file + " " + field);
                    assertTrue(viaMpi > 0, file + " " + field);
                }
            }
            // one open and one close per rank and phase; every MPI record of a rank is about its file
            for (int rank = 0; rank < RANKS; rank++)
            {
                final int r = rank;
                final String file = data.resolve(perProcess ? String.format("testFile.%08d", rank) : "testFile")
                    .toString();
                final List<JsonNode> opens = all.stream().filter(x -> r == x.path("rank").asInt(-1) &&
                    "MPI_File_open".equals(functionName(x))).toList();
                assertEquals(2, opens.size());
                opens.forEach(x -> assertEquals(file, filename(x)));
                assertEquals(2, all.stream().filter(x -> r == x.path("rank").asInt(-1) &&
                    "MPI_File_close".equals(functionName(x)) && file.equals(filename(x))).count());
            }
        }
    }

    /** The offsets of a rank's transfers in IOR's segmented layout, in the order the program makes them. */
    private static List<Long> offsets(final int rank, final boolean perProcess)
    {
        final List<Long> offsets = new ArrayList<>();
        for (long s = 0; s < SEGMENTS; s++)
        {
            for (long k = 0; k < BLOCK / TRANSFER; k++)
            {
                offsets.add(perProcess ? s * BLOCK + k * TRANSFER : s * RANKS * BLOCK + rank * BLOCK + k * TRANSFER);
            }
        }
        return offsets;
    }
}
