package io.iotrace.core.zstd;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The system's libzstd (libzstd.so.1, zstd's stable streaming API) through the FFM API: called once per 64 KiB
 * buffer, never per event. Why zstd beside gzip: on this trace's JSON it compresses ~4x faster than zlib at its
 * fastest level, and smaller (README, bench/drain.sh). The constants are zstd.h's (ZSTD_cParameter, ZSTD_EndDirective).
 * {@link #UNAVAILABLE} says why the library cannot be used (null when it can).
 */
public final class Zstd
{
    /** ZSTD_c_compressionLevel. */
    static final int C_COMPRESSION_LEVEL = 100;
    /** ZSTD_c_windowLog. */
    static final int C_WINDOW_LOG = 101;
    /** ZSTD_c_checksumFlag. */
    static final int C_CHECKSUM_FLAG = 201;
    /** ZSTD_e_continue, ZSTD_e_flush, ZSTD_e_end. */
    static final int E_CONTINUE = 0;
    static final int E_FLUSH = 1;
    static final int E_END = 2;

    /** The library's name (the property iotrace.zstd.library: another name, or one that is missing, in tests). */
    static final String LIBRARY = System.getProperty("iotrace.zstd.library", "libzstd.so.1");

    /** Why libzstd cannot be used, or null. */
    public static final String UNAVAILABLE;

    static final MethodHandle CREATE_CCTX;
    static final MethodHandle FREE_CCTX;
    static final MethodHandle CCTX_SET_PARAMETER;
    static final MethodHandle COMPRESS_STREAM2;
    static final MethodHandle CREATE_DCTX;
    static final MethodHandle FREE_DCTX;
    static final MethodHandle DECOMPRESS_STREAM;
    static final MethodHandle IS_ERROR;
    static final MethodHandle GET_ERROR_NAME;

    static
    {
        MethodHandle createC = null, freeC = null, setParameter = null, compress = null, createD = null,
            freeD = null, decompress = null, isError = null, errorName = null;
        String unavailable = null;
        try
        {
            final SymbolLookup library = SymbolLookup.libraryLookup(LIBRARY, Arena.global());
            final Linker linker = Linker.nativeLinker();
            final ValueLayout.OfLong sizeT = ValueLayout.JAVA_LONG;
            final AddressLayout address = ValueLayout.ADDRESS;
            createC = linker.downcallHandle(library.findOrThrow("ZSTD_createCCtx"), FunctionDescriptor.of(address));
            freeC = linker.downcallHandle(library.findOrThrow("ZSTD_freeCCtx"), FunctionDescriptor.of(sizeT, address));
            setParameter = linker.downcallHandle(library.findOrThrow("ZSTD_CCtx_setParameter"),
                FunctionDescriptor.of(sizeT, address, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            compress = linker.downcallHandle(library.findOrThrow("ZSTD_compressStream2"),
                FunctionDescriptor.of(sizeT, address, address, address, ValueLayout.JAVA_INT));
            createD = linker.downcallHandle(library.findOrThrow("ZSTD_createDCtx"), FunctionDescriptor.of(address));
            freeD = linker.downcallHandle(library.findOrThrow("ZSTD_freeDCtx"), FunctionDescriptor.of(sizeT, address));
            decompress = linker.downcallHandle(library.findOrThrow("ZSTD_decompressStream"),
                FunctionDescriptor.of(sizeT, address, address, address));
            isError = linker.downcallHandle(library.findOrThrow("ZSTD_isError"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, sizeT));
            errorName = linker.downcallHandle(library.findOrThrow("ZSTD_getErrorName"),
                FunctionDescriptor.of(address.withTargetLayout(java.lang.foreign.MemoryLayout.sequenceLayout(
                    256, ValueLayout.JAVA_BYTE)), sizeT));
        }
        catch (final IllegalArgumentException | java.util.NoSuchElementException | IllegalCallerException ex)
        {
            unavailable = LIBRARY + " cannot be used (" + ex.getMessage() + "; on Debian/Ubuntu: apt install " +
                "libzstd1)";
        }
        UNAVAILABLE = unavailable;
        CREATE_CCTX = createC;
        FREE_CCTX = freeC;
        CCTX_SET_PARAMETER = setParameter;
        COMPRESS_STREAM2 = compress;
        CREATE_DCTX = createD;
        FREE_DCTX = freeD;
        DECOMPRESS_STREAM = decompress;
        IS_ERROR = isError;
        GET_ERROR_NAME = errorName;
    }

    private Zstd()
    {
    }

    /** @return true when libzstd can be used. */
    public static boolean available()
    {
        return null == UNAVAILABLE;
    }

    /**
     * @param result a size_t result of a ZSTD_ function.
     * @param what   the call, for the message.
     * @return the result when it is not an error code.
     * @throws java.io.IOException with zstd's error name otherwise.
     */
    static long check(final long result, final String what) throws java.io.IOException
    {
        if (0 != invoke(() -> (int)IS_ERROR.invokeExact(result)))
        {
            final MemorySegment name = invoke(() -> (MemorySegment)GET_ERROR_NAME.invokeExact(result));
            throw new java.io.IOException(what + ": " + name.getString(0));
        }
        return result;
    }

    /** ZSTD_createCCtx, ZSTD_freeCCtx, ZSTD_CCtx_setParameter (checked), ZSTD_compressStream2 (checked: the bytes
     *  zstd still holds for a flush or end directive), ZSTD_createDCtx, ZSTD_freeDCtx, ZSTD_decompressStream
     *  (checked: 0 once a frame is complete). A NULL context is reported as out of memory. */
    static MemorySegment createCompressor() throws java.io.IOException
    {
        return notNull(invoke(() -> (MemorySegment)CREATE_CCTX.invokeExact()), "ZSTD_createCCtx");
    }

    static void freeCompressor(final MemorySegment context)
    {
        invoke(() -> (long)FREE_CCTX.invokeExact(context));
    }

    static void setParameter(final MemorySegment context, final int parameter, final int value)
        throws java.io.IOException
    {
        check(invoke(() -> (long)CCTX_SET_PARAMETER.invokeExact(context, parameter, value)),
            "ZSTD_CCtx_setParameter " + parameter + "=" + value);
    }

    static long compressStream(final MemorySegment context, final NativeBuffers buffers, final int directive)
        throws java.io.IOException
    {
        return check(invoke(() -> (long)COMPRESS_STREAM2.invokeExact(context, buffers.outBuffer, buffers.inBuffer,
            directive)), "ZSTD_compressStream2");
    }

    static MemorySegment createDecompressor() throws java.io.IOException
    {
        return notNull(invoke(() -> (MemorySegment)CREATE_DCTX.invokeExact()), "ZSTD_createDCtx");
    }

    static void freeDecompressor(final MemorySegment context)
    {
        invoke(() -> (long)FREE_DCTX.invokeExact(context));
    }

    static long decompressStream(final MemorySegment context, final NativeBuffers buffers) throws java.io.IOException
    {
        return check(invoke(() -> (long)DECOMPRESS_STREAM.invokeExact(context, buffers.outBuffer, buffers.inBuffer)),
            "not zstd data, or corrupted (ZSTD_decompressStream)");
    }

    private static MemorySegment notNull(final MemorySegment context, final String what) throws java.io.IOException
    {
        if (MemorySegment.NULL.equals(context))
        {
            throw new java.io.IOException(what + ": out of memory");
        }
        return context;
    }

    /** A native call: MethodHandle.invokeExact declares Throwable, which these calls never throw. */
    @FunctionalInterface
    private interface NativeCall<T>
    {
        T call() throws Throwable;
    }

    private static <T> T invoke(final NativeCall<T> call)
    {
        try
        {
            return call.call();
        }
        catch (final RuntimeException | Error ex)
        {
            throw ex;
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Fails with {@link #UNAVAILABLE} as an IOException when libzstd cannot be used.
     *
     * @param what what needs it, for the message (a file, a stream).
     * @throws java.io.IOException "what: why libzstd cannot be used".
     */
    public static void requireAvailable(final Object what) throws java.io.IOException
    {
        if (!available())
        {
            throw new java.io.IOException(what + ": " + UNAVAILABLE);
        }
    }
}
