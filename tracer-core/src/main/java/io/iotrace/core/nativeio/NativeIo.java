package io.iotrace.core.nativeio;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The few libc calls the collector needs and the JDK does not offer: flock(2) (FileChannel.lock takes fcntl
 * record locks, which do not conflict with the shim's flock), open(2)/close(2) of raw descriptors (the lock fd
 * handed over by the spawning process), getuid(2) and madvise(2) with MADV_POPULATE_WRITE (ring pages made ahead of
 * the producer, failing with an error where a touch would raise SIGBUS). Linux only.
 */
@SuppressWarnings("restricted")
public final class NativeIo
{
    public static final int LOCK_SH = 1;
    public static final int LOCK_EX = 2;
    public static final int LOCK_NB = 4;
    public static final int LOCK_UN = 8;

    public static final int O_RDONLY = 0;
    public static final int O_RDWR = 2;
    public static final int O_CREAT = 0x40;
    public static final int O_NOFOLLOW = 0x20000;
    public static final int O_CLOEXEC = 0x80000;

    /** madvise(2): allocate and map the range's pages for writing now (Linux 5.14); fails instead of SIGBUS. */
    public static final int MADV_POPULATE_WRITE = 23;

    public static final int EINTR = 4;
    public static final int EWOULDBLOCK = 11;

    private static final MethodHandle FLOCK;
    private static final MethodHandle CLOSE;
    private static final MethodHandle OPEN;
    private static final MethodHandle GETUID;
    private static final MethodHandle MADVISE;
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
        CALL_STATE.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));

    static
    {
        final Linker linker = Linker.nativeLinker();
        final SymbolLookup libc = linker.defaultLookup();
        final Linker.Option errno = Linker.Option.captureCallState("errno");
        FLOCK = linker.downcallHandle(
            libc.find("flock").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
            errno);
        CLOSE = linker.downcallHandle(
            libc.find("close").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
            errno);
        OPEN = linker.downcallHandle(
            libc.find("open").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
            Linker.Option.firstVariadicArg(2),
            errno);
        GETUID = linker.downcallHandle(
            libc.find("getuid").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT));
        MADVISE = linker.downcallHandle(
            libc.find("madvise").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT),
            errno);
    }

    private NativeIo()
    {
    }

    /**
     * A libc call's result and errno.
     *
     * @param result the return value.
     * @param errno  errno after the call (meaningful when result is -1).
     */
    public record Result(int result, int errno)
    {
        /** @return true when the call failed. */
        public boolean failed()
        {
            return -1 == result;
        }
    }

    /**
     * flock(2), retried on EINTR.
     *
     * @param fd        descriptor.
     * @param operation LOCK_* bits.
     * @return result and errno.
     */
    public static Result flock(final int fd, final int operation)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(CALL_STATE);
            while (true)
            {
                final int result = (int)FLOCK.invokeExact(state, fd, operation);
                final int errno = -1 == result ? (int)ERRNO.get(state, 0L) : 0;
                if (-1 != result || EINTR != errno)
                {
                    return new Result(result, errno);
                }
            }
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException("flock failed", t);
        }
    }

    /**
     * close(2).
     *
     * @param fd descriptor.
     * @return result and errno.
     */
    public static Result close(final int fd)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(CALL_STATE);
            final int result = (int)CLOSE.invokeExact(state, fd);
            return new Result(result, -1 == result ? (int)ERRNO.get(state, 0L) : 0);
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException("close failed", t);
        }
    }

    /**
     * open(2).
     *
     * @param path  file path.
     * @param flags O_* flags.
     * @param mode  creation mode.
     * @return the fd (or -1) and errno.
     */
    public static Result open(final String path, final int flags, final int mode)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(CALL_STATE);
            final MemorySegment cPath = arena.allocateFrom(path);
            final int result = (int)OPEN.invokeExact(state, cPath, flags, mode);
            return new Result(result, -1 == result ? (int)ERRNO.get(state, 0L) : 0);
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException("open failed", t);
        }
    }

    /** @return the real user id of this process. */
    public static int getuid()
    {
        try
        {
            return (int)GETUID.invokeExact();
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException("getuid failed", t);
        }
    }

    /**
     * madvise(2).
     *
     * @param range  page-aligned memory of a mapping.
     * @param advice MADV_* value.
     * @return result and errno.
     */
    public static Result madvise(final MemorySegment range, final int advice)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(CALL_STATE);
            final int result = (int)MADVISE.invokeExact(state, range, range.byteSize(), advice);
            return new Result(result, -1 == result ? (int)ERRNO.get(state, 0L) : 0);
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException("madvise failed", t);
        }
    }
}
