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
 * API CONTRACT (shared with tracer-core; implementation in progress).
 */
public final class HandleTable
{
    /** The value of {@code AT_FDCWD}: a dirfd meaning "relative to the current working directory". */
    public static final int AT_FDCWD = -100;

    /**
     * @param initialCwd absolute working directory at the start of the incarnation.
     */
    public HandleTable(final String initialCwd)
    {
        throw new UnsupportedOperationException("in progress");
    }

    /** A deep copy for a fork child: fds, streams, mappings and cwd as they are now. */
    public HandleTable copyForFork()
    {
        throw new UnsupportedOperationException("in progress");
    }

    /** @return the absolute current working directory. */
    public String cwd()
    {
        throw new UnsupportedOperationException("in progress");
    }

    /** chdir(path) succeeded. */
    public void chdir(final String path)
    {
        throw new UnsupportedOperationException("in progress");
    }

    /** fchdir(fd) succeeded. @return false when fd is not known (cwd unchanged). */
    public boolean fchdir(final int fd)
    {
        throw new UnsupportedOperationException("in progress");
    }

    /**
     * The absolute, lexically normalised path ("." and ".." folded, no symlinks followed) for a path given
     * relative to dirfd ({@link #AT_FDCWD} for the cwd). Absolute paths are only normalised.
     * @return null when dirfd is needed but not known.
     */
    public String absolutePath(final int dirfd, final String path)
    {
        throw new UnsupportedOperationException("in progress");
    }

    /** A descriptor now names absolutePath (open*, creat, fopen's fd, discovered fds). timeEnd = the call's end. */
    public void fdOpened(final int fd, final String absolutePath, final long timeEnd)
    {
        throw new UnsupportedOperationException("in progress");
    }

    /** newFd now names what oldFd names (dup, dup2, dup3, fcntl F_DUPFD*); replaces whatever newFd named. */
    public void fdDuplicated(final int oldFd, final int newFd, final long timeEnd)
    {
        throw new UnsupportedOperationException("in progress");
    }

    /**
     * fd was closed by a call that ran from timeStart to timeEnd. A mapping created by a call that ended after
     * timeEnd is a later reuse of the number and stays.
     * @return the name fd had for this close, or null if unknown.
     */
    public String fdClosed(final int fd, final long timeStart, final long timeEnd)
    {
        throw new UnsupportedOperationException("in progress");
    }

    /**
     * The name fd had at the time of a call that started at timeStart (a later reuse of the number is skipped).
     * @return null when unknown.
     */
    public String fdName(final int fd, final long timeStart)
    {
        throw new UnsupportedOperationException("in progress");
    }

    /** A FILE* now exists for fd (fopen, fdopen). */
    public void streamOpened(final long stream, final int fd, final long timeEnd)
    {
        throw new UnsupportedOperationException("in progress");
    }

    /** fclose(stream): the stream and its fd are gone. @return the name it had, or null. */
    public String streamClosed(final long stream, final long timeStart, final long timeEnd)
    {
        throw new UnsupportedOperationException("in progress");
    }

    /** @return the name of the file behind stream, or null. */
    public String streamName(final long stream, final long timeStart)
    {
        throw new UnsupportedOperationException("in progress");
    }

    /** @return the fd behind stream, or -1. */
    public int streamFd(final long stream)
    {
        throw new UnsupportedOperationException("in progress");
    }

    /** A file mapping [address, address + length) of absolutePath now exists (replaces overlapped ranges). */
    public void mapped(final long address, final long length, final String absolutePath)
    {
        throw new UnsupportedOperationException("in progress");
    }

    /**
     * munmap of [address, address + length): removes or splits the ranges it overlaps.
     * @return the name of the first file mapping it overlapped, or null if none.
     */
    public String unmapped(final long address, final long length)
    {
        throw new UnsupportedOperationException("in progress");
    }

    /** @return the name of the file mapped at address, or null. */
    public String mappingName(final long address)
    {
        throw new UnsupportedOperationException("in progress");
    }

    /** Number of descriptors, streams and mappings held (for tests and the collector's memory accounting). */
    public int size()
    {
        throw new UnsupportedOperationException("in progress");
    }
}
