package io.iotrace.cli.report;

import io.iotrace.cli.CliHarness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.iotrace.cli.IotraceCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code iotrace report}: traces of real test programs, the page loaded in headless Chromium, every number the charts
 * show compared with sums the test computes from the records itself.
 */
class ReportCommandTest
{
    @TempDir
    Path tmp;

    /** Four threads writing + basic_io's small files (folded into "other"): few calls, so one bar per call. */
    @Test
    void reportOfSmallTraceShowsEveryCall() throws Exception
    {
        final Path trace = tmp.resolve("trace");
        Files.createDirectories(tmp.resolve("data"));
        CliHarness.runTraced(trace, "threads", tmp.resolve("data").toString(), "4", "3000");
        CliHarness.runTraced(trace, "basic_io", tmp.resolve("data").toString());
        final Records records = Records.of(trace);
        assertTrue(records.calls.size() < ReportData.MAX_EXACT_CALLS);

        final String dom = renderAndLoad(trace, records);
        assertTrue(dom.contains("each bar is a call"), "exact timeline");
        // one bar (subpath) per call, coloured by kind
        for (final Matcher lane = LANE.matcher(dom); lane.find(); )
        {
            final String key = lane.group(1) + "/" + lane.group(2);
            final List<JsonNode> calls = records.calls.stream().filter(c -> key.equals(c.get("pid") + "/" + c.get("tid")))
                .toList();
            final String body = lane.group(4);
            assertEquals(calls.stream().filter(c -> c.path("function_data").has("written_bytes")).count(),
                subpaths(body, "calls-write"), key + " write bars");
            assertEquals(calls.stream().filter(c -> c.path("function_data").has("read_bytes")).count(),
                subpaths(body, "calls-read"), key + " read bars");
            assertEquals(calls.size(), subpaths(body, "calls-write") + subpaths(body, "calls-read") +
                subpaths(body, "calls-meta"), key + " bars");
        }
        // basic.dat and created.dat are far below 3% of the threads' files
        assertTrue(dom.contains("data-name=\"other\""), "small files folded into other");
    }

    /** 8 threads x 10000 writes: the timeline is aggregated into time buckets, the page stays small. */
    @Test
    void reportOfBigTraceAggregatesTheTimeline() throws Exception
    {
        final Path trace = tmp.resolve("trace");
        Files.createDirectories(tmp.resolve("data"));
        CliHarness.runTraced(trace, "threads", tmp.resolve("data").toString(), "8", "10000");
        final Records records = Records.of(trace);
        assertTrue(records.calls.size() > ReportData.MAX_EXACT_CALLS);
        final String dom = renderAndLoad(trace, records);
        assertTrue(dom.contains("time buckets of"), "bucketed timeline");
        assertTrue(Files.size(tmp.resolve("report.html")) < 1_000_000, "page size " + Files.size(tmp.resolve("report.html")));
    }

    /** File names with quotes, control characters, invalid UTF-8, in a directory whose path holds "</script>". */
    @Test
    void oddFileNamesReachThePageIntact() throws Exception
    {
        final Path trace = tmp.resolve("trace");
        final Path data = tmp.resolve("a<").resolve("script>&\"x");
        Files.createDirectories(data);
        CliHarness.runTraced(trace, "odd_names", data.toString());
        final Records records = Records.of(trace);
        final String dom = renderAndLoad(trace, records);
        // renderAndLoad compared the pie's labels with the records' names; these hold what needs escaping
        assertTrue(records.expectedSlices().keySet().stream().anyMatch(n -> n.contains("</script>&\"x/new\nline")),
            records.expectedSlices().keySet().toString());
        assertTrue(dom.contains("data-rendered=\"4\""));
    }

    @Test
    void malformedLineIsOneErrorLineWithStatus2() throws Exception
    {
        final Path trace = tmp.resolve("trace");
        Files.createDirectories(tmp.resolve("data"));
        CliHarness.runTraced(trace, "basic_io", tmp.resolve("data").toString());
        final Path file = Records.traceFiles(trace).get(0);
        final List<String> lines = new ArrayList<>(Files.readAllLines(file));
        lines.set(2, lines.get(2).substring(0, 30) + "}");
        Files.write(file, lines);
        final CliHarness.Result run = CliHarness.cli("report", trace.toString(), "-o", tmp.resolve("r.html").toString());
        assertEquals(2, run.status());
        assertEquals(1, run.err().lines().count(), run.err());
        assertTrue(run.err().contains(file.getFileName() + ":3:"), run.err());
        assertFalse(Files.exists(tmp.resolve("r.html")));
    }

