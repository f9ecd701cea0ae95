/*
 * dirs DIR — directory streams and the rest of the metadata calls. Built twice (see the Makefile): with
 * -D_FILE_OFFSET_BITS=64 readdir/readdir_r/scandir/scandirat/statfs/fstatfs/open become their 64 variants, and with
 * -O2 -D_FORTIFY_SOURCE=2 readlink/readlinkat/realpath (buffer size known, length not constant) become
 * __readlink_chk/__readlinkat_chk/__realpath_chk. Calls, in order (D = DIR/d):
 *   mkdir(D, 0700); open(D/f1, O_CREAT|O_WRONLY, 0600) = 3; write(3, 5) = 5; close(3)
 *   mkfifo(D/p, 0600); mknod(D/n, S_IFREG|0600, 0); symlink("f1", D/l)
 *   opendir(D); readdir x7 (".", "..", f1, p, n, l in some order, then the end: eof)
 *   rewinddir; readdir; telldir; readdir (entry X); seekdir; readdir (X again); dirfd = 3; fstatfs(3); futimens(3)
 *   closedir
 *   opendir(D/none) = NULL ENOENT
 *   opendir(D); dirfd = 3; close(3); readdir = NULL EBADF (an error, not the end); closedir = -1 EBADF
 *   open(D, O_RDONLY|O_DIRECTORY) = 3; fdopendir(3); readdir_r x7 (6 entries, then the end: eof); closedir
 *   scandir(D) = 6
 *   open(D, O_RDONLY|O_DIRECTORY) = 3; scandirat(3, ".") = 6; statx(3, "f1") = 0 (size 5); statfs(D)
 *   readlink(D/l) = 2 "f1"; readlinkat(3, "l") = 2 "f1"; readlink(D/f1) = -1 EINVAL; realpath(D/l) = D/f1
 *   nftw(D, 4, FTW_PHYS) = 0 (5 callbacks, no traced calls in them); getdents64(3) > 0; getdents64(3) = 0 (end)
 *   statvfs(D); fstatvfs(3); euidaccess(D/f1, R_OK); futimesat(3, "f1", NULL); getcwd = the working directory
 *   linkat(3, "f1", 3, "h", 0); symlinkat("f1", 3, "s"); renameat2(3, "h", 3, "h2", RENAME_NOREPLACE)
 *   fchmodat(3, "f1", 0644, 0); fchownat(3, "f1", uid, gid, 0); mknodat(3, "n2", S_IFIFO|0600, 0);
 *   mkfifoat(3, "p2", 0600)
 *   utime(D/f1); utimes(D/f1); lutimes(D/l); close(3)
 *   open(D/f1, O_RDONLY) = 3; futimes(3); close(3)
 *   unlink x9 (f1 p n l h2 s n2 p2 ... ), rmdir(D)
 */
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <unistd.h>
#include <utime.h>

#pragma GCC diagnostic ignored "-Wdeprecated-declarations" /* readdir_r is traced too */

static int walked;

