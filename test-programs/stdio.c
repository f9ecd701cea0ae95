/*
 * stdio DIR — FILE* streams. Calls, in order:
 *   fopen(DIR/stream.txt, "w") = S1; fileno(S1) = 3
 *   fwrite(size 1, nmemb 10, S1) = 10, three times
 *   fclose(S1) = 0
 *   fopen(DIR/stream.txt, "r") = S2; fread(size 1, nmemb 16, S2) = 16, = 14, = 0 (eof); fclose(S2) = 0
 *   open(DIR/stream.txt, O_RDONLY) = 3; fdopen(3, "r") = S3; fread(size 10, nmemb 3, S3) = 3; fclose(S3) = 0
 *   fopen(DIR/missing/none, "r") = NULL, ENOENT
 */
#include "common.h"
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    const char *file = path_in(argv[1], "stream.txt");
    char buf[64];
    memset(buf, 's', sizeof buf);
    FILE *out = fopen(file, "w");
    CHECK(out != NULL);
    CHECK(fileno(out) == 3);
    for (int i = 0; i < 3; i++) CHECK(fwrite(buf, 1, 10, out) == 10);
    CHECK(fclose(out) == 0);

    FILE *in = fopen(file, "r");
    CHECK(in != NULL);
    CHECK(fread(buf, 1, 16, in) == 16);
    CHECK(fread(buf, 1, 16, in) == 14);
    CHECK(fread(buf, 1, 16, in) == 0);
    CHECK(fclose(in) == 0);

    int fd = open(file, O_RDONLY);
    CHECK(fd == 3);
    FILE *viafd = fdopen(fd, "r");
    CHECK(viafd != NULL);
    CHECK(fread(buf, 10, 3, viafd) == 3);
    CHECK(fclose(viafd) == 0);

    CHECK(fopen(path_in(argv[1], "missing/none"), "r") == NULL && errno == ENOENT);
    return 0;
}
