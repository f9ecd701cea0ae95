package io.iotrace.core.decode;

/** An event whose bytes do not match its table row (too short, string past the end, ...). */
public final class MalformedEventException extends RuntimeException
{
    /**
     * @param message what is wrong, naming the function.
     */
    public MalformedEventException(final String message)
    {
        super(message);
    }
}
