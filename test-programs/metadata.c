/*
 * metadata DIR — file metadata and name calls. Built twice (see the Makefile): with -D_FILE_OFFSET_BITS=64 the
 * stat family becomes stat64, lstat64, fstat64, fstatat64 and open becomes open64. Calls, in order:
 *   mkdir(DIR/meta, 0750) = 0
 *   open(DIR/meta/a.txt, O_CREAT|O_WRONLY, 0600) = 3; write(3, 11 bytes) = 11
 *   fstat(3) = 0 (size 11); fchmod(3, 0640) = 0; fchown(3, uid, gid) = 0; close(3) = 0
 *   stat(DIR/meta/a.txt) = 0 (size 11); lstat(DIR/meta/a.txt) = 0 (size 11)
 *   access(DIR/meta/a.txt, R_OK) = 0; access(DIR/meta/none, F_OK) = -1 ENOENT
 *   open(DIR/meta, O_RDONLY|O_DIRECTORY) = 3
 *   fstatat(3, "a.txt", 0) = 0 (size 11); faccessat(3, "a.txt", W_OK, 0) = 0; mkdirat(3, "sub", 0700) = 0
 *   chmod(DIR/meta/a.txt, 0600) = 0; chown(DIR/meta/a.txt, uid, gid) = 0; lchown(DIR/meta/a.txt, uid, gid) = 0
 *   link(DIR/meta/a.txt, DIR/meta/b.txt) = 0; symlink("a.txt", DIR/meta/c.lnk) = 0
 *   rename(DIR/meta/b.txt, DIR/meta/d.txt) = 0; renameat(3, "d.txt", 3, "e.txt") = 0
 *   utimensat(3, "a.txt", NULL, 0) = 0
 *   unlinkat(3, "e.txt", 0) = 0; unlinkat(3, "sub", AT_REMOVEDIR) = 0
 *   unlink(DIR/meta/c.lnk) = 0; unlink(DIR/meta/a.txt) = 0; close(3) = 0; rmdir(DIR/meta) = 0
 */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    const char *dir = argv[1];
    char meta[3000], a[4096], b[4096], c[4096], d[4096], none[4096];
    snprintf(meta, sizeof meta, "%s/meta", dir);
    snprintf(a, sizeof a, "%s/a.txt", meta);
    snprintf(b, sizeof b, "%s/b.txt", meta);
    snprintf(c, sizeof c, "%s/c.lnk", meta);
    snprintf(d, sizeof d, "%s/d.txt", meta);
    snprintf(none, sizeof none, "%s/none", meta);
    uid_t uid = getuid();
    gid_t gid = getgid();
    struct stat st;

    CHECK(mkdir(meta, 0750) == 0);
    int fd = open(a, O_CREAT | O_WRONLY, 0600);
    CHECK(fd == 3);
    CHECK(write(fd, "hello world", 11) == 11);
    CHECK(fstat(fd, &st) == 0 && st.st_size == 11);
    CHECK(fchmod(fd, 0640) == 0);
    CHECK(fchown(fd, uid, gid) == 0);
    CHECK(close(fd) == 0);
    CHECK(stat(a, &st) == 0 && st.st_size == 11);
    CHECK(lstat(a, &st) == 0 && st.st_size == 11);
    CHECK(access(a, R_OK) == 0);
    CHECK(access(none, F_OK) == -1 && errno == ENOENT);
    int dirfd = open(meta, O_RDONLY | O_DIRECTORY);
    CHECK(dirfd == 3);
    CHECK(fstatat(dirfd, "a.txt", &st, 0) == 0 && st.st_size == 11);
    CHECK(faccessat(dirfd, "a.txt", W_OK, 0) == 0);
    CHECK(mkdirat(dirfd, "sub", 0700) == 0);
    CHECK(chmod(a, 0600) == 0);
    CHECK(chown(a, uid, gid) == 0);
    CHECK(lchown(a, uid, gid) == 0);
    CHECK(link(a, b) == 0);
    CHECK(symlink("a.txt", c) == 0);
    CHECK(rename(b, d) == 0);
    CHECK(renameat(dirfd, "d.txt", dirfd, "e.txt") == 0);
    CHECK(utimensat(dirfd, "a.txt", NULL, 0) == 0);
    CHECK(unlinkat(dirfd, "e.txt", 0) == 0);
    CHECK(unlinkat(dirfd, "sub", AT_REMOVEDIR) == 0);
    CHECK(unlink(c) == 0);
    CHECK(unlink(a) == 0);
    CHECK(close(dirfd) == 0);
    CHECK(rmdir(meta) == 0);
    return 0;
}
