package io.iotrace.core.decode;

import io.iotrace.core.format.ArgKind;
import io.iotrace.core.format.FunctionInfo;
import io.iotrace.core.format.FunctionTable;
import io.iotrace.core.format.RecordItem;
import io.iotrace.core.format.TraceFormat;
import org.agrona.DirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;

import java.nio.ByteOrder;

import static io.iotrace.core.format.TraceFormat.EVENT_ARGS_OFFSET;

/**
 * Decodes event payloads (section 3 of iotrace_format.h) into a reusable {@link DecodedEvent}, checking every length
 * against the payload so that a malformed record gives a {@link MalformedEventException}, never an out of bounds
 * read. Not thread safe: one decoder per collector thread.
 */
public final class EventDecoder
{
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private final FunctionTable table;
    private final Int2ObjectHashMap<FunctionInfo> unknown = new Int2ObjectHashMap<>();

    /**
     * @param table the function table (may be null when only {@link #decodeInto} is used).
     */
    public EventDecoder(final FunctionTable table)
    {
        this.table = table;
    }

    /**
     * Decode one event.
     *
     * @param typeId  the record type (function id).
     * @param buffer  holding the payload.
     * @param offset  of the payload.
     * @param length  of the payload.
     * @param event   to fill.
     * @return true if the id is in the table, false for an unknown id (the event then has a stand-in row
     *         named unknown_&lt;id&gt; and only the fixed part is decoded).
     * @throws MalformedEventException when the bytes do not fit the row.
     */
    public boolean decode(
        final int typeId, final DirectBuffer buffer, final int offset, final int length, final DecodedEvent event)
    {
        FunctionInfo function = table.byId(typeId);
        final boolean known = null != function;
        if (!known)
        {
            function = unknown.get(typeId);
            if (null == function)
            {
                function = FunctionInfo.unknown(typeId);
                unknown.put(typeId, function);
            }
        }
        decodeInto(function, typeId, buffer, offset, length, event);
        return known;
    }

    /**
     * Decode one event of a given row.
     *
     * @param function the table row.
     * @param typeId   the record type.
     * @param buffer   holding the payload.
     * @param offset   of the payload.
     * @param length   of the payload.
     * @param event    to fill.
     */
    public void decodeInto(
        final FunctionInfo function,
        final int typeId,
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final DecodedEvent event)
    {
        final int scalars = function.scalarCount();
        final int fixedLength = EVENT_ARGS_OFFSET + scalars * TraceFormat.ARG_SLOT_LENGTH;
        if (length < EVENT_ARGS_OFFSET || (function.isKnown() && length < fixedLength))
        {
            throw new MalformedEventException(
                function.name() + " event of " + length + " bytes, at least " + fixedLength + " expected");
        }
        event.function = function;
        event.typeId = typeId;
        event.buffer.wrap(buffer, offset, length);
        event.payloadOffset = 0;
        event.payloadLength = length;
        final DirectBuffer b = event.buffer;
        event.timeStart = b.getLong(TraceFormat.EVENT_TIME_START_OFFSET, LE);
        event.timeEnd = b.getLong(TraceFormat.EVENT_TIME_END_OFFSET, LE);
        event.result = b.getLong(TraceFormat.EVENT_RESULT_OFFSET, LE);
        event.tid = b.getInt(TraceFormat.EVENT_TID_OFFSET, LE);
        event.errno = b.getShort(TraceFormat.EVENT_ERRNO_OFFSET, LE) & 0xFFFF;
        event.status = b.getShort(TraceFormat.EVENT_STATUS_OFFSET, LE) & 0xFFFF;
        if (!function.isKnown())
        {
            return;
        }

        if (event.slots.length < scalars)
        {
            event.slots = new long[scalars];
        }
        final long[] slots = event.slots;
        for (int i = 0; i < scalars; i++)
        {
            slots[i] = b.getLong(EVENT_ARGS_OFFSET + i * TraceFormat.ARG_SLOT_LENGTH, LE);
        }

        final int strings = function.stringCount();
        if (0 == strings)
        {
            return;
        }
        if (event.stringOffsets.length < strings)
        {
            event.stringOffsets = new int[strings];
            event.stringLengths = new int[strings];
            event.strings = new String[strings];
        }
        java.util.Arrays.fill(event.strings, 0, strings, null);
        int position = fixedLength;
        for (final RecordItem item : function.items())
        {
            if (item.kind().isScalar())
            {
                continue;
            }
            final int order = item.position();
            final int count = readU16(b, position, length, function, item);
            position += 2;
            if (ArgKind.ARGV == item.kind())
            {
                event.stringOffsets[order] = position;
                event.stringLengths[order] = count;
                for (int i = 0; i < count; i++)
                {
                    final int stringLength = readU16(b, position, length, function, item);
                    position += 2 + stringLength;
                    checkEnd(position, length, function, item);
                }
            }
            else
            {
                event.stringOffsets[order] = position;
                event.stringLengths[order] = count;
                position += count;
                checkEnd(position, length, function, item);
            }
        }
    }

    private static int readU16(
        final DirectBuffer b, final int position, final int length, final FunctionInfo function, final RecordItem item)
    {
        checkEnd(position + 2, length, function, item);
        return b.getShort(position, LE) & 0xFFFF;
    }

    private static void checkEnd(final int end, final int length, final FunctionInfo function, final RecordItem item)
    {
        if (end > length)
        {
            throw new MalformedEventException(
                function.name() + " event: string item " + item.name() + " runs past the payload end (" + end +
                " > " + length + ")");
        }
    }
}
