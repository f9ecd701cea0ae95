package io.iotrace.core.collector;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Why an exec'd program did not load the shim, as far as its file tells: setuid/setgid programs run in the loader's
 * secure-execution mode, which ignores LD_PRELOAD; statically linked programs have no loader at all.
 */
public final class UntracedImage
{
    private static final int S_ISUID = 04000;
    private static final int S_ISGID = 02000;
    private static final int PT_INTERP = 3;

    private UntracedImage()
    {
    }

    /**
     * @param target the exec'd path, or the name execvp searched in PATH (the collector's PATH is searched).
     * @return the reason, one phrase.
     */
    static String reason(final String target)
    {
        final Path file = find(target);
        if (null == file)
        {
            return "its file could not be found to tell why (LD_PRELOAD removed from its environment?)";
        }
        try
        {
            final String known = whyUntraceable(file);
            if (null != known)
            {
                return known;
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            return "its file could not be inspected (" + ex.getMessage() + ")";
        }
        return "it did not load libiotrace_shared.so (LD_PRELOAD removed from its environment, or IOTRACE_DISABLE set?)";
    }

    /**
     * Whether a program cannot load the shim when this user runs it: setuid to another user or setgid to another
     * group (secure-execution mode: the loader ignores LD_PRELOAD), or statically linked.
     *
     * @param file the program.
     * @return the reason, one phrase; null when nothing in the file prevents tracing.
     * @throws IOException when the file cannot be read.
     */
    public static String whyUntraceable(final Path file) throws IOException
    {
        final int mode = (Integer)Files.getAttribute(file, "unix:mode");
        // /proc/self belongs to the effective ids of this process: the user the program would run as
        final Path self = Path.of("/proc/self");
        if (0 != (mode & S_ISUID) && !Files.getAttribute(file, "unix:uid").equals(Files.getAttribute(self, "unix:uid")))
        {
            return "it is setuid, and the dynamic loader ignores LD_PRELOAD for setuid programs";
        }
        if (0 != (mode & S_ISGID) && !Files.getAttribute(file, "unix:gid").equals(Files.getAttribute(self, "unix:gid")))
        {
            return "it is setgid, and the dynamic loader ignores LD_PRELOAD for setgid programs";
        }
        if (isStaticElf(file))
        {
            return "it is statically linked: no library can be preloaded into it";
        }
        return null;
    }

    /**
     * @param target a path, or a name searched in PATH.
     * @return the file, or null.
     */
    public static Path locate(final String target)
    {
        return find(target);
    }

    private static Path find(final String target)
    {
        if (null == target || target.isEmpty())
        {
            return null;
        }
        if (target.contains("/"))
        {
            final Path p = Path.of(target);
            return Files.exists(p) ? p : null;
        }
        for (final String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        {
            final Path p = Path.of(dir.isEmpty() ? "." : dir, target);
            if (Files.isRegularFile(p) && Files.isExecutable(p))
            {
                return p;
            }
        }
        return null;
    }

    /** An ELF file without a PT_INTERP program header (64-bit little-endian only; others are not judged). */
    private static boolean isStaticElf(final Path file) throws IOException
    {
        try (InputStream in = Files.newInputStream(file))
        {
            final byte[] head = in.readNBytes(64 * 1024);
            final ByteBuffer b = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
            if (head.length < 64 || head[0] != 0x7f || head[1] != 'E' || head[2] != 'L' || head[3] != 'F' ||
                head[4] != 2 || head[5] != 1)
            {
                return false;
            }
            final long phoff = b.getLong(32);
            final int phentsize = b.getShort(54) & 0xffff;
            final int phnum = b.getShort(56) & 0xffff;
            for (int i = 0; i < phnum; i++)
            {
                final long at = phoff + (long)i * phentsize;
                if (at + 4 > head.length)
                {
                    return false;
                }
                if (b.getInt((int)at) == PT_INTERP)
                {
                    return false;
                }
            }
            return phnum > 0;
        }
    }
}
