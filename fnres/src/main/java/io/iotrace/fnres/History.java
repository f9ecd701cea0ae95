package io.iotrace.fnres;

/**
 * The most recent earlier states of one descriptor number or FILE* address, each with the interval [since, until]
 * in which it was valid: what lets a record that another thread published late find the file it used. One state is
 * not enough: a thread preempted between its close() and publishing the record, while another thread opens the
 * number (or gets the address from malloc), uses it and closes it, has its close decoded after two later states.
 * The oldest state gives way to a new one. Allocated with its slot, never while tracing. Single writer.
 */
final class History
{
    /** States kept. */
    static final int DEPTH = 4;

    private final int[] fds = new int[DEPTH];
    private final String[] names = new String[DEPTH];
    private final long[] sinces = new long[DEPTH];
    private final long[] untils = new long[DEPTH];
    private int count;
    /** Where the next state goes. */
    private int next;

    History()
    {
    }

    History(final History other)
    {
        System.arraycopy(other.fds, 0, fds, 0, DEPTH);
        System.arraycopy(other.names, 0, names, 0, DEPTH);
        System.arraycopy(other.sinces, 0, sinces, 0, DEPTH);
        System.arraycopy(other.untils, 0, untils, 0, DEPTH);
        count = other.count;
        next = other.next;
    }

    /**
     * Keep a state that ended.
     *
     * @param fd    its descriptor (a stream's; unused for descriptors themselves).
     * @param name  its name.
     * @param since when it began.
     * @param until when it ended.
     */
    void add(final int fd, final String name, final long since, final long until)
    {
        fds[next] = fd;
        names[next] = name;
        sinces[next] = since;
        untils[next] = until;
        next = (next + 1) % DEPTH;
        count = Math.min(DEPTH, count + 1);
    }

    /**
     * @param time the start of a call.
     * @return the index of the most recent state valid at that time, or -1.
     */
    int covering(final long time)
    {
        for (int i = 1; i <= count; i++)
        {
            final int at = (next - i + DEPTH) % DEPTH;
            if (sinces[at] <= time && time <= untils[at])
            {
                return at;
            }
        }
        return -1;
    }

    /** @return the name of the state at index (from {@link #covering}). */
    String name(final int index)
    {
        return names[index];
    }

    /** @return the descriptor of the state at index (from {@link #covering}). */
    int fd(final int index)
    {
        return fds[index];
    }
}
