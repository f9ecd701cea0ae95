/*
 * The processes and threads of the traced tree, and the ring each process's events go to.
 *
 * With the shim (the usual case) a process's ring is the shim's own R/<pid>-<inc>.ring: the tracer maps the file
 * and writes with the same lock-free claim/commit as the shim's threads (native-shim/src/ring.c): one more
 * producer, no lock anywhere (a tracee stopped inside the shim must never be waited for). With --own-rings
 * (iotrace run --ptrace-only: no shim at all) the tracer creates each process's ring itself, header included.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "ring.h"
#include "tracer.h"

const char *run_dir;
int own_rings;
uint32_t own_ring_capacity = 1u << 22;

#define MAX_PROCS   4096
#define MAX_THREADS 8192
/* Entries are used from the start; scans stop at the high-water marks (a struct proc is 600 bytes: a scan of all
 * 4096 for a pid we do not know yet, at every new process, touched 2.4 MB) */
static struct proc procs[MAX_PROCS];
static struct thread *threads[MAX_THREADS];
static int procs_used, threads_used;

struct proc *proc_find(pid_t tgid)
{
    for (int i = 0; i < procs_used; i++)
        if (procs[i].tgid == tgid)
            return &procs[i];
    return NULL;
}

struct proc *proc_get(pid_t tgid)
{
    struct proc *p = proc_find(tgid);
    if (p != NULL)
        return p;
    for (int i = 0; i < MAX_PROCS; i++)
        if (procs[i].tgid == 0) {
            memset(&procs[i], 0, sizeof procs[i]);
            procs[i].tgid = tgid;
            procs[i].ring_fd = -1;
            procs[i].incarnation = -1;
            if (i >= procs_used)
                procs_used = i + 1;
            return &procs[i];
        }
    return NULL;
}

static void proc_unmap(struct proc *p)
{
    if (p->map != NULL)
        munmap(p->map, p->map_len);
    if (p->ring_fd >= 0)
        close(p->ring_fd);
    p->map = NULL;
    p->ring_fd = -1;
}

static void sites_path(pid_t pid, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%d.ptrace-sites", run_dir, pid);
}

/* An image exec'd under an earlier image's filter and the sites its shim registered (kept from its parent for a
 * fork child): written whole, then renamed, so that an heir reads all of them or none. */
void proc_save_sites(const struct proc *p)
{
    if (!p->registered || run_dir == NULL)
        return;
    char path[4200], tmp[4300];
    sites_path(p->tgid, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    ssize_t want = (ssize_t)(p->nsites * sizeof p->sites[0]);
    int ok = write(fd, p->sites, (size_t)want) == want;
    close(fd);
    if (!ok || rename(tmp, path) != 0)
        unlink(tmp);
}

static void forget_sites(pid_t pid)
{
    char path[4200];
    sites_path(pid, path, sizeof path);
    unlink(path);
}

/* The image of a process taken over from a dead tracer: exec'd (its newest ring is not incarnation 0, or its shim
 * registered sites), and which sites. */
void proc_adopted(struct proc *p)
{
    if (p == NULL)
        return;
    char path[4200];
    sites_path(p->tgid, path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, p->sites, sizeof p->sites);
        close(fd);
        p->nsites = n > 0 ? (int)(n / (ssize_t)sizeof p->sites[0]) : 0;
        p->execd = p->registered = 1;
        return;
    }
    char prefix[32];
    int prefix_len = snprintf(prefix, sizeof prefix, "%d-", p->tgid);
    DIR *d = opendir(run_dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL)
        if (strncmp(e->d_name, prefix, (size_t)prefix_len) == 0 && atoi(e->d_name + prefix_len) > 0)
            p->execd = 1; /* exec'd, its shim not registered yet (it will: it sees our comm as its tracer) */
    if (d != NULL)
        closedir(d);
}

