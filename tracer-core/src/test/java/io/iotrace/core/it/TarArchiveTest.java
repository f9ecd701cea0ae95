package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;

import static io.iotrace.core.it.TraceRecords.data;
import static io.iotrace.core.it.TraceRecords.filename;
import static io.iotrace.core.it.TraceRecords.functionName;
import static io.iotrace.core.it.TraceRecords.state;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real program: GNU tar archiving a small tree. It walks the tree with openat/fdopendir/readdir relative to the
 * directory descriptors and writes the archive through the descriptor creat/open returned, so every input file's
 * open and reads, every directory's readdir records and the archive's writes must resolve to their paths.
 */
class TarArchiveTest
{
    private static final Set<String> OPENS = Set.of("open", "open64", "openat", "openat64", "__open_2", "__open64_2",
        "__openat_2", "__openat64_2", "creat", "creat64");

    @TempDir
    Path work;

    @Test
    void shouldNameEveryFileTarReadsAndTheArchiveItWrites() throws Exception
    {
        final Path tree = Files.createDirectories(work.resolve("tree")).toRealPath();
        final Path sub = Files.createDirectories(tree.resolve("sub/deeper"));
        final byte[] random = new byte[70_000];
        new Random(3).nextBytes(random);
        final Map<Path, Integer> files = Map.of(
            tree.resolve("a.txt"), write(tree.resolve("a.txt"), "alpha\n".getBytes()),
            tree.resolve("sub/b.bin"), write(tree.resolve("sub/b.bin"), random),
            sub.resolve("c.txt"), write(sub.resolve("c.txt"), "c".getBytes()),
            tree.resolve("empty"), write(tree.resolve("empty"), new byte[0]));
        final Map<Path, Integer> directories = Map.of(tree, 3, tree.resolve("sub"), 2, sub, 1); // entries each
        final Path archive = work.toRealPath().resolve("out.tar");

        final TracedRun.Outcome run =
            TracedRun.command("tar", "-C", work.toString(), "-cf", archive.toString(), "tree").run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final TraceRecords trace = run.records();
        assertEquals(1, trace.pids().size(), "tar ran alone");
        final List<JsonNode> tar = trace.calls();
        assertTrue(trace.warnings().stream().noneMatch(w -> w.toString().contains("cannot resolve")),
            trace.warnings().toString());

        for (final Map.Entry<Path, Integer> file : files.entrySet())
        {
            final String name = file.getKey().toString();
            final List<JsonNode> records = tar.stream().filter(r -> name.equals(filename(r))).toList();
            assertTrue(records.stream().anyMatch(r -> functionName(r).startsWith("fstatat") && "ok".equals(state(r))),
                name + " looked at relative to its directory's descriptor: " + records);
            // tar opens only files with data: an empty file is archived from its stat alone
            assertEquals(file.getValue() > 0, records.stream().anyMatch(r -> OPENS.contains(functionName(r)) &&
                "ok".equals(state(r))), name + " opened: " + records);
            final long read = records.stream().filter(r -> functionName(r).startsWith("read") &&
                r.path("function_data").has("read_bytes")).mapToLong(r -> data(r, "read_bytes")).sum();
            assertEquals((long)file.getValue(), read, name + " read in full: " + records);
        }
        for (final Map.Entry<Path, Integer> directory : directories.entrySet())
        {
            final String name = directory.getKey().toString();
            final List<JsonNode> reads = tar.stream()
                .filter(r -> name.equals(filename(r)) && functionName(r).startsWith("readdir")).toList();
            assertTrue(tar.stream().anyMatch(r -> name.equals(filename(r)) &&
                Set.of("opendir", "fdopendir").contains(functionName(r))), name + " opened as a directory stream");
            // every entry, "." and "..", then the end of the directory
            assertEquals(directory.getValue() + 3, reads.size(), name + ": " + reads);
            assertEquals("eof", state(reads.getLast()));
            assertEquals(directory.getValue() + 2,
                reads.stream().filter(r -> "ok".equals(state(r))).map(r -> r.path("function_data").path("entry")
                    .asText()).collect(Collectors.toSet()).size());
            assertTrue(tar.stream().anyMatch(r -> name.equals(filename(r)) && "closedir".equals(functionName(r))));
        }

        final String archiveName = archive.toString();
        assertTrue(tar.stream().anyMatch(r -> archiveName.equals(filename(r)) && OPENS.contains(functionName(r))),
            "the archive's creation");
        final List<JsonNode> writes = tar.stream()
            .filter(r -> archiveName.equals(filename(r)) && functionName(r).startsWith("write")).toList();
        assertFalse(writes.isEmpty());
        assertEquals(Files.size(archive), writes.stream().mapToLong(r -> data(r, "written_bytes")).sum());
    }

    private static int write(final Path file, final byte[] bytes) throws java.io.IOException
    {
        Files.write(file, bytes);
        return bytes.length;
    }
}
