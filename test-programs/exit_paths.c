/*
 * exit_paths DIR MODE — the same I/O, then one way of ending the process. Core dumps are switched off first
 * (setrlimit, not traced). Calls, for every MODE:
 *   open(DIR/exit-MODE.dat, O_CREAT|O_TRUNC|O_WRONLY, 0600) = 3
 *   write(3, 10 bytes) = 10, 100 times        (in the thread/handler/destructor named below)
 * then the process ends by MODE:
 *   return        return 0 from main                           exit status 0
 *   exit          exit(0)                                      0
 *   _exit         _exit(0): no atexit handlers, no destructors  0
 *   _Exit         _Exit(0)                                     0
 *   exit_group    syscall(SYS_exit_group, 0): libc bypassed    0
 *   abort         abort()                                      killed by SIGABRT
 *   sigterm       raise(SIGTERM), default action               killed by SIGTERM
 *   sigkill       kill(getpid(), SIGKILL)                      killed by SIGKILL
 *   pthread_exit  main calls pthread_exit(); a second thread makes the 100 writes, then returns   0
 *   atexit        main returns 0; the 100 writes happen in an atexit handler                   0
 *   destructor    main returns 0; the 100 writes happen in the program's own destructor function 0
 *   exec          execl("/bin/true"): the image is replaced (a new incarnation of the same pid)  0
 * (In modes atexit and destructor the open is made in main, the writes after main returned; no close.)
 */
#include "common.h"
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static int in_destructor;

static void writes(void)
{
    for (int i = 0; i < 100; i++) CHECK(write(3, "0123456789", 10) == 10);
}

static void *writer_thread(void *arg)
{
    (void)arg;
    writes();
    return NULL;
}

__attribute__((destructor)) static void program_destructor(void)
{
    if (in_destructor) writes();
}

int main(int argc, char **argv)
{
    CHECK(argc == 3);
    const char *mode = argv[2];
    struct rlimit no_core = {0, 0};
    CHECK(setrlimit(RLIMIT_CORE, &no_core) == 0);
    char name[64];
    snprintf(name, sizeof name, "exit-%s.dat", mode);
    CHECK(open(path_in(argv[1], name), O_CREAT | O_TRUNC | O_WRONLY, 0600) == 3);

    if (strcmp(mode, "pthread_exit") == 0) {
        pthread_t thread;
        CHECK(pthread_create(&thread, NULL, writer_thread, NULL) == 0);
        pthread_exit(NULL);
    }
    if (strcmp(mode, "atexit") == 0) {
        CHECK(atexit(writes) == 0);
        return 0;
    }
    if (strcmp(mode, "destructor") == 0) {
        in_destructor = 1;
        return 0;
    }
    writes();
    if (strcmp(mode, "return") == 0) return 0;
    if (strcmp(mode, "exit") == 0) exit(0);
    if (strcmp(mode, "_exit") == 0) _exit(0);
    if (strcmp(mode, "_Exit") == 0) _Exit(0);
    if (strcmp(mode, "exit_group") == 0) syscall(SYS_exit_group, 0);
    if (strcmp(mode, "abort") == 0) abort();
    if (strcmp(mode, "sigterm") == 0) raise(SIGTERM);
    if (strcmp(mode, "sigkill") == 0) kill(getpid(), SIGKILL);
    if (strcmp(mode, "exec") == 0) execl("/bin/true", "true", (char *)NULL);
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
}
