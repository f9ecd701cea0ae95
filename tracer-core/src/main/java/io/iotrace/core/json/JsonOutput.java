package io.iotrace.core.json;

import com.fasterxml.jackson.core.SerializableString;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The JSON text of the trace files, written straight into a byte buffer: the calls of Jackson's JsonGenerator that
 * {@link JsonRecordWriter} makes, with the bytes Jackson's UTF-8 generator writes (no separator between root values;
 * strings as UTF-8 with {@code \" \\ \b \f \n \r \t} escaped, other control characters and every surrogate
 * {@code char} as {@code \}{@code uXXXX} in upper-case hex; JsonOutputTest holds the two side by side). What it
 * leaves out is the generator's per-call bookkeeping (state checks, context objects), which was most of the
 * collector's Java time per event (issue 7). Commas come from one bit per nesting level; the caller keeps the
 * structure valid, as it did with the generator. Not thread safe.
 */
final class JsonOutput
{
    /**
     * The only buffer between the JSON and the file (OutputFiles.openAppendableRaw): one copy of each byte fewer than
     * with a BufferedOutputStream behind it, and one write per 64 KiB.
     */
    private static final int BUFFER_LENGTH = 64 * 1024;
    /** Most bytes one char becomes: {@code \}{@code uXXXX}. */
    private static final int MAX_BYTES_PER_CHAR = 6;
    private static final int MAX_DEPTH = 63;
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    /** For ASCII: 0 = as is, -1 = {@code \}{@code u00XX}, else the letter after the backslash. */
    private static final byte[] ESCAPES = new byte[128];
    private static final byte[] TRUE = {'t', 'r', 'u', 'e'};
    private static final byte[] FALSE = {'f', 'a', 'l', 's', 'e'};
    /** "00" "01" ... "99": two digits per lookup. */
    private static final byte[] DIGIT_PAIRS = new byte[200];
    private static final long[] POWERS_OF_TEN = new long[19];
    private static final byte[] LONG_MIN = Long.toString(Long.MIN_VALUE).getBytes(
        java.nio.charset.StandardCharsets.US_ASCII);

    static
    {
        for (int i = 0; i < 100; i++)
        {
            DIGIT_PAIRS[2 * i] = (byte)('0' + i / 10);
            DIGIT_PAIRS[2 * i + 1] = (byte)('0' + i % 10);
        }
        POWERS_OF_TEN[0] = 1;
        for (int i = 1; i < POWERS_OF_TEN.length; i++)
        {
            POWERS_OF_TEN[i] = POWERS_OF_TEN[i - 1] * 10;
        }
        for (int c = 0; c < 0x20; c++)
        {
            ESCAPES[c] = -1;
        }
        ESCAPES['"'] = '"';
        ESCAPES['\\'] = '\\';
        ESCAPES['\b'] = 'b';
        ESCAPES['\f'] = 'f';
        ESCAPES['\n'] = 'n';
        ESCAPES['\r'] = 'r';
        ESCAPES['\t'] = 't';
    }

    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final int SECOND_DIGITS = 10;
    private static final long MIN_TIMESTAMP = 1_000_000_000_000_000_000L;
    private static final int LAST_NAME_BYTES = 1024;

    private final OutputStream out;
    /** writeTimestamp: the digits of the second last written, and where that second starts in ns. */
    private final byte[] secondDigits = new byte[SECOND_DIGITS];
    private long secondStart; // 0: no second yet (timestamps are >= 10^18)
    /** writeFileName: the last name written and its bytes, quotes included (the next records are mostly of the
        same file, and the handle table gives out the same String for it). */
    private String lastName;
    private final byte[] lastNameBytes = new byte[LAST_NAME_BYTES];
    private int lastNameLength;
    private boolean lastNameEscaped;
    /** Buffer flushes so far: a string whose bytes were flushed half-way is not in the buffer to remember. */
    private long flushes;
    private final byte[] buffer = new byte[BUFFER_LENGTH];
    private int position;
    private int depth;
    /** Bit d: the container at depth d (1 = outermost) is an array. */
    private long arrays;
    /** Bit d: the container at depth d has a member already (the next one needs a comma). */
    private long nonEmpty;

    /**
     * @param out where the buffered bytes go (not closed by {@link #close()}).
     */
    JsonOutput(final OutputStream out)
    {
        this.out = out;
    }

