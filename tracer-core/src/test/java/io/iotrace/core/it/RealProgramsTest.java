package io.iotrace.core.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import static io.iotrace.core.it.TraceRecords.data;
import static io.iotrace.core.it.TraceRecords.filename;
import static io.iotrace.core.it.TraceRecords.functionName;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Programs we did not write: a shell pipeline, Python multiprocessing, fio. Every process they start is traced. */
class RealProgramsTest
{
    @TempDir
    Path work;

    private static Optional<Path> onPath(final String program)
    {
        return Arrays.stream(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
            .filter(d -> !d.isEmpty()).map(d -> Path.of(d, program)).filter(Files::isExecutable).findFirst();
    }

    private static long sum(final List<JsonNode> records, final String field)
    {
        return records.stream().mapToLong(r -> data(r, field)).sum();
    }

    @Test
    void shouldTraceEveryProcessOfAShellPipeline() throws Exception
    {
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final Path input = data.resolve("f.dat");
        final byte[] bytes = new byte[300_000];
        new Random(7).nextBytes(bytes);
        Files.write(input, bytes);
        final Path out = data.resolve("out.txt");
        final TracedRun.Outcome run = TracedRun.command("/bin/sh", "-c", "cat '" + input + "' | wc -c > '" + out + "'")
            .run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        assertEquals(String.valueOf(bytes.length), Files.readString(out).trim());
        final TraceRecords trace = run.records();

        final List<JsonNode> catExec = trace.where(r -> "execve".equals(functionName(r)) &&
            r.path("function_data").path("path").asText().endsWith("/cat"));
        final List<JsonNode> wcExec = trace.where(r -> "execve".equals(functionName(r)) &&
            r.path("function_data").path("path").asText().endsWith("/wc"));
        assertEquals(1, catExec.size(), "the shell's exec of cat");
        assertEquals(1, wcExec.size(), "the shell's exec of wc");
        final long cat = catExec.get(0).get("pid").asLong();
        final long wc = wcExec.get(0).get("pid").asLong();
        final long shell = catExec.get(0).get("ppid").asLong();
        assertEquals(shell, wcExec.get(0).get("ppid").asLong());
        assertTrue(trace.pids().contains(shell), "the shell is traced");

        // cat's image reads the whole file and writes it into the pipe; wc reads it all from the pipe
        final List<JsonNode> catReads = trace.pid(cat).where(r -> "read".equals(functionName(r)) &&
            input.toString().equals(filename(r)));
        assertEquals(bytes.length, sum(catReads, "read_bytes"), "cat's read bytes = the file size");
        final List<JsonNode> catWrites = trace.pid(cat).where(r -> "write".equals(functionName(r)));
        assertTrue(catWrites.stream().allMatch(r -> filename(r).startsWith("pipe:[")), catWrites.toString());
        assertEquals(bytes.length, sum(catWrites, "written_bytes"));
        final String pipe = filename(catWrites.get(0));
        final List<JsonNode> wcReads = trace.pid(wc).where(r -> "read".equals(functionName(r)));
        assertTrue(wcReads.stream().allMatch(r -> pipe.equals(filename(r))), "wc reads the same pipe as cat fills");
        assertEquals(bytes.length, sum(wcReads, "read_bytes"));
        assertTrue(trace.pid(wc).where(r -> "open64".equals(functionName(r)) || "open".equals(functionName(r)))
            .stream().anyMatch(r -> out.toString().equals(filename(r))), "the redirection of wc's output");
        for (final long pid : List.of(cat, wc))
        {
            assertTrue(trace.pid(pid).all().stream().allMatch(r -> r.get("ppid").asLong() == shell));
        }
    }

    @Test
    void shouldTraceEveryPythonMultiprocessingChildThatEndsWithOsExit() throws Exception
    {
        final Optional<Path> python = onPath("python3");
        Assumptions.assumeTrue(python.isPresent(), "no python3 on PATH: the multiprocessing test is skipped");
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final Path script = work.resolve("mp.py");
        Files.writeString(script, """
            import multiprocessing, os, sys
            def work(i, d):
                fd = os.open(os.path.join(d, "child-%d.dat" % i), os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
                for _ in range(10):
                    os.write(fd, b"x" * (100 + i))
                os.close(fd)
            if __name__ == "__main__":
                multiprocessing.set_start_method("fork")  # the children leave through os._exit
                ps = [multiprocessing.Process(target=work, args=(i, sys.argv[1])) for i in range(4)]
                for p in ps: p.start()
                for p in ps: p.join()
                print(" ".join(str(p.pid) for p in ps))
            """);
        final TracedRun.Outcome run = TracedRun.command(python.get().toString(), script.toString(), data.toString())
            .run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final List<Long> children = Arrays.stream(run.stdout().trim().split(" ")).map(Long::parseLong).toList();
        assertEquals(4, children.size());
        final TraceRecords trace = run.records();
        for (int i = 0; i < children.size(); i++)
        {
            final int index = i;
            final TraceRecords child = trace.pid(children.get(i));
            final String file = data.resolve("child-" + i + ".dat").toString();
            final List<JsonNode> writes = child.where(r -> "write".equals(functionName(r)) &&
                file.equals(filename(r)));
            assertEquals(10, writes.size(), "child " + i + "'s writes");
            assertEquals(10L * (100 + i), sum(writes, "written_bytes"));
            final List<String> names = child.callNames();
            assertEquals("_exit", names.getLast(), "child " + i + " leaves with os._exit: " + names);
            final long parent = child.all().get(0).get("ppid").asLong();
            assertTrue(trace.function("fork").stream().anyMatch(r -> r.get("pid").asLong() == parent &&
                data(r, "pid") == children.get(index)), "the fork of child " + index + " is in its parent's trace");
        }
    }

    @Test
    void shouldCountExactlyTheWritesFioReportsForItsForkedJob() throws Exception
    {
        final Optional<Path> fio = onPath("fio");
        if (fio.isEmpty())
        {
            fail("fio is not installed: run scripts/setup.sh (Debian package fio)");
        }
        final Path data = Files.createDirectories(work.resolve("data")).toRealPath();
        final Path target = data.resolve("fio.dat");
        final TracedRun.Outcome run = TracedRun.command(fio.get().toString(), "--ioengine=psync", "--size=1M",
            "--bs=4k", "--rw=write", "--name=job", "--filename=" + target, "--output-format=json").run(work);
        assertEquals(0, run.exitStatus(), run.stderr());
        final JsonNode report = new ObjectMapper().readTree(run.stdout());
        final long ios = report.path("jobs").get(0).path("write").path("total_ios").asLong();
        assertEquals(256, ios, "1 MiB in 4 KiB writes");
        final TraceRecords trace = run.records();
        final List<JsonNode> pwrites = trace.where(r -> functionName(r).startsWith("pwrite") &&
            target.toString().equals(filename(r)));
        assertEquals(ios, pwrites.size(), "one pwrite record per io fio counted");
        assertEquals(1L << 20, sum(pwrites, "written_bytes"));
        final long job = pwrites.get(0).get("pid").asLong();
        assertTrue(pwrites.stream().allMatch(r -> r.get("pid").asLong() == job));
        final long main = pwrites.get(0).get("ppid").asLong();
        assertTrue(trace.function("fork").stream().anyMatch(r -> r.get("pid").asLong() == main &&
            data(r, "pid") == job), "fio forked the job process");
    }
}
