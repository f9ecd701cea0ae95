/* Causal order across ranks for the clock alignment of `iotrace merge` (built per MPI implementation:
 * build/clock_order-openmpi, build/clock_order-mpich). Usage: clock_order DIR [STEPS]
 * Each rank opens DIR/rank<r>.log. In step s (0 <= s < STEPS, default 6) rank s % size writes "step s\n" to its
 * file, then every rank enters MPI_Barrier: the write of step s ends before any rank leaves barrier s, so it ends
 * before the write of step s + 1 starts. The writer of a step after the first pauses PAUSE_MS after the barrier:
 * clock alignment by ping-pong is exact only to half a round trip (the rtt_ns of mpi_clock_sync; up to about a
 * millisecond on a loaded machine), and two events closer than that cannot be ordered by any aligned clock.
 * Rank 0 prints "ok" at the end. */
#include <fcntl.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PAUSE_MS 20

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank = 0, size = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (argc < 2) {
        fprintf(stderr, "usage: clock_order DIR [STEPS]\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    int steps = argc > 2 ? atoi(argv[2]) : 6;
    char path[4096];
    snprintf(path, sizeof path, "%s/rank%d.log", argv[1], rank);
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    if (fd < 0) {
        perror(path);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    for (int s = 0; s < steps; s++) {
        if (s % size == rank) {
            if (s > 0) {
                struct timespec pause = {0, PAUSE_MS * 1000000L};
                nanosleep(&pause, NULL);
            }
            char line[32];
            int n = snprintf(line, sizeof line, "step %d\n", s);
            if (write(fd, line, (size_t)n) != n) {
                perror("write");
                MPI_Abort(MPI_COMM_WORLD, 1);
            }
        }
        MPI_Barrier(MPI_COMM_WORLD);
    }
    close(fd);
    MPI_Finalize();
    if (rank == 0)
        printf("ok\n");
    return 0;
}
