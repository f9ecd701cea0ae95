package io.iotrace.core.collector;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Is the process that writes a ring still there (docs/ARCHITECTURE.md, producer death)? Reads /proc.
 */
public final class ProducerLiveness
{
    /** What /proc says about a pid. */
    public enum Status
    {
        /** Running (or sleeping, stopped, ...) with the expected start time. */
        ALIVE,
        /** No such process. */
        GONE,
        /** Exited, not yet reaped. */
        ZOMBIE,
        /** The pid now belongs to another process (different start time). */
        REUSED
    }

    private ProducerLiveness()
    {
    }

    /**
     * @param pid             the producer's pid.
     * @param procStartTicks  field 22 of its /proc/pid/stat when it started, 0 if unknown.
     * @return its status.
     */
    public static Status status(final int pid, final long procStartTicks)
    {
        if (pid <= 0)
        {
            return Status.GONE;
        }
        final String stat;
        try
        {
            stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.ISO_8859_1);
        }
        catch (final NoSuchFileException ex)
        {
            return Status.GONE;
        }
        catch (final IOException ex)
        {
            return Status.GONE;
        }
        // "pid (comm) S ppid ... field 22 = starttime"; comm may hold spaces and parentheses: parse after the last ')'
        final int close = stat.lastIndexOf(')');
        if (close < 0)
        {
            return Status.GONE;
        }
        final String[] fields = stat.substring(close + 1).trim().split(" ");
        if (fields.length < 20)
        {
            return Status.GONE;
        }
        final char state = fields[0].isEmpty() ? '?' : fields[0].charAt(0);
        if ('Z' == state || 'X' == state || 'x' == state)
        {
            return Status.ZOMBIE;
        }
        if (0 != procStartTicks)
        {
            try
            {
                if (Long.parseLong(fields[19]) != procStartTicks)
                {
                    return Status.REUSED;
                }
            }
            catch (final NumberFormatException ex)
            {
                return Status.GONE;
            }
        }
        return Status.ALIVE;
    }

    /**
     * @param pid a pid.
     * @return true if a non-zombie process has this pid.
     */
    public static boolean isRunning(final int pid)
    {
        return Status.ALIVE == status(pid, 0);
    }

    /**
     * @param pid      the producer's pid.
     * @param ringPath the ring file.
     * @return true if /proc/pid/maps still maps ringPath (false when it cannot be read).
     */
    public static boolean mapsFile(final int pid, final Path ringPath)
    {
        final String needle = ringPath.toAbsolutePath().toString();
        try (BufferedReader reader = Files.newBufferedReader(
            Path.of("/proc/" + pid + "/maps"), StandardCharsets.ISO_8859_1))
        {
            String line;
            while (null != (line = reader.readLine()))
            {
                if (line.endsWith(needle) || line.contains(needle + " "))
                {
                    return true;
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
