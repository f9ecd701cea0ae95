/*
 * data_calls_i386 DIR — data calls made with the i386 system call ABI (int 0x80) from a 64-bit static program, for
 * iotrace run --ptrace-only (built static and not position-independent: its buffers have 32-bit addresses). The
 * 64-bit offsets go in two registers (low, high), all beyond 4 GiB. On DIR/data32.dat:
 *   open(O_RDWR|O_CREAT|O_TRUNC|O_LARGEFILE, 0600) (without O_LARGEFILE an i386 call cannot pass 2 GiB); write of
 *   10 bytes; ftruncate64 to 2^32+16 (sparse); _llseek to 2^32+1 (SEEK_SET; the kernel writes the new offset to
 *   memory); pread64 of 8 bytes at 2^32+5; fstat64 (size 2^32+16);
 *   close. Prints one line per call after the open: its name and result ("write 10", "_llseek 4294967297",
 *   "fstat64 4294967312").
 */
#include "common.h"
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

/* i386 numbers (asm/unistd_32.h) */
enum { I386_O_LARGEFILE = 0100000 };
enum { NR_WRITE = 4, NR_OPEN = 5, NR_CLOSE = 6, NR_LLSEEK = 140, NR_PREAD64 = 180, NR_FTRUNCATE64 = 194,
       NR_FSTAT64 = 197 };

static char path[4096];
static char buf[64];
static uint64_t new_offset;
static unsigned char stat64_buf[96]; /* i386 struct stat64: st_size (long long) at byte 44 */

static int32_t sys32(int32_t nr, uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t e)
{
    int32_t ret;
    __asm__ volatile("int $0x80"
                     : "=a"(ret)
                     : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
                     : "memory", "r8", "r9", "r10", "r11");
    return ret;
}

#define LOW32(p) ((uint32_t)(uintptr_t)(p))

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    CHECK((uintptr_t)path < 0xffffffffu && (uintptr_t)stat64_buf < 0xffffffffu);
    snprintf(path, sizeof path, "%s", path_in(argv[1], "data32.dat"));
    memset(buf, 'i', sizeof buf);
    int32_t fd = sys32(NR_OPEN, LOW32(path), O_RDWR | O_CREAT | O_TRUNC | I386_O_LARGEFILE, 0600, 0, 0);
    CHECK(fd >= 0);
    int32_t n = sys32(NR_WRITE, (uint32_t)fd, LOW32(buf), 10, 0, 0);
    CHECK(n == 10);
    printf("write %d\n", n);
    CHECK(sys32(NR_FTRUNCATE64, (uint32_t)fd, 16, 1, 0, 0) == 0);
    printf("ftruncate64 0\n");
    CHECK(sys32(NR_LLSEEK, (uint32_t)fd, 1, 1, LOW32(&new_offset), SEEK_SET) == 0);
    CHECK(new_offset == (1ull << 32) + 1);
    printf("_llseek %llu\n", (unsigned long long)new_offset);
    n = sys32(NR_PREAD64, (uint32_t)fd, LOW32(buf), 8, 5, 1);
    CHECK(n == 8);
    printf("pread64 %d\n", n);
    CHECK(sys32(NR_FSTAT64, (uint32_t)fd, LOW32(stat64_buf), 0, 0, 0) == 0);
    long long size;
    memcpy(&size, stat64_buf + 44, 8);
    CHECK(size == (1ll << 32) + 16);
    printf("fstat64 %lld\n", size);
    CHECK(sys32(NR_CLOSE, (uint32_t)fd, 0, 0, 0, 0) == 0);
    printf("close 0\n");
    return 0;
}