    void writeStartObject() throws IOException
    {
        open(false, '{');
    }

    void writeStartArray() throws IOException
    {
        open(true, '[');
    }

    void writeEndObject() throws IOException
    {
        close('}');
    }

    void writeEndArray() throws IOException
    {
        close(']');
    }

    void writeFieldName(final SerializableString name) throws IOException
    {
        final byte[] quoted = name.asQuotedUTF8(); // cached by SerializedString
        ensure(quoted.length + 4);
        final byte[] b = buffer;
        int p = position;
        final long bit = 1L << depth;
        if (0 != (nonEmpty & bit))
        {
            b[p++] = ',';
        }
        nonEmpty |= bit;
        b[p++] = '"';
        for (final byte c : quoted)
        {
            b[p++] = c; // names are short: a loop beats the copy stub's call
        }
        b[p++] = '"';
        b[p++] = ':';
        position = p;
    }

    /**
     * Members written as one run of bytes: {@code "name":value,...,"name":} (starting with a name, ending with the
     * colon of the last one, whose value the caller writes next).
     */
    void writeFieldNames(final byte[] members) throws IOException
    {
        ensure(members.length + 1);
        final long bit = 1L << depth;
        if (0 != (nonEmpty & bit))
        {
            buffer[position++] = ',';
        }
        nonEmpty |= bit;
        System.arraycopy(members, 0, buffer, position, members.length);
        position += members.length;
    }

    void writeFieldName(final String name) throws IOException
    {
        final long bit = 1L << depth;
        ensure(1);
        if (0 != (nonEmpty & bit))
        {
            buffer[position++] = ',';
        }
        nonEmpty |= bit;
        quoted(name, false);
        ensure(1);
        buffer[position++] = ':';
    }

    void writeStringField(final String name, final String value) throws IOException
    {
        writeFieldName(name);
        writeString(value);
    }

    void writeString(final String value) throws IOException
    {
        beforeValue();
        quoted(value, false);
    }

    /**
     * A decoded name (see ByteStrings): each escaped byte (U+DC80..U+DCFF) written as U+FFFD, as
     * ByteStrings.readable would make it, without making that string.
     *
     * @return true when the name held escaped bytes.
     */
    boolean writeReadableString(final String value) throws IOException
    {
        beforeValue();
        return quoted(value, true);
    }

    /**
     * {@link #writeReadableString} of a file name: the same String as last time is copied from the bytes made then.
     *
     * @return true when the name held escaped bytes.
     */
    boolean writeFileName(final String name) throws IOException
    {
        if (name == lastName)
        {
            beforeValue();
            ensure(lastNameLength);
            System.arraycopy(lastNameBytes, 0, buffer, position, lastNameLength);
            position += lastNameLength;
            return lastNameEscaped;
        }
        beforeValue();
        final int start = position;
        final long flushesBefore = flushes;
        final boolean escaped = quoted(name, true);
        final int length = position - start;
        if (flushes == flushesBefore && length <= LAST_NAME_BYTES)
        {
            System.arraycopy(buffer, start, lastNameBytes, 0, length);
            lastNameLength = length;
            lastNameEscaped = escaped;
            lastName = name;
        }
        else
        {
            lastName = null;
        }
        return escaped;
    }

    void writeString(final SerializableString value) throws IOException
    {
        beforeValue();
        final byte[] quoted = value.asQuotedUTF8();
        ensure(quoted.length + 2);
        buffer[position++] = '"';
        System.arraycopy(quoted, 0, buffer, position, quoted.length);
        position += quoted.length;
        buffer[position++] = '"';
    }

    /** ASCII characters that need no escapes (hex digits, as JsonRecordWriter writes them). */
    void writeString(final char[] ascii, final int offset, final int length) throws IOException
    {
        beforeValue();
        ensure(length + 2);
        final byte[] b = buffer;
        int p = position;
        b[p++] = '"';
        for (int i = 0; i < length; i++)
        {
            b[p++] = (byte)ascii[offset + i];
        }
        b[p++] = '"';
        position = p;
    }

    void writeNumber(final int value) throws IOException
    {
        if (value < 0)
        {
            writeNumber((long)value);
            return;
        }
        beforeValue();
        ensure(10);
        int p = position + digits(value);
        position = p;
        writeDigits(buffer, p, value);
    }

