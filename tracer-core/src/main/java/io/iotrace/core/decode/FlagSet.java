package io.iotrace.core.decode;

import java.util.ArrayList;
import java.util.List;

/**
 * Names for the bits of a flag word: an entry is set when all bits of its mask are set and none of its exclude
 * mask (O_DSYNC is not reported on its own when O_SYNC, which contains it, is).
 */
public final class FlagSet
{
    private final long[] masks;
    private final long[] excludes;
    private final String[] names;
    private final String noneName;

    private FlagSet(final long[] masks, final long[] excludes, final String[] names, final String noneName)
    {
        this.masks = masks;
        this.excludes = excludes;
        this.names = names;
        this.noneName = noneName;
    }

    /**
     * @param noneName the single name for a value with no known bit set, or null for an empty list.
     * @param entries  triples of mask (Number), exclude mask (Number), name (String).
     * @return the set.
     */
    static FlagSet of(final String noneName, final Object... entries)
    {
        final int n = entries.length / 3;
        final long[] masks = new long[n];
        final long[] excludes = new long[n];
        final String[] names = new String[n];
        for (int i = 0; i < n; i++)
        {
            masks[i] = ((Number)entries[3 * i]).longValue();
            excludes[i] = ((Number)entries[3 * i + 1]).longValue();
            names[i] = (String)entries[3 * i + 2];
        }
        return new FlagSet(masks, excludes, names, noneName);
    }

    /** @return number of entries. */
    public int size()
    {
        return names.length;
    }

    /**
     * @param index entry index.
     * @param value the flag word.
     * @return true if entry index is set in value.
     */
    public boolean isSet(final int index, final long value)
    {
        final long mask = masks[index];
        return (value & mask) == mask && 0 == (value & excludes[index]);
    }

    /** @param index entry index. @return its name. */
    public String name(final int index)
    {
        return names[index];
    }

    /** @return the name for no set bit, or null. */
    public String noneName()
    {
        return noneName;
    }

    /**
     * @param value the flag word.
     * @return names of the set entries, in table order (allocates: for tests and tools).
     */
    public List<String> decode(final long value)
    {
        final List<String> result = new ArrayList<>();
        for (int i = 0; i < names.length; i++)
        {
            if (isSet(i, value))
            {
                result.add(names[i]);
            }
        }
        if (result.isEmpty() && null != noneName)
        {
            result.add(noneName);
        }
        return result;
    }
}
