package io.iotrace.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.iotrace.cli.CliHarness.JSON;
import static io.iotrace.cli.CliHarness.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code iotrace merge} aligns the hosts of an MPI job to rank 0's clock with the offsets the ranks stored in their
 * mpi_clock_sync records. test-programs/mpi/clock_order.c runs with 2 ranks (Open MPI and MPICH): in step s rank
 * s % 2 writes to DIR/rank&lt;r&gt;.log and then every rank enters MPI_Barrier, so the writes happened in step order.
 * <ul>
 * <li>One host (the real run): the ranks' measurements agree with their shared clock to half a round trip, rank 0's
 * host is the reference, nothing is shifted, and the merged writes are in step order.</li>
 * <li>Two hosts: the files of rank 1's process are rewritten as host node2 would have written them with a clock
 * 7 s behind (names, hostname, times, and the offsets its ping-pong would then have measured, all less 7 s; each
 * record numbered in an extra field). Unaligned, all of node2's writes sort first; aligned, the writes are in step
 * order again, each node2 record is shifted by exactly the stored offset at the sync points (and before/after them),
 * by an offset between the two stored ones in between, its duration unchanged, and rank 0's records untouched.</li>
 * </ul>
 * Skipped (saying so) when the MPI implementation is not installed (scripts/setup.sh installs both).
 */
