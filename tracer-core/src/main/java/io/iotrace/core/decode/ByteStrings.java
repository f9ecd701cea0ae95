package io.iotrace.core.decode;

import java.nio.charset.StandardCharsets;

/**
 * Strings from the traced program (file names are bytes, not text) decoded without loss: valid UTF-8 as usual, and
 * each byte that is not part of valid UTF-8 as the lone low surrogate U+DC00 + byte ("surrogate escape"). Handle
 * tables and comparisons then work on exact names; the JSON writer shows escaped names readably (U+FFFD per bad
 * byte) and adds their exact bytes in hex ({@link #readable}, {@link #hexBytes}).
 */
public final class ByteStrings
{
    private static final char ESCAPE_FIRST = '\uDC80';
    private static final char ESCAPE_LAST = '\uDCFF';
    private static final char[] HEX_DIGITS = "0123456789abcdef".toCharArray();

    private ByteStrings()
    {
    }

    /**
     * @param bytes  the bytes.
     * @param offset first byte.
     * @param length byte count.
     * @return the string, bad bytes escaped.
     */
    public static String decode(final byte[] bytes, final int offset, final int length)
    {
        int i = offset;
        final int end = offset + length;
        while (i < end && bytes[i] >= 0)
        {
            i++;
        }
        if (i == end)
        {
            return new String(bytes, offset, length, StandardCharsets.ISO_8859_1); // ASCII: the common case
        }
        final StringBuilder s = new StringBuilder(length);
        s.append(new String(bytes, offset, i - offset, StandardCharsets.ISO_8859_1));
        while (i < end)
        {
            final int b = bytes[i] & 0xFF;
            final int n = b < 0x80 ? 1 : b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3 :
                b >= 0xF0 && b <= 0xF4 ? 4 : 0;
            final int cp = 0 == n || i + n > end ? -1 : codePoint(bytes, i, n);
            if (cp < 0)
            {
                s.append((char)(0xDC00 + b)); // not valid UTF-8 here: this byte escaped, go on with the next
                i++;
            }
            else
            {
                s.appendCodePoint(cp);
                i += n;
            }
        }
        return s.toString();
    }

    /** The code point of the n-byte sequence at i, or -1 if it is malformed, overlong, a surrogate or too large. */
    private static int codePoint(final byte[] bytes, final int i, final int n)
    {
        int cp = bytes[i] & (0xFF >> (n + 1));
        if (1 == n)
        {
            return bytes[i];
        }
        for (int k = 1; k < n; k++)
        {
            final int c = bytes[i + k] & 0xFF;
            if ((c & 0xC0) != 0x80)
            {
                return -1;
            }
            cp = (cp << 6) | (c & 0x3F);
        }
        final int min = 2 == n ? 0x80 : 3 == n ? 0x800 : 0x10000;
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        {
            return -1;
        }
        return cp;
    }

    /**
     * @param s a decoded string.
     * @return true when it holds escaped bytes (its source was not valid UTF-8).
     */
    public static boolean hasEscapes(final String s)
    {
        for (int i = 0, n = s.length(); i < n; i++)
        {
            final char c = s.charAt(i);
            if (c >= ESCAPE_FIRST && c <= ESCAPE_LAST)
            {
                return true;
            }
        }
        return false;
    }

    /**
     * @param s a decoded string.
     * @return it with each escaped byte shown as U+FFFD (valid text for JSON).
     */
    public static String readable(final String s)
    {
        if (!hasEscapes(s))
        {
            return s;
        }
        final StringBuilder r = new StringBuilder(s.length());
        for (int i = 0, n = s.length(); i < n; i++)
        {
            final char c = s.charAt(i);
            r.append(c >= ESCAPE_FIRST && c <= ESCAPE_LAST ? '\uFFFD' : c);
        }
        return r.toString();
    }

    /**
     * The name a reader shows for a record with traced_filename_bytes: the exact bytes, valid UTF-8 as text and each
     * byte that is not as {@code \xHH} (as ls -b does), so two names that differ only in bad bytes stay two names.
     *
     * @param hex the bytes in hex (traced_filename_bytes).
     * @return the name, or null when hex is not an even number of hex digits.
     */
    public static String escapedFromHex(final String hex)
    {
        if (0 != (hex.length() & 1))
        {
            return null;
        }
        final byte[] bytes = new byte[hex.length() / 2];
        for (int i = 0; i < bytes.length; i++)
        {
            final int high = Character.digit(hex.charAt(2 * i), 16);
            final int low = Character.digit(hex.charAt(2 * i + 1), 16);
            if (high < 0 || low < 0)
            {
                return null;
            }
            bytes[i] = (byte)((high << 4) | low);
        }
        final String decoded = decode(bytes, 0, bytes.length);
        final StringBuilder shown = new StringBuilder(decoded.length() + 8);
        for (int i = 0, n = decoded.length(); i < n; i++)
        {
            final char c = decoded.charAt(i);
            if (c >= ESCAPE_FIRST && c <= ESCAPE_LAST)
            {
                shown.append(String.format("\\x%02x", c - 0xDC00));
            }
            else
            {
                shown.append(c);
            }
        }
        return shown.toString();
    }

    /**
     * @param s a decoded string.
     * @return its exact original bytes, in lower-case hex.
     */
    public static String hexBytes(final String s)
    {
        final StringBuilder hex = new StringBuilder(s.length() * 2);
        for (int i = 0, n = s.length(); i < n; )
        {
            final char c = s.charAt(i);
            if (c >= ESCAPE_FIRST && c <= ESCAPE_LAST)
            {
                appendHex(hex, c - 0xDC00);
                i++;
                continue;
            }
            final int cp = s.codePointAt(i);
            if (cp < 0x80)
            {
                appendHex(hex, cp);
            }
            else if (cp < 0x800)
            {
                appendHex(hex, 0xC0 | (cp >> 6));
                appendHex(hex, 0x80 | (cp & 0x3F));
            }
            else if (Character.isSurrogate((char)cp) && cp < 0x10000)
            {
                appendHex(hex, '?'); // a lone surrogate (decode never makes one): what String.getBytes writes
            }
            else if (cp < 0x10000)
            {
                appendHex(hex, 0xE0 | (cp >> 12));
                appendHex(hex, 0x80 | ((cp >> 6) & 0x3F));
                appendHex(hex, 0x80 | (cp & 0x3F));
            }
            else
            {
                appendHex(hex, 0xF0 | (cp >> 18));
                appendHex(hex, 0x80 | ((cp >> 12) & 0x3F));
                appendHex(hex, 0x80 | ((cp >> 6) & 0x3F));
                appendHex(hex, 0x80 | (cp & 0x3F));
            }
            i += Character.charCount(cp);
        }
        return hex.toString();
    }

    private static void appendHex(final StringBuilder hex, final int b)
    {
        hex.append(HEX_DIGITS[(b >> 4) & 0xF]).append(HEX_DIGITS[b & 0xF]);
    }
}
