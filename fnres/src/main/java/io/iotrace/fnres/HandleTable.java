package io.iotrace.fnres;

/**
 * The handles of one traced process incarnation and the files they name: file descriptors, FILE* streams,
 * file mappings (address ranges) and the current working directory.
 * <p>
 * Single writer: only the collector thread that decodes this incarnation's events calls it, in ring order, so
 * no method locks. Events of different threads of the traced process arrive in publication order, which can
 * differ from the order in which the kernel ran them (thread A's {@code close(5)} may be published after thread
 * B's {@code open()} that got 5 again); the time arguments let the table tell such late records apart.
 * <p>
 * API CONTRACT (shared with tracer-core).
 * <p>
 * <b>Late records.</b> Every descriptor (and FILE* address) remembers when its current state began and the state it
 * had before (the mapping closed or replaced most recently, with its validity interval). A named state begins at
 * the end of the call that created it; a closed state at the start of the close (the kernel may reuse the number
 * while the close is still running). A record of a call that started before the current state began cannot have
 * used it, so it is answered from the previous state when that covers the call's start. This is one-deep: a record
 * that is late by two reuses of the same number gets the current name.
 * <p>
 * <b>Unknown.</b> Every lookup returns null when the name is not known (a descriptor inherited but never discovered,
 * a dup of an unknown descriptor, a relative path against an unknown dirfd). Null names may be passed in: the handle
 * then exists but its file is unknown, which also forgets any stale name of the same number.
 * <p>
 * Structures: descriptors in an array indexed by number (an agrona {@code Int2ObjectHashMap} above 2^20),
 * streams in an agrona {@code Long2ObjectHashMap}, mappings in a {@code TreeMap} of non-overlapping ranges.
 * Descriptor and stream lookups do not allocate, nor does steady-state open/close.
 */
public final class HandleTable
{
    /** The value of {@code AT_FDCWD}: a dirfd meaning "relative to the current working directory". */
    public static final int AT_FDCWD = -100;

    /** A timeStart later than every record: asks for the current state. */
    private static final long CURRENT = Long.MAX_VALUE;

    private String cwd;
    private final FdTable fds;
    private final StreamTable streams;
    private final MappingTable mappings;
    private final MpiHandleTable mpi;

    /**
     * An empty table for a new incarnation.
     *
     * @param initialCwd absolute working directory at the start of the incarnation (normalised here; null or a
     *                   relative path means unknown, and so are paths relative to it until a chdir to an absolute
     *                   path or an fchdir to a known descriptor).
     */
    public HandleTable(final String initialCwd)
    {
        cwd = PathNormaliser.normalise(initialCwd);
        fds = new FdTable();
        streams = new StreamTable();
        mappings = new MappingTable();
        mpi = new MpiHandleTable();
    }

    private HandleTable(final HandleTable parent)
    {
        cwd = parent.cwd;
        fds = parent.fds.copy();
        streams = parent.streams.copy();
        mappings = parent.mappings.copy();
        mpi = parent.mpi.copy();
    }

    /**
     * A deep copy for a fork child: fds, streams, mappings and cwd as they are now (with their late-record history).
     * Changes to the copy do not show in this table and vice versa.
     *
     * @return the child's table.
     */
    public HandleTable copyForFork()
    {
        return new HandleTable(this);
    }

    /**
     * The current working directory.
     *
     * @return the absolute, normalised current working directory, or null when unknown.
     */
    public String cwd()
    {
        return cwd;
    }

    /**
     * chdir(path) succeeded.
     *
     * @param path the argument as the program passed it (relative to the cwd) or already absolute.
     */
    public void chdir(final String path)
    {
        cwd = absolutePath(AT_FDCWD, path);
    }

    /**
     * fchdir(fd) succeeded; the cwd becomes the name fd has now.
     *
     * @param fd the directory descriptor.
     * @return false when fd is not known (cwd unchanged).
     */
    public boolean fchdir(final int fd)
    {
        final String name = fds.name(fd, CURRENT);
        if (null == name)
        {
            return false;
        }
        cwd = name;

        return true;
    }

    /**
     * The absolute, lexically normalised path ("." and ".." folded, no symlinks followed) for a path given
     * relative to dirfd ({@link #AT_FDCWD} for the cwd). Absolute paths are only normalised. An empty path
     * (AT_EMPTY_PATH) names dirfd itself. dirfd's current name is used; see
     * {@link #absolutePath(int, String, long)} for a late record.
     *
     * @param dirfd the directory descriptor, or {@link #AT_FDCWD}.
     * @param path  the path as the program passed it.
     * @return null when path is null, or dirfd is needed but not known.
     */
    public String absolutePath(final int dirfd, final String path)
    {
        return absolutePath(dirfd, path, CURRENT);
    }

