/*
 * Generates the C wrappers of libiotrace_shared.so from functions.tbl (the one table of traced functions).
 *
 *   java -cp ../tracer-core/target/classes gen/GenerateWrappers.java functions.tbl build/gen
 *
 * writes build/gen/iotrace_functions.gen.h (function ids, real-symbol typedefs and table) and
 * build/gen/iotrace_wrappers.gen.c (one exported wrapper per non-meta row). Every behaviour of a wrapper follows
 * from its row: record items (slots, strings, `=expr` before the call, `@post=expr` after it), result kind
 * (failure/EOF convention), effect (known-fd bookkeeping, exec state) and flags (variadic_mode, variadic_arg,
 * publish_before). Rows with flag sys get their body as a static function taking the syscall() call that reached
 * it (it_sys, NULL from the exported wrapper): the generated syscall() (the row with flag syscall_dispatch) switches
 * on the number to those bodies, whose real call is then syscall() with the unchanged number and six arguments;
 * other numbers get the generic record of the syscall row. The table is read by io.iotrace.core.format.FunctionTable, the parser the collector decodes
 * events with (hence the classpath: tracer-core's compiled classes); it also rejects, naming the line, every row
 * this generator could not translate, so no function is ever silently skipped.
 */

import io.iotrace.core.format.ArgKind;
import io.iotrace.core.format.CParameter;
import io.iotrace.core.format.Effect;
import io.iotrace.core.format.FunctionInfo;
import io.iotrace.core.format.FunctionTable;
import io.iotrace.core.format.RecordItem;
import io.iotrace.core.format.ResultKind;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

public class GenerateWrappers
{
    /** Largest record (header + payload) the shim writes: capacity / 8 of the smallest ring (64 KiB). */
    static final int MAX_RECORD = 8192;
    static final int MAX_STRING = 4096;

