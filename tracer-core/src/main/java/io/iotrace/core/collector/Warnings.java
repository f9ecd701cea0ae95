package io.iotrace.core.collector;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;

/**
 * O/iotrace-warnings.jsonl: one JSON object per warning, {@code {"pid","incarnation","function_name","handle",
 * "message"}} (function_name and handle only when known). Never throws: a failing warnings file is logged once.
 * Each line reaches the file in one append of its own: another collector of the same output directory (one that
 * is finishing while the next starts) appends whole lines between ours, never into the middle of one.
 */
public final class Warnings implements AutoCloseable
{
    private static final JsonFactory FACTORY = new com.fasterxml.jackson.core.JsonFactoryBuilder()
        .rootValueSeparator((String)null)
        .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
        .build();

    private final Path file;
    private final CollectorLog log;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    private OutputStream out;
    private JsonGenerator generator;
    private boolean failed;
    private long count;

    /**
     * @param file the warnings file (created on the first warning).
     * @param log  for failures of the file itself.
     */
    public Warnings(final Path file, final CollectorLog log)
    {
        this.file = file;
        this.log = log;
    }

    /** @return warnings written. */
    public long count()
    {
        return count;
    }

    /**
     * Write a warning.
     *
     * @param pid          process id.
     * @param incarnation  incarnation number.
     * @param functionName the function, or null.
     * @param handle       a Number or String handle, or null.
     * @param message      what happened.
     */
    public void warn(
        final int pid, final int incarnation, final String functionName, final Object handle, final String message)
    {
        count++;
        if (failed)
        {
            return;
        }
        try
        {
            if (null == generator)
            {
                out = OutputFiles.openAppendable(file);
                generator = FACTORY.createGenerator(line, JsonEncoding.UTF8);
            }
            final JsonGenerator g = generator;
            g.writeStartObject();
            g.writeNumberField("pid", pid);
            g.writeNumberField("incarnation", incarnation);
            if (null != functionName)
            {
                g.writeStringField("function_name", functionName);
            }
            if (handle instanceof Number n)
            {
                g.writeNumberField("handle", n.longValue());
            }
            else if (null != handle)
            {
                g.writeStringField("handle", handle.toString());
            }
            g.writeStringField("message", message);
            g.writeEndObject();
            g.writeRaw('\n');
            g.flush();
            line.writeTo(out);
            out.flush(); // the buffer holds this line alone: one write(2) with O_APPEND
            line.reset();
        }
        catch (final IOException | RuntimeException ex)
        {
            failed = true;
            log.log("cannot write warnings to " + file, ex);
        }
    }

    public void close()
    {
        if (null != out)
        {
            try
            {
                generator.close();
                out.close();
            }
            catch (final IOException ignore)
            {
                // flushed above
            }
        }
    }
}
