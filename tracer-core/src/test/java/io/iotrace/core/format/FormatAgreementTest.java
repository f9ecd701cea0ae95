package io.iotrace.core.format;

import org.agrona.concurrent.ringbuffer.RecordDescriptor;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The C header native-shim/include/iotrace_format.h and {@link TraceFormat} must agree on every constant.
 */
class FormatAgreementTest
{
    private static final Pattern DEFINE = Pattern.compile(
        "^#define\\s+(IOTRACE_[A-Z0-9_]+)\\s+\\(?\\s*(-?(?:0x[0-9a-fA-F]+|[0-9]+))(?:ULL|UL|LL|U|L)?\\s*\\)?");

    private static final Pattern STRING_DEFINE = Pattern.compile("^#define\\s+(IOTRACE_[A-Z0-9_]+)\\s+\"([^\"]*)\"");

    /** C name without the IOTRACE_ prefix → Java constant, where the names differ. */
    private static final Map<String, String> RENAMED = Map.ofEntries(
        Map.entry("HDR_MAGIC", "HDR_MAGIC_OFFSET"),
        Map.entry("HDR_FORMAT_VERSION", "HDR_FORMAT_VERSION_OFFSET"),
        Map.entry("HDR_HEADER_LENGTH", "HDR_HEADER_LENGTH_OFFSET"),
        Map.entry("HDR_RING_CAPACITY", "HDR_RING_CAPACITY_OFFSET"),
        Map.entry("HDR_PID", "HDR_PID_OFFSET"),
        Map.entry("HDR_PPID", "HDR_PPID_OFFSET"),
        Map.entry("HDR_INCARNATION", "HDR_INCARNATION_OFFSET"),
        Map.entry("HDR_ORIGIN", "HDR_ORIGIN_OFFSET"),
        Map.entry("HDR_STATE", "HDR_STATE_OFFSET"),
        Map.entry("HDR_START_TIME_NS", "HDR_START_TIME_NS_OFFSET"),
        Map.entry("HDR_PROC_START_TICKS", "HDR_PROC_START_TICKS_OFFSET"),
        Map.entry("HDR_LOST_EVENTS", "HDR_LOST_EVENTS_OFFSET"),
        Map.entry("HDR_SPILLED_EVENTS", "HDR_SPILLED_EVENTS_OFFSET"),
        Map.entry("HDR_FULL_WAITS", "HDR_FULL_WAITS_OFFSET"),
        Map.entry("HDR_FULL_WAIT_NS", "HDR_FULL_WAIT_NS_OFFSET"),
        Map.entry("HDR_BACKLOG_CONSUMED", "HDR_BACKLOG_CONSUMED_OFFSET"),
        Map.entry("HDR_BACKLOG_END", "HDR_BACKLOG_END_OFFSET"),
        Map.entry("HDR_BACKLOG_RING_END", "HDR_BACKLOG_RING_END_OFFSET"),
        Map.entry("HDR_SPILLING", "HDR_SPILLING_OFFSET"),
        Map.entry("HDR_UID", "HDR_UID_OFFSET"),
        Map.entry("HDR_PARENT_START_TICKS", "HDR_PARENT_START_TICKS_OFFSET"),
        Map.entry("HDR_PRODUCER", "HDR_PRODUCER_OFFSET"),
        Map.entry("HDR_MPI_RANK_KNOWN", "HDR_MPI_RANK_KNOWN_OFFSET"),
        Map.entry("HDR_MPI_RANK", "HDR_MPI_RANK_OFFSET"),
        Map.entry("HDR_HOSTNAME", "HDR_HOSTNAME_OFFSET"),
        Map.entry("HDR_EXE", "HDR_EXE_OFFSET"),
        Map.entry("HDR_CWD", "HDR_CWD_OFFSET"),
        Map.entry("HDR_CMDLINE_LENGTH", "HDR_CMDLINE_LENGTH_OFFSET"),
        Map.entry("HDR_CMDLINE", "HDR_CMDLINE_OFFSET"),
        Map.entry("TRAILER_TAIL_POSITION", "TRAILER_TAIL_POSITION_OFFSET"),
        Map.entry("TRAILER_HEAD_CACHE_POSITION", "TRAILER_HEAD_CACHE_POSITION_OFFSET"),
        Map.entry("TRAILER_HEAD_POSITION", "TRAILER_HEAD_POSITION_OFFSET"),
        Map.entry("TRAILER_CORRELATION_COUNTER", "TRAILER_CORRELATION_COUNTER_OFFSET"),
        Map.entry("TRAILER_CONSUMER_HEARTBEAT", "TRAILER_CONSUMER_HEARTBEAT_OFFSET"),
        Map.entry("EVENT_TIME_START", "EVENT_TIME_START_OFFSET"),
        Map.entry("EVENT_TIME_END", "EVENT_TIME_END_OFFSET"),
        Map.entry("EVENT_RESULT", "EVENT_RESULT_OFFSET"),
        Map.entry("EVENT_TID", "EVENT_TID_OFFSET"),
        Map.entry("EVENT_ERRNO", "EVENT_ERRNO_OFFSET"),
        Map.entry("EVENT_STATUS", "EVENT_STATUS_OFFSET"),
        Map.entry("EVENT_ARGS", "EVENT_ARGS_OFFSET"));

    /** Defines that are not numeric layout constants (include guards). */
    private static final Set<String> NOT_CONSTANTS = Set.of("IOTRACE_FORMAT_H");

