package io.iotrace.core.format;

import org.junit.jupiter.api.Test;

import java.io.StringReader;

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
            "# comment\n\n70 | f | int | int a, int b | a:fd sum:int=a + b p:path | status | use\n"));
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
