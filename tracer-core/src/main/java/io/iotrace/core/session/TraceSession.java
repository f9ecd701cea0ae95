package io.iotrace.core.session;

import io.iotrace.core.collector.ProducerLiveness;
import io.iotrace.core.format.TraceFormat;
import io.iotrace.core.nativeio.NativeIo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Where a trace session lives and how to wait for its collector (section 1 of iotrace_format.h).
 */
public final class TraceSession
{
    private static final long FNV_OFFSET_BASIS = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private TraceSession()
    {
    }

    /**
     * The canonical form of an output dir: absolute, lexically normalised, no trailing slash.
     *
     * @param outputDir output dir O.
     * @return its canonical string.
     */
    public static String canonicalOutputDir(final Path outputDir)
    {
        return outputDir.toAbsolutePath().normalize().toString();
    }

    /**
     * @param outputDir output dir O.
     * @return the session id: 16 lower-case hex digits of FNV-1a-64 over the UTF-8 bytes of O.
     */
    public static String sessionId(final Path outputDir)
    {
        return fnv1a64Hex(canonicalOutputDir(outputDir).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @param bytes input.
     * @return FNV-1a-64 of bytes as 16 lower-case hex digits.
     */
    public static String fnv1a64Hex(final byte[] bytes)
    {
        long hash = FNV_OFFSET_BASIS;
        for (final byte b : bytes)
        {
            hash ^= (b & 0xFF);
            hash *= FNV_PRIME;
        }
        final String hex = Long.toHexString(hash);
        return "0".repeat(16 - hex.length()) + hex;
    }

    /**
     * @return $IOTRACE_RUNTIME_DIR, default /dev/shm.
     */
    public static Path runtimeBase()
    {
        return runtimeBase(System.getenv(TraceFormat.RUNTIME_DIR_ENV));
    }

    /**
     * The runtime base the shim uses for this value of IOTRACE_RUNTIME_DIR: the shim falls back to /dev/shm (and
     * says so in iotrace-config-errors.log) when the value is not an absolute path of at most 1024 characters or
     * it cannot make its private directory iotrace-&lt;uid&gt; in it; so the value counts only when that directory
     * is there.
     *
     * @param value the variable's value, or null.
     * @return the base directory.
     */
    public static Path runtimeBase(final String value)
    {
        if (null == value || value.isEmpty() || !value.startsWith("/") || value.length() > 1024)
        {
            return Path.of(TraceFormat.RUNTIME_DIR_DEFAULT);
        }
        final Path base = Path.of(value);
        return java.nio.file.Files.isDirectory(base.resolve("iotrace-" + io.iotrace.core.nativeio.NativeIo.getuid()),
            java.nio.file.LinkOption.NOFOLLOW_LINKS) ? base : Path.of(TraceFormat.RUNTIME_DIR_DEFAULT);
    }

    /**
     * @param outputDir output dir O.
     * @return the runtime dir R = $IOTRACE_RUNTIME_DIR/iotrace-&lt;uid&gt;/&lt;session id&gt;.
     */
    public static Path runtimeDirFor(final Path outputDir)
    {
        return runtimeBase().resolve("iotrace-" + NativeIo.getuid()).resolve(sessionId(outputDir));
    }

    /**
     * Is the collector lock of a runtime dir held? Read from /proc/locks, so that the probe never holds the lock
     * itself (a producer probing at that moment would take it for a running collector).
     *
     * @param runtimeDir R.
     * @return true while some process holds an flock on R/collector.lock.
     */
    public static boolean isCollectorLockHeld(final Path runtimeDir)
    {
        final Path lock = runtimeDir.resolve(TraceFormat.LOCK_FILE);
        final long inode;
        final long dev;
        try
        {
            inode = ((Number)Files.getAttribute(lock, "unix:ino", LinkOption.NOFOLLOW_LINKS)).longValue();
            dev = ((Number)Files.getAttribute(lock, "unix:dev", LinkOption.NOFOLLOW_LINKS)).longValue();
        }
        catch (final NoSuchFileException ex)
        {
            return false;
        }
        catch (final IOException ex)
        {
            return probeByFlock(lock);
        }
        final long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
        final long minor = (dev & 0xff) | ((dev >>> 12) & ~0xffL);
        final List<String> lines;
        try
        {
            lines = Files.readAllLines(Path.of("/proc/locks"));
        }
        catch (final IOException ex)
        {
            return probeByFlock(lock);
        }
        for (final String line : lines)
        {
            // "1: FLOCK  ADVISORY  WRITE 1234 00:1a:5678 0 EOF" (blocked waiters have "->" before FLOCK)
            final String[] f = line.trim().split("\\s+");
            if (f.length < 6 || !"FLOCK".equals(f[1]))
            {
                continue;
            }
            final String[] id = f[5].split(":");
            if (3 != id.length)
            {
                continue;
            }
            try
            {
                if (Long.parseLong(id[2]) == inode &&
                    Long.parseLong(id[0], 16) == major &&
                    Long.parseLong(id[1], 16) == minor)
                {
                    return true;
                }
            }
            catch (final NumberFormatException ignore)
            {
                // not a lock line of this format
            }
        }
        return false;
    }

    private static boolean probeByFlock(final Path lock)
    {
        final NativeIo.Result open = NativeIo.open(lock.toString(), NativeIo.O_RDONLY | NativeIo.O_CLOEXEC, 0);
        if (open.failed())
        {
            return false;
        }
        try
        {
            final NativeIo.Result flock = NativeIo.flock(open.result(), NativeIo.LOCK_SH | NativeIo.LOCK_NB);
            return flock.failed();
        }
        finally
        {
            NativeIo.close(open.result());
        }
    }

    /**
     * Wait until the session's collector has finished: its lock is free and no ring file of a live producer
     * remains.
     *
     * @param outputDir output dir O.
     * @param timeout   how long to wait at most.
     * @return true when done, false on timeout.
     */
    public static boolean awaitCollector(final Path outputDir, final Duration timeout)
    {
        final Path runtimeDir = runtimeDirFor(outputDir);
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (true)
        {
            if (!isCollectorLockHeld(runtimeDir) && !hasLiveRing(runtimeDir))
            {
                return true;
            }
            if (System.nanoTime() - deadline >= 0)
            {
                return false;
            }
            try
            {
                Thread.sleep(10);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    private static boolean hasLiveRing(final Path runtimeDir)
    {
        if (!Files.isDirectory(runtimeDir))
        {
            return false;
        }
        try (DirectoryStream<Path> rings = Files.newDirectoryStream(runtimeDir, "*" + TraceFormat.RING_SUFFIX))
        {
            for (final Path ring : rings)
            {
                final String name = ring.getFileName().toString();
                final int dash = name.indexOf('-');
                if (dash > 0)
                {
                    try
                    {
                        final int pid = Integer.parseInt(name.substring(0, dash));
                        if (ProducerLiveness.isRunning(pid))
                        {
                            return true;
                        }
                    }
                    catch (final NumberFormatException ignore)
                    {
                        // not a ring of ours
                    }
                }
            }
        }
        catch (final IOException ex)
        {
            return false;
        }
        return false;
    }
}
