package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.iotrace.core.session.TraceSession;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static io.iotrace.core.it.TraceRecords.data;
import static io.iotrace.core.it.TraceRecords.filename;
import static io.iotrace.core.it.TraceRecords.functionName;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The MPI rank is in every record of a rank's processes (test-programs/mpi/rank_identity.c, Open MPI and MPICH):
 * with a launcher, from the process's first record on (process_start and the I/O before MPI_Init: the launcher's
 * environment), in the processes a rank forks, after MPI_Finalize, and when a collector killed mid-run is followed
 * by {@code recover}, which continues the files (MPI_File handles opened before the kill still resolve); never in
 * the launcher's own records. Without a launcher (a singleton MPI_Init) the rank is known from MPI_Init on, and
 * kept in the records that {@code recover} adds after the collector was killed.
 */
class MpiRankIdentityTest
{
    @TempDir
    Path work;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {MpiRun.OPEN_MPI, MpiRun.MPICH})
    void shouldPutTheRankInEveryRecordOfARanksProcesses(final String mpi) throws Exception
    {
        final Path program = MpiRun.program(mpi, "rank_identity");
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = MpiRun.launch(mpi, 2, program.toString(), data.toString()).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        assertEquals("ok\n", run.stdout());
        assertRanksEverywhere(run.records(), program, data);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {MpiRun.OPEN_MPI, MpiRun.MPICH})
    void shouldKeepTheRankAndTheMpiFilesWhenRecoverContinuesTheTrace(final String mpi) throws Exception
    {
        final Path program = MpiRun.program(mpi, "rank_identity");
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final Path go = data.resolve("go");
        final TracedRun.Started started = MpiRun.launch(mpi, 2, program.toString(), data.toString(), go.toString())
            .start(work);
        assertEquals("ready", started.readLine());
        // the collector has written both ranks' first MPI_File_write_at (so their MPI_File_open) when it dies
        MpiRun.awaitText(started.traceDir(), "\"MPI_File_write_at\"", 2);
        killCollector(started.traceDir());
        Files.writeString(go, "");
        final TracedRun.Outcome outcome = started.finish(Duration.ofSeconds(120));
        assertEquals(0, outcome.exitStatus(), outcome.stderr());
        assertEquals("ok\n", outcome.stdout());
        TracedRun.recover(started.traceDir());

        final TraceRecords trace = TraceRecords.load(started.traceDir());
        assertRanksEverywhere(trace, program, data);
        final List<JsonNode> writes = trace.function("MPI_File_write_at");
        assertEquals(4, writes.size(), "two per rank, before and after the collector died");
        for (final JsonNode write : writes)
        {
            assertEquals(data.resolve("shared.dat").toString(), filename(write), "resolved after recover: " + write);
            assertEquals(16, data(write, "written_bytes"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {MpiRun.OPEN_MPI, MpiRun.MPICH})
    void shouldTakeTheRankFromMpiInitWithoutALauncher(final String mpi) throws Exception
    {
        final Path program = MpiRun.program(mpi, "rank_identity");
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final Path go = data.resolve("go");
        final TracedRun.Started started = TracedRun.command(program.toString(), data.toString(), go.toString())
            .env("OMPI_ALLOW_RUN_AS_ROOT", "1").env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
            .env("OMPI_MCA_plm_rsh_agent", "false").start(work);
        assertEquals("ready", started.readLine());
        MpiRun.awaitText(started.traceDir(), "\"MPI_File_write_at\"", 1);
        killCollector(started.traceDir());
        Files.writeString(go, "");
        final TracedRun.Outcome outcome = started.finish(Duration.ofSeconds(120));
        assertEquals(0, outcome.exitStatus(), outcome.stderr());
        TracedRun.recover(started.traceDir());

        final TraceRecords trace = TraceRecords.load(started.traceDir());
        final long pid = trace.where(r -> "process_start".equals(functionName(r)) &&
            program.toString().equals(filename(r))).getFirst().get("pid").asLong();
        final List<JsonNode> mine = trace.pid(pid).all().stream()
            .filter(r -> 0 == r.get("incarnation").asLong()).toList();
        int init = -1;
        for (int i = 0; i < mine.size(); i++)
        {
            if ("mpi_rank".equals(functionName(mine.get(i))))
            {
                init = i;
                assertEquals(1, data(mine.get(i), "rank_source"), "from MPI_Init");
                break;
            }
        }
        assertTrue(init > 0, "an mpi_rank record after the start");
        // before MPI_Init nothing names the rank; from its mpi_rank record on, every record does, recovered ones too
        mine.subList(0, init).forEach(r -> assertFalse(r.has("rank"), r.toString()));
        mine.subList(init, mine.size()).forEach(r -> assertEquals(0, r.path("rank").asInt(-1), r.toString()));
        assertTrue(mine.subList(init, mine.size()).stream().anyMatch(r -> filename(r).endsWith("/post-0.txt")));
        // the child forked after MPI_Init is rank 0's from its first record
        final long childPid = trace.where(r -> "write".equals(functionName(r)) &&
            filename(r).equals(data.resolve("child-0.txt").toString())).getFirst().get("pid").asLong();
        final List<JsonNode> child = trace.pid(childPid).all();
        assertEquals("process_start", functionName(child.getFirst()));
        child.forEach(r -> assertEquals(0, r.path("rank").asInt(-1), r.toString()));
        assertEquals(2, trace.function("MPI_File_write_at").stream()
            .filter(w -> data.resolve("shared.dat").toString().equals(filename(w))).count());
    }

    /**
     * Every record of each rank's program image and of the children it forked carries its rank, from process_start
     * on; no other record carries a rank.
     */
    private static void assertRanksEverywhere(final TraceRecords trace, final Path program, final Path data)
    {
        // rank -> pid of the image that ran the program (its mpi_rank records)
        final Map<Integer, Long> pids = new TreeMap<>();
        trace.function("mpi_rank").forEach(r -> pids.put((int)data(r, "rank"), r.get("pid").asLong()));
        assertEquals(List.of(0, 1), new ArrayList<>(pids.keySet()));
        final List<JsonNode> ranked = new ArrayList<>();
        for (final Map.Entry<Integer, Long> rank : pids.entrySet())
        {
            final long pid = rank.getValue();
            final int r = rank.getKey();
            final JsonNode start = trace.where(x -> pid == x.get("pid").asLong() &&
                "process_start".equals(functionName(x)) && program.toString().equals(filename(x))).getFirst();
            final long incarnation = start.get("incarnation").asLong();
            final List<JsonNode> image = trace.pid(pid).incarnation(incarnation).all();
            // the processes the rank forked (the one that wrote child-<r>.txt among them)
            final List<JsonNode> children = trace.where(x -> pid == x.get("ppid").asLong() &&
                pid != x.get("pid").asLong());
            final long childPid = trace.where(x -> "write".equals(functionName(x)) &&
                filename(x).equals(data.resolve("child-" + r + ".txt").toString())).getFirst().get("pid").asLong();
            final List<JsonNode> child = trace.pid(childPid).all();
            for (final JsonNode x : image)
            {
                assertEquals(r, x.path("rank").asInt(-1), "rank " + r + "'s image: " + x);
            }
            for (final JsonNode x : children)
            {
                assertEquals(r, x.path("rank").asInt(-1), "rank " + r + "'s fork child: " + x);
            }
            assertEquals("process_start", functionName(image.getFirst()));
            assertEquals("process_start", functionName(child.getFirst()));
            // I/O before MPI_Init and after MPI_Finalize, and the child's
            assertWrote(image, data.resolve("pre-" + pid + ".txt"), 4);
            assertWrote(image, data.resolve("post-" + r + ".txt"), 5);
            assertWrote(child, data.resolve("child-" + r + ".txt"), 6);
            final int writeBeforeInit = indexOf(image, x -> "write".equals(functionName(x)) &&
                filename(x).endsWith("/pre-" + pid + ".txt"));
            assertTrue(writeBeforeInit < indexOf(image, x -> "MPI_Init".equals(functionName(x))),
                "the write to pre-" + pid + ".txt came before MPI_Init");
            ranked.addAll(image);
            ranked.addAll(children);
        }
        // the launcher's processes (and a rank's pid before its exec) have no rank
        final java.util.Set<JsonNode> mine = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        mine.addAll(ranked);
        trace.all().stream().filter(x -> !mine.contains(x))
            .forEach(x -> assertFalse(x.has("rank"), "not a rank's process: " + x));
    }

    private static void assertWrote(final List<JsonNode> records, final Path file, final long bytes)
    {
        final List<JsonNode> writes = records.stream()
            .filter(x -> "write".equals(functionName(x)) && file.toString().equals(filename(x))).toList();
        assertEquals(1, writes.size(), "one write to " + file);
        assertEquals(bytes, data(writes.getFirst(), "written_bytes"));
    }

    private static int indexOf(final List<JsonNode> records, final java.util.function.Predicate<JsonNode> test)
    {
        for (int i = 0; i < records.size(); i++)
        {
            if (test.test(records.get(i)))
            {
                return i;
            }
        }
        throw new AssertionError("no such record");
    }

    private static void killCollector(final Path traceDir) throws Exception
    {
        final String runtimeDir = TraceSession.runtimeDirFor(traceDir).toString();
        final ProcessHandle collector = CollectorFailureTest.findCollector(runtimeDir, Duration.ofSeconds(20))
            .orElseThrow(() -> new AssertionError("no collector running for " + runtimeDir));
        collector.destroyForcibly();
        collector.onExit().get();
    }
}
