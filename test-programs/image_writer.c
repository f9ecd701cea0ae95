/*
 * image_writer FILE — writes "image\n" to FILE (open, write, close). Built twice: build/image_writer (dynamic; the
 * tests copy it and make the copy setuid) and build/image_writer-static (statically linked): programs the shim
 * cannot be preloaded into, whose exec the collector reports as untraced.
 */
#include "common.h"
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, "image\n", 6) == 6);
    CHECK(close(fd) == 0);
    return 0;
}
