package io.iotrace.core.collector;

import io.iotrace.core.format.TraceFormat;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Lists the ring files of a runtime dir and the spill files of an output dir, parsing {@code <pid>-<inc>} names.
 */
public final class SessionScanner
{
    /**
     * A file named {@code <pid>-<inc><suffix>}.
     *
     * @param path        the file.
     * @param pid         from its name.
     * @param incarnation from its name.
     */
    public record Entry(Path path, int pid, int incarnation)
    {
        /** @return "pid-incarnation". */
        public String key()
        {
            return pid + "-" + incarnation;
        }
    }

    private SessionScanner()
    {
    }

    /**
     * @param runtimeDir R.
     * @return its ring files (empty when R is missing).
     */
    public static List<Entry> rings(final Path runtimeDir)
    {
        return list(runtimeDir, TraceFormat.RING_SUFFIX);
    }

    /**
     * @param outputDir O.
     * @return the spill files in O/.iotrace-spill.
     */
    public static List<Entry> spills(final Path outputDir)
    {
        return list(outputDir.resolve(TraceFormat.SPILL_DIR), TraceFormat.SPILL_SUFFIX);
    }

    /**
     * @param outputDir   O.
     * @param pid         process id.
     * @param incarnation incarnation.
     * @return the path of that incarnation's spill file.
     */
    public static Path spillFile(final Path outputDir, final int pid, final int incarnation)
    {
        return outputDir.resolve(TraceFormat.SPILL_DIR).resolve(pid + "-" + incarnation + TraceFormat.SPILL_SUFFIX);
    }

    /**
     * @param outputDir   O.
     * @param pid         process id.
     * @param incarnation incarnation.
     * @return the path of that incarnation's backlog file (the collector's, section 5 of iotrace_format.h).
     */
    public static Path backlogFile(final Path outputDir, final int pid, final int incarnation)
    {
        return outputDir.resolve(TraceFormat.SPILL_DIR).resolve(pid + "-" + incarnation + TraceFormat.BACKLOG_SUFFIX);
    }

    /**
     * @param name file name.
     * @param suffix expected suffix.
     * @return the parsed entry (path = the name), or null if the name is not {@code <pid>-<inc><suffix>}.
     */
    public static Entry parse(final Path path, final String suffix)
    {
        final String name = path.getFileName().toString();
        if (!name.endsWith(suffix))
        {
            return null;
        }
        final String base = name.substring(0, name.length() - suffix.length());
        final int dash = base.indexOf('-');
        if (dash <= 0 || dash == base.length() - 1)
        {
            return null;
        }
        try
        {
            final int pid = Integer.parseInt(base.substring(0, dash));
            final int inc = Integer.parseInt(base.substring(dash + 1));
            return pid > 0 && inc >= 0 ? new Entry(path, pid, inc) : null;
        }
        catch (final NumberFormatException ex)
        {
            return null;
        }
    }

    private static List<Entry> list(final Path dir, final String suffix)
    {
        final List<Entry> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*" + suffix))
        {
            for (final Path path : stream)
            {
                final Entry entry = parse(path, suffix);
                if (null != entry)
                {
                    entries.add(entry);
                }
            }
        }
        catch (final NoSuchFileException ex)
        {
            return entries;
        }
        catch (final IOException ex)
        {
            return entries;
        }
        // by pid, then incarnation: an exec's new image is opened after the old one (its exec chain is known)
        entries.sort(java.util.Comparator.comparingInt(Entry::pid).thenComparingInt(Entry::incarnation));
        return entries;
    }
}
