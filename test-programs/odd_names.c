/*
 * odd_names DIR — file names that JSON must escape. For each name N below, in this order:
 *   open(DIR/N, O_CREAT|O_TRUNC|O_WRONLY, 0600) = 3; write(3, 1 byte) = 1; close(3) = 0
 * Names (C escapes): "quote\"d", "back\\slash", "tab\there", "new\nline", "ctrl\001\037x", "uni\303\274\342\202\254",
 * "bad\377\376name" (invalid UTF-8), "sp ace,comma=eq", and more invalid UTF-8: a lone continuation byte
 * "cont\200", a cut multi-byte sequence "cut\342\202", an overlong encoding of '/' "long\300\257".
 */
#include "common.h"
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    static const char *names[] = {"quote\"d", "back\\slash", "tab\there", "new\nline", "ctrl\001\037x",
                                  "uni\303\274\342\202\254", "bad\377\376name", "sp ace,comma=eq",
                                  "cont\200", "cut\342\202", "long\300\257"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        int fd = open(path_in(argv[1], names[i]), O_CREAT | O_TRUNC | O_WRONLY, 0600);
        CHECK(fd == 3);
        CHECK(write(fd, "o", 1) == 1);
        CHECK(close(fd) == 0);
    }
    return 0;
}
