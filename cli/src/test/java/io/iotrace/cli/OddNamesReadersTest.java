package io.iotrace.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static io.iotrace.cli.CliHarness.cli;
import static io.iotrace.cli.CliHarness.program;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 8: the readers on a real trace of file names with quotes, a backslash, a tab, a newline, control bytes,
 * valid multi-byte UTF-8 and four byte sequences that are not UTF-8 (test-programs/odd_names.c). Every record and
 * every line the readers write is valid JSON; the exact bytes of each name round-trip through the trace
 * (traced_filename_bytes) and merge; summary, export and report show a name that is not UTF-8 from its exact bytes
 * ({@code \xHH} per bad byte), and summary's text table keeps one line per file with no control characters.
 */
class OddNamesReadersTest
{
    /** odd_names.c's names, as bytes, and how readers show them (text with \xHH for bytes that are not UTF-8). */
    private static final Map<String, String> SHOWN = new LinkedHashMap<>();
    private static final List<byte[]> NAMES = new ArrayList<>();

    static
    {
        name("quote\"d", "quote\"d");
        name("back\\slash", "back\\slash");
        name("tab\there", "tab\there");
        name("new\nline", "new\nline");
        name("ctrl\u0001\u001fx", "ctrl\u0001\u001fx");
        name("uni\u00fc\u20ac", "uni\u00fc\u20ac");
        name(bytes("bad", 0xff, 0xfe, "name"), "bad\\xff\\xfename");
        name("sp ace,comma=eq", "sp ace,comma=eq");
        name(bytes("cont", 0x80), "cont\\x80");
        name(bytes("cut", 0xe2, 0x82), "cut\\xe2\\x82");
        name(bytes("long", 0xc0, 0xaf), "long\\xc0\\xaf");
    }

    /** Strict: a JSON text that is not valid (or not UTF-8) fails the test. */
    private static final ObjectMapper STRICT = new ObjectMapper()
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    @TempDir
    Path tmp;
    Path traceDir;
    Path data;

    @BeforeEach
    void trace() throws Exception
    {
        data = Files.createDirectories(tmp.resolve("data")).toRealPath();
        traceDir = tmp.resolve("trace");
        assertEquals(0, CliHarness.trace(traceDir, Map.of(), program("odd_names"), data.toString()));
    }

    @Test
    void shouldKeepEveryNamesExactBytesThroughTheTraceAndMerge() throws Exception
    {
        final List<JsonNode> records = new ArrayList<>();
        for (final Path file : CliHarness.processFiles(traceDir))
        {
            records.addAll(strictLines(Files.readAllBytes(file)));
        }
        assertEquals(expectedExactNames(), exactNames(records), "each name's bytes, from its records");

        final Path merged = tmp.resolve("merged.jsonl");
        final CliHarness.Result merge = cli("merge", traceDir.toString(), "-o", merged.toString());
        assertEquals(0, merge.status(), merge.err());
        final List<JsonNode> mergedRecords = strictLines(Files.readAllBytes(merged));
        assertEquals(records.size(), mergedRecords.size());
        assertEquals(expectedExactNames(), exactNames(mergedRecords), "merge keeps the exact bytes");
    }

