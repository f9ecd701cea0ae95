/* A rank that fails while the others go on (built per MPI implementation: build/fail_rank-openmpi, -mpich).
 * Usage: fail_rank DIR HOW [WHERE]
 * Every rank r: MPI_Init; MPI_File_open(DIR/shared.dat, CREATE|WRONLY) on MPI_COMM_WORLD, MPI_File_write_at(r * 64,
 * 64 bytes), MPI_File_close; open DIR/rank<r>.log and write "before\n" (7 bytes), close; MPI_Barrier.
 * Then rank 1 fails, HOW:
 *   abort   MPI_Abort(MPI_COMM_WORLD, 3)
 *   exit    exit(4) without MPI_Finalize
 *   signal  raise(SIGKILL)
 * while every other rank goes on to WHERE (default finalize):
 *   finalize  MPI_Finalize (our clock sync with rank 0 is there)
 *   barrier   MPI_Barrier, then MPI_Finalize
 * and, if it gets that far, writes "after\n" to DIR/rank<r>.log and exits 0. */
#include <fcntl.h>
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void append(const char *dir, int rank, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/rank%d.log", dir, rank);
    int fd = open(path, O_CREAT | O_WRONLY | O_APPEND, 0644);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) != 0) {
        perror(path);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (argc < 3) {
        fprintf(stderr, "usage: fail_rank DIR abort|exit|signal [finalize|barrier]\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    const char *dir = argv[1], *how = argv[2], *where = argc > 3 ? argv[3] : "finalize";
    char path[4096];
    snprintf(path, sizeof path, "%s/shared.dat", dir);
    MPI_File fh;
    char block[64];
    memset(block, 'a' + rank, sizeof block);
    if (MPI_File_open(MPI_COMM_WORLD, path, MPI_MODE_CREATE | MPI_MODE_WRONLY, MPI_INFO_NULL, &fh) != MPI_SUCCESS ||
        MPI_File_write_at(fh, (MPI_Offset)rank * 64, block, 64, MPI_BYTE, MPI_STATUS_IGNORE) != MPI_SUCCESS ||
        MPI_File_close(&fh) != MPI_SUCCESS)
        MPI_Abort(MPI_COMM_WORLD, 1);
    append(dir, rank, "before\n");
    MPI_Barrier(MPI_COMM_WORLD); /* every rank's I/O above is done before rank 1 fails */

    if (rank == 1) {
        if (strcmp(how, "abort") == 0)
            MPI_Abort(MPI_COMM_WORLD, 3);
        else if (strcmp(how, "exit") == 0)
            exit(4);
        else
            raise(SIGKILL);
    }
    if (strcmp(where, "barrier") == 0)
        MPI_Barrier(MPI_COMM_WORLD);
    MPI_Finalize();
    append(dir, rank, "after\n");
    return 0;
}