static int count_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)path, (void)st, (void)type, (void)ftw;
    walked++;
    return 0;
}

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    char d[3000];
    snprintf(d, sizeof d, "%s/d", argv[1]);
    const char *f1 = path_in(d, "f1");
    struct stat st;
    struct statfs sfs;

    CHECK(mkdir(d, 0700) == 0);
    int fd = open(f1, O_CREAT | O_WRONLY, 0600);
    CHECK(fd == 3);
    CHECK(write(fd, "hello", 5) == 5);
    CHECK(close(fd) == 0);
    CHECK(mkfifo(path_in(d, "p"), 0600) == 0);
    CHECK(mknod(path_in(d, "n"), S_IFREG | 0600, 0) == 0);
    CHECK(symlink("f1", path_in(d, "l")) == 0);

    DIR *dir = opendir(d);
    CHECK(dir != NULL);
    int entries = 0;
    errno = 0;
    while (readdir(dir) != NULL)
        entries++;
    CHECK(entries == 6 && errno == 0);
    rewinddir(dir);
    CHECK(readdir(dir) != NULL);
    long loc = telldir(dir);
    CHECK(loc != -1);
    struct dirent *x = readdir(dir);
    CHECK(x != NULL);
    char xname[256];
    snprintf(xname, sizeof xname, "%s", x->d_name);
    seekdir(dir, loc);
    x = readdir(dir);
    CHECK(x != NULL && strcmp(x->d_name, xname) == 0);
    CHECK(dirfd(dir) == 3);
    CHECK(fstatfs(3, &sfs) == 0);
    CHECK(futimens(3, NULL) == 0);
    CHECK(closedir(dir) == 0);
    CHECK(opendir(path_in(d, "none")) == NULL && errno == ENOENT);
    dir = opendir(d);
    CHECK(dir != NULL);
    CHECK(close(dirfd(dir)) == 0);
    errno = 0;
    CHECK(readdir(dir) == NULL && errno == EBADF);
    CHECK(closedir(dir) == -1 && errno == EBADF);

    fd = open(d, O_RDONLY | O_DIRECTORY);
    CHECK(fd == 3);
    dir = fdopendir(fd);
    CHECK(dir != NULL);
    struct dirent entry, *result;
    entries = 0;
    while (readdir_r(dir, &entry, &result) == 0 && result != NULL)
        entries++;
    CHECK(entries == 6);
    CHECK(closedir(dir) == 0);

    struct dirent **list;
    int n = scandir(d, &list, NULL, alphasort);
    CHECK(n == 6);
    for (int i = 0; i < n; i++)
        free(list[i]);
    free(list);
    fd = open(d, O_RDONLY | O_DIRECTORY);
    CHECK(fd == 3);
    n = scandirat(fd, ".", &list, NULL, alphasort);
    CHECK(n == 6);
    for (int i = 0; i < n; i++)
        free(list[i]);
    free(list);
    struct statx stx;
    CHECK(statx(fd, "f1", 0, STATX_SIZE, &stx) == 0 && stx.stx_size == 5);
    CHECK(statfs(d, &sfs) == 0);

    char link[PATH_MAX];
    volatile size_t room_unknown = sizeof link; /* not a constant: fortified builds check it at run time */
    size_t room = room_unknown;
    CHECK(readlink(path_in(d, "l"), link, room) == 2 && memcmp(link, "f1", 2) == 0);
    CHECK(readlinkat(fd, "l", link, room) == 2 && memcmp(link, "f1", 2) == 0);
    CHECK(readlink(f1, link, room) == -1 && errno == EINVAL);
    char resolved[PATH_MAX];
    CHECK(realpath(path_in(d, "l"), resolved) == resolved && strcmp(resolved, f1) == 0);
    CHECK(nftw(d, count_entry, 4, FTW_PHYS) == 0 && walked == 5);
    char dents[8192];
    CHECK(getdents64(fd, dents, sizeof dents) > 0);
    CHECK(getdents64(fd, dents, sizeof dents) == 0);
    struct statvfs svfs;
    CHECK(statvfs(d, &svfs) == 0);
    CHECK(fstatvfs(fd, &svfs) == 0);
    CHECK(euidaccess(f1, R_OK) == 0);
    CHECK(futimesat(fd, "f1", NULL) == 0);
    char cwd[PATH_MAX];
    CHECK(getcwd(cwd, room) == cwd);

    CHECK(linkat(fd, "f1", fd, "h", 0) == 0);
    CHECK(symlinkat("f1", fd, "s") == 0);
    CHECK(renameat2(fd, "h", fd, "h2", RENAME_NOREPLACE) == 0);
    CHECK(fchmodat(fd, "f1", 0644, 0) == 0);
    CHECK(fchownat(fd, "f1", getuid(), getgid(), 0) == 0);
    CHECK(mknodat(fd, "n2", S_IFIFO | 0600, 0) == 0);
    CHECK(mkfifoat(fd, "p2", 0600) == 0);
    CHECK(utime(f1, NULL) == 0);
    CHECK(utimes(f1, NULL) == 0);
    CHECK(lutimes(path_in(d, "l"), NULL) == 0);
    CHECK(close(fd) == 0);
    fd = open(f1, O_RDONLY);
    CHECK(fd == 3);
    CHECK(futimes(fd, NULL) == 0);
    CHECK(close(fd) == 0);

    static const char *const names[] = {"f1", "p", "n", "l", "h2", "s", "n2", "p2"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        CHECK(unlink(path_in(d, names[i])) == 0);
    CHECK(rmdir(d) == 0);
    (void)st;
    return 0;
}
