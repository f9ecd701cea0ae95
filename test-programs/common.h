/* Shared helpers of the test programs: exit with a message on an unexpected failure, build paths. */
#ifndef TEST_PROGRAMS_COMMON_H
#define TEST_PROGRAMS_COMMON_H
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: check failed: %s (errno %d)\n", \
                                                 __FILE__, __LINE__, #cond, errno); exit(99); } } while (0)

static inline const char *path_in(const char *dir, const char *name)
{
    static char buffers[8][4096];
    static int next;
    char *buf = buffers[next++ % 8];
    snprintf(buf, sizeof buffers[0], "%s/%s", dir, name);
    return buf;
}
#endif
