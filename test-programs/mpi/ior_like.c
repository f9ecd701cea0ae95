/* An IOR-like benchmark kernel of our own (IOR is not packaged and the tests have no network), with IOR's options
 * and file layout, that reports the transfers each rank made. Built per MPI implementation (build/ior_like-openmpi,
 * build/ior_like-mpich).
 *
 *   ior_like -o FILE [-a POSIX|MPIIO] [-b BLOCK] [-t TRANSFER] [-s SEGMENTS] [-F] [-c] [-w] [-r]
 *     -a  API: POSIX (open, lseek + write/read, close: as IOR's POSIX backend) or MPIIO (MPI_File_open,
 *         MPI_File_write_at/read_at, or their _all forms with -c, MPI_File_close); default POSIX
 *     -b  bytes each rank writes per segment (k/m/g suffixes), default 1m; -t bytes per transfer (divides -b),
 *         default 256k; -s segments, default 1
 *     -F  one file per rank, FILE.<rank as 8 digits> (IOR's naming); else one shared file FILE
 *     -c  collective MPI-IO; -w write, -r read back (and check) what was written; neither: both
 *   Layout (IOR's segmented layout): transfer k of segment s of rank r is at offset
 *     shared file:        s * ranks * BLOCK + r * BLOCK + k * TRANSFER
 *     file per process:   s * BLOCK + k * TRANSFER
 *   A transfer is one write/read (POSIX, after its lseek) or one MPI_File_write_at(_all)/read_at(_all) call; a short
 *   POSIX transfer is continued by further calls, each counted as a transfer. The write phase ends with an
 *   MPI_Barrier before the read phase starts.
 * Rank 0 prints, after the last phase:
 *   ior_like api=A ranks=N block=B transfer=T segments=S file_per_proc=0|1 collective=0|1
 *   rank=R op=write|read transfers=N bytes=B file=PATH      (one line per rank and phase, rank order)
 * Exit status 1 (MPI_Abort) when a call fails or data read back differs from what was written; 2 on bad options. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int rank, ranks;
static int use_mpiio, file_per_proc, collective;
static long long block = 1 << 20, transfer = 256 << 10, segments = 1;

static void fail(const char *what)
{
    fprintf(stderr, "ior_like: rank %d: %s\n", rank, what);
    MPI_Abort(MPI_COMM_WORLD, 1);
}

static long long size_arg(const char *text)
{
    char *end;
    long long v = strtoll(text, &end, 10);
    switch (*end) {
    case 'k': case 'K': v <<= 10; end++; break;
    case 'm': case 'M': v <<= 20; end++; break;
    case 'g': case 'G': v <<= 30; end++; break;
    default: break;
    }
    return *end == '\0' && v > 0 ? v : -1;
}

/* the byte at file offset `offset` written by rank `writer`: detects misplaced or lost transfers on read back */
static unsigned char pattern(long long offset, int writer)
{
    return (unsigned char)(offset * 7 + writer * 31 + (offset >> 12));
}

static void fill(unsigned char *buf, long long offset)
{
    for (long long i = 0; i < transfer; i++)
        buf[i] = pattern(offset + i, rank);
}

static void check(const unsigned char *buf, long long offset)
{
    for (long long i = 0; i < transfer; i++)
        if (buf[i] != pattern(offset + i, rank))
            fail("data read back differs from what was written");
}

static long long offset_of(long long segment, long long k)
{
    return file_per_proc ? segment * block + k * transfer : segment * ranks * block + rank * block + k * transfer;
}

struct tally {
    long long transfers, bytes;
};

static void posix_phase(const char *path, int write_phase, unsigned char *buf, struct tally *t)
{
    int fd = open(path, write_phase ? O_CREAT | O_WRONLY : O_RDONLY, 0644);
    if (fd < 0)
        fail("open");
    for (long long s = 0; s < segments; s++) {
        for (long long k = 0; k < block / transfer; k++) {
            long long offset = offset_of(s, k);
            if (write_phase)
                fill(buf, offset);
            if (lseek(fd, (off_t)offset, SEEK_SET) != (off_t)offset)
                fail("lseek");
            long long done = 0;
            while (done < transfer) {
                ssize_t n = write_phase ? write(fd, buf + done, (size_t)(transfer - done))
                                        : read(fd, buf + done, (size_t)(transfer - done));
                if (n < 0 && errno == EINTR)
                    continue;
                if (n <= 0)
                    fail(write_phase ? "write" : "read");
                t->transfers++;
                t->bytes += n;
                done += n;
            }
            if (!write_phase)
                check(buf, offset);
        }
    }
    if (close(fd) != 0)
        fail("close");
}

