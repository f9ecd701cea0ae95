/*
 * Generates the C wrappers of libiotrace_shared.so from functions.tbl (the one table of traced functions).
 *
 *   java gen/GenerateWrappers.java functions.tbl build/gen
 *
 * writes build/gen/iotrace_functions.gen.h (function ids, real-symbol typedefs and table) and
 * build/gen/iotrace_wrappers.gen.c (one exported wrapper per non-meta row). Every behaviour of a wrapper follows
 * from its row: record items (slots, strings, `=expr` before the call, `@post=expr` after it), result kind
 * (failure/EOF convention), effect (known-fd bookkeeping, exec state) and flags (variadic_mode, variadic_arg,
 * publish_before). The grammar is the one of io.iotrace.core.format.FunctionTable; a row this generator cannot
 * translate is an error naming the line, never a silently skipped function.
 */

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class GenerateWrappers
{
    static final Set<String> SCALAR_KINDS = Set.of(
        "fd", "int", "size", "offset", "pointer", "oflags", "mode", "whence", "prot", "mapflags", "fcntlcmd",
        "dupflags", "stream");
    static final Set<String> STRING_KINDS = Set.of("path", "str", "argv");
    static final Set<String> RESULT_KINDS = Set.of(
        "fd", "read_bytes", "written_bytes", "status", "new_offset", "mmap_address", "stream", "stream_status",
        "read_items", "written_items", "pid", "value");
    static final Set<String> EFFECTS = Set.of(
        "open", "close", "dup", "dup2", "fcntl", "fopen", "fdopen", "fclose", "use", "mmap", "munmap", "chdir",
        "fchdir", "fork", "exec", "discovered");
    static final Set<String> FLAGS = Set.of("variadic_mode", "variadic_arg", "publish_before", "meta");

    /** Largest record (header + payload) the shim writes: capacity / 8 of the smallest ring (64 KiB). */
    static final int MAX_RECORD = 8192;
    static final int MAX_STRING = 4096;

    static final Pattern ITEM_START = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]*:[a-z]+.*");
    static final Pattern NAME = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]*$");
    static final Pattern PARAM = Pattern.compile("^(.*?)([A-Za-z_][A-Za-z0-9_]*)\\s*(\\[\\s*\\])?$");

    record Param(String type, String name, String text) { }

    /** when: "" (a parameter or `=expr`, known before the call) or "post" (computed after it). */
    record Item(String name, String kind, String expr, boolean post, int position)
    {
        boolean scalar()
        {
            return SCALAR_KINDS.contains(kind);
        }
    }

    record Row(
        int line, int id, String name, String returns, List<Param> params, Param variadic, List<Item> items,
        String result, String effect, Set<String> flags)
    {
        boolean meta()
        {
            return flags.contains("meta");
        }

        int slots()
        {
            return (int)items.stream().filter(Item::scalar).count();
        }

        int strings()
        {
            return items.size() - slots();
        }

        Item itemNamed(final String n)
        {
            return items.stream().filter(i -> i.name.equals(n)).findFirst().orElse(null);
        }

        Item itemOfKind(final String k)
        {
            return items.stream().filter(i -> i.kind.equals(k)).findFirst().orElse(null);
        }

        Param param(final String n)
        {
            for (final Param p : params)
            {
                if (p.name.equals(n))
                {
                    return p;
                }
            }
            return null != variadic && variadic.name.equals(n) ? variadic : null;
        }

        String macro()
        {
            return "IOTRACE_FN_" + name.toUpperCase(Locale.ROOT);
        }

        String realType()
        {
            return "iotrace_real_" + name + "_t";
        }

        String protoParams()
        {
            if (params.isEmpty() && null == variadic)
            {
                return "void";
            }
            final List<String> parts = new ArrayList<>();
            for (final Param p : params)
            {
                parts.add(p.text);
            }
            if (null != variadic)
            {
                parts.add("...");
            }
            return String.join(", ", parts);
        }

        String callArgs()
        {
            final List<String> parts = new ArrayList<>();
            for (final Param p : params)
            {
                parts.add(p.name);
            }
            if (null != variadic)
            {
                parts.add(variadic.name);
            }
            return String.join(", ", parts);
        }

        boolean isVoid()
        {
            return "void".equals(returns.strip());
        }
    }

    static final class TableError extends RuntimeException
    {
        TableError(final String message)
        {
            super(message);
        }
    }

    public static void main(final String[] args) throws IOException
    {
        if (2 != args.length)
        {
            System.err.println("usage: java GenerateWrappers.java functions.tbl <output dir>");
            System.exit(2);
        }
        final Path table = Path.of(args[0]);
        final Path out = Path.of(args[1]);
        final List<Row> rows;
        try
        {
            rows = parse(Files.readAllLines(table, StandardCharsets.UTF_8));
        }
        catch (final TableError ex)
        {
            System.err.println(table + ": " + ex.getMessage());
            System.exit(1);
            return;
        }
        Files.createDirectories(out);
        write(out.resolve("iotrace_functions.gen.h"), header(rows, table));
        write(out.resolve("iotrace_wrappers.gen.c"), wrappers(rows, table));
    }

    static void write(final Path file, final String text) throws IOException
    {
        // write-then-rename so an interrupted build never leaves half a file that make thinks is up to date
        final Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    // ------------------------------------------------------------------------------------------------ parsing

    static List<Row> parse(final List<String> lines)
    {
        final List<Row> rows = new ArrayList<>();
        final Set<Integer> ids = new HashSet<>();
        final Set<String> names = new HashSet<>();
        for (int i = 0; i < lines.size(); i++)
        {
            final String trimmed = lines.get(i).strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#"))
            {
                continue;
            }
            try
            {
                final Row row = parseRow(i + 1, trimmed);
                if (!ids.add(row.id))
                {
                    throw new TableError("id already in use: " + row.id);
                }
                if (!names.add(row.name))
                {
                    throw new TableError("name already in use: " + row.name);
                }
                rows.add(row);
            }
            catch (final TableError | NumberFormatException ex)
            {
                throw new TableError("line " + (i + 1) + ": " + ex.getMessage());
            }
        }
        return rows;
    }

    static Row parseRow(final int line, final String text)
    {
        final String[] f = text.split("\\|", -1);
        if (7 != f.length)
        {
            throw new TableError("expected 7 fields separated by '|', found " + f.length);
        }
        final int id = Integer.parseInt(f[0].strip());
        if (id <= 0 || id > 65535)
        {
            throw new TableError("id out of range: " + id);
        }
        final String name = f[1].strip();
        if (!NAME.matcher(name).matches())
        {
            throw new TableError("bad function name '" + name + "'");
        }
        final String returns = f[2].strip();
        final List<Param> params = new ArrayList<>();
        Param variadic = null;
        final String paramText = f[3].strip();
        if (!paramText.equals("-") && !paramText.equals("void") && !paramText.isEmpty())
        {
            final String[] parts = paramText.split(",");
            for (int i = 0; i < parts.length; i++)
            {
                final String p = parts[i].strip();
                if (p.startsWith("..."))
                {
                    if (i != parts.length - 1)
                    {
                        throw new TableError("'...' must be the last parameter");
                    }
                    final String rest = p.substring(3).strip();
                    if (rest.isEmpty())
                    {
                        throw new TableError("'...' needs '<type> <name>' (the variadic argument the wrapper reads)");
                    }
                    variadic = param(rest);
                }
                else
                {
                    params.add(param(p));
                }
            }
        }

        final Set<String> flags = new LinkedHashSet<>();
        String effect = null;
        for (final String word : f[6].strip().split("\\s+"))
        {
            if (word.isEmpty() || word.equals("-"))
            {
                continue;
            }
            if (EFFECTS.contains(word))
            {
                if (null != effect)
                {
                    throw new TableError("two effects: " + effect + " and " + word);
                }
                effect = word;
            }
            else if (FLAGS.contains(word))
            {
                flags.add(word);
            }
            else
            {
                throw new TableError("unknown effect or flag '" + word + "'");
            }
        }
        if (null == effect)
        {
            effect = "use";
        }
        final String result = f[5].strip();
        if (!RESULT_KINDS.contains(result))
        {
            throw new TableError("unknown result kind '" + result + "'");
        }
        final List<Item> items = parseRecord(f[4].strip());
        final Row row = new Row(line, id, name, returns, params, variadic, items, result, effect, flags);
        if (!row.meta())
        {
            check(row);
        }
        return row;
    }

    static Param param(final String text)
    {
        final Matcher m = PARAM.matcher(text);
        if (!m.matches() || m.group(1).isBlank())
        {
            throw new TableError("cannot read parameter '" + text + "' (expected '<type> <name>')");
        }
        String type = m.group(1).strip();
        if (null != m.group(3))
        {
            type = type + " *"; // `char *const argv[]` is a pointer parameter
        }
        return new Param(type, m.group(2), text);
    }

    static List<Item> parseRecord(final String record)
    {
        final List<Item> items = new ArrayList<>();
        if (record.isEmpty() || record.equals("-"))
        {
            return items;
        }
        final List<String> tokens = new ArrayList<>();
        for (final String token : record.split("\\s+"))
        {
            if (ITEM_START.matcher(token).matches() || tokens.isEmpty())
            {
                tokens.add(token);
            }
            else
            {
                tokens.set(tokens.size() - 1, tokens.getLast() + " " + token); // an expression with spaces
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
                throw new TableError("record item without kind: '" + token + "'");
            }
            final String name = token.substring(0, colon);
            int end = colon + 1;
            while (end < token.length() && Character.isLetter(token.charAt(end)))
            {
                end++;
            }
            final String kind = token.substring(colon + 1, end);
            final String rest = token.substring(end);
            String expr = null;
            boolean post = false;
            if (rest.startsWith("@post="))
            {
                expr = rest.substring(6);
                post = true;
            }
            else if (rest.startsWith("="))
            {
                expr = rest.substring(1);
            }
            else if (!rest.isEmpty())
            {
                throw new TableError("bad record item '" + token + "'");
            }
            if (null != expr && expr.isBlank())
            {
                throw new TableError("empty expression in record item '" + token + "'");
            }
            if (!NAME.matcher(name).matches() || !names.add(name))
            {
                throw new TableError("bad or repeated record item name '" + name + "'");
            }
            final boolean scalar = SCALAR_KINDS.contains(kind);
            if (!scalar && !STRING_KINDS.contains(kind))
            {
                throw new TableError("unknown kind '" + kind + "' of record item " + name);
            }
            if (post && !scalar)
            {
                throw new TableError("@post is only supported for scalar kinds (item " + name + ")");
            }
            items.add(new Item(name, kind, expr, post, scalar ? slot++ : string++));
        }
        return items;
    }

    /** Everything the wrapper code needs from a row, checked up front so the C compiler never has to say it. */
    static void check(final Row row)
    {
        for (final Param p : row.params)
        {
            if (p.name.equals("ret") || p.name.startsWith("it_") || p.name.startsWith("item_"))
            {
                throw new TableError("parameter name '" + p.name + "' is reserved by the generated code" +
                    " (ret, it_*, item_*)");
            }
        }
        for (final Item item : row.items)
        {
            if (null == item.expr && null == row.param(item.name))
            {
                throw new TableError("record item '" + item.name + "' is not a parameter of " + row.name +
                    "; give it an expression (" + item.name + ":" + item.kind + "=<C expression>)");
            }
        }
        if (row.flags.contains("variadic_mode") || row.flags.contains("variadic_arg"))
        {
            if (null == row.variadic)
            {
                throw new TableError(String.join("/", row.flags) + " needs a '... <type> <name>' parameter");
            }
            if (row.params.isEmpty())
            {
                throw new TableError("a variadic function needs a named parameter before '...'");
            }
        }
        else if (null != row.variadic)
        {
            throw new TableError("'...' parameter without variadic_mode or variadic_arg flag");
        }
        if (row.flags.contains("variadic_mode") && null == row.itemOfKind("oflags"))
        {
            throw new TableError("variadic_mode needs an oflags record item (the flags deciding whether mode is read)");
        }
        switch (row.result)
        {
            case "read_items", "written_items" ->
            {
                if (null == row.itemOfKind("stream") || null == row.param("nmemb"))
                {
                    throw new TableError(row.result + " needs a stream record item and a parameter nmemb");
                }
            }
            default -> { }
        }
        switch (row.effect)
        {
            case "fcntl" ->
            {
                if (null == row.itemOfKind("fcntlcmd"))
                {
                    throw new TableError("effect fcntl needs a fcntlcmd record item");
                }
            }
            case "close", "fclose", "fopen" ->
            {
                final Item fd = row.itemNamed("fd");
                if (null == fd || !fd.kind.equals("fd"))
                {
                    throw new TableError("effect " + row.effect + " needs a record item fd:fd");
                }
                if (row.effect.equals("fopen") != fd.post)
                {
                    throw new TableError("effect " + row.effect + ": item fd must " +
                        (fd.post ? "not " : "") + "be @post");
                }
            }
            default -> { }
        }
        if (row.isVoid())
        {
            throw new TableError("a wrapped function returning void is not supported");
        }
    }

    // ------------------------------------------------------------------------------------------------ output

    static String header(final List<Row> rows, final Path table)
    {
        final StringBuilder s = new StringBuilder();
        s.append("/* Generated from ").append(table.getFileName()).append(" by gen/GenerateWrappers.java: do not edit. */\n");
        s.append("#ifndef IOTRACE_FUNCTIONS_GEN_H\n#define IOTRACE_FUNCTIONS_GEN_H\n\n");
        s.append("#include <stdio.h>\n#include <sys/types.h>\n#include <sys/uio.h>\n\n");
        s.append("/* function ids = ring record types */\n");
        for (final Row r : rows)
        {
            s.append(String.format("#define %-32s %d%n", r.macro(), r.id));
        }
        s.append("\n/* record shape of every row: scalar slots and string items */\n");
        for (final Row r : rows)
        {
            s.append(String.format("#define %-40s %d%n", r.macro() + "_SLOTS", r.slots()));
            s.append(String.format("#define %-40s %d%n", r.macro() + "_STRINGS", r.strings()));
        }
        s.append("\n/* largest record the shim writes (header included): capacity / 8 of the smallest ring */\n");
        s.append("#define IOTRACE_MAX_RECORD ").append(MAX_RECORD).append("\n\n");
        s.append("/* indices into iotrace_real_fns (the real symbols, resolved with dlsym(RTLD_NEXT)) */\n");
        int index = 0;
        for (final Row r : rows)
        {
            if (!r.meta())
            {
                s.append(String.format("#define %-40s %d%n", "IOTRACE_REAL_" + r.name.toUpperCase(Locale.ROOT), index++));
            }
        }
        s.append("#define IOTRACE_REAL_COUNT ").append(index).append("\n\n");
        for (final Row r : rows)
        {
            if (!r.meta())
            {
                s.append("typedef ").append(r.returns).append(" (*").append(r.realType()).append(")(")
                    .append(r.protoParams()).append(");\n");
            }
        }
        s.append("\n/* resolved lazily; NULL until then (written atomically, the same value by every writer) */\n");
        s.append("extern void *iotrace_real_fns[IOTRACE_REAL_COUNT];\n");
        s.append("extern const char *const iotrace_real_names[IOTRACE_REAL_COUNT];\n\n");
        s.append("#endif /* IOTRACE_FUNCTIONS_GEN_H */\n");
        return s.toString();
    }

    static String wrappers(final List<Row> rows, final Path table)
    {
        final StringBuilder s = new StringBuilder();
        s.append("/* Generated from ").append(table.getFileName()).append(" by gen/GenerateWrappers.java: do not edit.\n");
        s.append(" * One wrapper per non-meta row. Shape of every wrapper:\n");
        s.append(" *   not traceable (re-entered, disabled, initialising) -> the real call, nothing else;\n");
        s.append(" *   else: unknown fd arguments are discovered, slots filled, the real call timed (guard released\n");
        s.append(" *   around it so nested and signal-handler calls are traced), result/status/strings encoded,\n");
        s.append(" *   effects applied to the known-fd table, the event published, errno restored. */\n");
        s.append("#include \"iotrace_runtime.h\"\n\n");
        s.append("void *iotrace_real_fns[IOTRACE_REAL_COUNT];\n\n");
        s.append("const char *const iotrace_real_names[IOTRACE_REAL_COUNT] = {\n");
        for (final Row r : rows)
        {
            if (!r.meta())
            {
                s.append("    \"").append(r.name).append("\",\n");
            }
        }
        s.append("};\n");
        for (final Row r : rows)
        {
            if (!r.meta())
            {
                wrapper(s, r);
            }
        }
        return s.toString();
    }

    static int bufferBytes(final Row r)
    {
        int bytes = 8 + 32 + 8 * r.slots();
        for (final Item i : r.items)
        {
            if (!i.scalar())
            {
                bytes += 2 + MAX_STRING; // argv: as much as the record has room for
            }
        }
        bytes = Math.min(bytes, MAX_RECORD);
        return (bytes + 7) & ~7;
    }

    static String valueOf(final Row r, final Item i)
    {
        if (null != i.expr)
        {
            return "item_" + i.name;
        }
        return r.param(i.name).name;
    }

    static String failureValue(final Row r)
    {
        return switch (r.result)
        {
            case "mmap_address" -> "MAP_FAILED";
            case "stream" -> "NULL";
            case "stream_status" -> "EOF";
            case "read_items", "written_items" -> "0";
            default -> "-1";
        };
    }

    static void wrapper(final StringBuilder s, final Row r)
    {
        final boolean exec = r.effect.equals("exec");
        final boolean before = r.flags.contains("publish_before");
        final String real = "IOTRACE_REAL_" + r.name.toUpperCase(Locale.ROOT);

        s.append("\n/* ").append(r.id).append(" ").append(r.name).append(": record `");
        s.append(String.join(" ", r.items.stream().map(i -> i.name + ":" + i.kind +
            (null == i.expr ? "" : (i.post ? "@post=" : "=") + i.expr)).toList()));
        s.append("`, result ").append(r.result).append(", effect ").append(r.effect);
        if (!r.flags.isEmpty())
        {
            s.append(", flags ").append(String.join(" ", r.flags));
        }
        s.append(" */\n");
        s.append("IOTRACE_EXPORT ").append(r.returns).append(r.returns.endsWith("*") ? "" : " ").append(r.name)
            .append("(").append(r.protoParams()).append(")\n{\n");

        // the variadic argument is read first: va_start must see the untouched argument list
        if (null != r.variadic)
        {
            final String last = r.params.getLast().name;
            s.append("    ").append(r.variadic.type).append(" ").append(r.variadic.name).append(" = 0;\n");
            if (r.flags.contains("variadic_mode"))
            {
                final String flags = valueOf(r, r.itemOfKind("oflags"));
                s.append("    if ((").append(flags).append(" & O_CREAT) || (").append(flags)
                    .append(" & O_TMPFILE) == O_TMPFILE) {\n");
                s.append("        va_list ap;\n        va_start(ap, ").append(last).append(");\n");
                s.append("        ").append(r.variadic.name).append(" = va_arg(ap, ").append(r.variadic.type)
                    .append(");\n        va_end(ap);\n    }\n");
            }
            else
            {
                s.append("    {\n        va_list ap;\n        va_start(ap, ").append(last).append(");\n");
                s.append("        ").append(r.variadic.name).append(" = va_arg(ap, ").append(r.variadic.type)
                    .append(");\n        va_end(ap);\n    }\n");
            }
        }
        // errno as the caller left it: our own work (lazy init, fd discovery) must not leak into it
        s.append("    int it_saved_errno = errno;\n");
        s.append("    ").append(r.realType()).append(" it_real = (").append(r.realType()).append(")iotrace_real(")
            .append(real).append(");\n");
        s.append("    if (__builtin_expect(it_real == NULL, 0)) {\n");
        s.append("        errno = ENOSYS; /* only while dlsym itself is being resolved: nothing to forward to */\n");
        s.append("        return ").append(failureValue(r)).append(";\n    }\n");
        if (exec)
        {
            s.append("    if (iotrace_in_vfork_child()) /* a vfork child shares our memory: leave the ring alone */\n");
            s.append("        return it_real(").append(r.callArgs()).append(");\n");
        }
        s.append("    if (!iotrace_enter()) {\n        errno = it_saved_errno;\n        return it_real(").append(r.callArgs())
            .append(");\n    }\n");

        // values computed before the call
        for (final Item i : r.items)
        {
            if (null != i.expr && !i.post)
            {
                s.append("    uint64_t item_").append(i.name).append(" = (uint64_t)(uintptr_t)(").append(i.expr)
                    .append(");\n");
            }
        }
        for (final Item i : r.items)
        {
            if (i.kind.equals("fd") && !i.post)
            {
                s.append("    iotrace_fd_use((int)").append(valueOf(r, i)).append(");\n");
            }
        }
        final int words = bufferBytes(r) / 8;
        s.append("    uint64_t it_buf[").append(words).append("];\n");
        s.append("    struct iotrace_event it_ev;\n");
        s.append("    iotrace_ev_init(&it_ev, it_buf, sizeof it_buf, ").append(r.macro()).append("_SLOTS);\n");
        for (final Item i : r.items)
        {
            if (i.scalar() && !i.post)
            {
                s.append("    iotrace_ev_slot(&it_ev, ").append(i.position).append(", (uint64_t)(uintptr_t)(")
                    .append(valueOf(r, i)).append("));\n");
            }
        }
        if (before)
        {
            // strings read before the call: the call may never return
            strings(s, r, "    ");
        }
        s.append("    int64_t it_t0 = iotrace_now_ns();\n");
        if (before)
        {
            s.append("    /* published before the call: if it never returns, this IN_FLIGHT event stays */\n");
            if (exec)
            {
                s.append("    iotrace_exec_begin();\n");
            }
            s.append("    iotrace_ev_publish(&it_ev, ").append(r.macro())
                .append(", it_t0, it_t0, 0, IOTRACE_STATUS_IN_FLIGHT, 0);\n");
        }
        s.append("    iotrace_leave(); /* guard released during the real call: nested and signal-handler calls are traced */\n");
        s.append("    errno = it_saved_errno;\n");
        s.append("    ").append(r.returns).append(" ret = it_real(").append(r.callArgs()).append(");\n");
        s.append("    int it_err = errno;\n");
        s.append("    int64_t it_t1 = iotrace_now_ns();\n");
        s.append("    iotrace_reenter();\n");
        if (exec)
        {
            s.append("    iotrace_exec_failed(); /* we are still here: the exec failed */\n");
        }
        for (final Item i : r.items)
        {
            if (i.post)
            {
                s.append("    uint64_t item_").append(i.name).append(" = (uint64_t)(uintptr_t)(").append(i.expr)
                    .append(");\n");
                s.append("    iotrace_ev_slot(&it_ev, ").append(i.position).append(", item_").append(i.name).append(");\n");
            }
        }
        s.append("    uint16_t it_status = 0;\n");
        s.append(statusCode(r));
        if (!before)
        {
            if (r.strings() > 0)
            {
                // read after the call: a bad pointer is reported by the call as EFAULT instead of crashing us
                s.append("    if (!((it_status & IOTRACE_STATUS_FAILED) && it_err == EFAULT)) {\n");
                strings(s, r, "        ");
                s.append("    } else {\n");
                s.append("        iotrace_ev_empty_strings(&it_ev, ").append(r.macro()).append("_STRINGS);\n");
                s.append("    }\n");
            }
        }
        s.append(effectCode(r));
        s.append("    iotrace_ev_publish(&it_ev, ").append(r.macro()).append(", it_t0, it_t1, (uint64_t)(uintptr_t)ret, it_status, it_err);\n");
        s.append("    iotrace_leave();\n");
        s.append("    errno = it_err;\n");
        s.append("    return ret;\n}\n");
    }

    static void strings(final StringBuilder s, final Row r, final String indent)
    {
        for (final Item i : r.items)
        {
            if (i.scalar())
            {
                continue;
            }
            final String v = valueOf(r, i);
            if (i.kind.equals("argv"))
            {
                s.append(indent).append("iotrace_ev_argv(&it_ev, (char *const *)").append(v).append(");\n");
            }
            else
            {
                s.append(indent).append("iotrace_ev_str(&it_ev, (const char *)").append(v).append(");\n");
            }
        }
    }

    static String statusCode(final Row r)
    {
        final String failed = "        it_status |= IOTRACE_STATUS_FAILED;\n";
        return switch (r.result)
        {
            case "fd", "written_bytes", "status", "new_offset", "pid", "value" ->
                "    if (ret == -1)\n" + failed;
            case "read_bytes" -> "    if (ret == -1)\n" + failed + "    else if (ret == 0)\n" +
                "        it_status |= IOTRACE_STATUS_EOF;\n";
            case "mmap_address" -> "    if (ret == MAP_FAILED)\n" + failed;
            case "stream" -> "    if (ret == NULL)\n" + failed;
            case "stream_status" -> "    if (ret == EOF)\n" + failed;
            case "read_items" ->
            {
                final String stream = valueOf(r, r.itemOfKind("stream"));
                yield "    if (ret < nmemb) {\n" +
                    "        if (iotrace_stream_eof(" + stream + "))\n            it_status |= IOTRACE_STATUS_EOF;\n" +
                    "        if (iotrace_stream_error(" + stream + "))\n            it_status |= IOTRACE_STATUS_FAILED;\n" +
                    "    }\n";
            }
            case "written_items" ->
            {
                final String stream = valueOf(r, r.itemOfKind("stream"));
                yield "    if (ret < nmemb && iotrace_stream_error(" + stream + "))\n" + failed;
            }
            default -> throw new TableError("line " + r.line + ": no status rule for result " + r.result);
        };
    }

    static String effectCode(final Row r)
    {
        return switch (r.effect)
        {
            case "open", "dup", "dup2" -> "    if (ret >= 0)\n        iotrace_fd_set((int)ret);\n";
            case "fcntl" ->
            {
                final String cmd = valueOf(r, r.itemOfKind("fcntlcmd"));
                yield "    if ((" + cmd + " == F_DUPFD || " + cmd + " == F_DUPFD_CLOEXEC) && ret >= 0)\n" +
                    "        iotrace_fd_set((int)ret);\n";
            }
            case "fopen" -> "    if (ret != NULL)\n        iotrace_fd_set((int)" + valueOf(r, r.itemNamed("fd")) + ");\n";
            case "close" -> "    if (ret == 0)\n        iotrace_fd_clear((int)" + valueOf(r, r.itemNamed("fd")) + ");\n";
            case "fclose" -> "    if (ret == 0)\n        iotrace_fd_clear((int)" + valueOf(r, r.itemNamed("fd")) + ");\n";
            default -> ""; // use, fdopen, mmap, munmap, chdir, fchdir, fork, exec: nothing for the shim's fd table
        };
    }
}
