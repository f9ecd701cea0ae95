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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The traced functions, parsed from {@code functions.tbl}: the one parser of the table, used by the collector to
 * decode events (Maven puts the table on the classpath as {@code io/iotrace/core/format/functions.tbl}) and by the
 * C wrapper generator {@code native-shim/gen/GenerateWrappers.java} at build time.
 * <p>
 * Grammar: '#' starts a comment line; every other non-blank line has seven '|'-separated fields: id, name,
 * returns, params, record, result, effect. The params field is the C parameter list ({@code -} or {@code void}
 * for none), its last entry may be {@code ... <type> <name>}, the variadic argument the wrapper reads. The record
 * field is a space separated list of {@code name:kind}, {@code name:kind=<C expression>} or
 * {@code name:kind@post=<C expression>} ({@code @post}: not argv); scalar kinds take the slots in order,
 * string kinds follow in order. The effect field holds one effect word and flag words. Rows that are not
 * {@code meta} are also checked for what their generated wrapper relies on (items name parameters or have an
 * expression, variadic flags match the params, the items an effect or result kind needs are there). Every error
 * names the line. Immutable after construction, so it may be shared by threads.
 */
public final class FunctionTable
{
    /** Classpath location of the table. */
    public static final String RESOURCE = "/io/iotrace/core/format/functions.tbl";
    /** Largest id accepted (ids index an array). */
    public static final int MAX_ID = 65535;

    // The table is parsed by plain scanners, not regular expressions: the collector parses it at start-up in the
    // interpreter, where the expressions took ~60% of the ~100 ms parse (JFR); the grammar is in the comments.

    /** The variadic "parameter" of a row with flag forward=<name>: the va_list the wrapper hands on. */
    private static final CParameter FORWARDED_VARIADIC = new CParameter("va_list", "it_ap", "...");

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
     * @throws IllegalArgumentException naming the line on a syntax error ("functions.tbl line N: ...").
     */
    public static FunctionTable parse(final Reader reader) throws IOException
    {
        return parse(reader, "functions.tbl");
    }

