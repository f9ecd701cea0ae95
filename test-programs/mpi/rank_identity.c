/* Rank identity in every record of a rank's processes (built per MPI implementation: build/rank_identity-openmpi,
 * build/rank_identity-mpich). Usage: rank_identity DIR [GOFILE]
 * Every rank, with P = its pid:
 *   before MPI_Init: open(DIR/pre-P.txt, O_CREAT|O_WRONLY|O_TRUNC) + write "pre\n" (4 bytes) + close
 *   MPI_Init; MPI_File_open(DIR/shared.dat, CREATE|WRONLY); MPI_File_write_at(rank*32, 16 bytes)
 *   fork(): the child writes "child\n" (6 bytes) to DIR/child-<rank>.txt and _exits; the parent waits for it
 *   with GOFILE: rank 0 prints "ready" (after an MPI_Barrier: every rank is here), then each rank polls for GOFILE
 *     (stat every 10 ms): a test kills the collector meanwhile
 *   MPI_File_write_at(rank*32 + 16, 16 bytes); MPI_File_close; MPI_Finalize
 *   after MPI_Finalize: DIR/post-<rank>.txt with "post\n" (5 bytes)
 * Rank 0 prints "ok" at the end. */
#include <fcntl.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) != 0) {
        perror(path);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: rank_identity DIR [GOFILE]\n");
        return 2;
    }
    const char *dir = argv[1];
    char name[64];
    snprintf(name, sizeof name, "pre-%d.txt", (int)getpid());
    write_file(dir, name, "pre\n");

    MPI_Init(&argc, &argv);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    char path[4096];
    snprintf(path, sizeof path, "%s/shared.dat", dir);
    MPI_File fh;
    if (MPI_File_open(MPI_COMM_WORLD, path, MPI_MODE_CREATE | MPI_MODE_WRONLY, MPI_INFO_NULL, &fh) != MPI_SUCCESS)
        MPI_Abort(MPI_COMM_WORLD, 1);
    char block[16];
    memset(block, 'a' + rank, sizeof block);
    MPI_File_write_at(fh, (MPI_Offset)rank * 32, block, 16, MPI_BYTE, MPI_STATUS_IGNORE);

    pid_t child = fork();
    if (child == 0) {
        snprintf(name, sizeof name, "child-%d.txt", rank);
        write_file(dir, name, "child\n");
        _exit(0);
    }
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) != child || status != 0)
        MPI_Abort(MPI_COMM_WORLD, 1);

    if (argc > 2) {
        MPI_Barrier(MPI_COMM_WORLD);
        if (rank == 0) {
            printf("ready\n");
            fflush(stdout);
        }
        struct stat st;
        while (stat(argv[2], &st) != 0) {
            struct timespec pause = {0, 10 * 1000000L};
            nanosleep(&pause, NULL);
        }
    }
    MPI_File_write_at(fh, (MPI_Offset)rank * 32 + 16, block, 16, MPI_BYTE, MPI_STATUS_IGNORE);
    MPI_File_close(&fh);
    MPI_Finalize();

    snprintf(name, sizeof name, "post-%d.txt", rank);
    write_file(dir, name, "post\n");
    if (rank == 0)
        printf("ok\n");
    return 0;
}
