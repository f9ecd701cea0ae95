package io.iotrace.core.it;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * MPI test programs (test-programs/mpi/*.c, built as build/NAME-openmpi and build/NAME-mpich) launched with
 * mpirun.openmpi or mpirun.mpich under the tracer. A test that needs an implementation that is not installed is
 * skipped, saying so (scripts/setup.sh installs both).
 */
final class MpiRun
{
    /** The implementations the tests run under, by their Debian suffix. */
    static final String OPEN_MPI = "openmpi";
    static final String MPICH = "mpich";

    private MpiRun()
    {
    }

    /**
     * @param mpi     "openmpi" or "mpich".
     * @param program a program of test-programs/mpi.
     * @return the program built for that implementation (skips the test when it or mpirun is missing).
     */
    static Path program(final String mpi, final String program)
    {
        final Path binary = TracedRun.HOME.resolve("test-programs/build/" + program + "-" + mpi);
        Assumptions.assumeTrue(Files.isExecutable(binary) && onPath("mpirun." + mpi),
            "mpirun." + mpi + " or " + binary + " missing: install " + mpi + " (scripts/setup.sh) and run make");
        return binary;
    }

    /**
     * @param mpi   "openmpi" or "mpich".
     * @param ranks number of ranks.
     * @param args  the program and its arguments.
     * @return a traced run of {@code mpirun -np ranks args...} (Open MPI allowed to run as root, on one node).
     */
    static TracedRun launch(final String mpi, final int ranks, final String... args)
    {
        final List<String> command = new ArrayList<>(OPEN_MPI.equals(mpi) ?
            List.of("mpirun.openmpi", "--oversubscribe", "-np", Integer.toString(ranks)) :
            List.of("mpirun.mpich", "-np", Integer.toString(ranks)));
        command.addAll(List.of(args));
        return TracedRun.command(command.toArray(String[]::new))
            .env("OMPI_ALLOW_RUN_AS_ROOT", "1").env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
            .env("OMPI_MCA_plm_rsh_agent", "false");
    }

    static boolean onPath(final String command)
    {
        for (final String dir : System.getenv().getOrDefault("PATH", "").split(":"))
        {
            if (Files.isExecutable(Path.of(dir, command)))
            {
                return true;
            }
        }
        return false;
    }

    /** Wait until the trace's JSON files hold a text at least {@code count} times. */
    static void awaitText(final Path traceDir, final String text, final int count) throws Exception
    {
        final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        int found = 0;
        while (System.nanoTime() < deadline)
        {
            found = 0;
            try (var files = Files.isDirectory(traceDir) ? Files.list(traceDir) : java.util.stream.Stream.<Path>empty())
            {
                for (final Path file : files.filter(f -> f.toString().endsWith(".jsonl")).toList())
                {
                    final String content = Files.readString(file);
                    for (int at = content.indexOf(text); at >= 0; at = content.indexOf(text, at + 1))
                    {
                        found++;
                    }
                }
            }
            if (found >= count)
            {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(text + " found " + found + " times in " + traceDir + ", expected " + count);
    }
}