    @Test
    void traceCutInItsLastRecordLoadsUpToIt() throws Exception
    {
        final Path trace = tmp.resolve("trace");
        Files.createDirectories(tmp.resolve("data"));
        CliHarness.runTraced(trace, "basic_io", tmp.resolve("data").toString());
        final Path file = Records.traceFiles(trace).get(0);
        final byte[] content = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(content, content.length - 20)); // the last line loses its end
        final CliHarness.Result run = CliHarness.cli("report", trace.toString(), "-o", tmp.resolve("r.html").toString());
        assertEquals(0, run.status(), run.err());
        assertTrue(run.err().contains("incomplete last record"), run.err());
        final String page = Files.readString(tmp.resolve("r.html"));
        final long complete = Files.readAllLines(file).size() - 1;
        final long calls = Files.readAllLines(file).stream().limit(complete).filter(l -> !l.contains("\"fd_discovered\"") && !l.contains("\"process_start\""))
            .count();
        assertTrue(page.contains("\"calls\":" + calls + ","), "calls of the complete records");
    }

    /** Writes the report, loads it in Chromium and checks the charts against the records. */
    private String renderAndLoad(final Path trace, final Records records) throws Exception
    {
        final Path page = tmp.resolve("report.html");
        final CliHarness.Result run = CliHarness.cli("report", trace.toString(), "-o", page.toString());
        assertEquals(0, run.status(), run.err());
        final String html = Files.readString(page);
        assertFalse(Pattern.compile("(src|href)=\"(https?:)?//").matcher(html).find(), "no network resource");

        final HeadlessChromium.Result result = HeadlessChromium.dumpDom(page, tmp);
        final String dom = result.dom();
        assertTrue(dom.contains("<body data-rendered=\"4\""), "the script drew 4 charts:\n" + errors(dom));
        assertTrue(dom.contains("<div id=\"errors\"></div>"), "no script error:\n" + errors(dom));
        assertFalse(result.stderr().contains("Uncaught"), result.stderr());
        assertFalse(result.stderr().contains(":CONSOLE("), "no console output: " + result.stderr());

        // pie: the files with >= 3% of all bytes, the rest as "other"
        assertEquals(records.expectedSlices(), labels(dom, PIE_LABEL));
        assertTrue(dom.contains("<svg id=\"pie-chart\""));
        // timeline: one lane per thread with its number of calls
        final Map<String, Long> lanes = new TreeMap<>();
        for (final Matcher m = LANE.matcher(dom); m.find(); )
        {
            lanes.put(m.group(1) + "/" + m.group(2), Long.parseLong(m.group(3)));
        }
        assertEquals(records.count(c -> c.get("pid") + "/" + c.get("tid")), lanes);
        // request sizes: calls per power-of-two bucket
        final Map<String, Long> sizes = new TreeMap<>();
        for (final Matcher m = SIZE_BAR.matcher(dom); m.find(); )
        {
            if (!"0".equals(m.group(3)))
            {
                sizes.put(m.group(1) + " " + m.group(2), Long.parseLong(m.group(3)));
            }
        }
        assertEquals(records.expectedSizes(), sizes);
        // load per process: bytes and time in calls
        final List<String[]> bars = new ArrayList<>();
        for (final Matcher m = IMBALANCE_BAR.matcher(dom); m.find(); )
        {
            bars.add(new String[] {unescape(m.group(1)), m.group(2)});
        }
        final Map<String, Long> bytesPerProcess = records.sum(c -> c.get("hostname").asText() + ":" + c.get("pid"),
            c -> c.path("function_data").path("read_bytes").asLong() + c.path("function_data").path("written_bytes").asLong());
        final Map<String, Long> nanosPerProcess = records.sum(c -> c.get("hostname").asText() + ":" + c.get("pid"),
            c -> Math.max(0, c.get("time_end").asLong() - c.get("time_start").asLong()));
        assertEquals(2 * bytesPerProcess.size(), bars.size());
        final Map<String, Long> shownBytes = new TreeMap<>();
        final Map<String, Long> shownNanos = new TreeMap<>();
        for (int i = 0; i < bars.size(); i++)
        {
            (i < bars.size() / 2 ? shownBytes : shownNanos).put(bars.get(i)[0], Long.parseLong(bars.get(i)[1]));
        }
        assertEquals(bytesPerProcess, shownBytes);
        assertEquals(nanosPerProcess, shownNanos);
        return dom;
    }

    private static final Pattern PIE_LABEL =
        Pattern.compile("<li class=\"pie-label\" data-name=\"([^\"]*)\" data-bytes=\"(\\d+)\">");
    private static final Pattern LANE = Pattern.compile(
        "<g class=\"lane\" data-pid=\"(\\d+)\" data-tid=\"(\\d+)\" data-calls=\"(\\d+)\">(.*?)</g>", Pattern.DOTALL);
    private static final Pattern SIZE_BAR = Pattern.compile(
        "<rect class=\"size-bar\" data-kind=\"(\\w+)\" data-bucket=\"(\\d+)\" data-count=\"(\\d+)\"");
    private static final Pattern IMBALANCE_BAR =
        Pattern.compile("<rect class=\"imbalance-bar\" data-name=\"([^\"]*)\" data-value=\"(\\d+)\"");

    private static Map<String, Long> labels(final String dom, final Pattern pattern)
    {
        final Map<String, Long> result = new TreeMap<>();
        for (final Matcher m = pattern.matcher(dom); m.find(); )
        {
            result.put(unescape(m.group(1)), Long.parseLong(m.group(2)));
        }
        return result;
    }

    private static long subpaths(final String laneBody, final String pathClass)
    {
        final Matcher m = Pattern.compile("<path class=\"" + pathClass + "\" d=\"([^\"]*)\"").matcher(laneBody);
        return m.find() ? m.group(1).chars().filter(ch -> 'M' == ch).count() : 0;
    }

    private static String errors(final String dom)
    {
        final int at = dom.indexOf("<div id=\"errors\">");
        return at < 0 ? "(no errors element)" : dom.substring(at, Math.min(dom.length(), at + 2000));
    }

    private static String unescape(final String attribute)
    {
        return attribute.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    }



    /** The trace's calls (fd_discovered and process_start records left out), parsed with a tree parser independently of the report. */
    static final class Records
    {
        final List<JsonNode> calls = new ArrayList<>();

        static List<Path> traceFiles(final Path trace) throws Exception
        {
            try (Stream<Path> list = Files.list(trace))
            {
                return list.filter(p -> p.toString().endsWith(".jsonl") &&
                    !p.getFileName().toString().startsWith("iotrace-")).sorted().toList();
            }
        }

        static Records of(final Path trace) throws Exception
        {
            final ObjectMapper mapper = new ObjectMapper();
            final Records records = new Records();
            for (final Path file : traceFiles(trace))
            {
                for (final String line : Files.readAllLines(file, StandardCharsets.UTF_8))
                {
                    final JsonNode node = mapper.readTree(line);
                    if (!"fd_discovered".equals(node.get("function_name").asText()) &&
                        !"process_start".equals(node.get("function_name").asText()))
                    {
                        records.calls.add(node);
                    }
                }
            }
            return records;
        }

        Map<String, Long> count(final java.util.function.Function<JsonNode, String> key)
        {
            return sum(key, c -> 1L);
        }

        Map<String, Long> sum(final java.util.function.Function<JsonNode, String> key,
            final java.util.function.ToLongFunction<JsonNode> value)
        {
            final Map<String, Long> result = new TreeMap<>();
            for (final JsonNode call : calls)
            {
                result.merge(key.apply(call), value.applyAsLong(call), Long::sum);
            }
            return result;
        }

        Map<String, Long> expectedSlices()
        {
            // a name that is not UTF-8 is shown from its exact bytes (OddNamesReadersTest checks how)
            final Map<String, Long> perFile = sum(c -> c.has("traced_filename_bytes") ?
                    io.iotrace.core.decode.ByteStrings.escapedFromHex(c.get("traced_filename_bytes").asText()) :
                    c.get("traced_filename").asText(),
                c -> c.path("function_data").path("read_bytes").asLong() +
                    c.path("function_data").path("written_bytes").asLong());
            final long total = perFile.values().stream().mapToLong(Long::longValue).sum();
            final Map<String, Long> slices = new TreeMap<>();
            perFile.forEach((file, bytes) ->
            {
                if (bytes > 0)
                {
                    slices.merge(bytes * 100 >= 3 * total ? file : "other", bytes, Long::sum);
                }
            });
            return slices;
        }

        /** "read|write bucket" → calls, bucket 0 for 0 bytes, k + 1 for sizes in [2^k, 2^(k+1)). */
        Map<String, Long> expectedSizes()
        {
            final Map<String, Long> result = new TreeMap<>();
            for (final JsonNode call : calls)
            {
                for (final String kind : List.of("read", "write"))
                {
                    final JsonNode bytes = call.path("function_data").path("read".equals(kind) ? "read_bytes" : "written_bytes");
                    if (!bytes.isMissingNode())
                    {
                        int bucket = 0;
                        for (long n = bytes.asLong(); n > 0; n >>= 1)
                        {
                            bucket++;
                        }
                        result.merge(kind + " " + bucket, 1L, Long::sum);
                    }
                }
            }
            return result;
        }
    }
}
