/* MPI-IO under the tracer (built with mpicc.openmpi and mpicc.mpich: build/mpi_io-openmpi, build/mpi_io-mpich).
 * Every rank, with DIR = argv[1]:
 *   MPI_File_open(DIR/shared.dat, CREATE|RDWR, info {"access_style": "read_mostly"})
 *   MPI_File_set_size(0), MPI_File_set_view(disp 0, MPI_BYTE, MPI_BYTE, "native", MPI_INFO_NULL)
 *   MPI_File_write_at(rank*4096, 1000 ints = 4000 bytes, MPI_STATUS_IGNORE)
 *   MPI_File_write_at_all(8192 + rank*4096, 250 doubles = 2000 bytes, &status)
 *   MPI_File_sync, MPI_File_get_size
 *   MPI_File_read_at(rank*4096, 1000 ints = 4000 bytes)
 *   MPI_File_iwrite_at(16384 + rank*4096, 512 bytes) + MPI_File_iread_at(rank*4096, 100 bytes), MPI_Waitall
 *   MPI_File_iread_at(8192 + rank*4096, 300 bytes), MPI_Wait(MPI_STATUS_IGNORE)
 *   MPI_File_read_at_all_begin/_end(rank*4096, 64 bytes)
 *   MPI_File_seek(0, MPI_SEEK_SET), MPI_File_get_position, MPI_File_close
 *   MPI_Isend/MPI_Irecv of one int between ranks 0 and 1 + MPI_Waitall (not file requests: no records)
 *   rank 0: MPI_File_delete(DIR/shared.dat); MPI_File_open of DIR/missing.dat RDONLY (fails: MPI error code)
 * Prints "ok" from rank 0 when every check passed. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "mpi_io: %s\n", what);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank = 0, size = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    check(argc == 2, "usage: mpi_io DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/shared.dat", argv[1]);

    MPI_Info info;
    MPI_Info_create(&info);
    MPI_Info_set(info, "access_style", "read_mostly");
    MPI_File fh;
    check(MPI_File_open(MPI_COMM_WORLD, path, MPI_MODE_CREATE | MPI_MODE_RDWR, info, &fh) == MPI_SUCCESS, "open");
    MPI_Info_free(&info);
    check(MPI_File_set_size(fh, 0) == MPI_SUCCESS, "set_size");
    check(MPI_File_set_view(fh, 0, MPI_BYTE, MPI_BYTE, "native", MPI_INFO_NULL) == MPI_SUCCESS, "set_view");

    int ints[1000];
    for (int i = 0; i < 1000; i++)
        ints[i] = rank * 1000 + i;
    check(MPI_File_write_at(fh, (MPI_Offset)rank * 4096, ints, 1000, MPI_INT, MPI_STATUS_IGNORE) == MPI_SUCCESS,
          "write_at");
    double doubles[250];
    for (int i = 0; i < 250; i++)
        doubles[i] = i;
    MPI_Status status;
    check(MPI_File_write_at_all(fh, 8192 + (MPI_Offset)rank * 4096, doubles, 250, MPI_DOUBLE, &status) ==
              MPI_SUCCESS, "write_at_all");
    check(MPI_File_sync(fh) == MPI_SUCCESS, "sync");
    MPI_Offset fsize = 0;
    check(MPI_File_get_size(fh, &fsize) == MPI_SUCCESS, "get_size");
    int back[1000];
    check(MPI_File_read_at(fh, (MPI_Offset)rank * 4096, back, 1000, MPI_INT, &status) == MPI_SUCCESS, "read_at");
    check(memcmp(back, ints, sizeof ints) == 0, "read back");

    char buf[512], rbuf[300];
    memset(buf, 'a' + rank, sizeof buf);
    MPI_Request reqs[2];
    check(MPI_File_iwrite_at(fh, 16384 + (MPI_Offset)rank * 4096, buf, 512, MPI_BYTE, &reqs[0]) == MPI_SUCCESS,
          "iwrite_at");
    check(MPI_File_iread_at(fh, (MPI_Offset)rank * 4096, rbuf, 100, MPI_BYTE, &reqs[1]) == MPI_SUCCESS, "iread_at");
    check(MPI_Waitall(2, reqs, MPI_STATUSES_IGNORE) == MPI_SUCCESS, "waitall");
    MPI_Request one;
    check(MPI_File_iread_at(fh, 8192 + (MPI_Offset)rank * 4096, rbuf, 300, MPI_BYTE, &one) == MPI_SUCCESS,
          "iread_at 2");
    check(MPI_Wait(&one, MPI_STATUS_IGNORE) == MPI_SUCCESS, "wait");
    check(MPI_File_read_at_all_begin(fh, (MPI_Offset)rank * 4096, rbuf, 64, MPI_BYTE) == MPI_SUCCESS, "begin");
    check(MPI_File_read_at_all_end(fh, rbuf, &status) == MPI_SUCCESS, "end");
    check(MPI_File_seek(fh, 0, MPI_SEEK_SET) == MPI_SUCCESS, "seek");
    MPI_Offset pos = -1;
    check(MPI_File_get_position(fh, &pos) == MPI_SUCCESS && pos == 0, "get_position");
    check(MPI_File_close(&fh) == MPI_SUCCESS, "close");

    if (size >= 2 && rank < 2) {
        int out = 42 + rank, in = 0;
        MPI_Request p2p[2];
        MPI_Isend(&out, 1, MPI_INT, 1 - rank, 7, MPI_COMM_WORLD, &p2p[0]);
        MPI_Irecv(&in, 1, MPI_INT, 1 - rank, 7, MPI_COMM_WORLD, &p2p[1]);
        check(MPI_Waitall(2, p2p, MPI_STATUSES_IGNORE) == MPI_SUCCESS && in == 43 - rank, "p2p");
    }
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0) {
        check(MPI_File_delete(path, MPI_INFO_NULL) == MPI_SUCCESS, "delete");
        char missing[4096];
        snprintf(missing, sizeof missing, "%s/missing.dat", argv[1]);
        MPI_File_set_errhandler(MPI_FILE_NULL, MPI_ERRORS_RETURN);
        MPI_File bad;
        check(MPI_File_open(MPI_COMM_SELF, missing, MPI_MODE_RDONLY, MPI_INFO_NULL, &bad) != MPI_SUCCESS,
              "open of a missing file must fail");
    }
    MPI_Finalize();
    if (rank == 0)
        printf("ok\n");
    return 0;
}
