package io.iotrace.fnres;

/**
 * Lexical path normalisation: repeated slashes, "." and ".." segments are folded, no symlink is followed and the
 * file system is never asked. ".." at the root stays at the root ("/.." is "/"). A normalised path is absolute, has
 * no trailing slash (except "/" itself) and no empty, "." or ".." segment.
 * <p>
 * A path that is already normal is returned as it is, without allocation, which is the common case for paths
 * the traced program built itself.
 */
public final class PathNormaliser
{
    private PathNormaliser()
    {
    }

    /**
     * Normalise an absolute path.
     *
     * @param path an absolute path ("/" first).
     * @return the normalised path, or null when path is null or not absolute.
     */
    public static String normalise(final String path)
    {
        if (null == path || path.isEmpty() || '/' != path.charAt(0))
        {
            return null;
        }
        if (isNormal(path))
        {
            return path;
        }

        final StringBuilder builder = new StringBuilder(path.length());
        appendSegments(builder, path);

        return 0 == builder.length() ? "/" : builder.toString();
    }

    /**
     * Resolve a relative path against a directory and normalise the result.
     *
     * @param directory normalised absolute directory the path is relative to.
     * @param relative  relative path (no leading "/"); an absolute one ignores directory.
     * @return the normalised absolute path, or null when directory is null or not absolute.
     */
    public static String resolve(final String directory, final String relative)
    {
        if (null == relative)
        {
            return null;
        }
        if (!relative.isEmpty() && '/' == relative.charAt(0))
        {
            return normalise(relative);
        }
        if (null == directory || directory.isEmpty() || '/' != directory.charAt(0))
        {
            return null;
        }

        final StringBuilder builder = new StringBuilder(directory.length() + 1 + relative.length());
        if (isNormal(directory))
        {
            if (1 != directory.length())
            {
                builder.append(directory);
            }
        }
        else
        {
            appendSegments(builder, directory);
        }
        appendSegments(builder, relative);

        return 0 == builder.length() ? "/" : builder.toString();
    }

    /**
     * Is path already in normal form?
     *
     * @param path an absolute path.
     * @return true when {@link #normalise(String)} would return it unchanged.
     */
    public static boolean isNormal(final String path)
    {
        final int length = path.length();
        if (0 == length || '/' != path.charAt(0))
        {
            return false;
        }
        if (1 == length)
        {
            return true;
        }

        int segmentStart = 1;
        for (int i = 1; i <= length; i++)
        {
            if (i == length || '/' == path.charAt(i))
            {
                final int segmentLength = i - segmentStart;
                if (0 == segmentLength || isDot(path, segmentStart, segmentLength))
                {
                    return false;
                }
                segmentStart = i + 1;
            }
        }

        return true;
    }

    /**
     * Append the segments of path to builder, which holds a normalised prefix without trailing slash ("" for root).
     */
    private static void appendSegments(final StringBuilder builder, final String path)
    {
        final int length = path.length();
        int i = 0;
        while (i < length)
        {
            while (i < length && '/' == path.charAt(i))
            {
                i++;
            }
            if (i >= length)
            {
                break;
            }

            int end = path.indexOf('/', i);
            if (end < 0)
            {
                end = length;
            }

            final int segmentLength = end - i;
            if (2 == segmentLength && '.' == path.charAt(i) && '.' == path.charAt(i + 1))
            {
                builder.setLength(Math.max(builder.lastIndexOf("/"), 0));
            }
            else if (1 != segmentLength || '.' != path.charAt(i))
            {
                builder.append('/').append(path, i, end);
            }
            i = end;
        }
    }

    private static boolean isDot(final String path, final int start, final int length)
    {
        return '.' == path.charAt(start) && (1 == length || (2 == length && '.' == path.charAt(start + 1)));
    }
}
