package io.iotrace.core.testing;

import io.iotrace.core.format.ArgKind;
import io.iotrace.core.format.FunctionInfo;
import io.iotrace.core.format.RecordItem;
import io.iotrace.core.format.TraceFormat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Encodes event payloads as the shim does (section 3 of iotrace_format.h), for tests.
 */
public final class EventEncoder
{
    private final FunctionInfo function;
    private long timeStart = 1_000;
    private long timeEnd = 2_000;
    private long result;
    private int tid = 1;
    private int errno;
    private int status;
    private final long[] slots;
    private final Map<Integer, byte[]> strings = new HashMap<>();
    private final Map<Integer, List<byte[]>> argvs = new HashMap<>();

    private EventEncoder(final FunctionInfo function)
    {
        this.function = function;
        this.slots = new long[function.scalarCount()];
    }

    /**
     * @param function the row.
     * @return an encoder with all slots 0 and strings empty.
     */
    public static EventEncoder event(final FunctionInfo function)
    {
        return new EventEncoder(function);
    }

    public EventEncoder times(final long start, final long end)
    {
        timeStart = start;
        timeEnd = end;
        return this;
    }

    public EventEncoder result(final long value)
    {
        result = value;
        return this;
    }

    public EventEncoder tid(final int value)
    {
        tid = value;
        return this;
    }

    /** Mark failed with errno. */
    public EventEncoder failed(final int errnoValue)
    {
        status |= TraceFormat.STATUS_FAILED;
        errno = errnoValue;
        result = -1;
        return this;
    }

    public EventEncoder status(final int bits)
    {
        status |= bits;
        return this;
    }

    public EventEncoder slot(final String name, final long value)
    {
        slots[item(name).position()] = value;
        return this;
    }

    public EventEncoder string(final String name, final String value)
    {
        return bytes(name, value.getBytes(StandardCharsets.UTF_8));
    }

    public EventEncoder bytes(final String name, final byte[] value)
    {
        strings.put(item(name).position(), value);
        return this;
    }

    public EventEncoder argv(final String name, final String... values)
    {
        argvs.put(item(name).position(), java.util.Arrays.stream(values)
            .map(v -> v.getBytes(StandardCharsets.UTF_8)).toList());
        return this;
    }

    private RecordItem item(final String name)
    {
        for (final RecordItem item : function.items())
        {
            if (item.name().equals(name))
            {
                return item;
            }
        }
        throw new IllegalArgumentException(function.name() + " has no record item " + name);
    }

    /** @return the payload bytes. */
    public byte[] build()
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteBuffer fixed = ByteBuffer.allocate(TraceFormat.EVENT_ARGS_OFFSET + 8 * slots.length)
            .order(ByteOrder.LITTLE_ENDIAN);
        fixed.putLong(TraceFormat.EVENT_TIME_START_OFFSET, timeStart);
        fixed.putLong(TraceFormat.EVENT_TIME_END_OFFSET, timeEnd);
        fixed.putLong(TraceFormat.EVENT_RESULT_OFFSET, result);
        fixed.putInt(TraceFormat.EVENT_TID_OFFSET, tid);
        fixed.putShort(TraceFormat.EVENT_ERRNO_OFFSET, (short)errno);
        fixed.putShort(TraceFormat.EVENT_STATUS_OFFSET, (short)status);
        for (int i = 0; i < slots.length; i++)
        {
            fixed.putLong(TraceFormat.argSlotOffset(i), slots[i]);
        }
        out.writeBytes(fixed.array());
        for (final RecordItem item : function.items())
        {
            if (item.kind().isScalar())
            {
                continue;
            }
            if (ArgKind.ARGV == item.kind())
            {
                final List<byte[]> values = argvs.getOrDefault(item.position(), List.of());
                writeU16(out, values.size());
                for (final byte[] value : values)
                {
                    writeU16(out, value.length);
                    out.writeBytes(value);
                }
            }
            else
            {
                final byte[] value = strings.getOrDefault(item.position(), new byte[0]);
                writeU16(out, value.length);
                out.writeBytes(value);
            }
        }
        return out.toByteArray();
    }

    private static void writeU16(final ByteArrayOutputStream out, final int value)
    {
        out.write(value & 0xFF);
        out.write((value >>> 8) & 0xFF);
    }

    /** @return the row's id. */
    public int typeId()
    {
        return function.id();
    }
}
