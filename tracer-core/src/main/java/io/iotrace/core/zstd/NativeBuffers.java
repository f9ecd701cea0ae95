package io.iotrace.core.zstd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The native side of a zstd stream: an input and an output buffer and the two structs zstd reads and advances
 * (ZSTD_inBuffer and ZSTD_outBuffer: { const void *ptr; size_t size; size_t pos; }). Closing frees them.
 */
final class NativeBuffers implements AutoCloseable
{
    private static final long STRUCT_LENGTH = 24;
    private static final long SIZE_OFFSET = 8;
    private static final long POS_OFFSET = 16;

    final int length;
    final MemorySegment input;
    final MemorySegment output;
    final MemorySegment inBuffer;
    final MemorySegment outBuffer;
    private final Arena arena = Arena.ofShared(); // a stream may be closed by another thread than its writer's

    NativeBuffers(final int length)
    {
        this.length = length;
        input = arena.allocate(length);
        output = arena.allocate(length);
        inBuffer = arena.allocate(STRUCT_LENGTH, 8);
        outBuffer = arena.allocate(STRUCT_LENGTH, 8);
        inBuffer.set(ValueLayout.ADDRESS, 0, input);
        outBuffer.set(ValueLayout.ADDRESS, 0, output);
        setInput(0);
        emptyOutput();
    }

    /** zstd is to read input[0, size) from its start. */
    void setInput(final long size)
    {
        inBuffer.set(ValueLayout.JAVA_LONG, SIZE_OFFSET, size);
        inBuffer.set(ValueLayout.JAVA_LONG, POS_OFFSET, 0);
    }

    /** @return how much of the input zstd has read. */
    long inputPosition()
    {
        return inBuffer.get(ValueLayout.JAVA_LONG, POS_OFFSET);
    }

    /** @return the size set by {@link #setInput}. */
    long inputSize()
    {
        return inBuffer.get(ValueLayout.JAVA_LONG, SIZE_OFFSET);
    }

    /** zstd is to write output[0, length) from its start. */
    void emptyOutput()
    {
        outBuffer.set(ValueLayout.JAVA_LONG, SIZE_OFFSET, length);
        outBuffer.set(ValueLayout.JAVA_LONG, POS_OFFSET, 0);
    }

    /** @return how much zstd has written into the output. */
    long outputPosition()
    {
        return outBuffer.get(ValueLayout.JAVA_LONG, POS_OFFSET);
    }

    @Override
    public void close()
    {
        arena.close();
    }
}
