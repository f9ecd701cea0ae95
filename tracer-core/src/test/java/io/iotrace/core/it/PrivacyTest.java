package io.iotrace.core.it;

import io.iotrace.core.session.TraceSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Traces say what a user's programs touched: only that user may read them, and the rings they come from. */
class PrivacyTest
{
    @TempDir
    Path work;

    @Test
    void shouldKeepTheTraceAndTheRuntimeDirectoriesPrivate() throws Exception
    {
        final Path userRuntimeDir = TraceSession.runtimeDirFor(work.resolve("trace")).getParent();
        if (Files.isDirectory(userRuntimeDir))
        {
            // made open by some other tool: the shim must close it again
            Files.setPosixFilePermissions(userRuntimeDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final TracedRun.Outcome run = TracedRun.program("basic_io", data.toString()).run(work);
        assertEquals(0, run.exitStatus(), run.stderr());

        assertEquals("rwx------", mode(userRuntimeDir));
        assertEquals("rwx------", mode(TraceSession.runtimeDirFor(run.traceDir())));
        assertEquals("rwx------", mode(run.traceDir()));
        for (final Path file : run.records().files())
        {
            assertEquals("rw-------", mode(file), file.toString());
        }
        assertEquals("rw-------", mode(run.traceDir().resolve("collector.log")));
    }

    private static String mode(final Path path) throws Exception
    {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }
}
