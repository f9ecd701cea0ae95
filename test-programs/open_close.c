/*
 * open_close DIR COUNT — scale: opens and closes DIR/f-<i % 100> COUNT times (O_CREAT|O_WRONLY, 0600), one
 * open and one close per iteration and nothing else, then prints "cycles COUNT" on stdout.
 */
#include "common.h"
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    CHECK(argc == 3);
    const long count = atol(argv[2]);
    char names[100][4096];
    for (int i = 0; i < 100; i++) snprintf(names[i], sizeof names[i], "%s/f-%d", argv[1], i);
    for (long i = 0; i < count; i++) {
        int fd = open(names[i % 100], O_CREAT | O_WRONLY, 0600);
        CHECK(fd >= 0);
        CHECK(close(fd) == 0);
    }
    printf("cycles %ld\n", count);
    return 0;
}
