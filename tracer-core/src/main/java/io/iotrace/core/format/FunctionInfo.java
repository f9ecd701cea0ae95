package io.iotrace.core.format;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One row of {@code functions.tbl}, with the slots the collector needs for handle resolution looked up once, and
 * the C side of the row (return type, parameters, item expressions) the wrapper generator needs.
 */
public final class FunctionInfo
{
    /** Flag word: read the variadic mode only with O_CREAT/O_TMPFILE. */
    public static final String FLAG_VARIADIC_MODE = "variadic_mode";
    /** Flag word: always read the variadic argument. */
    public static final String FLAG_VARIADIC_ARG = "variadic_arg";
    /** Flag word: an IN_FLIGHT event is published before the real call. */
    public static final String FLAG_PUBLISH_BEFORE = "publish_before";
    /** Flag word: emitted by the shim itself, no wrapper. */
    public static final String FLAG_META = "meta";
    /** Flag word: the call does not return (exit, abort): published IN_FLIGHT before it, nothing after. */
    public static final String FLAG_NORETURN = "noreturn";
    /** Flag word: the `envp` parameter is replaced by a copy with LD_PRELOAD and IOTRACE_* put back if missing. */
    public static final String FLAG_KEEP_ENV = "keep_env";
    /** Flag word: written by hand in native-shim/src/procs.c (vfork, variadic execl*), no generated wrapper. */
    public static final String FLAG_HANDWRITTEN = "handwritten";
    /**
     * Flag word: libc's syscall(SYS_&lt;name&gt;, ...) is traced as this row (its record, effect and result, with
     * the status bit VIA_SYSCALL); {@code sys=<name>} when the SYS_ name differs from the row's name.
     */
    public static final String FLAG_SYS = "sys";
    /** Flag word: no libc symbol to wrap (io_uring_setup): reached only through syscall(), needs sys. */
    public static final String FLAG_SYSCALL_ONLY = "syscall_only";
    /** Flag word: the row of libc's syscall() itself: its wrapper dispatches on the number to the sys rows. */
    public static final String FLAG_SYSCALL_DISPATCH = "syscall_dispatch";
    /** Flag word: the call submits work the trace does not see (io_uring_enter): warned once per process. */
    public static final String FLAG_OPAQUE = "opaque";
    /** An MPI function wrapped through the profiling interface: the real call is PMPI_&lt;name&gt;. */
    public static final String FLAG_PMPI = "pmpi";
    /** Every flag word the table may use ({@code sys=<name>} is the flag sys with a name; forward=<name>). */
    public static final Set<String> FLAGS = Set.of(FLAG_VARIADIC_MODE, FLAG_VARIADIC_ARG, FLAG_PUBLISH_BEFORE,
        FLAG_META, FLAG_SYS, FLAG_SYSCALL_ONLY, FLAG_SYSCALL_DISPATCH, FLAG_OPAQUE, FLAG_NORETURN, FLAG_KEEP_ENV,
        FLAG_HANDWRITTEN, FLAG_PMPI);
    /**
     * Flag word prefix: {@code forward=<v-function>}: a variadic function whose {@code ...} the wrapper cannot
     * forward (fprintf) calls the real v-function (vfprintf) with a va_list instead.
     */
    public static final String FLAG_FORWARD_PREFIX = "forward=";

    private final int id;
    private final String name;
    private final String returnType;
    private final List<CParameter> parameters;
    private final CParameter variadic;
    private final List<CParameter> variadics;
    private final RecordItem[] items;
    private final int scalarCount;
    private final int stringCount;
    private final ResultKind resultKind;
    private final Effect effect;
    private final Set<String> flags;
    /** {@link #FLAG_OPAQUE}, asked for every record: a field, not a set lookup (~5% of the drain). */
    private final boolean opaque;
    private final boolean known;

    private final int fdSlot;
    private final int dirfdSlot;
    private final int oldfdSlot;
    private final int newfdSlot;
    private final int streamSlot;
    private final int addrSlot;
    private final int lengthSlot;
    private final int sizeSlot;
    private final int nmembSlot;
    private final int cmdSlot;
    private final int mapFlagsSlot;
    private final int howSlot;
    private final int pathString;

    /**
     * @param id         function id (the ring record type).
     * @param name       JSON function_name, the symbol wrapped.
     * @param returnType the C return type.
     * @param parameters the named C parameters in order.
     * @param variadic   the variadic argument the wrapper reads ({@code ... <type> <name>}), or null.
     * @param items      record items in table order.
     * @param resultKind how the return value is read.
     * @param effect     what the call does to handles.
     * @param flags      flag words (their order is kept).
     */
    public FunctionInfo(
        final int id,
        final String name,
        final String returnType,
        final List<CParameter> parameters,
        final CParameter variadic,
        final List<RecordItem> items,
        final ResultKind resultKind,
        final Effect effect,
        final Set<String> flags)
    {
        this(id, name, returnType, parameters, null == variadic ? List.of() : List.of(variadic), items, resultKind,
            effect, flags, true);
    }

