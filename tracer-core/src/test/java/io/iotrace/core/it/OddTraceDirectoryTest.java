package io.iotrace.core.it;

import io.iotrace.core.session.TraceSession;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 8: IOTRACE_DIR (and IOTRACE_RUNTIME_DIR) with odd values. A value the collector can use (relative, odd characters, '.', '..' and
 * doubled slashes, a literal '~') gets the whole trace in that directory, made absolute and lexically normalised;
 * a value that is not valid UTF-8 would reach the (Java) collector changed, so it is reported in one line and the
 * default directory is used. The program's output and exit status are unchanged either way, nothing on stderr.
 * <p>
 * The value is set by a shell ({@code printf} escapes), as Java cannot put bytes that are not UTF-8 into an
 * environment; the shell runs untraced and execs the traced program, in {@code work/cwd}.
 */
class OddTraceDirectoryTest
{
    private static final int BASIC_IO_CALLS = 19;

    @TempDir
    Path work;

    /**
     * IOTRACE_RUNTIME_DIR (absolute: work/ + the value): used when the collector can name it, else one line and the
     * default /dev/shm (a name that is not UTF-8 left every record in a ring the collector never found).
     */
    @ParameterizedTest(name = "IOTRACE_RUNTIME_DIR=work/{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "rt with space  | true",
        "rt\\303\\251   | true",
        "rt\\377        | false",
        "rt\\300\\257   | false"})
    void shouldUseTheRuntimeDirectoryOrSayWhyNot(final String format, final boolean usable) throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final Path traceDir = work.resolve("trace");
        final String script = "IOTRACE_RUNTIME_DIR=\"$(printf \"%s/$1\" \"$2\")\" IOTRACE_DIR=\"$3\" LD_PRELOAD=\"$4\" " +
            "exec \"$5\" \"$6\"";
        final Process process = new ProcessBuilder("sh", "-c", script, "sh", format, work.toString(),
            traceDir.toString(), TracedRun.SHIM.toString(), TracedRun.binary("basic_io"), data.toString()).start();
        process.getOutputStream().close();
        final String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        final String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), stderr);
        assertEquals("", stderr + stdout, "nothing on the program's stdout and stderr");

        final Path base;
        if (usable)
        {
            final String name = format.replace("\\303\\251", "\u00e9");
            base = work.resolve(name);
            assertTrue(Files.notExists(traceDir.resolve("iotrace-config-errors.log")), "a good value");
        }
        else
        {
            base = Path.of("/dev/shm");
            final List<String> errors = Files.readAllLines(traceDir.resolve("iotrace-config-errors.log"),
                StandardCharsets.ISO_8859_1);
            assertEquals(1, errors.size(), errors.toString());
            assertTrue(errors.get(0).matches("pid [0-9]+: bad IOTRACE_RUNTIME_DIR='.*': not valid UTF-8 \\(the " +
                "collector could not name it\\): using /dev/shm"), errors.get(0));
            try (var made = Files.list(work))
            {
                assertEquals(List.of(), made.filter(p -> p.getFileName().toString().startsWith("rt")).toList(),
                    "nothing made under the unusable name");
            }
        }
        final Path runtimeDir = base.resolve("iotrace-" + io.iotrace.core.nativeio.NativeIo.getuid())
            .resolve(TraceSession.sessionId(traceDir));
        assertTrue(Files.isDirectory(runtimeDir), runtimeDir.toString());
        // the collector's last log line, then its lock released: it has written everything
        final Path log = traceDir.resolve("collector.log");
        final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Files.exists(log) || !Files.readString(log).contains("collector exiting") ||
            TraceSession.isCollectorLockHeld(runtimeDir))
        {
            assertTrue(System.nanoTime() < deadline, "collector of " + runtimeDir + " did not finish");
            Thread.sleep(50);
        }
        assertEquals(BASIC_IO_CALLS, TraceRecords.load(traceDir).calls().size(), "the complete trace");
    }

    /**
     * A current directory whose name is not UTF-8: the trace directory made absolute in it (the default, or a
     * relative IOTRACE_DIR) could not be named by the collector, so the shim uses /tmp/iotrace-&lt;hash of that
     * path&gt; and says so in one line (found here on stderr through IOTRACE_DEBUG=1); nothing is made in the cwd.
     */
    @ParameterizedTest(name = "IOTRACE_DIR={0} in a cwd that is not UTF-8")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"", "rel/trace"})
    void shouldTraceIntoTmpWhenTheCurrentDirectoryIsNotUtf8(final String traceDirValue) throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final String script = "mkdir \"$(printf \"$1/cwd\\377\")\" && cd \"$(printf \"$1/cwd\\377\")\" && " +
            "if [ -n \"$3\" ]; then export IOTRACE_DIR=\"$3\"; fi; IOTRACE_DEBUG=1 LD_PRELOAD=\"$2\" exec \"$4\" \"$5\"";
        final Process process = new ProcessBuilder("sh", "-c", script, "sh", work.toString(),
            TracedRun.SHIM.toString(), traceDirValue, TracedRun.binary("basic_io"), data.toString()).start();
        process.getOutputStream().close();
        final String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        final String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), stderr);
        assertEquals("", stdout);
        final List<String> lines = stderr.lines().filter(l -> l.contains("bad IOTRACE_DIR")).toList();
        assertEquals(1, lines.size(), stderr);
        final java.util.regex.Matcher using = java.util.regex.Pattern.compile(
            "bad IOTRACE_DIR" + (traceDirValue.isEmpty() ? " \\(unset, the default\\)" : "") + "='(.*)': not valid " +
            "UTF-8 once made absolute \\(the collector could not name it\\): using (/tmp/iotrace-[0-9a-f]+)$")
            .matcher(lines.get(0));
        assertTrue(using.find(), lines.get(0));
        final byte[] cwd = (work + "/cwd\u00ff").getBytes(StandardCharsets.ISO_8859_1);
        assertTrue(using.group(1).getBytes(StandardCharsets.ISO_8859_1).length > cwd.length &&
            using.group(1).startsWith(new String(cwd, StandardCharsets.ISO_8859_1) + "/"), using.group(1));
        final Path traceDir = Path.of(using.group(2));
        try
        {
            assertEquals("/tmp/iotrace-" + Long.toHexString(Long.parseUnsignedLong(
                TraceSession.fnv1a64Hex(using.group(1).getBytes(StandardCharsets.ISO_8859_1)), 16)),
                traceDir.toString(), "named by the hash of the path it stands for");
            // Java cannot name that directory either: the shell lists it
            final Process list = new ProcessBuilder("sh", "-c", "ls -A \"$(printf \"$1/cwd\\377\")\"", "sh",
                work.toString()).redirectErrorStream(true).start();
            final String listed = new String(list.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertEquals(0, list.waitFor(), listed);
            assertEquals("", listed, "nothing made in the current directory");
            assertTrue(TraceSession.awaitCollector(traceDir, Duration.ofSeconds(60)), "collector of " + traceDir);
            assertEquals(BASIC_IO_CALLS, TraceRecords.load(traceDir).calls().size(), "the complete trace");
            assertEquals(1, Files.readAllLines(traceDir.resolve("iotrace-config-errors.log"),
                StandardCharsets.ISO_8859_1).size());
        }
        finally
        {
            try (var files = Files.list(traceDir))
            {
                for (final Path file : files.toList())
                {
                    Files.delete(file);
                }
            }
            Files.delete(traceDir);
        }
    }

    @ParameterizedTest(name = "IOTRACE_DIR={0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        // printf format of the value | the trace directory, relative to work/cwd (\n: a newline; default: iotrace-*)
        "rel/trace                     | rel/trace",
        "./a/../b//trace/              | b/trace",
        "~/trace                       | ~/trace",
        "it's \"quoted\"\\nand two lines | it's \"quoted\"\\nand two lines",
        "with space                    | with space",
        "caf\\303\\251                 | caf\u00e9",
        "bad\\377\\376name             | default",
        "lone\\200continuation         | default",
        "cut\\342\\202                 | default",
        "overlong\\300\\257            | default",
        "surrogate\\355\\240\\200      | default"})
    void shouldTraceIntoTheDirectoryOrSayWhyNot(final String format, final String expected) throws Exception
    {
        final Path cwd = Files.createDirectories(work.resolve("cwd"));
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final String script = "cd \"$1\" && IOTRACE_DIR=\"$(printf \"$2\")\" LD_PRELOAD=\"$3\" exec \"$4\" \"$5\"";
        final Process process = new ProcessBuilder("sh", "-c", script, "sh", cwd.toString(), format,
            TracedRun.SHIM.toString(), TracedRun.binary("basic_io"), data.toString()).start();
        process.getOutputStream().close();
        final String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        final String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), stderr);
        assertEquals("", stderr, "nothing on the program's stderr");
        assertEquals("", stdout);
        assertEquals(1050, Files.size(data.resolve("basic.dat")), "the program does all its I/O");

        final Path traceDir;
        if ("default".equals(expected))
        {
            try (var made = Files.list(cwd))
            {
                final List<Path> dirs = made.toList();
                assertEquals(1, dirs.size(), "only the default directory, nothing under a changed name: " + dirs);
                traceDir = dirs.get(0);
            }
            assertTrue(traceDir.getFileName().toString().startsWith("iotrace-"), traceDir.toString());
            final List<String> errors = Files.readAllLines(traceDir.resolve("iotrace-config-errors.log"),
                StandardCharsets.ISO_8859_1);
            assertEquals(1, errors.size(), errors.toString());
            assertTrue(errors.get(0).matches("pid [0-9]+: bad IOTRACE_DIR='.*': not valid UTF-8 \\(the collector " +
                "could not name it\\): using the default"), errors.get(0));
        }
        else
        {
            traceDir = cwd.resolve(expected.replace("\\n", "\n"));
            assertTrue(Files.isDirectory(traceDir), traceDir + " made");
            assertTrue(Files.notExists(traceDir.resolve("iotrace-config-errors.log")), "a good value");
        }
        assertTrue(TraceSession.awaitCollector(traceDir, Duration.ofSeconds(60)), "collector of " + traceDir);
        final TraceRecords records = TraceRecords.load(traceDir);
        assertEquals(BASIC_IO_CALLS, records.calls().size(), "the complete trace in " + traceDir);
    }
}
