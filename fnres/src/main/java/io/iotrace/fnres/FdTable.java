package io.iotrace.fnres;

import java.util.Arrays;

import org.agrona.collections.Int2ObjectHashMap;

/**
 * File descriptor → name, with a short history per descriptor ({@link History#DEPTH} states) so that records
 * published late by another thread still resolve to the file they used.
 * <p>
 * Each descriptor number has a {@link Slot}: the <em>current</em> state (a name, or null when closed or unknown,
 * valid since the end time of the call that set it) and the <em>previous</em> named states (the mappings that were
 * closed or replaced most recently, each with its validity interval [since, until]). A closed or unknown state never
 * overwrites the history, so "close, reopen, late record about the first file" still finds the first file.
 * <p>
 * The rule for a record of a call that started at timeStart: if the current state began after timeStart, the
 * call cannot have used it (its descriptor lookup came first), so the most recent previous state whose interval
 * covers timeStart answers. Otherwise the current state answers.
 * <p>
 * Times: a named state begins at the end of the call that created it (open, dup); a closed state begins at the
 * <em>start</em> of the close, because the kernel may hand the number out again at any moment during the close,
 * so an open that returns the same number can end before the close does.
 * <p>
 * Descriptors below {@link #DIRECT_LIMIT} live in a growable array indexed by number; higher ones (rare, e.g.
 * {@code dup2(fd, 1000000)}) in a map. Slots are kept once created (they carry the history) and reused in place,
 * so steady-state open/close does not allocate. Single writer, no locks.
 */
final class FdTable
{
    /** Descriptors below this number are indexed directly in an array. */
    static final int DIRECT_LIMIT = 1 << 20;

    private static final int INITIAL_CAPACITY = 64;

    private Slot[] slots;
    private final Int2ObjectHashMap<Slot> highSlots;
    private int openCount;

    FdTable()
    {
        slots = new Slot[INITIAL_CAPACITY];
        highSlots = new Int2ObjectHashMap<>();
    }

    private FdTable(final FdTable other)
    {
        final Slot[] otherSlots = other.slots;
        slots = new Slot[otherSlots.length];
        for (int i = 0; i < otherSlots.length; i++)
        {
            final Slot slot = otherSlots[i];
            if (null != slot)
            {
                slots[i] = new Slot(slot);
            }
        }

        highSlots = new Int2ObjectHashMap<>();
        other.highSlots.forEach((fd, slot) -> highSlots.put(fd, new Slot(slot)));
        openCount = other.openCount;
    }

    /**
     * @return a deep copy: later changes to either table do not show in the other.
     */
    FdTable copy()
    {
        return new FdTable(this);
    }

    /**
     * @return number of descriptors that currently have a name.
     */
    int size()
    {
        return openCount;
    }

    /**
     * fd names name (null: the fd is open but its file is unknown) from timeEnd on.
     * <p>
     * A record older than the current state (timeEnd before the current state began: a late open published
     * after a later reuse of the number) only goes into the history.
     */
    void opened(final int fd, final String name, final long timeEnd)
    {
        if (fd < 0)
        {
            return;
        }

        final Slot slot = slotForWrite(fd);
        if (slot.since > timeEnd)
        {
            if (null != name)
            {
                slot.setPrevious(name, timeEnd, slot.since);
            }
            return;
        }

        if (null != slot.name)
        {
            slot.setPrevious(slot.name, slot.since, timeEnd);
            openCount--;
        }
        slot.name = name;
        slot.since = timeEnd;
        if (null != name)
        {
            openCount++;
        }
    }

    /**
     * fd was closed by a call that ran from timeStart to timeEnd.
     * <p>
     * When the current state began after timeStart it is a reuse of the number by another thread whose record
     * was published first: it stays and the name comes from the history (null if the history does not cover
     * timeStart). Otherwise the current name moves to the history and is returned.
     *
     * @return the name the closed descriptor had, or null when unknown.
     */
    String closed(final int fd, final long timeStart, final long timeEnd)
    {
        final Slot slot = slot(fd);
        if (null == slot)
        {
            return null;
        }

        if (slot.since > timeStart)
        {
            return slot.previousCovering(timeStart);
        }

        final String name = slot.name;
        if (null != name)
        {
            slot.setPrevious(name, slot.since, timeEnd);
            slot.name = null;
            slot.since = timeStart;
            openCount--;
        }

        return name;
    }

    /**
     * Every descriptor in [first, last] was closed (close_range, closefrom); numbers never named are skipped.
     *
     * @return the number of named descriptors closed.
     */
    int closedRange(final int first, final int last, final long timeStart, final long timeEnd)
    {
        int count = 0;
        final int from = Math.max(0, first);
        final int directEnd = (int)Math.min((long)last + 1, slots.length);
        for (int fd = from; fd < directEnd; fd++)
        {
            if (null != slots[fd] && null != closed(fd, timeStart, timeEnd))
            {
                count++;
            }
        }
        if (!highSlots.isEmpty())
        {
            final int[] high = highSlots.keySet().stream().mapToInt(Integer::intValue)
                .filter(fd -> fd >= from && fd <= last).toArray();
            for (final int fd : high)
            {
                if (null != closed(fd, timeStart, timeEnd))
                {
                    count++;
                }
            }
        }
        return count;
    }

    /**
     * @return the name fd had for a call that started at timeStart, or null when unknown.
     */
    String name(final int fd, final long timeStart)
    {
        final Slot slot = slot(fd);
        if (null == slot)
        {
            return null;
        }
        if (slot.since <= timeStart)
        {
            return slot.name;
        }

        final String previous = slot.previousCovering(timeStart);
        return null != previous ? previous : slot.name;
    }

    private Slot slot(final int fd)
    {
        if (fd < 0)
        {
            return null;
        }
        if (fd < DIRECT_LIMIT)
        {
            final Slot[] slots = this.slots;
            return fd < slots.length ? slots[fd] : null;
        }

        return highSlots.get(fd);
    }

    private Slot slotForWrite(final int fd)
    {
        if (fd >= DIRECT_LIMIT)
        {
            Slot slot = highSlots.get(fd);
            if (null == slot)
            {
                slot = new Slot();
                highSlots.put(fd, slot);
            }
            return slot;
        }

        if (fd >= slots.length)
        {
            final int newLength = (int)Math.min(DIRECT_LIMIT, Math.max((long)fd + 1, 2L * slots.length));
            slots = Arrays.copyOf(slots, newLength);
        }

        Slot slot = slots[fd];
        if (null == slot)
        {
            slot = new Slot();
            slots[fd] = slot;
        }

        return slot;
    }

    /**
     * The state of one descriptor number: current name (null: closed or unknown) valid since a time, and the most
     * recent earlier named states with their validity intervals.
     */
    static final class Slot
    {
        String name;
        long since = Long.MIN_VALUE;
        final History previous;

        Slot()
        {
            previous = new History();
        }

        Slot(final Slot other)
        {
            name = other.name;
            since = other.since;
            previous = new History(other.previous);
        }

        void setPrevious(final String name, final long since, final long until)
        {
            previous.add(StreamTable.NO_FD, name, since, until);
        }

        /** @return the name of the most recent earlier state whose interval covers time, or null. */
        String previousCovering(final long time)
        {
            final int index = previous.covering(time);
            return index < 0 ? null : previous.name(index);
        }
    }
}
