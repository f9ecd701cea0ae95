package io.iotrace.core.decode;

import io.iotrace.core.format.FunctionInfo;
import io.iotrace.core.format.TraceFormat;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One event as read by {@link EventDecoder}: a reusable, mutable flyweight. The fixed part and the argument slots
 * are copied out; strings stay in the buffer and are only turned into {@link String}s when asked, so the buffer
 * must not change until the event has been handled (call {@link #detach()} to keep it longer).
 */
public final class DecodedEvent
{
    private static final int INITIAL_SLOTS = 16;
    private static final int RECENT_NAMES = 256; // a power of two

    FunctionInfo function;
    int typeId;
    long timeStart;
    long timeEnd;
    long result;
    int tid;
    int errno;
    int status;
    long[] slots = new long[INITIAL_SLOTS];
    int[] stringOffsets = new int[INITIAL_SLOTS];
    int[] stringLengths = new int[INITIAL_SLOTS];
    /** Strings made by {@link #string} for this event (resolution and the JSON writer ask for the same ones);
        cleared by each decode. */
    String[] strings = new String[INITIAL_SLOTS];
    final UnsafeBuffer buffer = new UnsafeBuffer(0, 0);
    int payloadOffset;
    int payloadLength;
    private byte[] scratch = new byte[256];
    /**
     * Names seen lately, ASCII only, direct-mapped by a hash of their bytes: a program that opens the same files
     * again and again (or stats, or unlinks them) gets the same String back without a new one per event.
     */
    private final String[] recentNames = new String[RECENT_NAMES];

    /** @return the table row (a stand-in named unknown_&lt;id&gt; for ids not in the table). */
    public FunctionInfo function()
    {
        return function;
    }

    /** @return the ring record type (function id). */
    public int typeId()
    {
        return typeId;
    }

    public long timeStart()
    {
        return timeStart;
    }

    public long timeEnd()
    {
        return timeEnd;
    }

    /** @return the raw return value (signed integers sign-extended, pointers as unsigned bits). */
    public long result()
    {
        return result;
    }

    public int tid()
    {
        return tid;
    }

    /** @return errno when failed, else 0. */
    public int errno()
    {
        return errno;
    }

    /** @return the STATUS_* bits. */
    public int status()
    {
        return status;
    }

    public boolean isFailed()
    {
        return 0 != (status & TraceFormat.STATUS_FAILED);
    }

    public boolean isEof()
    {
        return 0 != (status & TraceFormat.STATUS_EOF);
    }

    public boolean isInFlight()
    {
        return 0 != (status & TraceFormat.STATUS_IN_FLIGHT);
    }

    public boolean isTruncated()
    {
        return 0 != (status & TraceFormat.STATUS_TRUNCATED);
    }

    /**
     * @param slot scalar slot index.
     * @return the slot's 8 bytes.
     */
    public long slot(final int slot)
    {
        return slots[slot];
    }

    /**
     * @param order index among the string items.
     * @return byte length of a path/str item (count of an argv item).
     */
    public int stringLength(final int order)
    {
        return stringLengths[order];
    }

    /**
     * Decode a path or str item; bytes that are not UTF-8 are kept as escapes (see ByteStrings).
     *
     * @param order index among the string items.
     * @return the string (made once per event: the first call allocates).
     */
    public String string(final int order)
    {
        String s = strings[order];
        if (null == s)
        {
            s = decode(stringOffsets[order], stringLengths[order]);
            strings[order] = s;
        }
        return s;
    }

    /**
     * @param order index of an argv item among the string items.
     * @return its strings (allocates).
     */
    public List<String> argv(final int order)
    {
        final int count = stringLengths[order];
        final List<String> list = new ArrayList<>(count);
        int offset = stringOffsets[order];
        for (int i = 0; i < count; i++)
        {
            final int length = buffer.getShort(offset, java.nio.ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
            list.add(decode(offset + 2, length));
            offset += 2 + length;
        }
        return list;
    }

    private String decode(final int offset, final int length)
    {
        if (scratch.length < length)
        {
            scratch = new byte[Math.max(length, scratch.length * 2)];
        }
        buffer.getBytes(offset, scratch, 0, length);
        int hash = length;
        boolean ascii = true;
        for (int i = 0; i < length; i++)
        {
            final byte b = scratch[i];
            hash = 31 * hash + b;
            ascii &= b >= 0;
        }
        if (!ascii)
        {
            return ByteStrings.decode(scratch, 0, length); // file names are bytes: invalid UTF-8 kept exactly
        }
        final int index = (hash ^ (hash >>> 16)) & (RECENT_NAMES - 1);
        final String recent = recentNames[index];
        if (null != recent && sameAscii(recent, scratch, length))
        {
            return recent;
        }
        final String name = new String(scratch, 0, length, java.nio.charset.StandardCharsets.ISO_8859_1);
        recentNames[index] = name;
        return name;
    }

    private static boolean sameAscii(final String s, final byte[] bytes, final int length)
    {
        if (s.length() != length)
        {
            return false;
        }
        for (int i = 0; i < length; i++)
        {
            if (s.charAt(i) != bytes[i])
            {
                return false;
            }
        }
        return true;
    }

    /**
     * Copy the payload this event refers to, so that it stays valid after the ring space is reused.
     *
     * @return a new event equal to this one, backed by its own copy of the payload.
     */
    public DecodedEvent detach()
    {
        final byte[] copy = new byte[payloadLength];
        buffer.getBytes(payloadOffset, copy, 0, payloadLength);
        final DecodedEvent event = new DecodedEvent();
        new EventDecoder(null).decodeInto(function, typeId, new UnsafeBuffer(copy), 0, payloadLength, event);
        return event;
    }

    /** @return the buffer the event was decoded from. */
    public DirectBuffer buffer()
    {
        return buffer;
    }

    public String toString()
    {
        return "DecodedEvent{" + (null == function ? typeId : function.name()) + ", tid=" + tid + ", result=" +
            result + ", status=" + status + "}";
    }
}
