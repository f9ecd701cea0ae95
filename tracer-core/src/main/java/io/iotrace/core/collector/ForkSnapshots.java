package io.iotrace.core.collector;

import io.iotrace.fnres.HandleTable;
import org.agrona.collections.Long2ObjectHashMap;

import java.util.ArrayDeque;

/**
 * Handle tables copied at fork records, waiting for the child's ring: keyed by parent pid and child pid (a
 * queue per key in case the child pid is reused by the same parent).
 */
public final class ForkSnapshots
{
    private final Long2ObjectHashMap<ArrayDeque<HandleTable>> snapshots = new Long2ObjectHashMap<>();

    private static long key(final int parentPid, final int childPid)
    {
        return ((long)parentPid << 32) | (childPid & 0xFFFF_FFFFL);
    }

    /**
     * @param parentPid pid of the forking process.
     * @param childPid  result of fork.
     * @param table     the parent's table at the fork record (a copy).
     */
    public void put(final int parentPid, final int childPid, final HandleTable table)
    {
        snapshots.computeIfAbsent(key(parentPid, childPid), k -> new ArrayDeque<>()).addLast(table);
    }

    /**
     * @param parentPid pid of the forking process.
     * @param childPid  the child.
     * @return the oldest snapshot for this pair, removed, or null.
     */
    public HandleTable take(final int parentPid, final int childPid)
    {
        final long key = key(parentPid, childPid);
        final ArrayDeque<HandleTable> queue = snapshots.get(key);
        if (null == queue)
        {
            return null;
        }
        final HandleTable table = queue.pollFirst();
        if (queue.isEmpty())
        {
            snapshots.remove(key);
        }
        return table;
    }

    /** @return number of pairs with snapshots. */
    public int size()
    {
        return snapshots.size();
    }
}