void proc_forget(struct proc *p)
{
    if (p->registered && !own_rings)
        forget_sites(p->tgid);
    proc_unmap(p);
    free(p->pending);
    memset(p, 0, sizeof *p);
    while (procs_used > 0 && procs[procs_used - 1].tgid == 0)
        procs_used--;
}

struct thread *thread_find(pid_t tid)
{
    for (int i = 0; i < threads_used; i++)
        if (threads[i] != NULL && threads[i]->tid == tid)
            return threads[i];
    return NULL;
}

struct thread *thread_get(pid_t tid)
{
    struct thread *t = thread_find(tid);
    if (t != NULL)
        return t;
    for (int i = 0; i < MAX_THREADS; i++)
        if (threads[i] == NULL) {
            t = calloc(1, sizeof *t);
            if (t != NULL)
                t->tid = tid;
            threads[i] = t;
            if (t != NULL && i >= threads_used)
                threads_used = i + 1;
            return t;
        }
    return NULL;
}

void thread_forget(pid_t tid)
{
    for (int i = 0; i < threads_used; i++)
        if (threads[i] != NULL && threads[i]->tid == tid) {
            free(threads[i]);
            threads[i] = NULL;
        }
    while (threads_used > 0 && threads[threads_used - 1] == NULL)
        threads_used--;
}

int thread_count(void)
{
    int n = 0;
    for (int i = 0; i < threads_used; i++)
        n += threads[i] != NULL;
    return n;
}

int thread_list(pid_t *tids, int max)
{
    int n = 0;
    for (int i = 0; i < threads_used && n < max; i++)
        if (threads[i] != NULL)
            tids[n++] = threads[i]->tid;
    return n;
}

/* a field ("Tgid", "PPid") of /proc/<tid>/status; -1 if unreadable */
static long status_field(pid_t tid, const char *name)
{
    char path[64], buf[2048], key[32];
    snprintf(path, sizeof path, "/proc/%d/status", tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    snprintf(key, sizeof key, "\n%s:", name);
    char *line = strstr(buf, key);
    return line != NULL ? atol(line + strlen(key)) : -1;
}

pid_t tgid_of(pid_t tid)
{
    long tgid = status_field(tid, "Tgid");
    return tgid > 0 ? (pid_t)tgid : tid;
}

/* field 22 of /proc/<pid>/stat (start time in ticks), as the shim records it; 0 if unreadable */
static uint64_t start_ticks(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
    if (p == NULL)
        return 0;
    for (int field = 2; field < 22 && p != NULL; field++)
        p = strchr(p + 1, ' ');
    return p != NULL ? strtoull(p + 1, NULL, 10) : 0;
}

/* ---- the shim's ring ---- */

static int map_ring_file(struct proc *p, const char *path, int create_size)
{
    int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create_size ? O_CREAT | O_EXCL : 0), 0600);
    if (fd < 0)
        return -1;
    struct stat st;
    uint32_t capacity = own_ring_capacity;
    if (create_size && ftruncate(fd, IOTRACE_RING_HEADER_LENGTH + (off_t)capacity + IOTRACE_TRAILER_LENGTH) != 0)
        goto fail;
    if (fstat(fd, &st) != 0 || (!create_size && pread(fd, &capacity, 4, IOTRACE_HDR_RING_CAPACITY) != 4) ||
        capacity == 0 ||
        (uint64_t)st.st_size < (uint64_t)IOTRACE_RING_HEADER_LENGTH + capacity + IOTRACE_TRAILER_LENGTH)
        goto fail;
    /* pages must exist before they are touched (tmpfs full = SIGBUS): header and trailer now, data as needed */
    if (create_size && fallocate(fd, 0, 0, IOTRACE_RING_HEADER_LENGTH) != 0)
        goto fail;
    if (fallocate(fd, 0, IOTRACE_RING_HEADER_LENGTH + (off_t)capacity, IOTRACE_TRAILER_LENGTH) != 0)
        goto fail;
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        goto fail;
    p->ring_fd = fd;
    p->map = map;
    p->map_len = (size_t)st.st_size;
    p->capacity = capacity;
    p->reserved = 0;
    return 0;
