package io.iotrace.fnres;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PathNormaliserTest
{
    @ParameterizedTest
    @CsvSource({
        "/, /",
        "//, /",
        "///a//b///, /a/b",
        "/a/./b/., /a/b",
        "/./, /",
        "/a/b/.., /a",
        "/a/b/../.., /",
        "/.., /",
        "/../../a, /a",
        "/a/../../../b, /b",
        "/a/b/../c/./d/, /a/c/d",
        "/a/..b/.c/..., /a/..b/.c/...",
        "//usr//lib/./x86_64/../libc.so, /usr/lib/libc.so",
    })
    void shouldNormaliseAbsolutePaths(final String path, final String expected)
    {
        assertEquals(expected, PathNormaliser.normalise(path));
    }

    @ParameterizedTest
    @CsvSource({
        "/home/u, data.txt, /home/u/data.txt",
        "/home/u, ./a/../b, /home/u/b",
        "/home/u, .., /home",
        "/home/u, ../../.., /",
        "/, a//b/, /a/b",
        "/, ., /",
        "/home/u, /etc/./passwd, /etc/passwd",
        "/home//u/./, x, /home/u/x",
    })
    void shouldResolveRelativePaths(final String directory, final String relative, final String expected)
    {
        assertEquals(expected, PathNormaliser.resolve(directory, relative));
    }

    @Test
    void shouldReturnNormalPathItself()
    {
        final String path = new String("/usr/lib/libc.so.6");

        assertTrue(PathNormaliser.isNormal(path));
        assertSame(path, PathNormaliser.normalise(path));
    }

    @Test
    void shouldRecogniseNonNormalPaths()
    {
        assertFalse(PathNormaliser.isNormal("/a/"));
        assertFalse(PathNormaliser.isNormal("/a//b"));
        assertFalse(PathNormaliser.isNormal("/a/."));
        assertFalse(PathNormaliser.isNormal("/a/../b"));
        assertFalse(PathNormaliser.isNormal("a/b"));
        assertTrue(PathNormaliser.isNormal("/"));
        assertTrue(PathNormaliser.isNormal("/a/.b/b."));
    }

    @Test
    void shouldRejectRelativeOrMissingInput()
    {
        assertNull(PathNormaliser.normalise("a/b"));
        assertNull(PathNormaliser.normalise(""));
        assertNull(PathNormaliser.normalise(null));
        assertNull(PathNormaliser.resolve(null, "a"));
        assertNull(PathNormaliser.resolve("relative", "a"));
        assertNull(PathNormaliser.resolve("/a", null));
    }
}
