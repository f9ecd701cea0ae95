/*
 * inherited_fd — writes to descriptors it did not open: write(3, "inherited\n") = 10 and
 * write(1, "to stdout\n") = 10. Run as `sh -c 'exec 3>FILE; exec inherited_fd > OUT'`.
 */
#include "common.h"
#include <unistd.h>

int main(void)
{
    CHECK(write(3, "inherited\n", 10) == 10);
    CHECK(write(1, "to stdout\n", 10) == 10);
    return 0;
}
