package io.iotrace.core.summary;

import java.nio.file.Path;

/** A trace file line that is not a record: reported as one line naming the file and the line. */
public final class TraceFormatException extends Exception
{
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final long line;

    /**
     * @param file    the trace file.
     * @param line    1-based line number.
     * @param message what is wrong.
     */
    public TraceFormatException(final Path file, final long line, final String message)
    {
        super(file + ":" + line + ": " + message);
        this.file = file;
        this.line = line;
    }

    /** @return the trace file. */
    public Path file()
    {
        return file;
    }

    /** @return the 1-based line number. */
    public long line()
    {
        return line;
    }
}
