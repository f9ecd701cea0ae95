/*
 * The heir: what keeps a traced tree working when its tracer is killed (IOTRACE_PTRACE=on).
 *
 * The shim's seccomp filter stays in every process of the tree for good (a filter cannot be removed), and
 * SECCOMP_RET_TRACE with no tracer attached fails the call with ENOSYS: a dead tracer would make every later bypass
 * call of the program fail (opendir, getpwnam, a dlopen, the loader of an exec'd image). PTRACE_O_EXITKILL would
 * kill the program with us instead. Neither is acceptable, and no filter action survives the process that serves
 * it: SECCOMP_RET_USER_NOTIF without its listener fails with ENOSYS too, and SECCOMP_RET_TRAP needs a SIGSYS
 * handler, which an image has not yet installed while its loader runs. So another process must take the tree over:
 *
 * the tracer starts a copy of itself, `iotrace-ptrace --heir-of TRACER --session-dir R`, as its child, which does
 * nothing but wait for the tracer's death (PR_SET_PDEATHSIG). Then it becomes the tracer: it seizes every process
 * of the session that has a filter and no tracer (the pids of the rings in R and their descendants) and, for exec'd
 * images, reads the sites their shim registered (R/<pid>.ptrace-sites, written by proc_register), then starts an
 * heir of its own. Only SIGKILL can end a tracer (it ignores the other catchable signals); if the heir dies the
 * tracer starts another.
 *
 * What is not covered: between the tracer's death and the heir's PTRACE_SEIZE of a thread (the kernel detaches
 * the threads first) a bypass call of that thread fails with ENOSYS; the window is the heir's wake-up and seize
 * (about a millisecond, measured in the report of issue 4), and no kernel mechanism closes it (a new tracer can only
 * attach once the old one is gone). Calls in flight at the death (stopped at their entry) run unrecorded. Killing
 * the tracer and its heir together leaves the tree with ENOSYS.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "tracer.h"

/* Returns once `tracer` (our parent) has died. */
void heir_wait(pid_t tracer)
{
    sigset_t death;
    sigemptyset(&death);
    sigaddset(&death, SIGUSR2);
    sigprocmask(SIG_BLOCK, &death, NULL);
    signal(SIGUSR2, SIG_DFL); /* (the tracer ignores it) blocked: it waits for sigwaitinfo */
    prctl(PR_SET_PDEATHSIG, SIGUSR2);
    if (getppid() != tracer)
        return; /* died before we asked */
    siginfo_t info;
    while (sigwaitinfo(&death, &info) < 0 && errno == EINTR)
        ;
}

/* "Name:\tvalue" of /proc/<pid>/status as a number; -1 when unreadable */
static long status_number(pid_t pid, const char *name)
{
    char path[64], buf[4096], key[40];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    snprintf(key, sizeof key, "\n%s:", name);
    char *line = strstr(buf, key);
    return line != NULL ? strtol(line + strlen(key), NULL, 10) : -1;
}

#define MAX_ADOPTED 4096

static int known(const pid_t *pids, int n, pid_t pid)
{
    for (int i = 0; i < n; i++)
        if (pids[i] == pid)
            return 1;
    return 0;
}

/* The session's processes: the pids of the rings in run_dir (from n on), then, with `children`, (repeatedly) the
 * children of those known. The new count. */
static int session_pids(pid_t *pids, int n, int max, int children)
{
    DIR *d = children ? NULL : opendir(run_dir);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL && n < max) {
            char *end;
            long pid = strtol(e->d_name, &end, 10);
            if (end != e->d_name && *end == '-' && strstr(end, IOTRACE_RING_SUFFIX_C) != NULL && pid > 0 &&
                !known(pids, n, (pid_t)pid))
                pids[n++] = (pid_t)pid;
        }
        closedir(d);
    }
    for (int added = children; added && n < max;) { /* children forked before their ring existed */
        added = 0;
        DIR *proc = opendir("/proc");
        if (proc == NULL)
            break;
        struct dirent *e;
        while ((e = readdir(proc)) != NULL && n < max) {
            char *end;
            long pid = strtol(e->d_name, &end, 10);
            if (*end != '\0' || pid <= 0 || known(pids, n, (pid_t)pid))
                continue;
            long ppid = status_number((pid_t)pid, "PPid");
            if (ppid > 0 && known(pids, n, (pid_t)ppid))
                pids[n++] = (pid_t)pid, added = 1;
        }
        closedir(proc);
    }
    return n;
}

/* Seizes (with `seize`) every process of the session that runs under a filter with no tracer; how many. The ring
 * owners first (a directory read), the slower scan of /proc for children without a ring after: every moment
 * without a tracer is a moment of ENOSYS for the tree's bypass calls. */
int heir_adopt(int (*seize)(pid_t))
{
    static pid_t pids[MAX_ADOPTED];
    int n = 0, adopted = 0, done = 0;
    for (int children = 0; children <= 1; children++) {
        n = session_pids(pids, n, MAX_ADOPTED, children);
        for (; done < n; done++) {
            if (status_number(pids[done], "Seccomp") != 2 || status_number(pids[done], "TracerPid") != 0)
                continue;
            if (seize(pids[done]) != 0)
                continue;
            proc_adopted(proc_get(pids[done]));
            adopted++;
        }
    }
    return adopted;
}
