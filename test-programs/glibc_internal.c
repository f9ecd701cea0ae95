/*
 * glibc_internal DIR — calls whose file is opened inside glibc (where our wrappers cannot see the open), each
 * traced as the public call itself, and the records on the handles they return. Built twice (see the Makefile):
 * with -D_FILE_OFFSET_BITS=64 mkstemp/mkostemp/mkstemps/mkostemps/glob/globfree/open/mmap/ftruncate become their
 * 64 variants. Calls, in order (P = the pid, S = /dev/shm):
 *   shm_open("/iotrace-shm-P", O_CREAT|O_EXCL|O_RDWR, 0600) = 3; ftruncate(3, 4096); mmap(4096, MAP_SHARED, 3);
 *   munmap; close(3); shm_unlink("/iotrace-shm-P")
 *   sem_open("/iotrace-sem-P", O_CREAT|O_EXCL, 0600, 1) = sem; sem_close(sem); sem_unlink("/iotrace-sem-P");
 *   sem_open("/iotrace-sem-P", 0) = NULL ENOENT
 *   mkstemp(DIR/tmpXXXXXX) = 3; write(3, 7) = 7; close(3); unlink
 *   mkostemp(DIR/oXXXXXX, O_CLOEXEC) = 3; close(3); unlink
 *   mkstemps(DIR/sXXXXXX.txt, 4) = 3; close(3)
 *   mkostemps(DIR/tXXXXXX.txt, 4, O_APPEND) = 3; close(3)
 *   mkstemp("DIR/no-template") = -1 EINVAL
 *   mkdtemp(DIR/dXXXXXX) = the directory; rmdir
 *   glob(DIR/[st]*.txt) = 0, 2 matches; globfree; glob(DIR/[st]*.none) = GLOB_NOMATCH, 0 matches; globfree
 *   unlink x2 (the .txt files)
 *   dlopen("libm.so.6", RTLD_NOW) = handle; dlclose(handle) = 0; dlopen("libiotrace-no-such-lib.so") = NULL
 *   __xstat(1, DIR, &st) = 0; __fxstat(1, 1, &st) = 0; __lxstat(1, DIR/none) = -1 ENOENT;
 *   __fxstatat(1, AT_FDCWD, DIR, &st, 0) = 0 (old binaries' stat entry points, called directly)
 *   canonicalize_file_name(DIR/.) = DIR
 */
#include "common.h"
#include <dlfcn.h>
#include <fcntl.h>
#include <glob.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* the stat entry points of binaries built before glibc 2.33 (no longer declared by the headers) */
extern int __xstat(int ver, const char *path, struct stat *buf);
extern int __fxstat(int ver, int fd, struct stat *buf);
extern int __lxstat(int ver, const char *path, struct stat *buf);
extern int __fxstatat(int ver, int dirfd, const char *path, struct stat *buf, int flags);

static void temp_file(int fd)
{
    CHECK(fd == 3);
    CHECK(close(fd) == 0);
}

int main(int argc, char **argv)
{
    CHECK(argc == 2);
    const char *dir = argv[1];
    char shm[64], sem[64];
    snprintf(shm, sizeof shm, "/iotrace-shm-%d", (int)getpid());
    snprintf(sem, sizeof sem, "/iotrace-sem-%d", (int)getpid());

    int fd = shm_open(shm, O_CREAT | O_EXCL | O_RDWR, 0600);
    CHECK(fd == 3);
    CHECK(ftruncate(fd, 4096) == 0);
    void *map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(map != MAP_FAILED);
    CHECK(munmap(map, 4096) == 0);
    CHECK(close(fd) == 0);
    CHECK(shm_unlink(shm) == 0);

    sem_t *s = sem_open(sem, O_CREAT | O_EXCL, 0600, 1);
    CHECK(s != SEM_FAILED);
    CHECK(sem_close(s) == 0);
    CHECK(sem_unlink(sem) == 0);
    CHECK(sem_open(sem, 0) == SEM_FAILED && errno == ENOENT);

    char tmp[4096], o[4096], st[4096], tt[4096], bad[4096], d[4096];
    snprintf(tmp, sizeof tmp, "%s/tmpXXXXXX", dir);
    snprintf(o, sizeof o, "%s/oXXXXXX", dir);
    snprintf(st, sizeof st, "%s/sXXXXXX.txt", dir);
    snprintf(tt, sizeof tt, "%s/tXXXXXX.txt", dir);
    snprintf(bad, sizeof bad, "%s/no-template", dir);
    snprintf(d, sizeof d, "%s/dXXXXXX", dir);
    fd = mkstemp(tmp);
    CHECK(fd == 3);
    CHECK(write(fd, "tmpdata", 7) == 7);
    temp_file(fd);
    CHECK(unlink(tmp) == 0);
    temp_file(mkostemp(o, O_CLOEXEC));
    CHECK(unlink(o) == 0);
    temp_file(mkstemps(st, 4));
    temp_file(mkostemps(tt, 4, O_APPEND));
    CHECK(mkstemp(bad) == -1 && errno == EINVAL);
    CHECK(mkdtemp(d) == d);
    CHECK(rmdir(d) == 0);

    char pattern[4096];
    glob_t g;
    snprintf(pattern, sizeof pattern, "%s/[st]*.txt", dir);
    CHECK(glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc == 2);
    globfree(&g);
    snprintf(pattern, sizeof pattern, "%s/[st]*.none", dir);
    CHECK(glob(pattern, 0, NULL, &g) == GLOB_NOMATCH);
    globfree(&g);
    CHECK(unlink(st) == 0);
    CHECK(unlink(tt) == 0);

    void *lib = dlopen("libm.so.6", RTLD_NOW);
    CHECK(lib != NULL);
    CHECK(dlclose(lib) == 0);
    CHECK(dlopen("libiotrace-no-such-lib.so", RTLD_NOW) == NULL);

    struct stat sb;
    CHECK(__xstat(1, dir, &sb) == 0 && S_ISDIR(sb.st_mode));
    CHECK(__fxstat(1, 1, &sb) == 0);
    CHECK(__lxstat(1, path_in(dir, "none"), &sb) == -1 && errno == ENOENT);
    CHECK(__fxstatat(1, AT_FDCWD, dir, &sb, 0) == 0 && S_ISDIR(sb.st_mode));
    char *canonical = canonicalize_file_name(path_in(dir, "."));
    CHECK(canonical != NULL && strcmp(canonical, dir) == 0);
    free(canonical);
    return 0;
}