    /**
     * As the constructor above, for a function whose wrapper reads several variadic arguments
     * ({@code sem_open(name, oflag, ... mode_t mode, unsigned int value)}).
     *
     * @param id         function id (the ring record type).
     * @param name       JSON function_name, the symbol wrapped.
     * @param returnType the C return type.
     * @param parameters the named C parameters in order.
     * @param variadics  the variadic arguments the wrapper reads, in order (empty for none).
     * @param items      record items in table order.
     * @param resultKind how the return value is read.
     * @param effect     what the call does to handles.
     * @param flags      flag words (their order is kept).
     */
    public FunctionInfo(
        final int id,
        final String name,
        final String returnType,
        final List<CParameter> parameters,
        final List<CParameter> variadics,
        final List<RecordItem> items,
        final ResultKind resultKind,
        final Effect effect,
        final Set<String> flags)
    {
        this(id, name, returnType, parameters, variadics, items, resultKind, effect, flags, true);
    }

    private FunctionInfo(
        final int id,
        final String name,
        final String returnType,
        final List<CParameter> parameters,
        final List<CParameter> variadics,
        final List<RecordItem> items,
        final ResultKind resultKind,
        final Effect effect,
        final Set<String> flags,
        final boolean known)
    {
        this.id = id;
        this.name = name;
        this.returnType = returnType;
        this.parameters = List.copyOf(parameters);
        this.variadics = List.copyOf(variadics);
        this.variadic = this.variadics.isEmpty() ? null : this.variadics.getFirst();
        this.items = items.toArray(new RecordItem[0]);
        this.resultKind = resultKind;
        this.effect = effect;
        this.flags = Collections.unmodifiableSet(new LinkedHashSet<>(flags));
        this.opaque = this.flags.contains(FLAG_OPAQUE);
        this.known = known;

        int scalars = 0;
        int strings = 0;
        for (final RecordItem item : this.items)
        {
            if (item.kind().isScalar())
            {
                scalars++;
            }
            else
            {
                strings++;
            }
        }
        scalarCount = scalars;
        stringCount = strings;

        fdSlot = slot("fd", ArgKind.FD);
        dirfdSlot = slot("dirfd", ArgKind.FD);
        oldfdSlot = slot("oldfd", ArgKind.FD);
        newfdSlot = slot("newfd", ArgKind.FD);
        streamSlot = slotOfKind(ArgKind.STREAM);
        addrSlot = slot("addr", ArgKind.POINTER);
        lengthSlot = slot("length", ArgKind.SIZE);
        sizeSlot = slot("size", ArgKind.SIZE);
        nmembSlot = slot("nmemb", ArgKind.SIZE);
        cmdSlot = slotOfKind(ArgKind.FCNTLCMD);
        mapFlagsSlot = slotOfKind(ArgKind.MAPFLAGS);
        howSlot = slot("how", ArgKind.INT);
        int path = -1;
        for (final RecordItem item : this.items)
        {
            if (ArgKind.PATH == item.kind() && (-1 == path || "path".equals(item.name())))
            {
                path = item.position(); // the item named `path` wins (link: the new name, not the target)
            }
        }
        pathString = path;
    }

    /**
     * The stand-in for an id that is not in the table: function_name "unknown_&lt;id&gt;", no items.
     *
     * @param id the unknown function id.
     * @return a row that decodes only the fixed part of the event.
     */
    public static FunctionInfo unknown(final int id)
    {
        return new FunctionInfo(
            id, "unknown_" + id, "int", List.of(), List.of(), List.of(), ResultKind.VALUE, Effect.NONE, Set.of(), false);
    }

    /**
     * @param itemName a scalar record item's name.
     * @return its slot, or -1 when the row has no scalar item of that name.
     */
    public int slotOf(final String itemName)
    {
        final RecordItem item = item(itemName);
        return null != item && item.kind().isScalar() ? item.position() : -1;
    }

    private int slot(final String itemName, final ArgKind kind)
    {
        final RecordItem item = item(itemName);
        return null != item && kind == item.kind() ? item.position() : -1;
    }

    private int slotOfKind(final ArgKind kind)
    {
        final RecordItem item = itemOfKind(kind);
        return null != item ? item.position() : -1;
    }

    public int id()
    {
        return id;
    }

    public String name()
    {
        return name;
    }

    /** @return the C return type as written in the table. */
    public String returnType()
    {
        return returnType;
    }

    /** @return the named C parameters in order (the variadic argument is not among them). */
    public List<CParameter> parameters()
    {
        return parameters;
    }

    /** @return the variadic argument the wrapper reads ({@code ... <type> <name>}), or null. */
    public CParameter variadic()
    {
        return variadic;
    }

    /** @return every variadic argument the wrapper reads, in order (the first is {@link #variadic()}). */
    public List<CParameter> variadics()
    {
        return variadics;
    }

