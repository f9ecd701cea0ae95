package io.iotrace.core.summary;

import java.nio.file.Path;

/**
 * How a per-process trace file is compressed, told by its name: {@code .jsonl}, {@code .jsonl.gz} (gzip members) or
 * {@code .jsonl.zst} (zstd frames). Asked for with IOTRACE_COMPRESS ({@code gzip} or {@code zstd}).
 */
public enum Compression
{
    /** Plain JSON Lines. */
    NONE(""),
    /** gzip, level 1 (java.util.zip). */
    GZIP(".gz"),
    /** zstd, level 1 (the system's libzstd.so.1, io.iotrace.core.zstd). */
    ZSTD(".zst");

    private final String suffix;

    Compression(final String suffix)
    {
        this.suffix = suffix;
    }

    /** @return what follows ".jsonl" in the file name ("" for plain files). */
    public String suffix()
    {
        return suffix;
    }

    /**
     * @param value IOTRACE_COMPRESS's value (null when unset).
     * @return its compression; NONE when unset or empty, null when the value is not one (the caller reports it).
     */
    public static Compression fromSetting(final String value)
    {
        if (null == value || value.isEmpty())
        {
            return NONE;
        }
        return switch (value)
        {
            case "gzip" -> GZIP;
            case "zstd" -> ZSTD;
            default -> null;
        };
    }

    /**
     * @param file a trace file.
     * @return its compression, by its name.
     */
    public static Compression of(final Path file)
    {
        return ofName(file.getFileName().toString());
    }

    /**
     * @param name a file name.
     * @return its compression, by the name's end.
     */
    public static Compression ofName(final String name)
    {
        if (name.endsWith(GZIP.suffix))
        {
            return GZIP;
        }
        return name.endsWith(ZSTD.suffix) ? ZSTD : NONE;
    }

    /**
     * @param name a file name.
     * @return the name without this compression's suffix.
     */
    public static String withoutSuffix(final String name)
    {
        return name.substring(0, name.length() - ofName(name).suffix.length());
    }
}
