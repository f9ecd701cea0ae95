// Throwaway test: acts as a collector for one ring file with agrona's own ManyToOneRingBuffer.
// usage: java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp agrona.jar AgronaRead.java <ring dir> [timeout s]
// Waits for a *.ring in <ring dir> (recursively), heartbeats and drains it until its state is EXITED, prints counts.
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.*;
import java.util.TreeMap;

public class AgronaRead
{
    public static void main(String[] args) throws Exception
    {
        Path dir = Path.of(args[0]);
        long deadline = System.currentTimeMillis() + 1000L * (args.length > 1 ? Integer.parseInt(args[1]) : 60);
        Path ring = null;
        while (ring == null && System.currentTimeMillis() < deadline)
        {
            if (Files.isDirectory(dir))
            {
                try (var s = Files.walk(dir))
                {
                    ring = s.filter(p -> p.toString().endsWith(".ring")).findFirst().orElse(null);
                }
            }
            if (ring == null) Thread.sleep(5);
        }
        if (ring == null) throw new IllegalStateException("no ring");
        MappedByteBuffer map;
        try (FileChannel ch = FileChannel.open(ring, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            while (ch.size() < 16384 + 65536) Thread.sleep(1);
            map = ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size());
        }
        map.order(ByteOrder.LITTLE_ENDIAN);
        UnsafeBuffer header = new UnsafeBuffer(map, 0, 16384);
        while (header.getIntVolatile(36) == 0) Thread.sleep(1);
        int capacity = header.getInt(16);
        UnsafeBuffer area = new UnsafeBuffer(map, 16384, capacity + RingBufferDescriptor.TRAILER_LENGTH);
        ManyToOneRingBuffer rb = new ManyToOneRingBuffer(area);
        System.out.println("ring " + ring + " capacity " + capacity + " pid " + header.getInt(20));
        TreeMap<Integer, Long> counts = new TreeMap<>();
        long[] bytes = {0};
        long lastBeat = 0;
        int idleAfterExit = 0;
        while (System.currentTimeMillis() < deadline)
        {
            long now = System.currentTimeMillis();
            if (now - lastBeat >= 50) { rb.consumerHeartbeatTime(now); lastBeat = now; }
            int n = rb.read((type, buf, off, len) -> {
                if (len < 32) throw new IllegalStateException("short payload " + len);
                counts.merge(type, 1L, Long::sum);
                bytes[0] += len;
            });
            if (n == 0)
            {
                if (header.getIntVolatile(36) == 3 && ++idleAfterExit > 20) break;
                Thread.onSpinWait();
                Thread.sleep(0, 100_000);
            }
        }
        System.out.println("counts by type " + counts + " payload bytes " + bytes[0] + " producer position "
            + rb.producerPosition() + " (wraps: " + rb.producerPosition() / capacity + ")"
            + " lost " + header.getLongVolatile(56) + " spilled " + header.getLongVolatile(64)
            + " spilling " + header.getIntVolatile(72));
    }
}