    /**
     * A number that is mostly a CLOCK_REALTIME timestamp in ns: 19 digits whose first ten (the second) repeat from
     * one timestamp to the next; those are copied, only the nine of the nanoseconds are made.
     */
    void writeTimestamp(final long value) throws IOException
    {
        if (value < MIN_TIMESTAMP)
        {
            writeNumber(value); // before 2001-09-09: not a timestamp of ours (or not one at all)
            return;
        }
        final long nanos = value - secondStart; // both >= 10^18: no overflow
        if (nanos < 0 || nanos >= NANOS_PER_SECOND)
        {
            final long second = value / NANOS_PER_SECOND;
            secondStart = second * NANOS_PER_SECOND;
            writeDigits(secondDigits, SECOND_DIGITS, second); // ten digits until the year 2286
            writeTimestamp(value);
            return;
        }
        beforeValue();
        ensure(SECOND_DIGITS + 9);
        final byte[] b = buffer;
        System.arraycopy(secondDigits, 0, b, position, SECOND_DIGITS);
        position += SECOND_DIGITS + 9;
        int n = (int)nanos;
        int p = position;
        for (int k = 0; k < 4; k++)
        {
            final int next = n / 100;
            final int pair = (n - next * 100) << 1;
            n = next;
            b[--p] = DIGIT_PAIRS[pair + 1];
            b[--p] = DIGIT_PAIRS[pair];
        }
        b[--p] = (byte)('0' + n);
    }

    /** The digits of value >= 0 ending just before index end (the caller made room for them). */
    private static void writeDigits(final byte[] b, final int end, final long value)
    {
        int p = end;
        long v = value;
        while (v >= 100_000_000L)
        {
            final long rest = v / 100_000_000L;
            int eight = (int)(v - rest * 100_000_000L);
            v = rest;
            for (int k = 0; k < 4; k++)
            {
                final int next = eight / 100;
                final int pair = (eight - next * 100) << 1;
                eight = next;
                b[--p] = DIGIT_PAIRS[pair + 1];
                b[--p] = DIGIT_PAIRS[pair];
            }
        }
        int small = (int)v;
        while (small >= 100)
        {
            final int next = small / 100;
            final int pair = (small - next * 100) << 1;
            small = next;
            b[--p] = DIGIT_PAIRS[pair + 1];
            b[--p] = DIGIT_PAIRS[pair];
        }
        if (small >= 10)
        {
            b[--p] = DIGIT_PAIRS[(small << 1) + 1];
            b[--p] = DIGIT_PAIRS[small << 1];
        }
        else
        {
            b[--p] = (byte)('0' + small);
        }
    }

    void writeNumber(final long value) throws IOException
    {
        beforeValue();
        ensure(20);
        if (Long.MIN_VALUE == value)
        {
            System.arraycopy(LONG_MIN, 0, buffer, position, LONG_MIN.length);
            position += LONG_MIN.length;
            return;
        }
        long v = value;
        if (v < 0)
        {
            buffer[position++] = '-';
            v = -v;
        }
        // from the last digit back: eight at a time while the rest is long, then two at a time
        int p = position + digits(v);
        position = p;
        writeDigits(buffer, p, v);
    }

    /** Decimal digits of a value >= 0. */
    private static int digits(final long v)
    {
        // log10 from the bit length (1233 / 4096 ~ log10(2)), then one correction; v | 1 has the digits of v (a
        // power of ten is even) and gives 0 one digit
        final long w = v | 1;
        final int guess = ((64 - Long.numberOfLeadingZeros(w)) * 1233) >>> 12;
        return guess + (w >= POWERS_OF_TEN[guess] ? 1 : 0);
    }

    /** A number given as its digits (unsigned values beyond Long.MAX_VALUE). */
    void writeNumber(final String digits) throws IOException
    {
        beforeValue();
        ensure(digits.length());
        for (int i = 0, n = digits.length(); i < n; i++)
        {
            buffer[position++] = (byte)digits.charAt(i);
        }
    }

    void writeBoolean(final boolean value) throws IOException
    {
        beforeValue();
        final byte[] text = value ? TRUE : FALSE;
        ensure(text.length);
        System.arraycopy(text, 0, buffer, position, text.length);
        position += text.length;
    }