    static Path repositoryRoot()
    {
        final String home = System.getProperty("iotrace.home");
        if (null != home && !home.isBlank() && Files.isDirectory(Path.of(home, "native-shim")))
        {
            return Path.of(home);
        }
        Path dir = Path.of("").toAbsolutePath();
        while (null != dir)
        {
            if (Files.exists(dir.resolve("native-shim/include/iotrace_format.h")))
            {
                return dir;
            }
            dir = dir.getParent();
        }
        fail("cannot find native-shim/include/iotrace_format.h (set -Diotrace.home)");
        return null;
    }

    static Map<String, Long> parseHeader() throws IOException
    {
        final Map<String, Long> defines = new LinkedHashMap<>();
        for (final String line : Files.readAllLines(repositoryRoot().resolve("native-shim/include/iotrace_format.h")))
        {
            final Matcher m = DEFINE.matcher(line.strip());
            if (m.find() && !NOT_CONSTANTS.contains(m.group(1)))
            {
                final String text = m.group(2);
                final boolean negative = text.startsWith("-");
                final String digits = negative ? text.substring(1) : text;
                long value = digits.startsWith("0x") ?
                    Long.parseUnsignedLong(digits.substring(2), 16) : Long.parseLong(digits);
                defines.put(m.group(1), negative ? -value : value);
            }
        }
        return defines;
    }

    @Test
    void shouldAgreeWithEveryStringDefineOfTheCHeader() throws Exception
    {
        int checked = 0;
        for (final String line : Files.readAllLines(repositoryRoot().resolve("native-shim/include/iotrace_format.h")))
        {
            final Matcher m = STRING_DEFINE.matcher(line.strip());
            if (m.find())
            {
                final String javaName = m.group(1).substring("IOTRACE_".length());
                assertEquals(m.group(2), TraceFormat.class.getField(javaName).get(null), m.group(1));
                checked++;
            }
        }
        assertTrue(checked >= 1, "no string define found");
    }

    @Test
    void shouldAgreeWithEveryNumericDefineOfTheCHeader() throws Exception
    {
        final Map<String, Long> defines = parseHeader();
        assertTrue(defines.size() > 50, "parsed only " + defines.size() + " defines");
        final Set<String> mismatches = new TreeSet<>();
        for (final Map.Entry<String, Long> define : defines.entrySet())
        {
            final String cName = define.getKey().substring("IOTRACE_".length());
            final String javaName = RENAMED.getOrDefault(cName, cName);
            final Field field;
            try
            {
                field = TraceFormat.class.getField(javaName);
            }
            catch (final NoSuchFieldException ex)
            {
                mismatches.add(define.getKey() + ": no TraceFormat." + javaName);
                continue;
            }
            assertTrue(Modifier.isStatic(field.getModifiers()) && Modifier.isFinal(field.getModifiers()));
            final long javaValue = ((Number)field.get(null)).longValue();
            if (javaValue != define.getValue())
            {
                mismatches.add(define.getKey() + " = " + define.getValue() + " but TraceFormat." + javaName + " = " +
                    javaValue);
            }
        }
        assertTrue(mismatches.isEmpty(), "C header and TraceFormat disagree:\n" + String.join("\n", mismatches));
    }

    @Test
    void shouldHaveTrailerOffsetsOfAgronasRingBufferDescriptor() throws Exception
    {
        final Map<String, Long> defines = parseHeader();
        assertEquals(RingBufferDescriptor.TAIL_POSITION_OFFSET, defines.get("IOTRACE_TRAILER_TAIL_POSITION"));
        assertEquals(RingBufferDescriptor.HEAD_CACHE_POSITION_OFFSET,
            defines.get("IOTRACE_TRAILER_HEAD_CACHE_POSITION"));
        assertEquals(RingBufferDescriptor.HEAD_POSITION_OFFSET, defines.get("IOTRACE_TRAILER_HEAD_POSITION"));
        assertEquals(RingBufferDescriptor.CORRELATION_COUNTER_OFFSET,
            defines.get("IOTRACE_TRAILER_CORRELATION_COUNTER"));
        assertEquals(RingBufferDescriptor.CONSUMER_HEARTBEAT_OFFSET, defines.get("IOTRACE_TRAILER_CONSUMER_HEARTBEAT"));
        assertEquals(RingBufferDescriptor.TRAILER_LENGTH, defines.get("IOTRACE_TRAILER_LENGTH"));
        assertEquals(RecordDescriptor.HEADER_LENGTH, defines.get("IOTRACE_RECORD_HEADER_LENGTH"));
        assertEquals(RecordDescriptor.ALIGNMENT, defines.get("IOTRACE_RECORD_ALIGNMENT"));
    }

    @Test
    void shouldSpellTheMagicsInAscii()
    {
        assertEquals("IOTRRING", ascii(TraceFormat.RING_MAGIC));
        assertEquals("IOTRSPIL", ascii(TraceFormat.SPILL_MAGIC));
        assertEquals("IOTRBKLG", ascii(TraceFormat.BACKLOG_MAGIC));
    }

    @Test
    void shouldFindTheFunctionTableOnTheClasspathIdenticalToTheSource() throws Exception
    {
        try (var in = FunctionTable.class.getResourceAsStream(FunctionTable.RESOURCE))
        {
            assertNotNull(in);
            assertEquals(Files.readString(repositoryRoot().resolve("native-shim/functions.tbl")),
                new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    private static String ascii(final long magic)
    {
        final StringBuilder s = new StringBuilder();
        for (int i = 0; i < 8; i++)
        {
            s.append((char)((magic >>> (8 * i)) & 0xFF));
        }
        return s.toString();
    }
}
