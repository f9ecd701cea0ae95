package io.iotrace.cli.report;

import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Loads a local page in headless Chromium (the Debian package {@code chromium}, installed by scripts/setup.sh) and
 * returns the DOM after the page's scripts ran. Tests that need it are skipped, saying why, when it is missing.
 */
final class HeadlessChromium
{
    /** The page's DOM after its scripts, and what the browser wrote on stderr (console messages among it). */
    record Result(String dom, String stderr)
    {
    }

    private HeadlessChromium()
    {
    }

    static Path binary()
    {
        for (final String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator))
        {
            for (final String name : List.of("chromium", "chromium-browser"))
            {
                final Path candidate = Path.of(dir, name);
                if (Files.isExecutable(candidate))
                {
                    return candidate;
                }
            }
        }
        return null;
    }

    /** Skip the calling test when Chromium is not installed. */
    static Path require()
    {
        final Path chromium = binary();
        Assumptions.assumeTrue(null != chromium,
            "chromium is not installed (scripts/setup.sh installs it with apt-get when run as root): browser check skipped");
        return chromium;
    }

    /**
     * @param page    an HTML file.
     * @param scratch a directory for the browser's profile and output.
     * @return the DOM after the scripts ran and the browser's stderr.
     * @throws Exception when the browser fails.
     */
    static Result dumpDom(final Path page, final Path scratch) throws Exception
    {
        final Path chromium = require();
        final Path profile = Files.createTempDirectory(scratch, "chromium-profile");
        final Path dom = scratch.resolve("dom.html");
        final Path stderr = scratch.resolve("chromium.err");
        final Process process = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
            "--virtual-time-budget=5000", "--dump-dom", page.toUri().toString())
            .redirectOutput(dom.toFile())
            .redirectError(stderr.toFile())
            .start();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "chromium did not finish in 120 s");
        final String err = Files.readString(stderr, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), "chromium failed: " + err);
        return new Result(Files.readString(dom, StandardCharsets.UTF_8), err);
    }
}
