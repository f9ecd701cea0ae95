package io.iotrace.core.collector;

import io.iotrace.core.format.TraceFormat;

import io.iotrace.core.format.FunctionTable;
import io.iotrace.core.testing.EventEncoder;
import io.iotrace.core.testing.RingFileWriter;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Measures decode + resolve + JSON of simple records (prints, asserts no timing).
 */
class ThroughputTest
{
    @TempDir
    Path tmp;

    @Test
    void shouldPrintDecodeResolveJsonThroughput() throws Exception
    {
        final FunctionTable table = FunctionTable.load();
        final CollectorLog log = new CollectorLog(null, null);
        final SessionContext context = new SessionContext(tmp, table, log);
        final long[] bytes = new long[1];
        final OutputStream sink = new OutputStream()
        {
            public void write(final int b)
            {
                bytes[0]++;
            }

            public void write(final byte[] b, final int off, final int len)
            {
                bytes[0] += len;
            }
        };
        final IncarnationInfo info = new IncarnationInfo(4242, 1, 0, 1, 0, 0, 0, 0, "host", "/bin/x", "/w",
            TraceFormat.PRODUCER_SHIM);
        final ProcessTrace trace = new ProcessTrace(context, info, sink);
        trace.startEmpty();
        final byte[] open = EventEncoder.event(table.byName("open")).times(1, 2).result(3).slot("flags", 0102)
            .string("path", "/data/file.bin").build();
        trace.onRecord(table.byName("open").id(), new UnsafeBuffer(open), 0, open.length);

        final int writeId = table.byName("write").id();
        final int readId = table.byName("read").id();
        final UnsafeBuffer write = new UnsafeBuffer(EventEncoder.event(table.byName("write")).times(10, 20)
            .result(4096).tid(4242).slot("fd", 3).slot("count", 4096).build());
        final UnsafeBuffer read = new UnsafeBuffer(EventEncoder.event(table.byName("read")).times(10, 20)
            .result(4096).tid(4242).slot("fd", 3).slot("count", 4096).build());

        final int n = 2_000_000;
        for (int round = 0; round < 3; round++)
        {
            final long start = System.nanoTime();
            for (int i = 0; i < n; i++)
            {
                if (0 == (i & 1))
                {
                    trace.onRecord(writeId, write, 0, write.capacity());
                }
                else
                {
                    trace.onRecord(readId, read, 0, read.capacity());
                }
            }
            final long ns = System.nanoTime() - start;
            System.out.printf("ThroughputTest direct round %d: %,d events in %d ms = %,.0f events/s (%d bytes/line)%n",
                round, n, ns / 1_000_000, n * 1e9 / ns, bytes[0] / Math.max(1, trace.records()));
        }

        // through a ring file and agrona's ManyToOneRingBuffer.read, as the collector drains
        final int ringEvents = 1_000_000;
        try (RingFileWriter ring = new RingFileWriter(tmp.resolve("1-0.ring"),
            new RingFileWriter.Header().pid(1), 64 * 1024 * 1024))
        {
            final byte[] payload = EventEncoder.event(table.byName("write")).times(10, 20).result(4096)
                .slot("fd", 3).slot("count", 4096).build();
            for (int i = 0; i < ringEvents; i++)
            {
                ring.write(writeId, payload);
            }
            final RingSource source = RingSource.map(tmp.resolve("1-0.ring"));
            final long before = trace.records();
            final long start = System.nanoTime();
            while (source.read(trace, trace::flush, Collector.READ_LIMIT) > 0)
            {
                // drain
            }
            final long ns = System.nanoTime() - start;
            assertEquals(ringEvents, trace.records() - before);
            System.out.printf("ThroughputTest ring: %,d events in %d ms = %,.0f events/s%n",
                ringEvents, ns / 1_000_000, ringEvents * 1e9 / ns);
            source.close();
        }
        trace.finish(0, 0, 0);
        context.close();
    }
}
