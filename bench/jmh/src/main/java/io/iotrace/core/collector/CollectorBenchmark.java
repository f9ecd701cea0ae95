package io.iotrace.core.collector;

import io.iotrace.core.format.FunctionInfo;
import io.iotrace.core.format.FunctionTable;
import io.iotrace.core.format.TraceFormat;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * The collector's per-event work on the backend core: decode a binary event, resolve its descriptor to the file
 * name (fnres), write its JSON line, as {@link ProcessTrace#onRecord} does for every record read from a ring.
 * The output goes to a counting sink (plain) or through the same gzip or zstd stream IOTRACE_COMPRESS uses; the
 * figure is ns per event (the target, 2,000,000 events/s on one core, is 500 ns). -prof gc shows allocation
 * per event (gc.alloc.rate.norm): none for data events; an open allocates the name it gives its descriptor.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC"})
public class CollectorBenchmark
{
    /** plain: JSON Lines; gzip, zstd: the same through the collector's level-1 gzip or zstd stream. */
    @Param({"plain", "gzip", "zstd"})
    public String output;

    private Path dir;
    private SessionContext context;
    private ProcessTrace trace;
    private UnsafeBuffer write;
    private UnsafeBuffer read;
    private int writeId;
    private int readId;
    private int openId;
    private int closeId;
    private UnsafeBuffer opened;
    private UnsafeBuffer close;
    private boolean odd;
    /** bytes written, so the sink cannot be optimised away. */
    public long bytes;

    @Setup(Level.Trial)
    public void setUp() throws IOException
    {
        dir = Files.createTempDirectory("iotrace-jmh");
        final FunctionTable table = FunctionTable.load();
        context = new SessionContext(dir, table, new CollectorLog(null, null));
        final OutputStream sink = new OutputStream()
        {
            @Override
            public void write(final int b)
            {
                bytes++;
            }

            @Override
            public void write(final byte[] b, final int off, final int len)
            {
                bytes += len;
            }
        };
        final OutputStream out = switch (output)
        {
            case "gzip" -> new GZIPOutputStream(sink, 1 << 16, true)
            {
                {
                    def.setLevel(Deflater.BEST_SPEED);
                }
            };
            case "zstd" -> new io.iotrace.core.zstd.ZstdOutputStream(sink);
            default -> sink;
        };
        trace = new ProcessTrace(context, new IncarnationInfo(4242, 1, 0, 1, 0, 0, 0, 0, "host", "/bin/x", "/w",
            TraceFormat.PRODUCER_SHIM), out);
        trace.startEmpty();
        final FunctionInfo open = table.byName("open");
        final UnsafeBuffer opened = event(open, 3, 4242);
        opened.putLong(slot(open, "flags"), 0102, ByteOrder.LITTLE_ENDIAN);
        final byte[] path = "/data/checkpoint/rank-0001.bin".getBytes(StandardCharsets.UTF_8);
        final UnsafeBuffer withPath = new UnsafeBuffer(new byte[opened.capacity() + 2 + path.length]);
        withPath.putBytes(0, opened, 0, opened.capacity());
        withPath.putShort(opened.capacity(), (short)path.length, ByteOrder.LITTLE_ENDIAN);
        withPath.putBytes(opened.capacity() + 2, path);
        trace.onRecord(open.id(), withPath, 0, withPath.capacity());
        openId = open.id();
        this.opened = withPath;
        final FunctionInfo c = table.byName("close");
        closeId = c.id();
        close = event(c, 0, 4242);
        close.putLong(slot(c, "fd"), 3, ByteOrder.LITTLE_ENDIAN);

        final FunctionInfo w = table.byName("write");
        final FunctionInfo r = table.byName("read");
        writeId = w.id();
        readId = r.id();
        write = event(w, 4096, 4242);
        write.putLong(slot(w, "fd"), 3, ByteOrder.LITTLE_ENDIAN);
        write.putLong(slot(w, "count"), 4096, ByteOrder.LITTLE_ENDIAN);
        read = event(r, 4096, 4242);
        read.putLong(slot(r, "fd"), 3, ByteOrder.LITTLE_ENDIAN);
        read.putLong(slot(r, "count"), 4096, ByteOrder.LITTLE_ENDIAN);
    }

    /** A scalar-only event of the function (string items, if any, must be appended by the caller). */
    private static UnsafeBuffer event(final FunctionInfo f, final long result, final int tid)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[TraceFormat.EVENT_ARGS_OFFSET +
            TraceFormat.ARG_SLOT_LENGTH * f.scalarCount()]);
        b.putLong(TraceFormat.EVENT_TIME_START_OFFSET, 1_795_368_623_361_351_789L, ByteOrder.LITTLE_ENDIAN);
        b.putLong(TraceFormat.EVENT_TIME_END_OFFSET, 1_795_368_623_361_354_103L, ByteOrder.LITTLE_ENDIAN);
        b.putLong(TraceFormat.EVENT_RESULT_OFFSET, result, ByteOrder.LITTLE_ENDIAN);
        b.putInt(TraceFormat.EVENT_TID_OFFSET, tid, ByteOrder.LITTLE_ENDIAN);
        return b;
    }

    private static int slot(final FunctionInfo f, final String item)
    {
        return TraceFormat.EVENT_ARGS_OFFSET + TraceFormat.ARG_SLOT_LENGTH * f.slotOf(item);
    }

    /** One event, alternately a write and a read of the opened file: decode, resolve, JSON. */
    @Benchmark
    public void decodeResolveJson()
    {
        odd = !odd;
        if (odd)
        {
            trace.onRecord(writeId, write, 0, write.capacity());
        }
        else
        {
            trace.onRecord(readId, read, 0, read.capacity());
        }
    }

    /** One event, alternately a close of the file and its open again (the open of setUp left it open). */
    @Benchmark
    public void openCloseJson()
    {
        odd = !odd;
        if (odd)
        {
            trace.onRecord(closeId, close, 0, close.capacity());
        }
        else
        {
            trace.onRecord(openId, opened, 0, opened.capacity());
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException
    {
        trace.finish(0, 0, 0);
        context.close();
        try (var files = Files.walk(dir))
        {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
