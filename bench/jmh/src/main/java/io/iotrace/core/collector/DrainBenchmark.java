package io.iotrace.core.collector;

import io.iotrace.core.format.FunctionTable;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The collector's drain rate through its real code path (issue 7's backend target: 2,000,000 events/s decoded,
 * resolved and written as JSON on one core): the rings a traced run left (IOTRACE_COLLECTOR=none) are converted
 * into JSON Lines by {@link Collector} in recover mode, pass after pass in one JVM, each pass on a fresh copy of
 * the rings into a fresh output directory (copying and deleting are not timed). The first pass includes the JIT's
 * warm-up (the collector starts interpreted, as every collector does); the later ones show the steady state.
 * Each pass also reports the bytes the drain allocated per event and the garbage collections it caused.
 * <p>
 * Usage: {@code DrainBenchmark RING_DIR WORK_DIR PASSES} (run by bench/run.sh with the collector launcher's JVM
 * options; IOTRACE_COMPRESS=gzip in the environment measures the compressed output).
 */
public final class DrainBenchmark
{
    private DrainBenchmark()
    {
    }

    /** One timed pass: wall-clock and the draining thread's CPU time. */
    private record Pass(
        long events, long nanos, long cpuNanos, long userNanos, long jsonBytes, long allocatedBytes, long gcCount,
        long gcMillis)
    {
        double eventsPerSecond()
        {
            return events * 1e9 / nanos;
        }

        /** Events per second of the thread's CPU time: the rate on one core of its own (a shared machine's other
         *  processes take the CPU away from the drain, which the wall-clock rate counts). */
        double eventsPerCpuSecond()
        {
            return events * 1e9 / cpuNanos;
        }
    }

    public static void main(final String[] args) throws Exception
    {
        if (3 != args.length)
        {
            System.err.println("usage: DrainBenchmark RING_DIR WORK_DIR PASSES");
            System.exit(2);
        }
        final Path rings = Path.of(args[0]);
        final Path work = Path.of(args[1]);
        final int passes = Integer.parseInt(args[2]);
        final FunctionTable table = FunctionTable.load();
        final List<Pass> done = new ArrayList<>();
        for (int i = 1; i <= passes; i++)
        {
            final Pass pass = pass(table, rings, work.resolve("pass-" + i));
            done.add(pass);
            System.out.printf("pass %d: %,d events, %.2f M events/s of CPU time (%.1f ms, %.1f of it in the " +
                "kernel), %.2f M/s wall-clock (%.1f ms), %.1f JSON bytes per event, %.1f bytes allocated per event, " +
                "%d GCs (%d ms)%s%n", i, pass.events, pass.eventsPerCpuSecond() / 1e6, pass.cpuNanos / 1e6,
                (pass.cpuNanos - pass.userNanos) / 1e6, pass.eventsPerSecond() / 1e6,
                pass.nanos / 1e6, (double)pass.jsonBytes / pass.events,
                (double)pass.allocatedBytes / pass.events, pass.gcCount, pass.gcMillis,
                1 == i ? " (the JIT warming up)" : "");
        }
        // steady: the passes after the first two (the second may still run code C2 compiles late)
        final List<Pass> steady = done.subList(Math.min(2, done.size() - 1), done.size());
        final Pass last = done.get(done.size() - 1);
        System.out.printf("drain: first pass %.2f M events/s (JIT warm-up included), second %.2f, steady %.2f " +
            "M events/s (median of passes %d..%d), CPU time; wall-clock %.2f and %.2f M events/s; %.1f bytes " +
            "allocated per event in steady state%n", done.get(0).eventsPerCpuSecond() / 1e6,
            done.get(Math.min(1, done.size() - 1)).eventsPerCpuSecond() / 1e6,
            median(steady.stream().mapToDouble(Pass::eventsPerCpuSecond).toArray()) / 1e6,
            passes - steady.size() + 1, passes, done.get(0).eventsPerSecond() / 1e6,
            median(steady.stream().mapToDouble(Pass::eventsPerSecond).toArray()) / 1e6,
            (double)last.allocatedBytes / last.events);
    }

    private static double median(final double[] values)
    {
        final double[] v = values.clone();
        java.util.Arrays.sort(v);
        return 0 == (v.length & 1) ? (v[v.length / 2 - 1] + v[v.length / 2]) / 2 : v[v.length / 2];
    }

    private static Pass pass(final FunctionTable table, final Path rings, final Path dir) throws IOException
    {
        final Path runtime = dir.resolve("rt");
        final Path output = dir.resolve("out");
        Files.createDirectories(runtime);
        Files.createDirectories(output);
        try (Stream<Path> files = Files.list(rings))
        {
            for (final Path ring : files.filter(f -> f.getFileName().toString().endsWith(".ring")).toList())
            {
                Files.copy(ring, runtime.resolve(ring.getFileName()));
            }
        }
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long gcCountBefore = gcCount();
        final long gcMillisBefore = gcMillis();
        final long allocatedBefore = threads.getCurrentThreadAllocatedBytes();
        final long cpuStart = threads.getCurrentThreadCpuTime();
        final long userStart = threads.getCurrentThreadUserTime();
        final long start = System.nanoTime();
        final long events;
        final CollectorLog log = new CollectorLog(output.resolve("collector.log"), null);
        try (SessionContext context = new SessionContext(output, table, log);
            Collector collector = new Collector(Collector.Mode.RECOVER, runtime, context))
        {
            collector.scan(System.currentTimeMillis());
            while (!collector.isEmpty())
            {
                collector.doWork(System.currentTimeMillis());
            }
            collector.flush();
            events = collector.records();
        }
        final long nanos = System.nanoTime() - start;
        final long cpuNanos = threads.getCurrentThreadCpuTime() - cpuStart;
        final long userNanos = threads.getCurrentThreadUserTime() - userStart;
        final long allocated = threads.getCurrentThreadAllocatedBytes() - allocatedBefore;
        log.close();
        long jsonBytes = 0;
        try (Stream<Path> files = Files.list(output))
        {
            for (final Path f : files.filter(f -> f.getFileName().toString().matches(".*_\\d+_\\d+\\.jsonl(\\.gz|\\.zst)?"))
                .toList())
            {
                jsonBytes += Files.size(f);
            }
        }
        delete(dir);
        return new Pass(events, nanos, cpuNanos, userNanos, jsonBytes, allocated, gcCount() - gcCountBefore, gcMillis() - gcMillisBefore);
    }

    private static long gcCount()
    {
        return ManagementFactory.getGarbageCollectorMXBeans().stream()
            .mapToLong(GarbageCollectorMXBean::getCollectionCount).sum();
    }

    private static long gcMillis()
    {
        return ManagementFactory.getGarbageCollectorMXBeans().stream()
            .mapToLong(GarbageCollectorMXBean::getCollectionTime).sum();
    }

    private static void delete(final Path dir) throws IOException
    {
        try (Stream<Path> files = Files.walk(dir))
        {
            files.sorted(Comparator.reverseOrder()).forEach(p ->
            {
                try
                {
                    Files.delete(p);
                }
                catch (final IOException ex)
                {
                    throw new UncheckedIOException(ex);
                }
            });
        }
    }
}