static void mpiio_phase(const char *path, int write_phase, unsigned char *buf, struct tally *t)
{
    MPI_File fh;
    int amode = write_phase ? MPI_MODE_CREATE | MPI_MODE_WRONLY : MPI_MODE_RDONLY;
    if (MPI_File_open(file_per_proc ? MPI_COMM_SELF : MPI_COMM_WORLD, path, amode, MPI_INFO_NULL, &fh) !=
        MPI_SUCCESS)
        fail("MPI_File_open");
    for (long long s = 0; s < segments; s++) {
        for (long long k = 0; k < block / transfer; k++) {
            long long offset = offset_of(s, k);
            MPI_Status status;
            int rc;
            if (write_phase) {
                fill(buf, offset);
                rc = collective ? MPI_File_write_at_all(fh, offset, buf, (int)transfer, MPI_BYTE, &status)
                                : MPI_File_write_at(fh, offset, buf, (int)transfer, MPI_BYTE, &status);
            } else {
                rc = collective ? MPI_File_read_at_all(fh, offset, buf, (int)transfer, MPI_BYTE, &status)
                                : MPI_File_read_at(fh, offset, buf, (int)transfer, MPI_BYTE, &status);
            }
            int count = 0;
            if (rc != MPI_SUCCESS || MPI_Get_count(&status, MPI_BYTE, &count) != MPI_SUCCESS ||
                count != (int)transfer)
                fail(write_phase ? "MPI_File_write_at" : "MPI_File_read_at");
            t->transfers++;
            t->bytes += count;
            if (!write_phase)
                check(buf, offset);
        }
    }
    if (MPI_File_close(&fh) != MPI_SUCCESS)
        fail("MPI_File_close");
}

static void file_name(char *out, size_t cap, const char *base, int of_rank)
{
    if (file_per_proc)
        snprintf(out, cap, "%s.%08d", base, of_rank);
    else
        snprintf(out, cap, "%s", base);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    const char *base = NULL;
    int do_write = 0, do_read = 0, opt;
    while ((opt = getopt(argc, argv, "a:b:t:s:o:Fcwr")) != -1) {
        switch (opt) {
        case 'a':
            if (strcmp(optarg, "POSIX") != 0 && strcmp(optarg, "MPIIO") != 0)
                goto usage;
            use_mpiio = strcmp(optarg, "MPIIO") == 0;
            break;
        case 'b': block = size_arg(optarg); break;
        case 't': transfer = size_arg(optarg); break;
        case 's': segments = size_arg(optarg); break;
        case 'o': base = optarg; break;
        case 'F': file_per_proc = 1; break;
        case 'c': collective = 1; break;
        case 'w': do_write = 1; break;
        case 'r': do_read = 1; break;
        default: goto usage;
        }
    }
    if (base == NULL || block <= 0 || transfer <= 0 || segments <= 0 || block % transfer != 0 ||
        transfer > (1LL << 30) || optind != argc || (collective && !use_mpiio))
        goto usage;
    if (!do_write && !do_read)
        do_write = do_read = 1;

    unsigned char *buf = malloc((size_t)transfer);
    if (buf == NULL)
        fail("malloc");
    char path[4096];
    file_name(path, sizeof path, base, rank);
    struct tally tallies[2] = {{0, 0}, {0, 0}}; /* write, read */
    for (int phase = 0; phase < 2; phase++) {
        if (!(phase == 0 ? do_write : do_read))
            continue;
        if (use_mpiio)
            mpiio_phase(path, phase == 0, buf, &tallies[phase]);
        else
            posix_phase(path, phase == 0, buf, &tallies[phase]);
        MPI_Barrier(MPI_COMM_WORLD);
    }
    free(buf);

    long long mine[4] = {tallies[0].transfers, tallies[0].bytes, tallies[1].transfers, tallies[1].bytes};
    long long *all = rank == 0 ? malloc(sizeof mine * (size_t)ranks) : NULL;
    MPI_Gather(mine, 4, MPI_LONG_LONG, all, 4, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
    if (rank == 0) {
        printf("ior_like api=%s ranks=%d block=%lld transfer=%lld segments=%lld file_per_proc=%d collective=%d\n",
               use_mpiio ? "MPIIO" : "POSIX", ranks, block, transfer, segments, file_per_proc, collective);
        for (int r = 0; r < ranks; r++) {
            char name[4096];
            file_name(name, sizeof name, base, r);
            if (do_write)
                printf("rank=%d op=write transfers=%lld bytes=%lld file=%s\n", r, all[4 * r], all[4 * r + 1], name);
            if (do_read)
                printf("rank=%d op=read transfers=%lld bytes=%lld file=%s\n", r, all[4 * r + 2], all[4 * r + 3],
                       name);
        }
        free(all);
    }
    MPI_Finalize();
    return 0;

usage:
    if (rank == 0)
        fprintf(stderr, "usage: ior_like -o FILE [-a POSIX|MPIIO] [-b BLOCK] [-t TRANSFER] [-s SEGMENTS] [-F] [-c] "
                        "[-w] [-r]\n");
    MPI_Finalize();
    return 2;
}
