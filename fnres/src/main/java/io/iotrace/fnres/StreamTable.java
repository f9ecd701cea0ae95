package io.iotrace.fnres;

import org.agrona.collections.Long2ObjectHashMap;

/**
 * FILE* address → descriptor, with a {@link History} of earlier streams as {@link FdTable} keeps one: malloc
 * hands a freed FILE* address out again, so {@code fclose(f)} of one thread may be published after another thread's
 * {@code fopen} (and {@code fclose}) that got the same address.
 * <p>
 * The name of a stream is the name of its descriptor at the time of the call; the name the descriptor had when the
 * stream was opened is kept as a fallback (for a descriptor that became unknown meanwhile). fclose closes the
 * descriptor inside the C library, where no close call is visible, so closing a stream closes its descriptor here.
 * <p>
 * Slots of closed streams are kept for their history; their number is bounded by the distinct FILE* addresses the
 * process used, which malloc reuses. Single writer, no locks.
 */
final class StreamTable
{
    /** The descriptor value of a stream that has none (closed, or not backed by a descriptor). */
    static final int NO_FD = -1;

    private final Long2ObjectHashMap<Slot> slots;
    private int openCount;

    StreamTable()
    {
        slots = new Long2ObjectHashMap<>();
    }

    private StreamTable(final StreamTable other)
    {
        slots = new Long2ObjectHashMap<>();
        other.slots.forEach((stream, slot) -> slots.put(stream, new Slot(slot)));
        openCount = other.openCount;
    }

    /**
     * @return a deep copy: later changes to either table do not show in the other.
     */
    StreamTable copy()
    {
        return new StreamTable(this);
    }

    /**
     * @return number of open streams.
     */
    int size()
    {
        return openCount;
    }

    /**
     * stream is open on fd (NO_FD when none) from timeEnd on; name is what fd names now (fallback only).
     */
    void opened(final long stream, final int fd, final String name, final long timeEnd)
    {
        Slot slot = slots.get(stream);
        if (null == slot)
        {
            slot = new Slot();
            slots.put(stream, slot);
        }

        if (slot.since > timeEnd)
        {
            slot.previous.add(fd, name, timeEnd, slot.since);
            return;
        }

        if (slot.open)
        {
            slot.previous.add(slot.fd, slot.name, slot.since, timeEnd);
            openCount--;
        }
        slot.open = true;
        slot.fd = fd;
        slot.name = name;
        slot.since = timeEnd;
        openCount++;
    }

    /**
     * fclose(stream) ran from timeStart to timeEnd: the stream and its descriptor are closed. A stream opened at
     * the same address after timeStart is a later reuse and stays; the close then applies to the previous stream.
     *
     * @return the name the stream had, or null.
     */
    String closed(final long stream, final long timeStart, final long timeEnd, final FdTable fds)
    {
        final Slot slot = slots.get(stream);
        if (null == slot)
        {
            return null;
        }

        if (slot.since > timeStart)
        {
            final int earlier = slot.previous.covering(timeStart);
            if (earlier < 0)
            {
                return null;
            }
            final String name = fds.closed(slot.previous.fd(earlier), timeStart, timeEnd);
            return null != name ? name : slot.previous.name(earlier);
        }

        if (!slot.open)
        {
            return null;
        }

        final int fd = slot.fd;
        final String openName = slot.name;
        slot.previous.add(fd, openName, slot.since, timeEnd);
        slot.open = false;
        slot.fd = NO_FD;
        slot.name = null;
        slot.since = timeStart;
        openCount--;

        final String name = fds.closed(fd, timeStart, timeEnd);
        return null != name ? name : openName;
    }

    /**
     * @return the name of the file behind stream for a call that started at timeStart, or null.
     */
    String name(final long stream, final long timeStart, final FdTable fds)
    {
        final Slot slot = slots.get(stream);
        if (null == slot)
        {
            return null;
        }

        final int earlier = slot.since > timeStart ? slot.previous.covering(timeStart) : -1;
        if (earlier >= 0)
        {
            final String name = fds.name(slot.previous.fd(earlier), timeStart);
            return null != name ? name : slot.previous.name(earlier);
        }
        if (!slot.open)
        {
            return null;
        }

        final String name = fds.name(slot.fd, timeStart);
        return null != name ? name : slot.name;
    }

    /**
     * @return the descriptor behind the open stream, or {@link #NO_FD}.
     */
    int fd(final long stream)
    {
        final Slot slot = slots.get(stream);
        return null != slot && slot.open ? slot.fd : NO_FD;
    }

    /**
     * The state of one FILE* address: the current stream (if open) and the most recent earlier ones.
     */
    static final class Slot
    {
        boolean open;
        int fd = NO_FD;
        String name;
        long since = Long.MIN_VALUE;
        final History previous;

        Slot()
        {
            previous = new History();
        }

        Slot(final Slot other)
        {
            open = other.open;
            fd = other.fd;
            name = other.name;
            since = other.since;
            previous = new History(other.previous);
        }
    }
}
