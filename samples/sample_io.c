/*
 * The demo program traced by `make demo`: a small "simulation" that writes a checkpoint with POSIX calls,
 * reads it back through stdio, maps it, and lets a forked child append a log line.
 * Every call it makes shows up in the trace with the file it touched.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define BLOCKS 16
#define BLOCK_SIZE 4096

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    char checkpoint[4096], log[4096];
    snprintf(checkpoint, sizeof checkpoint, "%s/checkpoint.dat", dir);
    snprintf(log, sizeof log, "%s/run.log", dir);

    static char block[BLOCK_SIZE];
    memset(block, 'x', sizeof block);
    int fd = open(checkpoint, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    if (fd < 0) { perror("open"); return 1; }
    for (int i = 0; i < BLOCKS; i++) {
        if (write(fd, block, sizeof block) != (ssize_t)sizeof block) { perror("write"); return 1; }
    }
    fsync(fd);
    close(fd);

    FILE *in = fopen(checkpoint, "r");
    if (!in) { perror("fopen"); return 1; }
    size_t total = 0, n;
    while ((n = fread(block, 1, sizeof block, in)) > 0) total += n;
    fclose(in);

    fd = open(checkpoint, O_RDONLY);
    char *map = mmap(NULL, total, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    long sum = 0;
    if (map != MAP_FAILED) {
        for (size_t i = 0; i < total; i += BLOCK_SIZE) sum += map[i];
        munmap(map, total);
    }

    pid_t child = fork();
    if (child == 0) {
        FILE *out = fopen(log, "a");
        if (out) { fprintf(out, "child checked %zu bytes\n", total); fclose(out); }
        _exit(0);
    }
    waitpid(child, NULL, 0);
    printf("sample_io: wrote and read %zu bytes (checksum %ld)\n", total, sum);
    return 0;
}
