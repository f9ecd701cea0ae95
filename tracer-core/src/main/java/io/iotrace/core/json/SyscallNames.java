package io.iotrace.core.json;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * x86_64 syscall names by number (resource {@code syscall-names-x86_64.txt}, taken from the kernel header
 * asm/unistd_64.h): the syscall_name of a generic {@code syscall()} record.
 */
final class SyscallNames
{
    private static final String[] NAMES = load();

    private SyscallNames()
    {
    }

    /**
     * @param number a syscall number.
     * @return its x86_64 name, or null when unknown.
     */
    static String name(final long number)
    {
        return number >= 0 && number < NAMES.length ? NAMES[(int)number] : null;
    }

    private static String[] load()
    {
        final String[] names = new String[1024];
        try (InputStream in = SyscallNames.class.getResourceAsStream("syscall-names-x86_64.txt"))
        {
            if (null == in)
            {
                throw new IllegalStateException("syscall-names-x86_64.txt not on the classpath");
            }
            final BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while (null != (line = reader.readLine()))
            {
                final String[] fields = line.strip().split(" ");
                if (2 == fields.length && !line.startsWith("#"))
                {
                    names[Integer.parseInt(fields[0])] = fields[1];
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return names;
    }
}
