package io.iotrace.core.json;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import io.iotrace.core.decode.ByteStrings;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * JsonOutput writes the bytes Jackson's UTF-8 generator writes for the same calls (the trace files' JSON was
 * Jackson's; readers and earlier files agree with it byte for byte), for every kind of character a name can hold.
 */
class JsonOutputTest
{
    /** Both writers take the same calls. */
    private interface Calls
    {
        void apply(Target t) throws IOException;
    }

    /** The calls JsonRecordWriter makes, on either writer. */
    private interface Target
    {
        void startObject() throws IOException;

        void endObject() throws IOException;

        void startArray() throws IOException;

        void endArray() throws IOException;

        void name(SerializedString name) throws IOException;

        void name(String name) throws IOException;

        void string(String value) throws IOException;

        void string(SerializedString value) throws IOException;

        void hex(char[] digits, int offset, int length) throws IOException;

        void number(long value) throws IOException;

        void number(int value) throws IOException;

        void digits(String digits) throws IOException;

        void bool(boolean value) throws IOException;

        void newline() throws IOException;
    }

    private static byte[] jackson(final Calls calls) throws IOException
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = new JsonFactoryBuilder().rootValueSeparator((String)null).build()
            .createGenerator(out, JsonEncoding.UTF8))
        {
            calls.apply(new Target()
            {
                public void startObject() throws IOException
                {
                    g.writeStartObject();
                }

                public void endObject() throws IOException
                {
                    g.writeEndObject();
                }

                public void startArray() throws IOException
                {
                    g.writeStartArray();
                }

                public void endArray() throws IOException
                {
                    g.writeEndArray();
                }

                public void name(final SerializedString name) throws IOException
                {
                    g.writeFieldName(name);
                }

                public void name(final String name) throws IOException
                {
                    g.writeFieldName(name);
                }

                public void string(final String value) throws IOException
                {
                    g.writeString(value);
                }

                public void string(final SerializedString value) throws IOException
                {
                    g.writeString(value);
                }

                public void hex(final char[] digits, final int offset, final int length) throws IOException
                {
                    g.writeString(digits, offset, length);
                }

                public void number(final long value) throws IOException
                {
                    g.writeNumber(value);
                }

                public void number(final int value) throws IOException
                {
                    g.writeNumber(value);
                }

                public void digits(final String digits) throws IOException
                {
                    g.writeNumber(digits);
                }

                public void bool(final boolean value) throws IOException
                {
                    g.writeBoolean(value);
                }

                public void newline() throws IOException
                {
                    g.writeRaw('\n');
                }
            });
        }
        return out.toByteArray();
    }

    private static byte[] ours(final Calls calls) throws IOException
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final JsonOutput o = new JsonOutput(out);
        calls.apply(new Target()
        {
            public void startObject() throws IOException
            {
                o.writeStartObject();
            }

            public void endObject() throws IOException
            {
                o.writeEndObject();
            }

            public void startArray() throws IOException
            {
                o.writeStartArray();
            }

            public void endArray() throws IOException
            {
                o.writeEndArray();
            }

            public void name(final SerializedString name) throws IOException
            {
                o.writeFieldName(name);
            }

            public void name(final String name) throws IOException
            {
                o.writeFieldName(name);
            }

            public void string(final String value) throws IOException
            {
                o.writeString(value);
            }

            public void string(final SerializedString value) throws IOException
            {
                o.writeString(value);
            }

            public void hex(final char[] digits, final int offset, final int length) throws IOException
            {
                o.writeString(digits, offset, length);
            }

            public void number(final long value) throws IOException
            {
                o.writeNumber(value);
            }

            public void number(final int value) throws IOException
            {
                o.writeNumber(value);
            }

            public void digits(final String digits) throws IOException
            {
                o.writeNumber(digits);
            }

            public void bool(final boolean value) throws IOException
            {
                o.writeBoolean(value);
            }

            public void newline() throws IOException
            {
                o.writeRaw('\n');
            }
        });
        o.close();
        return out.toByteArray();
    }

    private static void assertSameBytes(final Calls calls) throws IOException
    {
        final byte[] expected = jackson(calls);
        final byte[] actual = ours(calls);
        int same = 0;
        while (same < expected.length && same < actual.length && expected[same] == actual[same])
        {
            same++;
        }
        final int at = same;
        final int from = Math.max(0, at - 40);
        assertEquals(expected.length, at, () -> "first difference at byte " + at + ": Jackson wrote ..." +
            new String(expected, from, Math.min(expected.length, at + 40) - from, StandardCharsets.UTF_8) +
            "..., JsonOutput ..." + new String(actual, from, Math.min(actual.length, at + 40) - from,
            StandardCharsets.UTF_8) + "...");
        assertArrayEquals(expected, actual);
    }

    @Test
    void shouldWriteRecordsAsJacksonDoes() throws IOException
    {
        final SerializedString name = new SerializedString("traced_filename");
        final SerializedString host = new SerializedString("host\"x\\y");
        final char[] hex = "0x7f00dead".toCharArray();
        assertSameBytes(t ->
        {
            for (int line = 0; line < 3; line++)
            {
                t.startObject();
                t.name(name);
                t.string("/dir/\"quoted\"\nnew\tline\u0000\u0001\u001f\u007f\b\f\r/\\");
                t.name(new SerializedString("hostname"));
                t.string(host);
                t.name("pid");
                t.number(Integer.MIN_VALUE);
                t.name("time");
                t.number(Long.MIN_VALUE);
                t.name("max");
                t.number(Long.MAX_VALUE);
                t.name("zero");
                t.number(0);
                t.name("neg");
                t.number(-1L);
                t.name("big");
                t.digits(Long.toUnsignedString(-1L));
                t.name("address");
                t.hex(hex, 2, 8);
                t.name("empty_array");
                t.startArray();
                t.endArray();
                t.name("empty_object");
                t.startObject();
                t.endObject();
                t.name("argv");
                t.startArray();
                t.string("a b");
                t.string("");
                t.bool(true);
                t.startObject();
                t.name("k");
                t.bool(false);
                t.endObject();
                t.startArray();
                t.number(7);
                t.number(8L);
                t.endArray();
                t.endArray();
                t.name("function_data");
                t.startObject();
                t.name("nested");
                t.startObject();
                t.name("x");
                t.number(1);
                t.endObject();
                t.endObject();
                t.endObject();
                t.newline();
            }
        });
    }

    @Test
    void shouldWriteEveryNumberLengthAsJacksonDoes() throws IOException
    {
        final List<Long> longs = new ArrayList<>();
        for (long power = 1; power > 0; power = power <= Long.MAX_VALUE / 10 ? power * 10 : -1)
        {
            longs.addAll(List.of(power - 1, power, power + 1, -power, -(power - 1)));
        }
        final Random random = new Random(3);
        final int[] ints = new int[2000];
        for (int i = 0; i < ints.length; i++)
        {
            longs.add(random.nextLong() >> random.nextInt(64));
            ints[i] = random.nextInt() >> random.nextInt(32);
        }
        longs.addAll(List.of(Long.MAX_VALUE, Long.MIN_VALUE, 0L));
        assertSameBytes(t ->
        {
            t.startArray();
            for (final long v : longs)
            {
                t.number(v);
            }
            for (final int v : ints)
            {
                t.number(v);
            }
            t.number(Integer.MAX_VALUE);
            t.number(Integer.MIN_VALUE);
            t.endArray();
        });
    }

    @Test
    void shouldWriteTimestampsFileNamesAndMemberRunsAsTheirPlainForms() throws IOException
    {
        final long[] times = {1_795_368_623_361_351_789L, 1_795_368_623_999_999_999L, 1_795_368_624_000_000_000L,
            1_795_368_624_000_000_007L, 1_795_368_623_361_351_790L, 999_999_999_999_999_999L, 0L, -1L, -999_999_999L,
            Long.MAX_VALUE, Long.MIN_VALUE, 1_000_000_000_000_000_000L, 1_795_368_624_100_000_000L};
        final String name = "/data/f\u00e9";
        final String escaped = ByteStrings.decode(new byte[] {'/', 'x', (byte)0xff}, 0, 3);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final JsonOutput o = new JsonOutput(out);
        o.writeStartArray();
        for (final long t : times)
        {
            o.writeTimestamp(t);
        }
        assertFalse(o.writeFileName(name));
        assertFalse(o.writeFileName(name)); // the second time from the bytes made the first time
        assertTrue(o.writeFileName(escaped));
        assertTrue(o.writeFileName(escaped));
        o.writeStartObject();
        o.writeFieldNames("\"a\":1,\"b\":".getBytes(StandardCharsets.UTF_8));
        o.writeNumber(2);
        o.writeFieldNames("\"c\":".getBytes(StandardCharsets.UTF_8));
        o.writeNumber(3);
        o.writeEndObject();
        o.writeEndArray();
        o.close();
        final StringBuilder expected = new StringBuilder("[");
        for (final long t : times)
        {
            expected.append(t).append(',');
        }
        expected.append("\"/data/f\u00e9\",\"/data/f\u00e9\",\"/x\uFFFD\",\"/x\uFFFD\",{\"a\":1,\"b\":2,\"c\":3}]");
        assertEquals(expected.toString(), out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldEncodeEveryKindOfCharacterAsJacksonDoes() throws IOException
    {
        final List<String> strings = new ArrayList<>();
        final StringBuilder all = new StringBuilder();
        for (char c = 0; c < 0x800; c++)
        {
            all.append(c);
        }
        strings.add(all.toString());
        strings.add("é€\uD83D\uDE00 \uD83D\uDC80 lone \uD800 \uDC80 \uDCFF \uDFFF \uFFFD \uFFFF");
        final Random random = new Random(7);
        for (int i = 0; i < 200; i++)
        {
            final char[] chars = new char[random.nextInt(40)];
            for (int k = 0; k < chars.length; k++)
            {
                chars[k] = switch (random.nextInt(4))
                {
                    case 0 -> (char)random.nextInt(0x80);
                    case 1 -> (char)(0xD800 + random.nextInt(0x800));
                    case 2 -> (char)random.nextInt(0x10000);
                    default -> (char)(0x20 + random.nextInt(0x60));
                };
            }
            strings.add(new String(chars));
        }
        // longer than the output buffer: escaped characters become six bytes each
        strings.add("\u0001".repeat(5000) + "x".repeat(9000) + "é".repeat(5000));
        assertSameBytes(t ->
        {
            t.startArray();
            for (final String s : strings)
            {
                t.string(s);
            }
            t.endArray();
            t.newline();
        });
    }

    @Test
    void shouldWriteEscapedBytesOfNamesAsReplacementCharactersAndSaySo() throws IOException
    {
        final byte[] bytes = {'/', 't', (byte)0xff, (byte)0xc3, '(', 'x', (byte)0xe2, (byte)0x82, (byte)0xac};
        final String name = ByteStrings.decode(bytes, 0, bytes.length);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final JsonOutput o = new JsonOutput(out);
        assertTrue(o.writeReadableString(name));
        assertFalse(o.writeReadableString("/t/plain€"));
        o.close();
        final ByteArrayOutputStream expected = new ByteArrayOutputStream();
        try (JsonGenerator g = new JsonFactoryBuilder().rootValueSeparator((String)null).build()
            .createGenerator(expected, JsonEncoding.UTF8))
        {
            g.writeString(ByteStrings.readable(name));
            g.writeString("/t/plain€");
        }
        assertArrayEquals(expected.toByteArray(), out.toByteArray());
        assertEquals(HexFormat.of().formatHex(bytes), ByteStrings.hexBytes(name));
    }

    @Test
    void shouldGiveBackTheExactBytesOfAnyDecodedName()
    {
        final Random random = new Random(11);
        for (int i = 0; i < 2000; i++)
        {
            final byte[] bytes = new byte[random.nextInt(24)];
            for (int k = 0; k < bytes.length; k++)
            {
                // mostly bytes of multi-byte sequences, valid or not
                bytes[k] = (byte)(random.nextBoolean() ? 0x80 + random.nextInt(0x80) : random.nextInt(0x100));
            }
            final String name = ByteStrings.decode(bytes, 0, bytes.length);
            assertEquals(HexFormat.of().formatHex(bytes), ByteStrings.hexBytes(name), name);
        }
    }
}
