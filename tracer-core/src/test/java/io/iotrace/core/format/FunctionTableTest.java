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
        assertEquals(List.of(FunctionInfo.FLAG_VARIADIC_MODE, FunctionInfo.FLAG_SYS), List.copyOf(open.flags()));
        assertEquals("open", open.sysName());
        assertEquals("newfstatat", table.byName("fstatat").sysName());
        assertNull(table.byName("open64").sysName());

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

        // a variadic stdio row hands its `...` on as a va_list to the real v-function
        final FunctionInfo fprintf = table.byName("fprintf");
        assertEquals("vfprintf", fprintf.forwardTo());
        assertEquals("va_list", fprintf.variadic().type());
        assertEquals(ResultKind.PRINTED, fprintf.resultKind());
        assertEquals(null, table.byName("vfprintf").forwardTo());
        assertEquals(Effect.FREOPEN, table.byName("freopen").effect());
        assertTrue(table.byName("tmpfile").item("path").post(), "a string computed after the call");
    }

    @Test
    void shouldReadSeveralVariadicArgumentsAndPostStrings() throws Exception
    {
        final FunctionInfo semOpen = FunctionTable.load().byName("sem_open");
        assertEquals(List.of(new CParameter("mode_t", "mode", "mode_t mode"),
            new CParameter("unsigned int", "value", "unsigned int value")), semOpen.variadics());
        assertEquals(semOpen.variadics().getFirst(), semOpen.variadic());
        assertEquals(semOpen.variadics().get(1), semOpen.parameter("value"));
        final RecordItem entry = FunctionTable.load().byName("readdir").item("entry");
        assertTrue(entry.post() && !entry.kind().isScalar(), entry.toString());
    }

    /** The parameter grammar: {@code <type> <name>} or {@code <type> <name>[<digits>]} (an array is a pointer). */
    @Test
    void shouldReadParameterTypesNamesAndArrays() throws Exception
    {
        final FunctionInfo row = FunctionTable.parse(new java.io.StringReader(
            "70 | f | int | const char *path, char *const argv[], int  fds[ 2 ], const struct timespec t2[2], " +
            "unsigned long x_1 | - | status | -\n")).byName("f");
        assertEquals(List.of(new CParameter("const char *", "path", "const char *path"),
            new CParameter("char *const *", "argv", "char *const argv[]"),
            new CParameter("int *", "fds", "int  fds[ 2 ]"),
            new CParameter("const struct timespec *", "t2", "const struct timespec t2[2]"),
            new CParameter("unsigned long", "x_1", "unsigned long x_1")), row.parameters());
        for (final String bad : List.of("int a[x]", "int a[1 2]", "int", "p", "int 9", "int a]"))
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () ->
                FunctionTable.parse(new java.io.StringReader("70 | f | int | " + bad + " | - | status | -\n")));
            assertTrue(ex.getMessage().contains("cannot read parameter '" + bad + "'"), ex.getMessage());
        }
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
        assertRejected("@post argv", "70 | f | int | int a | s:argv@post=ret | status | use\n",
            "@post is not supported for argv");
        assertRejected("@post string read before the call",
            "70 | f | int | int a | s:str@post=ret | status | use publish_before\n", "item s cannot be @post");
        assertRejected("dir_entry_r without result", "70 | f | int | int a | a:int | dir_entry_r | use\n",
            "dir_entry_r needs a parameter result");
        assertRejected("mapfile without length", "70 | f | void * | const char *path | path:path | pointer | mapfile\n",
            "effect mapfile needs a path item and an item length:size");
        final IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> FunctionTable.parse(
            new StringReader("70 | f | int | int a | a:int | status | use sys=read\n" +
                "71 | read | int | int a | a:int | status | use sys\n")));
        assertEquals("functions.tbl line 2: syscall already traced by another row: read", twice.getMessage());
        assertRejected("sys on an errcode row", "70 | f | int | int a | a:int | errcode | use sys\n",
            "sys needs a row whose result is returned as the syscall returns it");
        assertRejected("syscall_only without sys", "70 | f | int | int a | a:int | status | use syscall_only\n",
            "syscall_only needs the flag sys");
        assertRejected("aio_bytes without opcode", "70 | f | ssize_t | int a | a:int | aio_bytes | use\n",
            "result aio_bytes needs scalar items lio_opcode and aiocb");
        assertRejected("bare ... without forward", "70 | f | int | int a, ... | a:int | status | use\n",
            "a bare '...' parameter and the flag forward=<v-function> go together");
        assertRejected("forward without bare ...", "70 | f | int | int a | a:int | printed | use forward=vf\n",
            "a bare '...' parameter and the flag forward=<v-function> go together");
        assertRejected("put_string without length", "70 | f | int | const char *s | - | put_string | use\n",
            "needs a scalar record item named length");
        assertRejected("freopen fd not @post", "70 | f | FILE * | const char *path, FILE *stream | " +
            "stream:stream old_fd:fd=1 fd:fd=2 | stream | freopen\n", "item fd must be @post");
        assertRejected("@post str published before the call",
            "70 | f | int | int a | s:str@post=ret | status | exec publish_before\n", "item s cannot be @post");
        assertRejected("newfd without its name", "70 | f | int | int a | a:int | fd | newfd\n",
            "effect newfd needs a record item fd_name:str");
        assertRejected("accept without the peer", "70 | f | int | int fd | fd:fd | fd | accept\n",
            "effect accept needs a record item sockaddr:str");
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

    @Test
    void shouldRequireTheItemsOfTransferRangeCloseAndMappingEffects()
    {
        assertRejected("transfer without out_fd",
            "70 | f | ssize_t | int fd, int o | fd:fd o:fd | read_bytes | transfer\n",
            "effect transfer needs a record item out_fd:fd");
        assertRejected("close_range without first", "70 | f | int | int a | a:int | status | close_range\n",
            "effect close_range needs a record item first:int");
        assertRejected("mremap without new_length",
            "70 | f | void * | void *addr, size_t length | addr:pointer length:size | mmap_address | mremap\n",
            "effect mremap needs a record item new_length:size");
        assertRejected("mapping with an int addr",
            "70 | f | int | int addr, size_t length | addr:int length:size | status | mapping\n",
            "effect mapping needs a record item addr:pointer");
        final FunctionInfo sendfile = table.byName("sendfile");
        assertEquals(Effect.TRANSFER, sendfile.effect());
        assertEquals(0, sendfile.fdSlot());
        assertEquals(1, sendfile.slotOf("out_fd"));
        assertEquals(Effect.CLOSE_RANGE, table.byName("closefrom").effect());
        assertEquals(ResultKind.NONE, table.byName("closefrom").resultKind());
        assertEquals(Effect.MAPPING, table.byName("posix_madvise").effect());
        assertEquals(ResultKind.ERRCODE, table.byName("posix_madvise").resultKind());
        final FunctionInfo fcntl = table.byName("fcntl");
        assertEquals(ArgKind.FCNTLARG, fcntl.item("arg").kind());
        assertTrue(fcntl.item("lock_type").post());
        assertEquals(ArgKind.LOCKTYPE, fcntl.item("lock_type").kind());
    }
}