    /**
     * As {@link #absolutePath(int, String)}, with dirfd's name taken as {@link #fdName(int, long)} gives it for a
     * call that started at timeStart.
     *
     * @param dirfd     the directory descriptor, or {@link #AT_FDCWD}.
     * @param path      the path as the program passed it.
     * @param timeStart start of the call that passed the path.
     * @return null when path is null, or dirfd is needed but not known.
     */
    public String absolutePath(final int dirfd, final String path, final long timeStart)
    {
        if (null == path)
        {
            return null;
        }
        if (!path.isEmpty() && '/' == path.charAt(0))
        {
            return PathNormaliser.normalise(path);
        }

        final String directory = AT_FDCWD == dirfd ? cwd : fds.name(dirfd, timeStart);
        if (path.isEmpty())
        {
            return directory;
        }

        return PathNormaliser.resolve(directory, path);
    }

    /**
     * A descriptor now names absolutePath (open*, creat, fopen's fd, discovered fds); it replaces whatever fd
     * named (that name becomes fd's history).
     *
     * @param fd           the new descriptor.
     * @param absolutePath its absolute path, normalised (from {@link #absolutePath}); null: open but unknown.
     * @param timeEnd      end of the call that returned fd.
     */
    public void fdOpened(final int fd, final String absolutePath, final long timeEnd)
    {
        fds.opened(fd, absolutePath, timeEnd);
    }

    /**
     * newFd now names what oldFd names (dup, dup2, dup3, fcntl F_DUPFD*); replaces whatever newFd named. When
     * oldFd is unknown, newFd becomes unknown too. {@code dup2(fd, fd)} changes nothing.
     *
     * @param oldFd   the descriptor duplicated.
     * @param newFd   the descriptor returned.
     * @param timeEnd end of the call.
     */
    public void fdDuplicated(final int oldFd, final int newFd, final long timeEnd)
    {
        if (oldFd == newFd)
        {
            return;
        }
        fds.opened(newFd, fds.name(oldFd, timeEnd), timeEnd);
    }

    /**
     * fd was closed by a call that ran from timeStart to timeEnd. A mapping created by a call that ended after
     * timeEnd is a later reuse of the number and stays; so is one created by a call that ended after timeStart
     * (the kernel frees the number during the close, so a reuse can end before the close does). The close then
     * applies to the previous mapping of fd.
     *
     * @param fd        the descriptor closed.
     * @param timeStart start of the close.
     * @param timeEnd   end of the close.
     * @return the name fd had for this close, or null if unknown.
     */
    public String fdClosed(final int fd, final long timeStart, final long timeEnd)
    {
        return fds.closed(fd, timeStart, timeEnd);
    }

    /**
     * The name fd had at the time of a call that started at timeStart (a later reuse of the number is skipped:
     * the previous mapping answers when it covers timeStart, else the current one).
     *
     * @param fd        the descriptor.
     * @param timeStart start of the call; {@link Long#MAX_VALUE} for the current name.
     * @return null when unknown.
     */
    public String fdName(final int fd, final long timeStart)
    {
        return fds.name(fd, timeStart);
    }

    /**
     * A FILE* now exists for fd (fopen, fdopen). For fopen, call {@link #fdOpened} for its fd first.
     *
     * @param stream  the FILE* address.
     * @param fd      its descriptor (fileno), or -1 when it has none.
     * @param timeEnd end of the call.
     */
    public void streamOpened(final long stream, final int fd, final long timeEnd)
    {
        streams.opened(stream, fd < 0 ? StreamTable.NO_FD : fd, fds.name(fd, timeEnd), timeEnd);
    }

    /**
     * A FILE* without a descriptor now exists (fmemopen, open_memstream): its records are named {@code name}.
     *
     * @param stream  the FILE* address.
     * @param name    what its records are named (e.g. "&lt;not a file&gt;").
     * @param timeEnd end of the call.
     */
    public void streamOpenedWithoutFd(final long stream, final String name, final long timeEnd)
    {
        streams.opened(stream, StreamTable.NO_FD, name, timeEnd);
    }