fail:
    if (create_size)
        unlink(path);
    close(fd);
    return -1;
}

/* Maps the newest ring of p (incarnation >= p->min_incarnation); 0 when there is one. */
static int map_shim_ring(struct proc *p)
{
    DIR *d = opendir(run_dir);
    if (d == NULL)
        return -1;
    char prefix[32];
    int prefix_len = snprintf(prefix, sizeof prefix, "%d-", p->tgid);
    long best = -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, (size_t)prefix_len) != 0)
            continue;
        char *end;
        long inc = strtol(e->d_name + prefix_len, &end, 10);
        if (end != e->d_name + prefix_len && strcmp(end, IOTRACE_RING_SUFFIX_C) == 0 && inc > best)
            best = inc;
    }
    closedir(d);
    if (best < p->min_incarnation)
        return -1;
    char path[4200];
    snprintf(path, sizeof path, "%s/%d-%ld" IOTRACE_RING_SUFFIX_C, run_dir, p->tgid, best);
    if (map_ring_file(p, path, 0) != 0)
        return -1;
    p->incarnation = (int)best;
    return 0;
}

/* ---- our own ring (--own-rings) ---- */

static void put32(unsigned char *h, size_t off, uint32_t v) { memcpy(h + off, &v, 4); }
static void put64(unsigned char *h, size_t off, uint64_t v) { memcpy(h + off, &v, 8); }

/* text of /proc/<pid>/<what> (a link, or a file when `file`) into out[cap]; its length */
static size_t proc_text(pid_t pid, const char *what, int file, char *out, size_t cap)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", pid, what);
    ssize_t n = -1;
    if (!file)
        n = readlink(path, out, cap - 1);
    else {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            n = read(fd, out, cap);
            close(fd);
        }
    }
    n = n < 0 ? 0 : n;
    if (!file)
        out[n] = '\0';
    return (size_t)n;
}

/* Creates R/<pid>-<inc>.ring for p (the first free inc >= min_incarnation) with the header the shim would write. */
static int create_own_ring(struct proc *p)
{
    char path[4200];
    int inc;
    for (inc = p->min_incarnation; inc < p->min_incarnation + 1000; inc++) {
        snprintf(path, sizeof path, "%s/%d-%d" IOTRACE_RING_SUFFIX_C, run_dir, p->tgid, inc);
        if (map_ring_file(p, path, 1) == 0)
            break;
        if (errno != EEXIST)
            return -1;
    }
    if (p->map == NULL)
        return -1;
    unsigned char *h = p->map;
    put64(h, IOTRACE_HDR_MAGIC, IOTRACE_RING_MAGIC);
    put32(h, IOTRACE_HDR_FORMAT_VERSION, IOTRACE_FORMAT_VERSION);
    put32(h, IOTRACE_HDR_HEADER_LENGTH, IOTRACE_RING_HEADER_LENGTH);
    put32(h, IOTRACE_HDR_RING_CAPACITY, p->capacity);
    put32(h, IOTRACE_HDR_PID, (uint32_t)p->tgid);
    put32(h, IOTRACE_HDR_PPID, (uint32_t)p->ppid);
    put32(h, IOTRACE_HDR_INCARNATION, (uint32_t)inc);
    put32(h, IOTRACE_HDR_ORIGIN, inc > 0 ? IOTRACE_ORIGIN_EXEC : p->ppid > 0 && proc_find(p->ppid) != NULL
                                                                      ? IOTRACE_ORIGIN_FORK
                                                                      : IOTRACE_ORIGIN_START);
    put64(h, IOTRACE_HDR_START_TIME_NS, (uint64_t)now_ns());
    put64(h, IOTRACE_HDR_PROC_START_TICKS, p->start_ticks);
    put32(h, IOTRACE_HDR_UID, (uint32_t)geteuid());
    put32(h, IOTRACE_HDR_PRODUCER, IOTRACE_PRODUCER_TRACER);
    struct proc *parent = p->ppid > 0 ? proc_find(p->ppid) : NULL;
    put64(h, IOTRACE_HDR_PARENT_START_TICKS, inc == 0 && parent != NULL ? parent->start_ticks : 0);
    struct utsname u;
    if (uname(&u) == 0)
        snprintf((char *)h + IOTRACE_HDR_HOSTNAME, IOTRACE_HDR_HOSTNAME_LENGTH, "%s", u.nodename);
    proc_text(p->tgid, "exe", 0, (char *)h + IOTRACE_HDR_EXE, IOTRACE_HDR_EXE_LENGTH);
    proc_text(p->tgid, "cwd", 0, (char *)h + IOTRACE_HDR_CWD, IOTRACE_HDR_CWD_LENGTH);
    put32(h, IOTRACE_HDR_CMDLINE_LENGTH, (uint32_t)proc_text(p->tgid, "cmdline", 1, (char *)h + IOTRACE_HDR_CMDLINE,
                                                             IOTRACE_HDR_CMDLINE_CAPACITY));
    __atomic_store_n((uint32_t *)(void *)(h + IOTRACE_HDR_STATE), IOTRACE_STATE_ACTIVE, __ATOMIC_RELEASE);
    p->incarnation = inc;
    p->own_ring = 1;
    return 0;
}