    @Test
    void shouldShowEveryNameInSummaryExportAndReport() throws Exception
    {
        final CliHarness.Result json = cli("summary", "--json", traceDir.toString());
        assertEquals(0, json.status(), json.err());
        final JsonNode files = STRICT.readTree(json.out()).get("files");
        for (final String shown : SHOWN.values())
        {
            final JsonNode file = files.get(data + "/" + shown);
            assertTrue(null != file, shown + " in " + files);
            assertEquals(3, file.get("calls").asInt(), shown + ": open, write, close");
            assertEquals(1, file.get("written_bytes").asInt(), shown);
        }

        final CliHarness.Result text = cli("summary", traceDir.toString());
        assertEquals(0, text.status(), text.err());
        assertFalse(text.out().chars().anyMatch(c -> (c < 0x20 && '\n' != c) || 0x7f == c),
            "no control characters reach the terminal: " + text.out());
        for (final String shown : SHOWN.values())
        {
            // the table cuts long paths at the front ("..."): the name's end identifies its row
            final String row = "/" + shown.replace("\n", "\\n").replace("\t", "\\t")
                .replace("\u0001", "\\x01").replace("\u001f", "\\x1f") + " ";
            assertEquals(1, text.out().lines().filter(l -> l.contains(row)).count(),
                row + " on one line of\n" + text.out());
        }

        final Path exported = tmp.resolve("trace.json");
        final CliHarness.Result export = cli("export", traceDir.toString(), "-f", "perfetto", "-o",
            exported.toString());
        assertEquals(0, export.status(), export.err());
        final TreeSet<String> exportedFiles = new TreeSet<>();
        for (final JsonNode event : STRICT.readTree(Files.readAllBytes(exported)).get("traceEvents"))
        {
            if (event.path("args").has("file"))
            {
                exportedFiles.add(event.get("args").get("file").asText());
            }
        }
        for (final String shown : SHOWN.values())
        {
            assertTrue(exportedFiles.contains(data + "/" + shown), shown + " in " + exportedFiles);
        }

        final Path report = tmp.resolve("report.html");
        final CliHarness.Result html = cli("report", traceDir.toString(), "-o", report.toString());
        assertEquals(0, html.status(), html.err());
        final String page = Files.readString(report, StandardCharsets.UTF_8);
        for (final String shown : List.of("bad\\\\xff\\\\xfename", "cont\\\\x80", "cut\\\\xe2\\\\x82", "long\\\\xc0\\\\xaf"))
        {
            assertTrue(page.contains(shown), shown + " in the report's data");
        }
    }

    /** Parse each line of a JSON Lines file strictly; the bytes must be valid UTF-8. */
    private static List<JsonNode> strictLines(final byte[] bytes) throws Exception
    {
        final String text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        final List<JsonNode> records = new ArrayList<>();
        for (final String line : text.lines().toList())
        {
            records.add(STRICT.readTree(line));
        }
        return records;
    }

    /** The exact bytes (hex) of every name under data, from traced_filename_bytes or else traced_filename. */
    private TreeSet<String> exactNames(final List<JsonNode> records)
    {
        final TreeSet<String> names = new TreeSet<>();
        for (final JsonNode r : records)
        {
            final String hex = r.has("traced_filename_bytes") ? r.get("traced_filename_bytes").asText() :
                HexFormat.of().formatHex(r.get("traced_filename").asText().getBytes(StandardCharsets.UTF_8));
            final byte[] name = HexFormat.of().parseHex(hex);
            final String prefix = data + "/";
            if (new String(name, StandardCharsets.ISO_8859_1).startsWith(prefix))
            {
                names.add(HexFormat.of().formatHex(name));
                if (r.has("traced_filename_bytes"))
                {
                    assertTrue(r.get("traced_filename").asText().contains("\uFFFD"), r.toString());
                }
            }
        }
        return names;
    }

    private TreeSet<String> expectedExactNames()
    {
        final TreeSet<String> names = new TreeSet<>();
        for (final byte[] name : NAMES)
        {
            final ByteArrayOutputStream path = new ByteArrayOutputStream();
            path.writeBytes((data + "/").getBytes(StandardCharsets.UTF_8));
            path.writeBytes(name);
            names.add(HexFormat.of().formatHex(path.toByteArray()));
        }
        return names;
    }

    private static void name(final String name, final String shown)
    {
        name(name.getBytes(StandardCharsets.UTF_8), shown);
    }

    private static void name(final byte[] name, final String shown)
    {
        NAMES.add(name);
        SHOWN.put(HexFormat.of().formatHex(name), shown);
    }

    /** ASCII text and single bytes, in order. */
    private static byte[] bytes(final Object... parts)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final Object part : parts)
        {
            if (part instanceof String s)
            {
                out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
            }
            else
            {
                out.write((Integer)part);
            }
        }
        return out.toByteArray();
    }
}