    /**
     * freopen(path, mode, stream) ran from timeStart to timeEnd: the old stream and its descriptor are closed (also
     * when the call failed); on success the result stream and its new descriptor name newPath, or, for a NULL
     * path, the file the old stream named. A stream that was never opened here (stdin, stdout, stderr) is known by
     * its descriptor, oldFd.
     *
     * @param stream    the FILE* passed in.
     * @param oldFd     its descriptor before the call, or -1.
     * @param newPath   absolute path of the file reopened, or null when the call had no path (same file).
     * @param result    the FILE* returned, 0 when the call failed.
     * @param newFd     the result's descriptor, or -1.
     * @param timeStart start of the call.
     * @param timeEnd   end of the call.
     * @return the file the call is about: newPath (also when the call failed, as for a failed fopen), else the
     *         old stream's file; null when neither is known.
     */
    public String streamReopened(
        final long stream,
        final int oldFd,
        final String newPath,
        final long result,
        final int newFd,
        final long timeStart,
        final long timeEnd)
    {
        String oldName = streams.name(stream, timeStart, fds);
        if (null == oldName && oldFd >= 0)
        {
            oldName = fds.name(oldFd, timeStart);
        }
        final boolean streamKnown = StreamTable.NO_FD != streams.fd(stream);
        streams.closed(stream, timeStart, timeEnd, fds);
        if (!streamKnown && oldFd >= 0)
        {
            fds.closed(oldFd, timeStart, timeEnd);
        }
        final String name = null != newPath ? newPath : oldName;
        if (0 != result)
        {
            fds.opened(newFd, name, timeEnd);
            streams.opened(result, newFd < 0 ? StreamTable.NO_FD : newFd, name, timeEnd);
        }
        return name;
    }

    /**
     * fclose(stream): the stream and its fd are gone (the C library closes the fd without a visible close call).
     * A stream opened at the same address after timeStart is a later reuse and stays.
     *
     * @param stream    the FILE* address.
     * @param timeStart start of fclose.
     * @param timeEnd   end of fclose.
     * @return the name it had, or null.
     */
    public String streamClosed(final long stream, final long timeStart, final long timeEnd)
    {
        return streams.closed(stream, timeStart, timeEnd, fds);
    }

    /**
     * The name of the file behind stream for a call that started at timeStart: its fd's name, or when that is
     * unknown the name the fd had when the stream was opened.
     *
     * @param stream    the FILE* address.
     * @param timeStart start of the call.
     * @return the name of the file behind stream, or null.
     */
    public String streamName(final long stream, final long timeStart)
    {
        return streams.name(stream, timeStart, fds);
    }

    /**
     * The descriptor of an open stream.
     *
     * @param stream the FILE* address.
     * @return the fd behind stream, or -1.
     */
    public int streamFd(final long stream)
    {
        return streams.fd(stream);
    }

    /**
     * A file mapping [address, address + length) of absolutePath now exists (replaces overlapped ranges, as
     * MAP_FIXED does).
     *
     * @param address      start of the mapping.
     * @param length       length in bytes; nothing happens when not positive.
     * @param absolutePath the mapped file; null (anonymous mapping) only removes what the range overlaps.
     */
    public void mapped(final long address, final long length, final String absolutePath)
    {
        mappings.mapped(address, length, absolutePath);
    }

    /**
     * munmap of [address, address + length): removes, trims or splits the ranges it overlaps.
     *
     * @param address start of the range.
     * @param length  length in bytes.
     * @return the name of the first file mapping it overlapped, or null if none.
     */
    public String unmapped(final long address, final long length)
    {
        return mappings.unmapped(address, length);
    }

    /**
     * mremap: the mapping at [address, address + oldLength) now lies at [newAddress, newAddress + newLength)
     * (moved, grown or shrunk; the destination replaces whatever it overlapped).
     *
     * @param address    old start.
     * @param oldLength  old length.
     * @param newAddress the call's result.
     * @param newLength  new length.
     * @param keepOld    MREMAP_DONTUNMAP: the old range stays mapped (to the same file).
     * @return the name of the file mapped at address, or null (anonymous or unknown).
     */
    public String remapped(
        final long address, final long oldLength, final long newAddress, final long newLength, final boolean keepOld)
    {
        return mappings.remapped(address, oldLength, newAddress, newLength, keepOld);
    }

    /**
     * close_range/closefrom: every named descriptor in [first, last] was closed by a call from timeStart to
     * timeEnd.
     *
     * @param first     lowest descriptor.
     * @param last      highest descriptor (inclusive).
     * @param timeStart start of the call.
     * @param timeEnd   end of the call.
     * @return number of named descriptors closed.
     */
    public int fdRangeClosed(final int first, final int last, final long timeStart, final long timeEnd)
    {
        return fds.closedRange(first, last, timeStart, timeEnd);
    }

    /**
     * The file mapped at an address.
     *
     * @param address any address inside a mapping.
     * @return the name of the file mapped at address, or null.
     */
    public String mappingName(final long address)
    {
        return mappings.name(address);
    }

    /**
     * Number of descriptors, streams and mappings held (for tests and the collector's memory accounting).
     * Descriptors that are open but unknown are not counted.
     *
     * @return named descriptors + open streams + mapped ranges.
     */
    public int size()
    {
        return fds.size() + streams.size() + mappings.size();
    }

    /** @return the MPI-IO handles (MPI_File, requests) of the process. */
    public MpiHandleTable mpi()
    {
        return mpi;
    }
}