static int proc_ring(struct proc *p)
{
    if (p->map != NULL)
        return 0;
    if (own_rings) {
        if (p->start_ticks == 0)
            p->start_ticks = start_ticks(p->tgid);
        if (p->ppid == 0)
            p->ppid = (pid_t)status_field(p->tgid, "PPid");
        return create_own_ring(p);
    }
    /* an exec'd image's ring counts only once its shim has said so (registered): before, it may be the old one */
    if (p->execd && !p->registered)
        return -1;
    return map_shim_ring(p);
}

void proc_ensure_ring(struct proc *p)
{
    proc_ring(p);
}

void proc_exited(struct proc *p)
{
    if (p->own_ring && p->map != NULL)
        __atomic_store_n((uint32_t *)(void *)(p->map + IOTRACE_HDR_STATE), IOTRACE_STATE_EXITED, __ATOMIC_RELEASE);
}

void proc_detach_all(void)
{
    for (int i = 0; i < procs_used; i++)
        if (procs[i].tgid != 0 && procs[i].own_ring && procs[i].map != NULL)
            __atomic_store_n((uint32_t *)(void *)(procs[i].map + IOTRACE_HDR_STATE), IOTRACE_STATE_DETACHED,
                             __ATOMIC_RELEASE);
}

/* after an exec: the old image's ring gets nothing more; the new image's ring is newer */
void proc_exec(struct proc *p)
{
    proc_exited(p);
    proc_unmap(p);
    p->min_incarnation = p->incarnation + 1;
    if (p->registered && !own_rings)
        forget_sites(p->tgid);
    p->execd = 1;
    p->registered = 0;
    p->nsites = 0;
    p->own_ring = 0;
    p->vfork_parent = 0;
}

int proc_site_allowed(const struct proc *p, uint64_t ip, int sc)
{
    for (int i = 0; i < p->nsites; i++) {
        uint64_t site = p->sites[i] & ~IOTRACE_PTRACE_SITE_SYS_ONLY;
        if (site == ip && (!(p->sites[i] & IOTRACE_PTRACE_SITE_SYS_ONLY) || iotrace_sc_is_sys_recorded(sc)))
            return 1;
    }
    return 0;
}

/* ---- publishing ---- */

static void count_lost(struct proc *p)
{
    if (p->map != NULL)
        __atomic_add_fetch((int64_t *)(void *)(p->map + IOTRACE_HDR_LOST_EVENTS), 1, __ATOMIC_ACQ_REL);
    else
        p->dropped++;
}