    public static void main(final String[] args) throws IOException
    {
        if (2 != args.length)
        {
            System.err.println(
                "usage: java -cp <tracer-core classes> GenerateWrappers.java functions.tbl <output dir>");
            System.exit(2);
        }
        final Path table = Path.of(args[0]);
        final Path out = Path.of(args[1]);
        final List<FunctionInfo> rows;
        try (Reader reader = Files.newBufferedReader(table, StandardCharsets.UTF_8))
        {
            rows = FunctionTable.parse(reader, table.toString()).functions();
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println(ex.getMessage()); // "<table> line N: what is wrong"
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

    // ------------------------------------------------------------------------------------------------ rows

    /** Rows without a generated wrapper: meta events, and functions written by hand in src/procs.c. */
    static boolean meta(final FunctionInfo r)
    {
        return r.hasFlag(FunctionInfo.FLAG_META) || r.hasFlag(FunctionInfo.FLAG_HANDWRITTEN);
    }

    /** @return true for rows with a libc symbol of their own (resolved with dlsym, exported by the shim). */
    static boolean wrapsSymbol(final FunctionInfo r)
    {
        return !meta(r) && !r.hasFlag(FunctionInfo.FLAG_SYSCALL_ONLY);
    }

    /** How a row's body makes its real call. */
    enum Real
    {
        /** the libc function only (it_real). */
        SYMBOL,
        /** the libc function, or syscall(SYS_x, ...) when it_sys is not NULL (rows with flag sys). */
        EITHER,
        /** syscall() only (syscall_only rows and the generic record of syscall() itself). */
        SYSCALL
    }

    static Real realOf(final FunctionInfo r)
    {
        if (r.hasFlag(FunctionInfo.FLAG_SYSCALL_ONLY) || r.hasFlag(FunctionInfo.FLAG_SYSCALL_DISPATCH))
        {
            return Real.SYSCALL;
        }
        return null != r.sysName() ? Real.EITHER : Real.SYMBOL;
    }

    static String bodyName(final FunctionInfo r)
    {
        return "iotrace_body_" + r.name();
    }

    /** The real call as a C expression of the row's return type. */
    static String realCall(final FunctionInfo r)
    {
        final String viaSyscall = "(" + r.returnType() + ")(intptr_t)IOTRACE_SYSCALL_CALL(it_sys)";
        return switch (realOf(r))
        {
            case SYMBOL -> "it_real(" + callArgs(r) + ")";
            case EITHER -> "(it_sys != NULL ? " + viaSyscall + " : it_real(" + callArgs(r) + "))";
            case SYSCALL -> viaSyscall;
        };
    }

    static String macro(final FunctionInfo r)
    {
        return "IOTRACE_FN_" + upper(r);
    }

    /** The name for C macros: upper case, and _CAPS when the symbol has capitals (_Exit next to _exit). */
    static String upper(final FunctionInfo r)
    {
        final String name = r.name();
        final String upper = name.toUpperCase(Locale.ROOT);
        return name.equals(name.toLowerCase(Locale.ROOT)) ? upper : upper + "_CAPS";
    }

    static String realType(final FunctionInfo r)
    {
        return "iotrace_real_" + r.name() + "_t";
    }

    static String protoParams(final FunctionInfo r)
    {
        if (r.parameters().isEmpty() && null == r.variadic())
        {
            return "void";
        }
        final List<String> parts = new ArrayList<>();
        for (final CParameter p : r.parameters())
        {
            parts.add(p.text());
        }
        if (null != r.variadic())
        {
            parts.add("...");
        }
        return String.join(", ", parts);
    }

    /** The real symbol called: the row's own, or the v-function of a {@code forward=} row. */
    static String realName(final FunctionInfo r)
    {
        if (r.hasFlag(FunctionInfo.FLAG_PMPI))
        {
            return "P" + r.name(); // the profiling interface: PMPI_File_open is the library's own MPI_File_open
        }
        return null != r.forwardTo() ? r.forwardTo() : r.name();
    }

    /** Parameters of the real symbol: a {@code forward=} row's v-function takes a va_list for the {@code ...}. */
    static String realParams(final FunctionInfo r)
    {
        if (null == r.forwardTo())
        {
            return protoParams(r);
        }
        final List<String> parts = new ArrayList<>();
        for (final CParameter p : r.parameters())
        {
            parts.add(p.text());
        }
        parts.add("va_list " + r.variadic().name());
        return String.join(", ", parts);
    }

    static String callArgs(final FunctionInfo r)
    {
        final List<String> parts = new ArrayList<>();
        for (final CParameter p : r.parameters())
        {
            parts.add(p.name());
        }
        for (final CParameter v : r.variadics())
        {
            parts.add(v.name());
        }
        return String.join(", ", parts);
    }

    // ------------------------------------------------------------------------------------------------ output

    static String header(final List<FunctionInfo> rows, final Path table)
    {
        final StringBuilder s = new StringBuilder();
        s.append("/* Generated from ").append(table.getFileName()).append(" by gen/GenerateWrappers.java: do not edit. */\n");
        s.append("#ifndef IOTRACE_FUNCTIONS_GEN_H\n#define IOTRACE_FUNCTIONS_GEN_H\n\n");
        s.append("#include <aio.h>\n#include <stdarg.h>\n#include <stdio.h>\n#include <sys/types.h>\n#include <sys/uio.h>\n#include <wchar.h>\n\n");
        // sockets section: socklen_t, msghdr, sigset_t, epoll_event, itimerspec, eventfd_t
        s.append("#include <signal.h>\n#include <time.h>\n#include <sys/epoll.h>\n#include <sys/eventfd.h>\n")
            .append("#include <sys/socket.h>\n\n");
        s.append("/* function ids = ring record types */\n");
        for (final FunctionInfo r : rows)
        {
            s.append(String.format("#define %-32s %d%n", macro(r), r.id()));
        }
        s.append("\n/* record shape of every row: scalar slots and string items */\n");
        for (final FunctionInfo r : rows)
        {
            s.append(String.format("#define %-40s %d%n", macro(r) + "_SLOTS", r.scalarCount()));
            s.append(String.format("#define %-40s %d%n", macro(r) + "_STRINGS", r.stringCount()));
        }
        s.append("\n/* largest record the shim writes (header included): capacity / 8 of the smallest ring */\n");
        s.append("#define IOTRACE_MAX_RECORD ").append(MAX_RECORD).append("\n\n");
        s.append("/* indices into iotrace_real_fns (the real symbols, resolved with dlsym(RTLD_NEXT)) */\n");
        int index = 0;
        for (final FunctionInfo r : rows)
        {
            if (wrapsSymbol(r))
            {
                s.append(String.format("#define %-40s %d%n", "IOTRACE_REAL_" + upper(r), index++));
            }
        }
        s.append("#define IOTRACE_REAL_COUNT ").append(index).append("\n\n");
        for (final FunctionInfo r : rows)
        {
            if (wrapsSymbol(r))
            {
                s.append("typedef ").append(r.returnType()).append(" (*").append(realType(r)).append(")(")
                    .append(realParams(r)).append(");\n");
            }
        }
        s.append("\n/* resolved lazily; NULL until then (written atomically, the same value by every writer) */\n");
        s.append("extern void *iotrace_real_fns[IOTRACE_REAL_COUNT];\n");
        s.append("extern const char *const iotrace_real_names[IOTRACE_REAL_COUNT];\n\n");
        s.append("#endif /* IOTRACE_FUNCTIONS_GEN_H */\n");
        return s.toString();
    }

    static String wrappers(final List<FunctionInfo> rows, final Path table)
    {
        final StringBuilder s = new StringBuilder();
        s.append("/* Generated from ").append(table.getFileName()).append(" by gen/GenerateWrappers.java: do not edit.\n");
        s.append(" * One wrapper per non-meta row. Shape of every wrapper:\n");
        s.append(" *   not traceable (re-entered, disabled, initialising) -> the real call, nothing else;\n");
        s.append(" *   else: unknown fd arguments are discovered, slots filled, the real call timed (guard released\n");
        s.append(" *   around it so nested and signal-handler calls are traced), result/status/strings encoded,\n");
        s.append(" *   effects applied to the known-fd table, the event published, errno restored. */\n");
        s.append("/* no extern-inline bodies or macros of libc functions (getc_unlocked, fread_unlocked at -O2): the\n");
        s.append(" * wrappers define those symbols themselves */\n");
        s.append("#ifndef __NO_INLINE__\n#define __NO_INLINE__ 1\n#endif\n");
        s.append("#include \"iotrace_runtime.h\"\n\n");
        s.append("void *iotrace_real_fns[IOTRACE_REAL_COUNT];\n\n");
        s.append("const char *const iotrace_real_names[IOTRACE_REAL_COUNT] = {\n");
        for (final FunctionInfo r : rows)
        {
            if (wrapsSymbol(r))
            {
                s.append("    \"").append(realName(r)).append("\",\n");
            }
        }
        s.append("};\n");
        for (final FunctionInfo r : rows)
        {
            if (!meta(r))
            {
                wrapper(s, r, redirectedByHeaders(r, rows));
            }
        }
        for (final FunctionInfo r : rows)
        {
            if (r.hasFlag(FunctionInfo.FLAG_SYSCALL_DISPATCH))
            {
                syscallDispatcher(s, r, rows);
            }
        }
        return s.toString();
    }

    static int bufferBytes(final FunctionInfo r)
    {
        int bytes = 8 + 32 + 8 * r.scalarCount();
        for (final RecordItem i : r.items())
        {
            if (!i.kind().isScalar())
            {
                bytes += 2 + MAX_STRING; // argv: as much as the record has room for
            }
        }
        bytes = Math.min(bytes, MAX_RECORD);
        return (bytes + 7) & ~7;
    }

    static String valueOf(final FunctionInfo r, final RecordItem i)
    {
        if (i.isComputed())
        {
            return "item_" + i.name();
        }
        return r.parameter(i.name()).name();
    }

    /** The untraced path: the real call and its result, nothing else. */
    static String forward(final FunctionInfo r)
    {
        final String call = realCall(r) + ";";
        if (r.hasFlag(FunctionInfo.FLAG_NORETURN))
        {
            return "{ " + call + " __builtin_unreachable(); }";
        }
        return isVoid(r) ? "{ " + call + " return; }" : "return " + call;
    }

    static boolean isVoid(final FunctionInfo r)
    {
        return "void".equals(r.returnType());
    }

    static String failureValue(final FunctionInfo r)
    {
        return switch (r.resultKind())
        {
            case MMAP_ADDRESS -> "MAP_FAILED";
            case STREAM -> "NULL";
            case STREAM_STATUS -> "EOF";
            case READ_ITEMS, WRITTEN_ITEMS -> "0";
            case ERRCODE, DIR_ENTRY_R -> "ENOSYS";
            case POINTER, DIR_ENTRY, GET_STRING, GET_WSTRING -> "NULL";
            case PUT_WCHAR, GET_WCHAR -> "WEOF";
            default -> "-1"; // EOF too
        };
    }

    /**
     * glibc's headers (C99 and later) declare fscanf as an alias of __isoc99_fscanf: a row X whose table also has
     * __isoc99_X gets its wrapper defined under another C name with the asm label X, or the two would collide.
     */
    static boolean redirectedByHeaders(final FunctionInfo r, final List<FunctionInfo> rows)
    {
        return rows.stream().anyMatch(o -> o.name().equals("__isoc99_" + r.name()));
    }

    static void wrapper(final StringBuilder s, final FunctionInfo r, final boolean redirected)
    {
        s.append("\n/* ").append(r.id()).append(" ").append(r.name()).append(": record `");
        s.append(String.join(" ", Arrays.stream(r.items()).map(i -> i.name() + ":" + i.kind().tableName() +
            (null == i.expression() ? "" : (i.post() ? "@post=" : "=") + i.expression())).toList()));
        s.append("`, result ").append(r.resultKind().tableName()).append(", effect ").append(r.effect().tableName());
        if (!r.flags().isEmpty())
        {
            s.append(", flags ").append(String.join(" ", r.flags()));
        }
        s.append(" */\n");
        final String space = r.returnType().endsWith("*") ? "" : " ";
        final Real realKind = realOf(r);
        if (Real.SYMBOL != realKind)
        {
            // one body shared by the exported wrapper and the syscall() dispatcher (it_sys: that call, or NULL)
            final List<String> params = new ArrayList<>();
            for (final CParameter p : r.parameters())
            {
                params.add(p.type() + " " + p.name());
            }
            if (!r.hasFlag(FunctionInfo.FLAG_SYSCALL_DISPATCH))
            {
                for (final CParameter v : r.variadics())
                {
                    params.add(v.type() + " " + v.name());
                }
            }
            params.add("const struct iotrace_syscall *it_sys");
            s.append("static ").append(r.returnType()).append(space).append(bodyName(r)).append("(")
                .append(String.join(", ", params)).append(")\n{\n");
            body(s, r);
            if (Real.EITHER == realKind)
            {
                s.append("\nIOTRACE_EXPORT ").append(r.returnType()).append(space).append(r.name()).append("(")
                    .append(protoParams(r)).append(")\n{\n");
                readVariadic(s, r);
                s.append("    return ").append(bodyName(r)).append("(").append(callArgs(r))
                    .append(callArgs(r).isEmpty() ? "" : ", ").append("NULL);\n}\n");
            }
            return;
        }
        if (null != r.forwardTo())
        {
            // the `...` cannot be handed on: the exported function makes a va_list, the body (below) takes it
            s.append("static ").append(r.returnType()).append(space).append(forwardBody(r)).append("(")
                .append(realParams(r)).append(");\n");
            final String exported = redirected ? "iotrace_exported_" + r.name() : r.name();
            if (redirected)
            {
                s.append("IOTRACE_EXPORT ").append(r.returnType()).append(space).append(exported).append("(")
                    .append(protoParams(r)).append(") __asm__(\"").append(r.name()).append("\");\n");
            }
            s.append("IOTRACE_EXPORT ").append(r.returnType()).append(space).append(exported).append("(")
                .append(protoParams(r)).append(")\n{\n");
            s.append("    va_list it_ap;\n    va_start(it_ap, ").append(r.parameters().getLast().name()).append(");\n");
            final List<String> args = new ArrayList<>();
            r.parameters().forEach(p -> args.add(p.name()));
            args.add("it_ap");
            s.append("    ").append(r.returnType()).append(" it_r = ").append(forwardBody(r)).append("(")
                .append(String.join(", ", args)).append(");\n");
            s.append("    va_end(it_ap);\n    return it_r;\n}\n");
            s.append("static ").append(r.returnType()).append(space).append(forwardBody(r)).append("(")
                .append(realParams(r)).append(")\n{\n");
        }
        else
        {
            final String exported = redirected ? "iotrace_exported_" + r.name() : r.name();
            if (redirected)
            {
                s.append("IOTRACE_EXPORT ").append(r.returnType()).append(space).append(exported).append("(")
                    .append(protoParams(r)).append(") __asm__(\"").append(r.name()).append("\");\n");
            }
            s.append("IOTRACE_EXPORT ").append(r.returnType()).append(space)
                .append(exported).append("(").append(protoParams(r)).append(")\n{\n");
        }

        if (null == r.forwardTo())
        {
            readVariadic(s, r);
        }
        body(s, r);
    }

    /** Reads the variadic argument into a local of its name: first, va_start must see the untouched list. */
    static void readVariadic(final StringBuilder s, final FunctionInfo r)
    {
        if (null != r.variadic())
        {
            final String last = r.parameters().getLast().name();
            final StringBuilder reads = new StringBuilder();
            for (final CParameter v : r.variadics())
            {
                s.append("    ").append(v.type()).append(" ").append(v.name()).append(" = 0;\n");
                reads.append("        ").append(v.name()).append(" = va_arg(ap, ").append(v.type()).append(");\n");
            }
            if (r.hasFlag(FunctionInfo.FLAG_VARIADIC_MODE))
            {
                final String flags = valueOf(r, r.itemOfKind(ArgKind.OFLAGS));
                s.append("    if ((").append(flags).append(" & O_CREAT) || (").append(flags)
                    .append(" & O_TMPFILE) == O_TMPFILE) {\n");
            }
            else
            {
                s.append("    {\n");
            }
            s.append("        va_list ap;\n        va_start(ap, ").append(last).append(");\n");
            s.append(reads);
            s.append("        va_end(ap);\n    }\n");
        }
    }

    /** Everything after the variadic argument: the traced call (the caller has opened the function). */
    static void body(final StringBuilder s, final FunctionInfo r)
    {
        final boolean exec = Effect.EXEC == r.effect();
        final boolean before = r.hasFlag(FunctionInfo.FLAG_PUBLISH_BEFORE);
        final String real = "IOTRACE_REAL_" + upper(r);
        final Real realKind = realOf(r);
        // errno as the caller left it: our own work (lazy init, fd discovery) must not leak into it
        if (Real.SYSCALL == realKind)
        {
            // the real call passes syscall()'s own six arguments: the parameters are only for the record items
            for (final CParameter p : r.parameters())
            {
                s.append("    (void)").append(p.name()).append(";\n");
            }
        }
        s.append("    int it_saved_errno = errno;\n");
        if (Real.SYMBOL == realKind)
        {
            s.append("    ").append(realType(r)).append(" it_real = (").append(realType(r)).append(")iotrace_real(")
                .append(real).append(");\n");
            s.append("    if (__builtin_expect(it_real == NULL, 0)) {\n");
            s.append("        errno = ENOSYS; /* only while dlsym itself is being resolved: nothing to forward to */\n");
            if (r.hasFlag(FunctionInfo.FLAG_NORETURN))
            {
                s.append("        for (;;)\n            syscall(SYS_exit_group, 127); /* must not return */\n    }\n");
            }
            else
            {
                s.append("        return").append(isVoid(r) ? "" : " " + failureValue(r)).append(";\n    }\n");
            }
        }
        else if (Real.EITHER == realKind)
        {
            s.append("    ").append(realType(r)).append(" it_real = NULL;\n");
            s.append("    if (it_sys == NULL) {\n");
            s.append("        it_real = (").append(realType(r)).append(")iotrace_real(").append(real).append(");\n");
            s.append("        if (__builtin_expect(it_real == NULL, 0)) {\n");
            s.append("            errno = ENOSYS; /* only while dlsym itself is being resolved */\n");
            s.append("            return ").append(failureValue(r)).append(";\n        }\n    }\n");
        }
        s.append("    if (!iotrace_enter()) {\n        errno = it_saved_errno;\n        ").append(forward(r))
            .append("\n    }\n");

        // values computed before the call
        for (final RecordItem i : r.items())
        {
            if (i.isComputed() && !i.post())
            {
                s.append("    uint64_t item_").append(i.name()).append(" = (uint64_t)(uintptr_t)(")
                    .append(i.expression()).append(");\n");
            }
        }
        for (final RecordItem i : r.items())
        {
            if (ArgKind.FD == i.kind() && !i.post())
            {
                s.append("    iotrace_fd_use((int)").append(valueOf(r, i)).append(");\n");
            }
        }
        final int words = bufferBytes(r) / 8;
        s.append("    uint64_t it_buf[").append(words).append("];\n");
        s.append("    struct iotrace_event it_ev;\n");
        s.append("    iotrace_ev_init(&it_ev, it_buf, sizeof it_buf, ").append(macro(r)).append("_SLOTS);\n");
        if (r.hasFlag(FunctionInfo.FLAG_KEEP_ENV))
        {
            // no malloc (we may be in a vfork child): the copy lives in this frame, the call never needs it after
            s.append("    char it_envbuf[IOTRACE_KEEP_ENV_BYTES];\n");
            s.append("    envp = iotrace_keep_env(envp, it_envbuf, sizeof it_envbuf, &it_ev.status);\n");
        }
        for (final RecordItem i : r.items())
        {
            if (i.kind().isScalar() && !i.post())
            {
                s.append("    iotrace_ev_slot(&it_ev, ").append(i.position()).append(", (uint64_t)(uintptr_t)(")
                    .append(valueOf(r, i)).append("));\n");
            }
        }
        if (before)
        {
            // strings read before the call: the call may never return
            strings(s, r, "    ");
        }
        final boolean pmpiStatus = r.hasFlag(FunctionInfo.FLAG_PMPI) && null != r.parameter("status");
        if (pmpiStatus)
        {
            // MPI_STATUS_IGNORE: the call fills a status of ours, so the byte count can be read after it
            s.append("    uint64_t it_mpi_status[IOTRACE_MPI_STATUS_WORDS];\n");
            s.append("    status = iotrace_mpi_status_or_own(status, it_mpi_status);\n");
        }
        s.append("    int64_t it_t0 = iotrace_now_ns();\n");
        if (before)
        {
            s.append("    /* published before the call: if it never returns, this IN_FLIGHT event stays */\n");
            if (exec)
            {
                s.append("    iotrace_exec_begin();\n");
            }
            s.append("    iotrace_ev_publish(&it_ev, ").append(macro(r))
                .append(", it_t0, it_t0, 0, IOTRACE_STATUS_IN_FLIGHT, 0);\n");
        }
        final String closedFd = closedBeforeCall(r);
        if (null != closedFd)
        {
            // before the call: once the kernel has closed it, another thread's open may get this number and mark it
            // known, and a clear after the call would erase that (the open's later records then "discovered" it)
            s.append("    iotrace_fd_clear((int)").append(closedFd).append(");\n");
        }
        s.append("    iotrace_release(); /* guard released during the real call: nested and signal-handler calls are traced */\n");
        if (ResultKind.DIR_ENTRY == r.resultKind())
        {
            s.append("    errno = 0; /* readdir: NULL with errno still 0 is the end of the directory */\n");
        }
        else
        {
            s.append("    errno = it_saved_errno;\n");
        }
        if (r.hasFlag(FunctionInfo.FLAG_NORETURN))
        {
            s.append("    ").append(realCall(r)).append(";\n");
            s.append("    __builtin_unreachable(); /* the IN_FLIGHT event published above is the record */\n}\n");
            return;
        }
        if (isVoid(r))
        {
            s.append("    it_real(").append(callArgs(r)).append(");\n");
            s.append("    const uint64_t ret = 0; /* void: recorded as 0 */\n");
        }
        else
        {
            final boolean mpiIo = r.hasFlag(FunctionInfo.FLAG_PMPI) && r.name().startsWith("MPI_File_");
            if (mpiIo)
            {
                s.append("    iotrace_mpi_io_depth++; /* POSIX records of the real call: IN_MPI */\n");
            }
            s.append("    ").append(r.returnType()).append(" ret = ").append(realCall(r)).append(";\n");
            if (mpiIo)
            {
                s.append("    iotrace_mpi_io_depth--;\n");
            }
        }
        s.append("    int it_err = errno;\n");
        if (ResultKind.DIR_ENTRY == r.resultKind())
        {
            s.append("    int it_dir_errno = it_err; /* 0 unless the call set errno */\n");
            s.append("    if (it_err == 0)\n        it_err = it_saved_errno; /* the caller's errno, as if we were not here */\n");
        }
        s.append("    int64_t it_t1 = iotrace_now_ns();\n");
        s.append("    iotrace_reenter();\n");
        if (exec)
        {
            s.append("    iotrace_exec_failed(); /* we are still here: the exec failed */\n");
        }
        for (final RecordItem i : r.items())
        {
            if (i.post())
            {
                s.append("    uint64_t item_").append(i.name()).append(" = (uint64_t)(uintptr_t)(")
                    .append(i.expression()).append(");\n");
                if (i.kind().isScalar()) // a string item computed after the call is copied with the strings below
                {
                    s.append("    iotrace_ev_slot(&it_ev, ").append(i.position()).append(", item_").append(i.name())
                        .append(");\n");
                }
            }
        }
        s.append("    uint16_t it_status = 0;\n");
        s.append(statusCode(r));
        if (Real.SYMBOL != realKind && !r.hasFlag(FunctionInfo.FLAG_SYSCALL_DISPATCH))
        {
            s.append("    if (it_sys != NULL)\n        it_status |= IOTRACE_STATUS_VIA_SYSCALL;\n");
        }
        if (!before)
        {
            if (r.stringCount() > 0)
            {
                // read after the call: a bad pointer is reported by the call as EFAULT instead of crashing us
                s.append("    if (!((it_status & IOTRACE_STATUS_FAILED) && it_err == EFAULT)) {\n");
                strings(s, r, "        ");
                s.append("    } else {\n");
                s.append("        iotrace_ev_empty_strings(&it_ev, ").append(macro(r)).append("_STRINGS);\n");
                s.append("    }\n");
            }
        }
        s.append(effectCode(r));
        // errcode calls report their error in the result; errno is left as the call left it
        // aio_return: a failed request's error is in the aiocb (aio_return itself does not set errno)
        final String recordedErrno = switch (r.resultKind())
        {
            case ERRCODE, DIR_ENTRY_R -> "(int)ret";
            case DIR_ENTRY -> "it_dir_errno";
            case MPI_ERROR, MPI_READ, MPI_WRITE, MPI_TRANSFER -> "0"; // the MPI error code is the result
            case AIO_BYTES -> "(ret == -1 ? IOTRACE_AIOCB_ERROR(" + valueOf(r, r.item("aiocb")) + ") : it_err)";
            default -> "it_err";
        };
        s.append("    iotrace_ev_publish(&it_ev, ").append(macro(r)).append(", it_t0, it_t1, (uint64_t)(uintptr_t)ret, it_status, ")
            .append(recordedErrno).append(");\n");
        s.append("    iotrace_leave();\n");
        s.append("    errno = it_err;\n");
        s.append(isVoid(r) ? "}\n" : "    return ret;\n}\n");
    }

    /**
     * libc's syscall(): the number picks the row traced as that call (flag sys), whose body runs with the real
     * call syscall(number, the six arguments); numbers of no row get the generic record of the syscall row.
     */
    static void syscallDispatcher(final StringBuilder s, final FunctionInfo dispatch, final List<FunctionInfo> rows)
    {
        s.append("\n/* ").append(dispatch.name()).append(": dispatches on the number to the rows with flag sys */\n");
        s.append("#undef syscall /* the shim's own calls go to iotrace_raw_syscall (raw_syscall.h); this is libc's */\n");
        final String number = dispatch.parameters().getFirst().name();
        s.append("IOTRACE_EXPORT long ").append(dispatch.name()).append("(long ").append(number).append(", ...)\n{\n");
        s.append("    struct iotrace_syscall it_call;\n    va_list ap;\n    va_start(ap, ").append(number).append(");\n");
        s.append("    for (int i = 0; i < 6; i++) /* as libc's syscall(): always six (unused ones are junk) */\n");
        s.append("        it_call.args[i] = va_arg(ap, long);\n    va_end(ap);\n");
        s.append("    it_call.number = ").append(number).append(";\n");
        s.append("    it_call.fn = (").append(realType(dispatch)).append(")iotrace_real(IOTRACE_REAL_")
            .append(dispatch.name().toUpperCase(Locale.ROOT)).append(");\n");
        s.append("    if (__builtin_expect(it_call.fn == NULL, 0)) {\n        errno = ENOSYS;\n        return -1;\n    }\n");
        s.append("    const struct iotrace_syscall *it_sys = &it_call;\n");
        s.append("    switch (").append(number).append(") {\n");
        for (final FunctionInfo r : rows)
        {
            if (meta(r) || null == r.sysName() || r == dispatch)
            {
                continue;
            }
            final List<String> args = new ArrayList<>();
            int index = 0;
            for (final CParameter p : r.parameters())
            {
                args.add("(" + p.type() + ")it_sys->args[" + index++ + "]");
            }
            if (null != r.variadic())
            {
                final String value = "(" + r.variadic().type() + ")it_sys->args[" + index + "]";
                if (r.hasFlag(FunctionInfo.FLAG_VARIADIC_MODE))
                {
                    // as the libc wrapper reads it: only with O_CREAT/O_TMPFILE
                    final RecordItem flags = r.itemOfKind(ArgKind.OFLAGS);
                    final String f = "(int)it_sys->args[" + r.parameters().indexOf(r.parameter(flags.name())) + "]";
                    args.add("((" + f + " & O_CREAT) || (" + f + " & O_TMPFILE) == O_TMPFILE) ? " + value + " : 0");
                }
                else
                {
                    args.add(value);
                }
            }
            args.add("it_sys");
            s.append("    case SYS_").append(r.sysName()).append(":\n");
            s.append("        return (long)(intptr_t)").append(bodyName(r)).append("(")
                .append(String.join(", ", args)).append(");\n");
        }
        s.append("    IOTRACE_SYSCALL_UNTRACED_CASES\n        return IOTRACE_SYSCALL_CALL(it_sys);\n");
        s.append("    default:\n        return ").append(bodyName(dispatch)).append("(").append(number)
            .append(", it_sys);\n    }\n}\n");
    }

    static String forwardBody(final FunctionInfo r)
    {
        return "iotrace_body_" + r.name();
    }

    static void strings(final StringBuilder s, final FunctionInfo r, final String indent)
    {
        for (final RecordItem i : r.items())
        {
            if (i.kind().isScalar())
            {
                continue;
            }
            final String v = valueOf(r, i);
            if (ArgKind.ARGV == i.kind())
            {
                s.append(indent).append("iotrace_ev_argv(&it_ev, (char *const *)").append(v).append(");\n");
            }
            else
            {
                s.append(indent).append("iotrace_ev_str(&it_ev, (const char *)").append(v).append(");\n");
            }
        }
    }

    static String statusCode(final FunctionInfo r)
    {
        final String failed = "        it_status |= IOTRACE_STATUS_FAILED;\n";
        return switch (r.resultKind())
        {
            case FD, WRITTEN_BYTES, STATUS, NEW_OFFSET, PID ->
                "    if (ret == -1)\n" + failed;
            case AIO_BYTES -> "    if (ret == -1)\n" + failed + "    else if (ret == 0 && (" +
                valueOf(r, r.item("lio_opcode")) + " & 127) == LIO_READ)\n        it_status |= IOTRACE_STATUS_EOF;\n";
            case VALUE -> "    if (ret == (__typeof__(ret))-1)\n" + failed; // also wint_t (ungetwc: WEOF)
            case READ_BYTES -> "    if (ret == -1)\n" + failed + "    else if (ret == 0)\n" +
                "        it_status |= IOTRACE_STATUS_EOF;\n";
            case NONE -> "";
            case ERRCODE -> "    if (ret != 0)\n" + failed;
            case POINTER -> "    if (ret == NULL)\n" + failed;
            case DIR_ENTRY -> "    if (ret == NULL && it_dir_errno != 0)\n" + failed +
                "    else if (ret == NULL)\n        it_status |= IOTRACE_STATUS_EOF;\n";
            case DIR_ENTRY_R -> "    if (ret != 0)\n" + failed +
                "    else if (*result == NULL) /* ret 0: *result was written */\n        it_status |= IOTRACE_STATUS_EOF;\n";
            case MMAP_ADDRESS -> "    if (ret == MAP_FAILED)\n" + failed;
            case STREAM -> "    if (ret == NULL)\n" + failed;
            case STREAM_STATUS -> "    if (ret == EOF)\n" + failed;
            case READ_ITEMS ->
            {
                final String stream = valueOf(r, r.itemOfKind(ArgKind.STREAM));
                yield "    if (ret < nmemb) {\n" +
                    "        if (iotrace_stream_eof(" + stream + "))\n            it_status |= IOTRACE_STATUS_EOF;\n" +
                    "        if (iotrace_stream_error(" + stream + "))\n            it_status |= IOTRACE_STATUS_FAILED;\n" +
                    "    }\n";
            }
            case WRITTEN_ITEMS ->
            {
                final String stream = valueOf(r, r.itemOfKind(ArgKind.STREAM));
                yield "    if (ret < nmemb && iotrace_stream_error(" + stream + "))\n" + failed;
            }
            case PRINTED, PRINTED_WIDE -> "    if (ret < 0)\n" + failed;
            case PUT_STRING, PUT_WSTRING, PUT_CHAR -> "    if (ret == EOF)\n" + failed;
            case PUT_WCHAR -> "    if (ret == WEOF)\n" + failed;
            case GET_CHAR -> endOfInput(r, "ret == EOF");
            case GET_WCHAR -> endOfInput(r, "ret == WEOF");
            case GET_STRING, GET_WSTRING -> endOfInput(r, "ret == NULL");
            case GET_LINE -> endOfInput(r, "ret == -1");
            case SCANNED -> endOfInput(r, "ret == EOF");
            case MPI_ERROR, MPI_READ, MPI_WRITE, MPI_TRANSFER -> "    if (ret != 0) /* not MPI_SUCCESS */\n" + failed;
        };
    }

    /**
     * A stdio input call's end-of-input result: eof when the stream's end-of-file indicator is set and its error
     * indicator is not, else failed (read error, or a bad argument that set neither).
     */
    static String endOfInput(final FunctionInfo r, final String endCondition)
    {
        final String stream = "(FILE *)(uintptr_t)" + valueOf(r, r.item("stream")); // stdin: a computed item
        return "    if (" + endCondition + ") {\n" +
            "        if (iotrace_stream_eof(" + stream + ") && !iotrace_stream_error(" + stream + "))\n" +
            "            it_status |= IOTRACE_STATUS_EOF;\n" +
            "        else\n" +
            "            it_status |= IOTRACE_STATUS_FAILED;\n" +
            "    }\n";
    }

    /**
     * The descriptor a call closes whatever its result, cleared from the known-fd table before the real call: a
     * failed close of an open fd closes it too on Linux, glibc's fclose/pclose close the descriptor even when the
     * flush fails, and freopen closes the old one even when it fails. Null when the call closes nothing.
     */
    static String closedBeforeCall(final FunctionInfo r)
    {
        return switch (r.effect())
        {
            case CLOSE, FCLOSE -> valueOf(r, r.item("fd"));
            case FREOPEN -> valueOf(r, r.item("old_fd"));
            default -> null;
        };
    }

    static String effectCode(final FunctionInfo r)
    {
        return switch (r.effect())
        {
            case OPEN, DUP, DUP2 -> "    if (ret >= 0)\n        iotrace_fd_set((int)ret);\n";
            case FCNTL ->
            {
                final String cmd = valueOf(r, r.itemOfKind(ArgKind.FCNTLCMD));
                yield "    if ((" + cmd + " == F_DUPFD || " + cmd + " == F_DUPFD_CLOEXEC) && ret >= 0)\n" +
                    "        iotrace_fd_set((int)ret);\n";
            }
            case FOPEN -> "    if (ret != NULL)\n        iotrace_fd_set((int)" + valueOf(r, r.item("fd")) + ");\n";
            // close, fclose, pclose: cleared before the call (closedBeforeCall)
            case CLOSE, FCLOSE -> "";
            case POPEN -> "    if (ret != NULL)\n        iotrace_fd_set((int)" + valueOf(r, r.item("fd")) + ");\n";
            // freopen closes the old descriptor even when it fails; fcloseall closes no descriptor (glibc)
            case FREOPEN -> "    if (ret != NULL)\n        iotrace_fd_set((int)" + valueOf(r, r.item("fd")) + ");\n";
            case PIPE -> "    if (ret == 0) {\n        iotrace_fd_set((int)" + valueOf(r, r.item("fd0")) +
                ");\n        iotrace_fd_set((int)" + valueOf(r, r.item("fd1")) + ");\n    }\n";
            case CLOSE_RANGE ->
            {
                // closefrom has no `last` (everything from `first` on) and returns nothing (it cannot fail)
                final String first = valueOf(r, r.item("first"));
                final String last = null == r.item("last") ? "~0U" : valueOf(r, r.item("last"));
                final String flags = null == r.item("range_flags") ? "0" : valueOf(r, r.item("range_flags"));
                yield "    if (" + (isVoid(r) ? "1" : "ret == 0") + " && !((" + flags + ") & CLOSE_RANGE_CLOEXEC))\n" +
                    "        iotrace_fd_clear_range((unsigned int)" + first + ", (unsigned int)" + last + ");\n";
            }
            case NEWFD, ACCEPT -> "    if (ret >= 0)\n        iotrace_fd_set((int)ret);\n";
            case FDPAIR -> "    if (ret == 0) {\n        iotrace_fd_set((int)" + valueOf(r, r.item("fd0")) +
                ");\n        iotrace_fd_set((int)" + valueOf(r, r.item("fd1")) + ");\n    }\n";
            // _Fork runs no atfork handlers: the child gets its own ring here (fork's handler has done it already)
            case FORK -> "    if (ret == 0)\n        iotrace_fork_child_ensure();\n";
            default -> ""; // none, use, fdopen, mmap, munmap, chdir, fchdir, exec: nothing for the shim's fd table
        };
    }
}
