package io.iotrace.core.format;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The traced functions, parsed from {@code functions.tbl} (the same file the C wrapper generator reads; Maven puts
 * it on the classpath as {@code io/iotrace/core/format/functions.tbl}).
 * <p>
 * Grammar: '#' starts a comment line; every other non-blank line has seven '|'-separated fields: id, name,
 * returns, params, record, result, effect. The record field is a space separated list of
 * {@code name:kind}, {@code name:kind=<C expression>} or {@code name:kind@post=<C expression>}; scalar kinds take
 * the slots in order, string kinds follow in order. The effect field holds one effect word and flag words.
 * Immutable after construction, so it may be shared by threads.
 */
public final class FunctionTable
{
    /** Classpath location of the table. */
    public static final String RESOURCE = "/io/iotrace/core/format/functions.tbl";
    /** Largest id accepted (ids index an array). */
    public static final int MAX_ID = 65535;

    private static final Pattern ITEM_START = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]*:[a-z]+.*");
    private static final Pattern NAME = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]*$");

    private static volatile FunctionTable defaultTable;

    private final FunctionInfo[] byId;
    private final List<FunctionInfo> functions;

    private FunctionTable(final List<FunctionInfo> functions)
    {
        int maxId = 0;
        for (final FunctionInfo info : functions)
        {
            maxId = Math.max(maxId, info.id());
        }
        byId = new FunctionInfo[maxId + 1];
        for (final FunctionInfo info : functions)
        {
            byId[info.id()] = info;
        }
        this.functions = List.copyOf(functions);
    }

    /**
     * @return the table from the classpath, parsed once.
     */
    public static FunctionTable load()
    {
        FunctionTable table = defaultTable;
        if (null == table)
        {
            synchronized (FunctionTable.class)
            {
                table = defaultTable;
                if (null == table)
                {
                    try (InputStream in = FunctionTable.class.getResourceAsStream(RESOURCE))
                    {
                        if (null == in)
                        {
                            throw new IllegalStateException("function table not on the classpath: " + RESOURCE);
                        }
                        table = parse(new InputStreamReader(in, StandardCharsets.UTF_8));
                    }
                    catch (final IOException ex)
                    {
                        throw new UncheckedIOException(ex);
                    }
                    defaultTable = table;
                }
            }
        }
        return table;
    }

    /**
     * Parse a table.
     *
     * @param reader the table text.
     * @return the table.
     * @throws IOException              when reading fails.
     * @throws IllegalArgumentException naming the line on a syntax error.
     */
    public static FunctionTable parse(final Reader reader) throws IOException
    {
        final List<FunctionInfo> functions = new ArrayList<>();
        final Set<Integer> ids = new HashSet<>();
        final Set<String> names = new HashSet<>();
        final BufferedReader in = new BufferedReader(reader);
        String line;
        int lineNumber = 0;
        while (null != (line = in.readLine()))
        {
            lineNumber++;
            final String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#"))
            {
                continue;
            }
            try
            {
                final FunctionInfo info = parseRow(trimmed);
                if (!ids.add(info.id()))
                {
                    throw new IllegalArgumentException("id already in use: " + info.id());
                }
                if (!names.add(info.name()))
                {
                    throw new IllegalArgumentException("name already in use: " + info.name());
                }
                functions.add(info);
            }
            catch (final RuntimeException ex)
            {
                throw new IllegalArgumentException("functions.tbl line " + lineNumber + ": " + ex.getMessage(), ex);
            }
        }
        return new FunctionTable(functions);
    }

    private static FunctionInfo parseRow(final String line)
    {
        final String[] fields = line.split("\\|", -1);
        if (7 != fields.length)
        {
            throw new IllegalArgumentException("expected 7 fields separated by '|', found " + fields.length);
        }
        final int id = Integer.parseInt(fields[0].strip());
        if (id <= 0 || id > MAX_ID)
        {
            throw new IllegalArgumentException("id out of range: " + id);
        }
        final String name = fields[1].strip();
        if (!NAME.matcher(name).matches())
        {
            throw new IllegalArgumentException("bad function name: '" + name + "'");
        }
        final List<RecordItem> items = parseRecord(fields[4].strip());
        final ResultKind resultKind = ResultKind.byTableName(fields[5].strip());
        if (null == resultKind)
        {
            throw new IllegalArgumentException("unknown result kind: '" + fields[5].strip() + "'");
        }

        Effect effect = Effect.NONE;
        final Set<String> flags = new HashSet<>();
        for (final String word : fields[6].strip().split("\\s+"))
        {
            if (word.isEmpty())
            {
                continue;
            }
            final Effect e = Effect.byTableName(word);
            if (null != e && Effect.NONE != e)
            {
                if (Effect.NONE != effect)
                {
                    throw new IllegalArgumentException("two effects: " + effect.tableName() + " and " + word);
                }
                effect = e;
            }
            else if (FunctionInfo.FLAGS.contains(word))
            {
                flags.add(word);
            }
            else if (!"-".equals(word))
            {
                throw new IllegalArgumentException("unknown effect or flag: '" + word + "'");
            }
        }
        return new FunctionInfo(id, name, items, resultKind, effect, flags);
    }

    private static List<RecordItem> parseRecord(final String record)
    {
        final List<RecordItem> items = new ArrayList<>();
        if (record.isEmpty() || "-".equals(record))
        {
            return items;
        }
        // an expression may contain spaces: a token that does not start a new item continues the previous one
        final List<String> tokens = new ArrayList<>();
        for (final String token : record.split("\\s+"))
        {
            if (ITEM_START.matcher(token).matches() || tokens.isEmpty())
            {
                tokens.add(token);
            }
            else
            {
                tokens.set(tokens.size() - 1, tokens.getLast() + " " + token);
            }
        }
        int slot = 0;
        int string = 0;
        final Set<String> names = new HashSet<>();
        for (final String token : tokens)
        {
            final int colon = token.indexOf(':');
            if (colon <= 0)
            {
                throw new IllegalArgumentException("record item without kind: '" + token + "'");
            }
            final String itemName = token.substring(0, colon);
            int end = colon + 1;
            while (end < token.length() && Character.isLetter(token.charAt(end)))
            {
                end++;
            }
            final String kindName = token.substring(colon + 1, end);
            final String rest = token.substring(end);
            if (!rest.isEmpty() && !rest.startsWith("=") && !rest.startsWith("@post="))
            {
                throw new IllegalArgumentException("bad record item: '" + token + "'");
            }
            if (!NAME.matcher(itemName).matches() || !names.add(itemName))
            {
                throw new IllegalArgumentException("bad or repeated record item name: '" + itemName + "'");
            }
            final ArgKind kind = ArgKind.byTableName(kindName);
            if (null == kind)
            {
                throw new IllegalArgumentException("unknown kind '" + kindName + "' of record item " + itemName);
            }
            items.add(new RecordItem(itemName, kind, kind.isScalar() ? slot++ : string++));
        }
        return items;
    }

    /**
     * @param id a ring record type.
     * @return the row, or null when the id is not in the table.
     */
    public FunctionInfo byId(final int id)
    {
        return id >= 0 && id < byId.length ? byId[id] : null;
    }

    /**
     * @param name a function name.
     * @return the row, or null.
     */
    public FunctionInfo byName(final String name)
    {
        for (final FunctionInfo info : functions)
        {
            if (info.name().equals(name))
            {
                return info;
            }
        }
        return null;
    }

    /** @return every row in table order. */
    public List<FunctionInfo> functions()
    {
        return functions;
    }
}
