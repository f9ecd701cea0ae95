/*
 * pipe_io — pipes are named as the kernel names them, pipe:[inode]. Calls, in order:
 *   pipe(p) = 0 (p = {3, 4}); write(4, 5 bytes) = 5; read(3, 5 bytes) = 5; close(4) = 0; read(3) = 0 (eof);
 *   close(3) = 0
 *   pipe2(p, O_CLOEXEC) = 0 (p = {3, 4}); close(3) = 0; close(4) = 0
 */
#include "common.h"
#include <fcntl.h>
#include <unistd.h>

int main(void)
{
    int p[2];
    char buf[8];
    CHECK(pipe(p) == 0 && p[0] == 3 && p[1] == 4);
    CHECK(write(p[1], "hello", 5) == 5);
    CHECK(read(p[0], buf, 5) == 5);
    CHECK(close(p[1]) == 0);
    CHECK(read(p[0], buf, 5) == 0);
    CHECK(close(p[0]) == 0);
    CHECK(pipe2(p, O_CLOEXEC) == 0 && p[0] == 3 && p[1] == 4);
    CHECK(close(p[0]) == 0);
    CHECK(close(p[1]) == 0);
    return 0;
}
