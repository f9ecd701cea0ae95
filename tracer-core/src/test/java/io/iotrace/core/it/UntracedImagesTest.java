package io.iotrace.core.it;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 8: programs the shim cannot be preloaded into — setuid programs (the loader's secure-execution mode
 * ignores LD_PRELOAD) and statically linked ones — run unchanged, and the trace says they were not traced: one
 * warning per exec naming the program and why.
 */
class UntracedImagesTest
{
    @TempDir
    Path work;

    @Test
    void shouldSayThatAStaticallyLinkedProgramIsNotTraced() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final String program = TracedRun.binary("image_writer-static");
        final TracedRun.Outcome run = TracedRun.command("/bin/sh", "-c",
            program + " " + data.resolve("static.out") + "; echo done").run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        assertEquals("done\n", run.stdout());
        assertEquals("image\n", Files.readString(data.resolve("static.out")), "the program ran");
        final List<String> warnings = run.records().warnings().stream().map(w -> w.get("message").asText())
            .filter(m -> m.contains("is not traced")).toList();
        assertEquals(1, warnings.size(), run.records().warnings().toString());
        assertTrue(warnings.get(0).contains("(" + program + ")") && warnings.get(0).contains("statically linked"),
            warnings.get(0));
        assertTrue(run.records().calls().stream().noneMatch(r -> TraceRecords.filename(r)
            .equals(data.resolve("static.out").toString())), "none of its calls can be recorded");
    }

    /** Needs root (to make a setuid copy and to run the traced shell as nobody), as in CI. */
    @Test
    void shouldSayThatASetuidProgramIsNotTraced() throws Exception
    {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv (util-linux)");
        // a directory nobody can reach (the test's @TempDir is root's 0700): /tmp, removed at the end
        final Path base = Files.createTempDirectory(Path.of("/tmp"), "iotrace-setuid-");
        try
        {
            Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
            final Path data = Files.createDirectories(base.resolve("data"));
            Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxrwxrwx"));
            final Path setuid = base.resolve("image_writer-setuid");
            Files.copy(Path.of(TracedRun.binary("image_writer")), setuid);
            Files.setPosixFilePermissions(setuid, PosixFilePermissions.fromString("rwxr-xr-x"));
            assertEquals(0, new ProcessBuilder("chmod", "u+s", setuid.toString()).start().waitFor());

            final Path traceDir = data.resolve("trace");
            // the preload starts after setpriv (which would otherwise be traced as root, owning the trace dir)
            final ProcessBuilder builder = new ProcessBuilder("/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                "--clear-groups", "/usr/bin/env", "LD_PRELOAD=" + TracedRun.SHIM, "IOTRACE_DIR=" + traceDir,
                "/bin/sh", "-c", setuid + " " + data.resolve("setuid.out") + "; echo done")
                .directory(data.toFile());
            builder.environment().keySet().removeIf(k -> k.startsWith("IOTRACE_") || "LD_PRELOAD".equals(k));
            final Process shell = builder.redirectErrorStream(true).start();
            final String output = new String(shell.getInputStream().readAllBytes());
            assertTrue(shell.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, shell.exitValue(), output);
            assertEquals("done\n", output);
            assertEquals("0", Files.getAttribute(data.resolve("setuid.out"), "unix:uid").toString(),
                "the program ran as its owner, root");

            // the collector runs as nobody (its session is nobody's): wait for its last log line
            final Path log = traceDir.resolve("collector.log");
            for (int i = 0; i < 600 && !(Files.exists(log) && Files.readString(log).contains("collector exiting")); i++)
            {
                Thread.sleep(100);
            }
            final TraceRecords trace = TraceRecords.load(traceDir);
            final List<String> warnings = trace.warnings().stream().map(w -> w.get("message").asText())
                .filter(m -> m.contains("is not traced")).toList();
            assertEquals(1, warnings.size(), trace.warnings().toString());
            assertTrue(warnings.get(0).contains("(" + setuid + ")") && warnings.get(0).contains("setuid"),
                warnings.get(0));
            assertTrue(trace.callNames().contains("execve") || trace.callNames().contains("vfork"), "the shell is traced");
        }
        finally
        {
            new ProcessBuilder("rm", "-rf", base.toString()).start().waitFor();
        }
    }
}
