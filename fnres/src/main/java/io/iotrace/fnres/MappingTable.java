package io.iotrace.fnres;

import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * File mappings: non-overlapping address ranges [start, end), sorted by start, each naming a file.
 * <p>
 * A new mapping replaces whatever it overlaps (as mmap with MAP_FIXED does); munmap removes the overlapped parts,
 * trimming a range at its front or back or splitting it in two. Addresses are compared as signed longs, which
 * covers every user-space address; a range that would run past {@link Long#MAX_VALUE} is clamped there.
 * Single writer, no locks.
 */
final class MappingTable
{
    private final TreeMap<Long, Mapping> byStart;

    MappingTable()
    {
        byStart = new TreeMap<>();
    }

    private MappingTable(final MappingTable other)
    {
        byStart = new TreeMap<>(other.byStart);
    }

    /**
     * @return a deep copy (mappings are immutable, so sharing them is safe).
     */
    MappingTable copy()
    {
        return new MappingTable(this);
    }

    /**
     * @return number of ranges held.
     */
    int size()
    {
        return byStart.size();
    }

    /**
     * [address, address + length) now maps name; a null name only removes what the range overlaps (an anonymous
     * mapping placed over a file mapping).
     */
    void mapped(final long address, final long length, final String name)
    {
        if (length <= 0)
        {
            return;
        }

        final long end = end(address, length);
        cut(address, end);
        if (null != name)
        {
            byStart.put(address, new Mapping(address, end, name));
        }
    }

    /**
     * Remove [address, address + length) from every range it overlaps.
     *
     * @return the name of the lowest range it overlapped, or null if none.
     */
    String unmapped(final long address, final long length)
    {
        if (length <= 0)
        {
            return null;
        }

        return cut(address, end(address, length));
    }

    /**
     * mremap: [address, address + oldLength) moves to [newAddress, newAddress + newLength).
     *
     * @return the name of the file mapped at address, or null.
     */
    String remapped(
        final long address, final long oldLength, final long newAddress, final long newLength, final boolean keepOld)
    {
        final String name = name(address);
        if (!keepOld)
        {
            unmapped(address, oldLength);
        }
        mapped(newAddress, newLength, name);
        return name;
    }

    /**
     * @return the name of the range holding address, or null.
     */
    String name(final long address)
    {
        final Map.Entry<Long, Mapping> entry = byStart.floorEntry(address);
        if (null == entry)
        {
            return null;
        }

        final Mapping mapping = entry.getValue();
        return address < mapping.end() ? mapping.name() : null;
    }

    private static long end(final long address, final long length)
    {
        final long end = address + length;
        return end < address ? Long.MAX_VALUE : end;
    }

    /**
     * Remove [start, end) from all ranges, keeping the parts of them outside it.
     *
     * @return the name of the lowest range overlapped, or null.
     */
    private String cut(final long start, final long end)
    {
        String firstName = null;

        final Map.Entry<Long, Mapping> below = byStart.lowerEntry(start);
        if (null != below && below.getValue().end() > start)
        {
            final Mapping mapping = below.getValue();
            firstName = mapping.name();
            byStart.put(mapping.start(), new Mapping(mapping.start(), start, mapping.name()));
            if (mapping.end() > end)
            {
                byStart.put(end, new Mapping(end, mapping.end(), mapping.name()));
                return firstName;
            }
        }

        final Iterator<Mapping> inside = byStart.subMap(start, true, end, false).values().iterator();
        Mapping tail = null;
        while (inside.hasNext())
        {
            final Mapping mapping = inside.next();
            if (null == firstName)
            {
                firstName = mapping.name();
            }
            if (mapping.end() > end)
            {
                tail = new Mapping(end, mapping.end(), mapping.name());
            }
            inside.remove();
        }
        if (null != tail)
        {
            byStart.put(end, tail);
        }

        return firstName;
    }

    /**
     * One file mapping [start, end).
     *
     * @param start first address.
     * @param end   first address past the range.
     * @param name  absolute path of the mapped file.
     */
    record Mapping(long start, long end, String name)
    {
    }
}