class MpiMergeTest
{
    /** node2's clock is this far behind the reference host's. */
    private static final long BEHIND_NS = 7_000_000_000L;
    /** clock_order.c's pause before each later step's write (PAUSE_MS). */
    private static final long PAUSE_NS = 20_000_000L;
    private static final int STEPS = 6;

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"openmpi", "mpich"})
    void shouldMergeRanksInCausalOrderOnRankZerosClock(final String mpi) throws Exception
    {
        final Path program = CliHarness.HOME.resolve("test-programs/build/clock_order-" + mpi);
        Assumptions.assumeTrue(Files.isExecutable(program) && onPath("mpirun." + mpi),
            "mpirun." + mpi + " or " + program + " missing: install " + mpi + " (scripts/setup.sh) and run make");
        final Path data = Files.createDirectories(tmp.resolve("data")).toRealPath();
        final Path trace = tmp.resolve("trace");
        final List<String> command = new ArrayList<>("openmpi".equals(mpi) ?
            List.of("mpirun.openmpi", "--oversubscribe", "-np", "2") : List.of("mpirun.mpich", "-np", "2"));
        command.addAll(List.of(program.toString(), data.toString(), Integer.toString(STEPS)));
        assertEquals(0, CliHarness.trace(trace, Map.of("OMPI_ALLOW_RUN_AS_ROOT", "1",
            "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", "OMPI_MCA_plm_rsh_agent", "false"), command.toArray(String[]::new)));

        final List<JsonNode> original = CliHarness.records(trace);
        final List<JsonNode> syncs = original.stream()
            .filter(r -> MpiClockAlignment.CLOCK_SYNC.equals(r.get("function_name").asText()) &&
                1 == r.path("rank").asInt(-1)).toList();
        assertEquals(List.of(0, 1), syncs.stream().map(s -> s.get("function_data").get("phase").asInt()).toList());
        for (final JsonNode sync : syncs)
        {
            final JsonNode d = sync.get("function_data");
            assertEquals(8, d.get("rounds").asInt(), sync.toString());
            // one clock: the measured offset lies within half the round trip (1 us for the processes' extrapolation)
            assertTrue(Math.abs(d.get("offset_ns").asLong()) <= d.get("rtt_ns").asLong() / 2 + 1000, sync.toString());
            // the test's premise: the alignment is finer than the pause between the steps
            assertTrue(d.get("rtt_ns").asLong() / 2 < PAUSE_NS,
                "machine too loaded: ping-pong imprecise (" + sync + ")");
        }

        // one host: rank 0's is the reference, nothing shifted, steps in order
        final Path merged = tmp.resolve("merged.jsonl");
        final CliHarness.Result one = cli("merge", trace.toString(), "-o", merged.toString());
        assertEquals(0, one.status(), one.err());
        assertFalse(one.err().contains("clocks aligned"), one.err());
        final Set<String> lines = new HashSet<>();
        for (final Path file : CliHarness.processFiles(trace))
        {
            lines.addAll(Files.readAllLines(file, StandardCharsets.UTF_8));
        }
        final List<String> mergedLines = Files.readAllLines(merged, StandardCharsets.UTF_8);
        assertEquals(lines.size(), mergedLines.size());
        assertTrue(lines.containsAll(mergedLines), "records copied unchanged");
        assertEquals(stepOrder(data), writers(mergedLines, data), "writes in step order");

        // two hosts: rank 1's process as node2, whose clock is 7 s behind
        final int rank1Pid = syncs.getFirst().get("pid").asInt();
        final Path twoHosts = Files.createDirectories(tmp.resolve("two-hosts"));
        final List<JsonNode> rewritten = new ArrayList<>();
        for (final Path file : CliHarness.processFiles(trace))
        {
            final String name = file.getFileName().toString();
            if (!name.contains("_" + rank1Pid + "_"))
            {
                Files.copy(file, twoHosts.resolve(name));
                continue;
            }
            final StringBuilder text = new StringBuilder();
            for (final String line : Files.readAllLines(file, StandardCharsets.UTF_8))
            {
                final ObjectNode r = (ObjectNode)JSON.readTree(line);
                r.put("hostname", "node2");
                r.put("time_start", r.get("time_start").asLong() - BEHIND_NS);
                r.put("time_end", r.get("time_end").asLong() - BEHIND_NS);
                if (MpiClockAlignment.CLOCK_SYNC.equals(r.get("function_name").asText()))
                {
                    final ObjectNode d = (ObjectNode)r.get("function_data");
                    d.put("offset_ns", d.get("offset_ns").asLong() - BEHIND_NS);
                }
                r.put("test_seq", rewritten.size());
                rewritten.add(r);
                text.append(JSON.writeValueAsString(r)).append('\n');
            }
            Files.writeString(twoHosts.resolve(name.replaceFirst("^[^_]+_", "node2_")), text);
        }

        final Path unaligned = tmp.resolve("unaligned.jsonl");
        final CliHarness.Result raw = cli("merge", twoHosts.toString(), "--no-clock-align", "-o",
            unaligned.toString());
        assertEquals(0, raw.status(), raw.err());
        assertNotEquals(stepOrder(data), writers(Files.readAllLines(unaligned), data),
            "unaligned, node2's writes sort first");

        final Path aligned = tmp.resolve("aligned.jsonl");
        final CliHarness.Result two = cli("merge", twoHosts.toString(), "-o", aligned.toString());
        assertEquals(0, two.status(), two.err());
        assertTrue(two.err().contains("clocks aligned to rank 0's (host " +
            original.getFirst().get("hostname").asText() + "): 1 other host shifted"), two.err());
        final List<String> alignedLines = Files.readAllLines(aligned, StandardCharsets.UTF_8);
        assertEquals(stepOrder(data), writers(alignedLines, data), "aligned: writes in step order");

        final List<JsonNode> stored = rewritten.stream()
            .filter(r -> MpiClockAlignment.CLOCK_SYNC.equals(r.get("function_name").asText())).toList();
        final long t0 = stored.get(0).get("time_start").asLong();
        final long t1 = stored.get(1).get("time_start").asLong();
        final long s0 = stored.get(0).get("function_data").get("offset_ns").asLong();
        final long s1 = stored.get(1).get("function_data").get("offset_ns").asLong();
        final Map<Integer, JsonNode> bySeq = new HashMap<>();
        long previous = Long.MIN_VALUE;
        for (final String line : alignedLines)
        {
            final JsonNode r = JSON.readTree(line);
            final long start = r.get("time_start").asLong();
            assertTrue(start >= previous, "merged in corrected time order: " + line);
            previous = start;
            if (r.has("test_seq"))
            {
                bySeq.put(r.get("test_seq").asInt(), r);
            }
            else
            {
                assertTrue(lines.contains(line), "rank 0's host untouched: " + line);
            }
        }
        assertEquals(rewritten.size(), bySeq.size());
        for (final JsonNode before : rewritten)
        {
            final JsonNode after = bySeq.get(before.get("test_seq").asInt());
            final long at = before.get("time_start").asLong();
            final long applied = after.get("time_start").asLong() - at;
            assertEquals(applied, after.get("time_end").asLong() - before.get("time_end").asLong(), "duration kept");
            if (at <= t0)
            {
                assertEquals(-s0, applied, "the offset stored at MPI_Init: " + before);
            }
            else if (at >= t1)
            {
                assertEquals(-s1, applied, "the offset stored at MPI_Finalize: " + before);
            }
            else
            {
                assertTrue(applied >= Math.min(-s0, -s1) && applied <= Math.max(-s0, -s1),
                    "between the stored offsets: " + applied + " " + before);
            }
            ((ObjectNode)after).put("time_start", at);
            ((ObjectNode)after).put("time_end", before.get("time_end").asLong());
            assertEquals(JSON.readTree(before.toString()), JSON.readTree(after.toString()), "only the times change");
        }

        // export places the hosts on the same clock: its writes by ts are in step order, each ts merge's time
        final Map<String, List<Long>> mergedStarts = new HashMap<>();
        for (final String line : alignedLines)
        {
            final JsonNode r = JSON.readTree(line);
            if ("write".equals(r.get("function_name").asText()) &&
                r.path("traced_filename").asText().startsWith(data + "/rank"))
            {
                mergedStarts.computeIfAbsent(r.get("traced_filename").asText(), k -> new ArrayList<>())
                    .add(r.get("time_start").asLong());
            }
        }
        for (final boolean align : new boolean[] {true, false})
        {
            final Path timeline = tmp.resolve("timeline-" + align + ".json");
            final List<String> args = new ArrayList<>(List.of("export", twoHosts.toString(), "-f", "perfetto", "-o",
                timeline.toString()));
            if (!align)
            {
                args.add("--no-clock-align");
            }
            final CliHarness.Result export = cli(args.toArray(String[]::new));
            assertEquals(0, export.status(), export.err());
            final List<JsonNode> writes = new ArrayList<>();
            JSON.readTree(timeline.toFile()).get("traceEvents").forEach(ev ->
            {
                if ("write".equals(ev.path("name").asText()) &&
                    ev.path("args").path("file").asText().startsWith(data + "/rank"))
                {
                    writes.add(ev);
                }
            });
            writes.sort(Comparator.comparing(ev -> new java.math.BigDecimal(ev.get("ts").asText())));
            final List<String> byTs = writes.stream().map(ev -> ev.get("args").get("file").asText()).toList();
            if (align)
            {
                assertEquals(stepOrder(data), byTs, "export, aligned: writes in step order");
                for (final JsonNode ev : writes)
                {
                    final long ns = new java.math.BigDecimal(ev.get("ts").asText()).movePointRight(3).longValueExact();
                    assertTrue(mergedStarts.get(ev.get("args").get("file").asText()).contains(ns),
                        "ts is merge's aligned time_start: " + ev);
                }
            }
            else
            {
                assertNotEquals(stepOrder(data), byTs, "export, --no-clock-align: node2's writes sort first");
            }
        }

        // the report's timeline too: aligned, it spans the run; unaligned, node2's 7 s behind stretch it
        final long runNs = mergedStarts.values().stream().flatMap(List::stream).mapToLong(Long::longValue).max()
            .orElseThrow() - mergedStarts.values().stream().flatMap(List::stream).mapToLong(Long::longValue).min()
            .orElseThrow();
        final JsonNode alignedReport = JSON.readTree(
            io.iotrace.cli.report.ReportData.of(twoHosts, false, true).toJson("aligned"));
        final JsonNode rawReport = JSON.readTree(
            io.iotrace.cli.report.ReportData.of(twoHosts, false, false).toJson("raw"));
        assertTrue(alignedReport.get("durationNs").asLong() < BEHIND_NS, alignedReport.get("durationNs") + " ns");
        assertTrue(alignedReport.get("durationNs").asLong() >= runNs, "at least the writes' span " + runNs);
        assertTrue(rawReport.get("durationNs").asLong() > BEHIND_NS, rawReport.get("durationNs") + " ns");
    }

    /** @return the file written in each step: rank0.log, rank1.log, ... */
    private static List<String> stepOrder(final Path data)
    {
        final List<String> order = new ArrayList<>();
        for (int s = 0; s < STEPS; s++)
        {
            order.add(data.resolve("rank" + s % 2 + ".log").toString());
        }
        return order;
    }

    /** @return the files of the write records to DIR/rank*.log, in the order of the merged lines. */
    private static List<String> writers(final List<String> mergedLines, final Path data) throws Exception
    {
        final List<String> order = new ArrayList<>();
        for (final String line : mergedLines)
        {
            final JsonNode r = JSON.readTree(line);
            final String file = r.path("traced_filename").asText();
            if ("write".equals(r.get("function_name").asText()) && file.startsWith(data + "/rank"))
            {
                order.add(file);
            }
        }
        return order;
    }

    private static boolean onPath(final String command)
    {
        for (final String dir : System.getenv().getOrDefault("PATH", "").split(":"))
        {
            if (Files.isExecutable(Path.of(dir, command)))
            {
                return true;
            }
        }
        return false;
    }
}