    /**
     * Parse a table.
     *
     * @param reader the table text.
     * @param source what the errors call the table, e.g. its path.
     * @return the table.
     * @throws IOException              when reading fails.
     * @throws IllegalArgumentException naming the line on a syntax error ("&lt;source&gt; line N: ...").
     */
    public static FunctionTable parse(final Reader reader, final String source) throws IOException
    {
        final List<FunctionInfo> functions = new ArrayList<>();
        final Set<Integer> ids = new HashSet<>();
        final Set<String> names = new HashSet<>();
        final Set<String> sysNames = new HashSet<>();
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
                if (null != info.sysName() && !sysNames.add(info.sysName()))
                {
                    throw new IllegalArgumentException("syscall already traced by another row: " + info.sysName());
                }
                functions.add(info);
            }
            catch (final RuntimeException ex)
            {
                throw new IllegalArgumentException(source + " line " + lineNumber + ": " + ex.getMessage(), ex);
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
        if (!isName(name))
        {
            throw new IllegalArgumentException("bad function name: '" + name + "'");
        }
        final String returnType = fields[2].strip();
        final List<CParameter> parameters = new ArrayList<>();
        final List<CParameter> variadics = parseParameters(fields[3].strip(), parameters);
        final List<RecordItem> items = parseRecord(fields[4].strip());
        final ResultKind resultKind = ResultKind.byTableName(fields[5].strip());
        if (null == resultKind)
        {
            throw new IllegalArgumentException("unknown result kind: '" + fields[5].strip() + "'");
        }

        Effect effect = Effect.NONE;
        final Set<String> flags = new LinkedHashSet<>();
        for (final String word : words(fields[6]))
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
            else if (FunctionInfo.FLAGS.contains(word) ||
                word.startsWith(FunctionInfo.FLAG_SYS + "=") && isName(word.substring(4)) ||
                (word.startsWith(FunctionInfo.FLAG_FORWARD_PREFIX) &&
                isName(word.substring(FunctionInfo.FLAG_FORWARD_PREFIX.length()))))
            {
                flags.add(word);
            }
            else if (!"-".equals(word))
            {
                throw new IllegalArgumentException("unknown effect or flag: '" + word + "'");
            }
        }
        final FunctionInfo info =
            new FunctionInfo(id, name, returnType, parameters, variadics, items, resultKind, effect, flags);
        if (!info.hasFlag(FunctionInfo.FLAG_META) && !info.hasFlag(FunctionInfo.FLAG_HANDWRITTEN))
        {
            checkWrapped(info);
        }
        return info;
    }

    /**
     * Parse the params field into the named parameters.
     *
     * @param text       the field ({@code -}, {@code void} or empty for none).
     * @param parameters receives the named parameters in order.
     * @return the variadic arguments ({@code ... <type> <name>[, <type> <name>...]}, last), empty for none.
     */
    private static List<CParameter> parseParameters(final String text, final List<CParameter> parameters)
    {
        final List<CParameter> variadics = new ArrayList<>();
        if (text.isEmpty() || "-".equals(text) || "void".equals(text))
        {
            return variadics;
        }
        boolean afterEllipsis = false;
        for (final String raw : text.split(","))
        {
            final String part = raw.strip();
            if (part.startsWith("..."))
            {
                if (afterEllipsis)
                {
                    throw new IllegalArgumentException("'...' written twice");
                }
                afterEllipsis = true;
                final String rest = part.substring(3).strip();
                if (rest.isEmpty() && !parameters.isEmpty())
                {
                    // forwarded as a va_list to the real v-function (flag forward=<name>, checked later)
                    variadics.add(FORWARDED_VARIADIC);
                }
                else if (rest.isEmpty())
                {
                    throw new IllegalArgumentException(
                        "'...' needs '<type> <name>' (the variadic argument the wrapper reads)");
                }
                else
                {
                    variadics.add(parseParameter(rest));
                }
            }
            else if (afterEllipsis)
            {
                variadics.add(parseParameter(part)); // a further variadic argument (sem_open's value)
            }
            else
            {
                parameters.add(parseParameter(part));
            }
        }
        return variadics;
    }

    /** {@code <type> <name>} or {@code <type> <name>[<digits>]}: the name is the identifier at the end. */
    private static CParameter parseParameter(final String text)
    {
        int end = text.length();
        boolean array = false;
        if (end > 0 && ']' == text.charAt(end - 1))
        {
            final int open = text.lastIndexOf('[');
            if (open < 0)
            {
                throw badParameter(text);
            }
            final String size = text.substring(open + 1, end - 1).strip();
            for (int i = 0; i < size.length(); i++)
            {
                if (size.charAt(i) < '0' || size.charAt(i) > '9')
                {
                    throw badParameter(text);
                }
            }
            array = true;
            end = open;
            while (end > 0 && Character.isWhitespace(text.charAt(end - 1)))
            {
                end--;
            }
        }
        int start = end;
        while (start > 0 && isNameChar(text.charAt(start - 1)))
        {
            start--;
        }
        while (start < end && text.charAt(start) >= '0' && text.charAt(start) <= '9')
        {
            start++; // an identifier starts with a letter or '_'
        }
        final String type = text.substring(0, start).strip();
        if (start == end || type.isEmpty())
        {
            throw badParameter(text);
        }
        // `char *const argv[]` and `const struct timespec times[2]` are pointer parameters
        return new CParameter(array ? type + " *" : type, text.substring(start, end), text);
    }

    private static IllegalArgumentException badParameter(final String text)
    {
        return new IllegalArgumentException("cannot read parameter '" + text + "' (expected '<type> <name>')");
    }

    /** @return true for a C identifier: [A-Za-z_][A-Za-z0-9_]*. */
    private static boolean isName(final String text)
    {
        if (text.isEmpty() || (text.charAt(0) >= '0' && text.charAt(0) <= '9'))
        {
            return false;
        }
        for (int i = 0; i < text.length(); i++)
        {
            if (!isNameChar(text.charAt(i)))
            {
                return false;
            }
        }
        return true;
    }

    private static boolean isNameChar(final char c)
    {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || '_' == c;
    }

    /** @return true for a token that starts a record item: {@code <name>:<lowercase kind>...}. */
    private static boolean startsItem(final String token)
    {
        final int colon = token.indexOf(':');
        return colon > 0 && isName(token.substring(0, colon)) && colon + 1 < token.length() &&
            token.charAt(colon + 1) >= 'a' && token.charAt(colon + 1) <= 'z';
    }

    /** @return the whitespace-separated words of text (none for blank text). */
    private static List<String> words(final String text)
    {
        final List<String> words = new ArrayList<>();
        int i = 0;
        final int n = text.length();
        while (i < n)
        {
            while (i < n && Character.isWhitespace(text.charAt(i)))
            {
                i++;
            }
            final int start = i;
            while (i < n && !Character.isWhitespace(text.charAt(i)))
            {
                i++;
            }
            if (i > start)
            {
                words.add(text.substring(start, i));
            }
        }
        return words;
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
        for (final String token : words(record))
        {
            if (startsItem(token) || tokens.isEmpty())
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
            String expression = null;
            boolean post = false;
            if (rest.startsWith("@post="))
            {
                expression = rest.substring(6);
                post = true;
            }
            else if (rest.startsWith("="))
            {
                expression = rest.substring(1);
            }
            else if (!rest.isEmpty())
            {
                throw new IllegalArgumentException("bad record item: '" + token + "'");
            }
            if (null != expression && expression.isBlank())
            {
                throw new IllegalArgumentException("empty expression in record item '" + token + "'");
            }
            if (!isName(itemName) || !names.add(itemName))
            {
                throw new IllegalArgumentException("bad or repeated record item name: '" + itemName + "'");
            }
            final ArgKind kind = ArgKind.byTableName(kindName);
            if (null == kind)
            {
                throw new IllegalArgumentException("unknown kind '" + kindName + "' of record item " + itemName);
            }
            if (post && ArgKind.ARGV == kind)
            {
                throw new IllegalArgumentException("@post is not supported for argv (item " + itemName + ")");
            }
            items.add(new RecordItem(itemName, kind, kind.isScalar() ? slot++ : string++, expression, post));
        }
        return items;
    }

    /**
     * Everything the generated C wrapper of a non-meta row relies on, checked here so that a bad row is an error
     * naming its line rather than C that does not compile (or a function silently not traced).
     */
    private static void checkWrapped(final FunctionInfo row)
    {
        for (final CParameter p : row.parameters())
        {
            if (p.name().equals("ret") || p.name().startsWith("it_") || p.name().startsWith("item_"))
            {
                throw new IllegalArgumentException("parameter name '" + p.name() +
                    "' is reserved by the generated code (ret, it_*, item_*)");
            }
        }
        for (final RecordItem item : row.items())
        {
            if (!item.isComputed() && null == row.parameter(item.name()))
            {
                throw new IllegalArgumentException("record item '" + item.name() + "' is not a parameter of " +
                    row.name() + "; give it an expression (" + item.name() + ":" + item.kind().tableName() +
                    "=<C expression>)");
            }
        }
        if ((null != row.forwardTo()) != (FORWARDED_VARIADIC == row.variadic()))
        {
            throw new IllegalArgumentException(
                "a bare '...' parameter and the flag forward=<v-function> go together (the wrapper calls the " +
                "real v-function with a va_list)");
        }
        if (row.hasFlag(FunctionInfo.FLAG_SYSCALL_DISPATCH))
        {
            if (null == row.variadic() || 1 != row.parameters().size() || !"long".equals(row.returnType()))
            {
                throw new IllegalArgumentException(
                    "syscall_dispatch is for long syscall(long <number>, ... long <name>)");
            }
        }
        else if (FORWARDED_VARIADIC == row.variadic())
        {
            if (row.hasFlag(FunctionInfo.FLAG_VARIADIC_MODE) || row.hasFlag(FunctionInfo.FLAG_VARIADIC_ARG))
            {
                throw new IllegalArgumentException("forward=<v-function> excludes variadic_mode/variadic_arg");
            }
        }
        else if (row.hasFlag(FunctionInfo.FLAG_VARIADIC_MODE) || row.hasFlag(FunctionInfo.FLAG_VARIADIC_ARG))
        {
            if (null == row.variadic())
            {
                throw new IllegalArgumentException(
                    String.join("/", row.flags()) + " needs a '... <type> <name>' parameter");
            }
            if (row.parameters().isEmpty())
            {
                throw new IllegalArgumentException("a variadic function needs a named parameter before '...'");
            }
        }
        else if (null != row.variadic())
        {
            throw new IllegalArgumentException("'...' parameter without variadic_mode or variadic_arg flag");
        }
        if (row.hasFlag(FunctionInfo.FLAG_KEEP_ENV) && null == row.parameter("envp"))
        {
            throw new IllegalArgumentException("keep_env needs a parameter envp (the environment passed on)");
        }
        if (row.hasFlag(FunctionInfo.FLAG_NORETURN) &&
            (!row.hasFlag(FunctionInfo.FLAG_PUBLISH_BEFORE) || !"void".equals(row.returnType())))
        {
            throw new IllegalArgumentException("noreturn needs publish_before and return type void");
        }
        if (row.hasFlag(FunctionInfo.FLAG_VARIADIC_MODE) && null == row.itemOfKind(ArgKind.OFLAGS))
        {
            throw new IllegalArgumentException(
                "variadic_mode needs an oflags record item (the flags deciding whether mode is read)");
        }
        if ((ResultKind.READ_ITEMS == row.resultKind() || ResultKind.WRITTEN_ITEMS == row.resultKind()) &&
            (null == row.itemOfKind(ArgKind.STREAM) || null == row.parameter("nmemb")))
        {
            throw new IllegalArgumentException(
                row.resultKind().tableName() + " needs a stream record item and a parameter nmemb");
        }
        checkStdio(row);
        switch (row.effect())
        {
            case FCNTL ->
            {
                if (null == row.itemOfKind(ArgKind.FCNTLCMD))
                {
                    throw new IllegalArgumentException("effect fcntl needs a fcntlcmd record item");
                }
            }
            case CLOSE, FCLOSE, FOPEN ->
            {
                final RecordItem fd = row.item("fd");
                final String effect = row.effect().tableName();
                if (null == fd || ArgKind.FD != fd.kind())
                {
                    throw new IllegalArgumentException("effect " + effect + " needs a record item fd:fd");
                }
                if ((Effect.FOPEN == row.effect()) != fd.post())
                {
                    throw new IllegalArgumentException(
                        "effect " + effect + ": item fd must " + (fd.post() ? "not " : "") + "be @post");
                }
            }
            case TRANSFER -> requireItems(row, "fd", ArgKind.FD, "out_fd", ArgKind.FD);
            case CLOSE_RANGE -> requireItems(row, "first", ArgKind.INT);
            case MREMAP -> requireItems(row, "addr", ArgKind.POINTER, "length", ArgKind.SIZE,
                "new_length", ArgKind.SIZE);
            case MAPPING -> requireItems(row, "addr", ArgKind.POINTER, "length", ArgKind.SIZE);
            case NEWFD -> requireItems(row, "fd_name", ArgKind.STR);
            case FDPAIR -> requireItems(row, "fd0", ArgKind.FD, "fd1", ArgKind.FD, "fd0_name", ArgKind.STR,
                "fd1_name", ArgKind.STR);
            case SOCKNAME, ACCEPT -> requireItems(row, "fd", ArgKind.FD, "sockaddr", ArgKind.STR);
            case MPI_OPEN -> requireItems(row, "path", ArgKind.PATH, "fh", ArgKind.MPIFILE);
            case MPI_CLOSE, MPI_USE -> requireItems(row, "fh", ArgKind.MPIFILE);
            case MPI_COMPLETE -> requireItems(row, "request", ArgKind.MPIREQUEST, "completed", ArgKind.INT);
            default ->
            {
            }
        }
        checkDirectoriesAndHandles(row);
        if (null != row.sysName() && ("void".equals(row.returnType()) || ResultKind.ERRCODE == row.resultKind()))
        {
            throw new IllegalArgumentException("sys needs a row whose result is returned as the syscall returns it");
        }
        if (row.hasFlag(FunctionInfo.FLAG_SYSCALL_ONLY) && null == row.sysName())
        {
            throw new IllegalArgumentException("syscall_only needs the flag sys");
        }
        if (ResultKind.AIO_BYTES == row.resultKind() && (row.slotOf("lio_opcode") < 0 || row.slotOf("aiocb") < 0))
        {
            throw new IllegalArgumentException("result aio_bytes needs scalar items lio_opcode and aiocb");
        }
        if ((ResultKind.MPI_READ == row.resultKind() || ResultKind.MPI_WRITE == row.resultKind() ||
            ResultKind.MPI_TRANSFER == row.resultKind()) && row.slotOf("bytes") < 0)
        {
            throw new IllegalArgumentException("result " + row.resultKind().tableName() + " needs a scalar item bytes");
        }
        if ("void".equals(row.returnType()) != (ResultKind.NONE == row.resultKind()))
        {
            throw new IllegalArgumentException("result kind none is for, and only for, functions returning void");
        }
    }

    /** What the result kinds and effects of the directories / glibc-internal handles family rely on. */
    private static void checkDirectoriesAndHandles(final FunctionInfo row)
    {
        if (row.hasFlag(FunctionInfo.FLAG_PUBLISH_BEFORE))
        {
            for (final RecordItem item : row.items())
            {
                if (item.post() && !item.kind().isScalar())
                {
                    throw new IllegalArgumentException("publish_before reads strings before the call: item " +
                        item.name() + " cannot be @post");
                }
            }
        }
        if (ResultKind.DIR_ENTRY_R == row.resultKind() && null == row.parameter("result"))
        {
            throw new IllegalArgumentException("result kind dir_entry_r needs a parameter result (struct dirent **)");
        }
        if (Effect.MAPFILE == row.effect() &&
            (0 > row.pathString() || null == row.item("length") || ArgKind.SIZE != row.item("length").kind()))
        {
            throw new IllegalArgumentException("effect mapfile needs a path item and an item length:size");
        }
    }

    /** What the stdio result kinds and effects read from a row. */
    private static void checkStdio(final FunctionInfo row)
    {
        final List<String> needed = new ArrayList<>();
        switch (row.resultKind())
        {
            case PUT_STRING, PUT_WSTRING, GET_STRING, GET_WSTRING -> needed.add("length");
            case SCANNED -> needed.addAll(List.of("offset_before", "offset_after"));
            default ->
            {
            }
        }
        switch (row.resultKind())
        {
            case GET_CHAR, GET_WCHAR, GET_STRING, GET_WSTRING, GET_LINE, SCANNED -> needed.add("stream");
            default ->
            {
            }
        }
        switch (row.effect())
        {
            case FREOPEN -> needed.addAll(List.of("stream", "old_fd", "fd"));
            case POPEN -> needed.addAll(List.of("fd", "inode"));
            default ->
            {
            }
        }
        for (final String name : needed)
        {
            final RecordItem item = row.item(name);
            if (null == item || !item.kind().isScalar() || ("stream".equals(name) && ArgKind.STREAM != item.kind()))
            {
                throw new IllegalArgumentException("result kind " + row.resultKind().tableName() + " / effect " +
                    row.effect().tableName() + " needs a scalar record item named " + name);
            }
        }
        if ((Effect.FREOPEN == row.effect() || Effect.POPEN == row.effect()) && !row.item("fd").post())
        {
            throw new IllegalArgumentException("effect " + row.effect().tableName() + ": item fd must be @post");
        }
    }

    /** An effect's named record items: pairs of item name and kind. */
    private static void requireItems(final FunctionInfo row, final Object... namesAndKinds)
    {
        for (int i = 0; i < namesAndKinds.length; i += 2)
        {
            final RecordItem item = row.item((String)namesAndKinds[i]);
            if (null == item || namesAndKinds[i + 1] != item.kind())
            {
                throw new IllegalArgumentException("effect " + row.effect().tableName() + " needs a record item " +
                    namesAndKinds[i] + ":" + ((ArgKind)namesAndKinds[i + 1]).tableName());
            }
        }
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