    /**
     * @param parameterName a parameter name.
     * @return the named parameter, or the variadic argument of that name, or null.
     */
    public CParameter parameter(final String parameterName)
    {
        for (final CParameter p : parameters)
        {
            if (p.name().equals(parameterName))
            {
                return p;
            }
        }
        for (final CParameter p : variadics)
        {
            if (p.name().equals(parameterName))
            {
                return p;
            }
        }
        return null;
    }

    /**
     * @param itemName a record item name.
     * @return the item, or null.
     */
    public RecordItem item(final String itemName)
    {
        for (final RecordItem item : items)
        {
            if (item.name().equals(itemName))
            {
                return item;
            }
        }
        return null;
    }

    /**
     * @param kind a record item kind.
     * @return the first item of that kind, or null.
     */
    public RecordItem itemOfKind(final ArgKind kind)
    {
        for (final RecordItem item : items)
        {
            if (kind == item.kind())
            {
                return item;
            }
        }
        return null;
    }

    /** @return false for the stand-in of an id missing from the table. */
    public boolean isKnown()
    {
        return known;
    }

    /** @return the record items in table order (do not modify). */
    public RecordItem[] items()
    {
        return items;
    }

    public int scalarCount()
    {
        return scalarCount;
    }

    public int stringCount()
    {
        return stringCount;
    }

    public ResultKind resultKind()
    {
        return resultKind;
    }

    public Effect effect()
    {
        return effect;
    }

    /** @return the flag words in table order. */
    public Set<String> flags()
    {
        return flags;
    }

    /**
     * @return the v-function a variadic row calls with a va_list ({@code forward=<name>}), or null; the params
     *         of such a row end in a bare {@code ...} (its {@link #variadic()} is the va_list {@code it_ap}).
     */
    public String forwardTo()
    {
        for (final String flag : flags)
        {
            if (flag.startsWith(FLAG_FORWARD_PREFIX))
            {
                return flag.substring(FLAG_FORWARD_PREFIX.length());
            }
        }
        return null;
    }

    /** @return true if the row has {@link #FLAG_OPAQUE}: its calls start work the trace does not show. */
    public boolean isOpaque()
    {
        return opaque;
    }

    /** @param flag a flag word. @return true if the row has it. */
    public boolean hasFlag(final String flag)
    {
        return flags.contains(flag);
    }

    /** @return the syscall name (SYS_&lt;name&gt;) this row traces through syscall(), or null without flag sys. */
    public String sysName()
    {
        for (final String flag : flags)
        {
            if (flag.equals(FLAG_SYS))
            {
                return name;
            }
            if (flag.startsWith(FLAG_SYS + "="))
            {
                return flag.substring(FLAG_SYS.length() + 1);
            }
        }
        return null;
    }

    /** @return slot of the item {@code fd:fd}, or -1. */
    public int fdSlot()
    {
        return fdSlot;
    }

    /** @return slot of the item {@code dirfd:fd}, or -1. */
    public int dirfdSlot()
    {
        return dirfdSlot;
    }

    /** @return slot of the item {@code oldfd:fd}, or -1. */
    public int oldfdSlot()
    {
        return oldfdSlot;
    }

    /** @return slot of the item {@code newfd:fd}, or -1. */
    public int newfdSlot()
    {
        return newfdSlot;
    }

    /** @return slot of the first stream item, or -1. */
    public int streamSlot()
    {
        return streamSlot;
    }

    /** @return slot of the item {@code addr:pointer}, or -1. */
    public int addrSlot()
    {
        return addrSlot;
    }

    /** @return slot of the item {@code length:size}, or -1. */
    public int lengthSlot()
    {
        return lengthSlot;
    }

    /** @return slot of the item {@code size:size}, or -1. */
    public int sizeSlot()
    {
        return sizeSlot;
    }

    /** @return slot of the item {@code nmemb:size}, or -1. */
    public int nmembSlot()
    {
        return nmembSlot;
    }

    /** @return slot of the fcntlcmd item, or -1. */
    public int cmdSlot()
    {
        return cmdSlot;
    }

    /** @return slot of the mapflags item, or -1. */
    public int mapFlagsSlot()
    {
        return mapFlagsSlot;
    }

    /** @return slot of the item {@code how:int} (fd_discovered), or -1. */
    public int howSlot()
    {
        return howSlot;
    }

    /** @return string order of the path item named {@code path}, else of the first path item, or -1. */
    public int pathString()
    {
        return pathString;
    }

    /**
     * @param itemName a string record item's name.
     * @return its order among the strings, or -1 when the row has no string item of that name.
     */
    public int stringOf(final String itemName)
    {
        final RecordItem item = item(itemName);
        return null != item && !item.kind().isScalar() ? item.position() : -1;
    }

    public String toString()
    {
        return "FunctionInfo{id=" + id + ", name=" + name + ", effect=" + effect + ", result=" + resultKind + "}";
    }
}