/* one event into the mapped ring, as the shim's producers do; a ring that stays full without a collector loses it */
static void ring_publish(struct proc *p, int32_t type, const unsigned char *payload, uint32_t length)
{
    unsigned char *data = p->map + IOTRACE_RING_HEADER_LENGTH;
    for (int attempt = 0;; attempt++) {
        int rc = iotrace_ring_write(data, p->capacity, &p->reserved, type, payload, length);
        if (rc == IOTRACE_RING_OK)
            return;
        if (rc == IOTRACE_RING_UNRESERVED) {
            int64_t next = p->reserved + (1 << 20) < p->capacity ? p->reserved + (1 << 20) : p->capacity;
            if (fallocate(p->ring_fd, 0, IOTRACE_RING_HEADER_LENGTH + p->reserved, next - p->reserved) != 0)
                break;
            __atomic_store_n(&p->reserved, next, __ATOMIC_RELEASE);
            continue;
        }
        int64_t heartbeat = iotrace_ring_heartbeat(data, p->capacity);
        int64_t age_ms = now_ns() / 1000000 - heartbeat;
        if (rc != IOTRACE_RING_FULL || heartbeat == 0 || age_ms > 3000 || attempt > 3000)
            break;
        struct timespec pause = {0, 1000000};
        nanosleep(&pause, NULL);
    }
    count_lost(p);
}

/* pending entry: u32 type, u32 length, u64 ip, u32 sc, u32 zero, payload, padded to 8 */
#define PENDING_HEADER 24

static void pending_add(struct proc *p, int32_t type, const unsigned char *payload, uint32_t length, uint64_t ip,
                        int sc)
{
    uint32_t need = (PENDING_HEADER + length + 7u) & ~7u;
    if (p->pending == NULL)
        p->pending = malloc(PENDING_CAPACITY);
    if (p->pending == NULL || p->pending_len + need > PENDING_CAPACITY) {
        p->dropped++;
        return;
    }
    unsigned char *e = p->pending + p->pending_len;
    memcpy(e, &type, 4);
    memcpy(e + 4, &length, 4);
    memcpy(e + 8, &ip, 8);
    memcpy(e + 16, &sc, 4);
    memset(e + 20, 0, 4);
    memcpy(e + PENDING_HEADER, payload, length);
    p->pending_len += need;
}

/* the pending events into the ring, except those made at the shim's sites (its start-up calls) */
static void pending_flush(struct proc *p)
{
    for (uint32_t off = 0; off < p->pending_len;) {
        int32_t type;
        uint32_t length;
        uint64_t ip;
        int sc;
        memcpy(&type, p->pending + off, 4);
        memcpy(&length, p->pending + off + 4, 4);
        memcpy(&ip, p->pending + off + 8, 8);
        memcpy(&sc, p->pending + off + 16, 4);
        if (!proc_site_allowed(p, ip, sc))
            ring_publish(p, type, p->pending + off + PENDING_HEADER, length);
        off += (PENDING_HEADER + length + 7u) & ~7u;
    }
    free(p->pending);
    p->pending = NULL;
    p->pending_len = 0;
}

void proc_publish(struct proc *p, int32_t row, const unsigned char *payload, uint32_t length, uint64_t ip, int sc)
{
    if (proc_ring(p) != 0) {
        pending_add(p, row, payload, length, ip, sc);
        return;
    }
    if (p->pending != NULL)
        pending_flush(p);
    ring_publish(p, row, payload, length);
}

/* close(IOTRACE_PTRACE_REGISTER_FD, sites, count) of an exec'd image's shim: its ring exists now */
void proc_register(struct proc *p, pid_t tid, uint64_t sites_addr, uint64_t count)
{
    if (count > MAX_SITES)
        count = MAX_SITES;
    struct iovec local = {p->sites, count * 8};
    struct iovec remote = {(void *)(uintptr_t)sites_addr, count * 8};
    ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
    p->nsites = n > 0 ? (int)(n / 8) : 0;
    p->registered = 1;
    proc_save_sites(p);
    if (proc_ring(p) == 0 && p->pending != NULL)
        pending_flush(p);
}