    /** One ASCII character as is (the line end). */
    void writeRaw(final char c) throws IOException
    {
        ensure(1);
        buffer[position++] = (byte)c;
    }

    /** The buffered bytes to the output stream (the stream itself is not flushed). */
    void flush() throws IOException
    {
        if (position > 0)
        {
            final int length = position;
            position = 0;
            flushes++;
            out.write(buffer, 0, length);
        }
    }

    /** Flush; the output stream stays open. */
    void close() throws IOException
    {
        flush();
    }

    private void open(final boolean array, final char bracket) throws IOException
    {
        beforeValue();
        if (depth == MAX_DEPTH)
        {
            throw new IllegalStateException("JSON nested deeper than " + MAX_DEPTH);
        }
        ensure(1);
        buffer[position++] = (byte)bracket;
        depth++;
        final long bit = 1L << depth;
        nonEmpty &= ~bit;
        arrays = array ? arrays | bit : arrays & ~bit;
    }

    private void close(final char bracket) throws IOException
    {
        ensure(1);
        buffer[position++] = (byte)bracket;
        depth--;
    }

    /** A value in an array needs a comma after the first; in an object its field name wrote it. */
    private void beforeValue() throws IOException
    {
        final long bit = 1L << depth;
        if (0 != (arrays & bit))
        {
            if (0 != (nonEmpty & bit))
            {
                ensure(1);
                buffer[position++] = ',';
            }
            nonEmpty |= bit;
        }
    }

    /** The string in quotes; readable: escaped bytes as U+FFFD. Returns true when it held escaped bytes. */
    private boolean quoted(final String s, final boolean readable) throws IOException
    {
        boolean escapedBytes = false;
        ensure(1);
        buffer[position++] = '"';
        final int n = s.length();
        int i = 0;
        while (i < n)
        {
            // a stretch that fits the buffer whatever its characters become
            int room = (buffer.length - position) / MAX_BYTES_PER_CHAR;
            if (room < 1)
            {
                flush();
                room = buffer.length / MAX_BYTES_PER_CHAR;
            }
            final int end = Math.min(n, i + room);
            final byte[] b = buffer;
            int p = position;
            for (; i < end; i++)
            {
                final char c = s.charAt(i);
                if (c < 0x80)
                {
                    final byte escape = ESCAPES[c];
                    if (0 == escape)
                    {
                        b[p++] = (byte)c;
                    }
                    else if (escape > 0)
                    {
                        b[p++] = '\\';
                        b[p++] = escape;
                    }
                    else
                    {
                        p = unicodeEscape(b, p, c);
                    }
                }
                else if (c < 0x800)
                {
                    b[p++] = (byte)(0xC0 | (c >> 6));
                    b[p++] = (byte)(0x80 | (c & 0x3F));
                }
                else if (c >= 0xD800 && c <= 0xDFFF)
                {
                    if (readable && c >= 0xDC80 && c <= 0xDCFF)
                    {
                        escapedBytes = true; // ByteStrings' escape of a byte that was not UTF-8: U+FFFD
                        b[p++] = (byte)0xEF;
                        b[p++] = (byte)0xBF;
                        b[p++] = (byte)0xBD;
                    }
                    else
                    {
                        p = unicodeEscape(b, p, c);
                    }
                }
                else
                {
                    b[p++] = (byte)(0xE0 | (c >> 12));
                    b[p++] = (byte)(0x80 | ((c >> 6) & 0x3F));
                    b[p++] = (byte)(0x80 | (c & 0x3F));
                }
            }
            position = p;
        }
        ensure(1);
        buffer[position++] = '"';
        return escapedBytes;
    }

    private static int unicodeEscape(final byte[] b, final int at, final char c)
    {
        int p = at;
        b[p++] = '\\';
        b[p++] = 'u';
        b[p++] = HEX[(c >> 12) & 0xF];
        b[p++] = HEX[(c >> 8) & 0xF];
        b[p++] = HEX[(c >> 4) & 0xF];
        b[p++] = HEX[c & 0xF];
        return p;
    }

    private void ensure(final int bytes) throws IOException
    {
        if (position + bytes > buffer.length)
        {
            flush();
            if (bytes > buffer.length)
            {
                throw new IllegalArgumentException(bytes + " bytes at once"); // callers write at most a name
            }
        }
    }
}
