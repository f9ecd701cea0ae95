package io.iotrace.core.format;

import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FunctionTableTest
{
    private final FunctionTable table = FunctionTable.load();

    @Test
    void shouldParseEveryRowOfTheSharedTable()
    {
        assertTrue(table.functions().size() >= 40);
        for (final FunctionInfo f : table.functions())
        {
            assertEquals(f, table.byId(f.id()));
            assertEquals(f, table.byName(f.name()));
        }
    }

    @Test
    void shouldGiveSlotsAndStringOrderOfOpenat()
    {
        final FunctionInfo openat = table.byName("openat");
        assertEquals(18, openat.id());
        assertEquals(Effect.OPEN, openat.effect());
        assertEquals(ResultKind.FD, openat.resultKind());
        assertTrue(openat.hasFlag(FunctionInfo.FLAG_VARIADIC_MODE));
        final RecordItem[] items = openat.items();
        assertEquals(4, items.length);
        assertEquals(new RecordItem("dirfd", ArgKind.FD, 0), items[0]);
        assertEquals(new RecordItem("path", ArgKind.PATH, 0), items[1]);
        assertEquals(new RecordItem("flags", ArgKind.OFLAGS, 1), items[2]);
        assertEquals(new RecordItem("mode", ArgKind.MODE, 2), items[3]);
        assertEquals(3, openat.scalarCount());
        assertEquals(1, openat.stringCount());
        assertEquals(0, openat.dirfdSlot());
        assertEquals(0, openat.pathString());
    }

    @Test
    void shouldParseComputedItemsOfStreamFunctions()
    {
        final FunctionInfo fopen = table.byName("fopen");
        assertEquals(Effect.FOPEN, fopen.effect());
        assertEquals(0, fopen.fdSlot());
        assertEquals(2, fopen.stringCount());
        final FunctionInfo fwrite = table.byName("fwrite");
        assertEquals(ResultKind.WRITTEN_ITEMS, fwrite.resultKind());
        assertEquals(0, fwrite.streamSlot());
        assertEquals(1, fwrite.fdSlot());
        assertEquals(2, fwrite.sizeSlot());
        assertEquals(3, fwrite.nmembSlot());
    }

    @Test
    void shouldExposeTheCSideOfRowsForTheWrapperGenerator()
    {
        final FunctionInfo open = table.byName("open");
        assertEquals("int", open.returnType());
        assertEquals(List.of(
            new CParameter("const char *", "path", "const char *path"),
            new CParameter("int", "flags", "int flags")), open.parameters());
        assertEquals(new CParameter("mode_t", "mode", "mode_t mode"), open.variadic());
        assertEquals(open.variadic(), open.parameter("mode"));
        assertEquals(List.of(FunctionInfo.FLAG_VARIADIC_MODE), List.copyOf(open.flags()));

        final FunctionInfo fclose = table.byName("fclose");
        final RecordItem fd = fclose.item("fd");
        assertEquals(new RecordItem("fd", ArgKind.FD, 1, "iotrace_stream_fd(stream)", false), fd);
        assertTrue(fd.isComputed());
        assertFalse(fclose.items()[0].isComputed());
        assertNull(fclose.variadic());

        final FunctionInfo fopen = table.byName("fopen");
        assertEquals("FILE *", fopen.returnType());
        assertEquals(new RecordItem("fd", ArgKind.FD, 0, "iotrace_stream_fd(ret)", true), fopen.item("fd"));
        assertEquals(fopen.item("mode"), fopen.itemOfKind(ArgKind.STR));

        final FunctionInfo execve = table.byName("execve");
        assertEquals(new CParameter("char *const *", "argv", "char *const argv[]"), execve.parameter("argv"));
        assertEquals(List.of("exec", "publish_before keep_env"),
            List.of(execve.effect().tableName(), String.join(" ", execve.flags())));
        assertTrue(table.byName("fork").parameters().isEmpty());
        assertEquals(new CParameter("unsigned long", "arg", "unsigned long arg"), table.byName("fcntl").variadic());
    }

    @Test
    void shouldRejectRowsTheWrapperGeneratorCannotTranslateNamingTheLine() throws Exception
    {
        assertRejected("item 'x' not a parameter", "70 | f | int | int a | x:int | status | use\n",
            "record item 'x' is not a parameter of f");
        assertRejected("variadic without flag", "70 | f | int | int a, ... int b | a:int | status | use\n",
            "'...' parameter without variadic_mode or variadic_arg flag");
        assertRejected("flag without variadic", "70 | f | int | int a | a:int | status | use variadic_arg\n",
            "variadic_arg needs a '... <type> <name>' parameter");
        assertRejected("@post string", "70 | f | int | int a | s:str@post=ret | status | use\n",
            "@post is only supported for scalar kinds");
        assertRejected("void result", "70 | f | void | int a | a:int | status | use\n",
            "only for, functions returning void");
        assertRejected("none result of an int function", "70 | f | int | int a | a:int | none | use\n",
            "only for, functions returning void");
        assertRejected("reserved name", "70 | f | int | int ret | ret:int | status | use\n",
            "parameter name 'ret' is reserved");
        assertRejected("fopen fd not @post",
            "70 | f | FILE * | const char *p | p:path fd:fd=3 | stream | fopen\n", "item fd must be @post");
        assertRejected("bad parameter", "70 | f | int | int | - | status | use\n", "cannot read parameter 'int'");
        // meta rows have no wrapper: only the grammar applies
        assertNotNull(FunctionTable.parse(new StringReader("1 | m | void | - | fd:fd | value | discovered meta\n"))
            .byId(1));
    }

    private static void assertRejected(final String what, final String row, final String message)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> FunctionTable.parse(new StringReader("# header\n" + row)), what);
        assertTrue(ex.getMessage().startsWith("functions.tbl line 2: "), ex.getMessage());
        assertTrue(ex.getMessage().contains(message), ex.getMessage());
    }

    @Test
    void shouldKnowMetaAndPublishBeforeRows()
    {
        final FunctionInfo discovered = table.byId(1);
        assertEquals("fd_discovered", discovered.name());
        assertEquals(Effect.DISCOVERED, discovered.effect());
        assertTrue(discovered.hasFlag(FunctionInfo.FLAG_META));
        assertTrue(table.byName("execve").hasFlag(FunctionInfo.FLAG_PUBLISH_BEFORE));
        assertEquals(Effect.FORK, table.byName("fork").effect());
        assertEquals(0, table.byName("fork").items().length);
    }

    @Test
    void shouldReturnNullForUnknownIdsAndAStandInNamedAfterTheId()
    {
        assertNull(table.byId(9999));
        assertNull(table.byId(-1));
        final FunctionInfo unknown = FunctionInfo.unknown(9999);
        assertEquals("unknown_9999", unknown.name());
        assertFalse(unknown.isKnown());
    }

    @Test
    void shouldAcceptExpressionsWithSpaces() throws Exception
    {
        final FunctionTable t = FunctionTable.parse(new StringReader(
            "# comment\n\n70 | f | int | int a, int b, const char *p | a:fd sum:int=a + b p:path | status | use\n"));
        final FunctionInfo f = t.byId(70);
        assertNotNull(f);
        assertEquals(3, f.items().length);
        assertEquals("sum", f.items()[1].name());
        assertEquals(1, f.items()[1].position());
    }

    @Test
    void shouldRejectMalformedRowsNamingTheLine()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> FunctionTable.parse(new StringReader("70 | f | int | - | a:bogus | status | use\n")));
        assertTrue(ex.getMessage().contains("line 1"), ex.getMessage());
        assertThrows(IllegalArgumentException.class,
            () -> FunctionTable.parse(new StringReader("70 | f | int | - | a:fd | status | use\n" +
                "70 | g | int | - | a:fd | status | use\n")));
        assertThrows(IllegalArgumentException.class,
            () -> FunctionTable.parse(new StringReader("70 | f | int | - | a:fd | nope | use\n")));
        assertThrows(IllegalArgumentException.class,
            () -> FunctionTable.parse(new StringReader("70 | f | int | - | a:fd | status | use frob\n")));
        assertThrows(IllegalArgumentException.class,
            () -> FunctionTable.parse(new StringReader("70 | f | int | - | a:fd | status\n")));
    }
}
