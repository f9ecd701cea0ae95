/*
 * Session lookup and ring files (docs/ARCHITECTURE.md "Session and collector protocol", iotrace_format.h 1 and 2).
 * All I/O is raw system calls: this runs in the constructor, lazily inside a wrapper, and in fork children.
 */
#include "session.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>

#include "clock.h"
#include "config.h"
#include "iotrace_format.h"
#include "iotrace_mpi.h"
#include "sys.h"

struct iotrace_session iotrace_sess;
struct iotrace_incarnation iotrace_cur;

/* the per-user directory holding every session: <runtime dir>/iotrace-<uid> */
static char user_dir[IOTRACE_PATH_MAX];

/* ---- paths -------------------------------------------------------------------------------------------------- */

static uint64_t fnv1a64(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* Lexical normalisation of an absolute path: no "//", ".", "..", trailing slash (like java.nio Path.normalize). */
static void normalise(char *path)
{
    char out[IOTRACE_PATH_MAX];
    size_t len = 0;
    const char *p = path;
    while (*p != '\0') {
        while (*p == '/')
            p++;
        const char *start = p;
        while (*p != '\0' && *p != '/')
            p++;
        size_t n = (size_t)(p - start);
        if (n == 0 || (n == 1 && start[0] == '.'))
            continue;
        if (n == 2 && start[0] == '.' && start[1] == '.') {
            while (len > 0 && out[len - 1] != '/')
                len--;
            if (len > 0)
                len--; /* the slash */
            continue;
        }
        if (len + 1 + n >= sizeof out)
            break;
        out[len++] = '/';
        memcpy(out + len, start, n);
        len += n;
    }
    if (len == 0)
        out[len++] = '/';
    out[len] = '\0';
    memcpy(path, out, len + 1);
}

/* relative paths are resolved against the cwd */
static int make_absolute(const char *in, char *out, size_t cap)
{
    if (in[0] == '/') {
        if (iotrace_strlcpy(out, in, cap) >= cap)
            return -1;
    } else {
        char cwd[IOTRACE_PATH_MAX];
        if (sys_getcwd(cwd, sizeof cwd) < 0)
            return -1;
        if (iotrace_fmt(out, cap, "%s/%s", cwd, in) >= cap)
            return -1;
    }
    normalise(out);
    return 0;
}

/* Creates (0700) or accepts a directory of ours; refuses symlinks and directories of other users. */
static int private_dir(const char *path)
{
    if (sys_mkdir(path, 0700) != 0 && errno != EEXIST) {
        iotrace_debugf("cannot create %s: errno %d", path, errno);
        return -1;
    }
    struct stat st;
    if (sys_lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != (uid_t)sys_geteuid()) {
        iotrace_debugf("refusing %s: not a directory owned by uid %d (or a symlink); running untraced", path,
                       sys_geteuid());
        return -1;
    }
    /* ours but open to others (made by some other tool with the default umask): close it before using it */
    if ((st.st_mode & 077) != 0 && syscall(SYS_fchmodat, AT_FDCWD, path, 0700, 0) != 0) {
        iotrace_debugf("refusing %s: mode %o and cannot make it 0700", path, (unsigned)(st.st_mode & 0777));
        return -1;
    }
    return 0;
}

/* ---- directory scanning ------------------------------------------------------------------------------------ */

typedef int (*entry_fn)(const char *dir, const char *name, void *arg); /* nonzero stops */

struct entry_walk {
    const char *dir;
    entry_fn fn;
    void *arg;
};

static int visible_entry(const char *name, void *arg)
{
    struct entry_walk *walk = arg;
    return name[0] == '.' ? 0 : walk->fn(walk->dir, name, walk->arg);
}

/* fn for every entry of dir not starting with '.'; a symlinked dir is not followed */
static int each_entry(const char *dir, entry_fn fn, void *arg)
{
    int fd = sys_open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW, 0);
    if (fd < 0)
        return 0;
    struct entry_walk walk = {dir, fn, arg};
    int stop = iotrace_each_dirent(fd, visible_entry, &walk);
    sys_close(fd);
    return stop;
}

/* "<pid>-<inc>.ring" → inc, or -1 */
static int ring_incarnation(const char *name, int pid)
{
    char prefix[32];
    size_t n = iotrace_fmt(prefix, sizeof prefix, "%d-", pid);
    if (strncmp(name, prefix, n) != 0)
        return -1;
    const char *p = name + n;
    int inc = 0;
    if (*p < '0' || *p > '9')
        return -1;
    while (*p >= '0' && *p <= '9' && inc < 100000000)
        inc = inc * 10 + (*p++ - '0');
    return strcmp(p, ".ring") == 0 ? inc : -1;
}

struct ring_search {
    int pid;
    uint64_t ticks;  /* 0: unknown (unreadable /proc), accept any */
    int max_inc;     /* highest matching incarnation, -1 if none */
    char session[64]; /* the session directory name where it was found */
};

/* a ring of this process (pid and start ticks match): the ticks guard against pid reuse */
static int ring_matches(const char *dir, const char *name, const struct ring_search *s)
{
    char path[IOTRACE_PATH_MAX + 300];
    iotrace_fmt(path, sizeof path, "%s/%s", dir, name);
    int fd = sys_open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
    if (fd < 0)
        return 0;
    unsigned char h[IOTRACE_HDR_PARENT_START_TICKS + 8];
    ssize_t n = sys_pread(fd, h, sizeof h, 0);
    sys_close(fd);
    if (n != (ssize_t)sizeof h)
        return 0;
    uint64_t magic, ticks;
    int32_t pid;
    memcpy(&magic, h + IOTRACE_HDR_MAGIC, 8);
    memcpy(&pid, h + IOTRACE_HDR_PID, 4);
    memcpy(&ticks, h + IOTRACE_HDR_PROC_START_TICKS, 8);
    return magic == IOTRACE_RING_MAGIC && pid == s->pid && (s->ticks == 0 || ticks == s->ticks);
}

static int scan_rings(const char *dir, const char *name, void *arg)
{
    struct ring_search *s = arg;
    int inc = ring_incarnation(name, s->pid);
    if (inc > s->max_inc && ring_matches(dir, name, s))
        s->max_inc = inc;
    return 0;
}

/*
 * The pid index: user_dir/by-pid/<pid> is a symlink to the session id of the newest ring of that pid, so that a
 * starting process finds its parent's (or its own pre-exec) session in O(1) however many sessions exist. The link
 * only points the way: the ring itself (pid and /proc start ticks) is checked before the session is joined.
 */
static void pid_index_path(int pid, char *path, size_t cap)
{
    iotrace_fmt(path, cap, "%s/" IOTRACE_PID_INDEX_DIR "/%d", user_dir, pid);
}

static void pid_index_add(int pid)
{
    char dir[IOTRACE_PATH_MAX + 32], link[IOTRACE_PATH_MAX + 64], tmp[IOTRACE_PATH_MAX + 96];
    iotrace_fmt(dir, sizeof dir, "%s/" IOTRACE_PID_INDEX_DIR, user_dir);
    if (private_dir(dir) != 0)
        return;
    pid_index_path(pid, link, sizeof link);
    iotrace_fmt(tmp, sizeof tmp, "%s.%d.tmp", link, sys_gettid());
    sys_unlink(tmp);
    /* symlink + rename replaces a stale link (an earlier process with this pid) atomically */
    if (sys_symlink(iotrace_sess.id, tmp) != 0 || sys_rename(tmp, link) != 0)
        sys_unlink(tmp);
}

/* Finds the session directory holding a ring of pid (with these start ticks); 0 if found. */
static int find_session_of(int pid, uint64_t ticks, char *session, size_t cap)
{
    char link[IOTRACE_PATH_MAX + 64], id[64], session_dir[IOTRACE_PATH_MAX + 32];
    if (pid <= 0)
        return -1;
    pid_index_path(pid, link, sizeof link);
    ssize_t n = sys_readlink(link, id, sizeof id - 1);
    if (n != 16)
        return -1;
    id[n] = '\0';
    struct ring_search s = {pid, ticks, -1, ""};
    iotrace_fmt(session_dir, sizeof session_dir, "%s/%s", user_dir, id);
    each_entry(session_dir, scan_rings, &s);
    if (s.max_inc < 0)
        return -1;
    iotrace_strlcpy(session, id, cap);
    return 0;
}

/* ---- session ------------------------------------------------------------------------------------------------ */

/* R/session holds O: read it to join a session found by its rings */
static int read_session_file(const char *session, char *out, size_t cap)
{
    char path[IOTRACE_PATH_MAX + 64];
    iotrace_fmt(path, sizeof path, "%s/%s/session", user_dir, session);
    ssize_t n = iotrace_read_file(path, out, cap - 1);
    if (n <= 0)
        return -1;
    out[n] = '\0';
    char *nl = memchr(out, '\n', (size_t)n);
    if (nl != NULL)
        *nl = '\0';
    return out[0] == '/' ? 0 : -1;
}

static void write_session_file(void)
{
    char path[IOTRACE_PATH_MAX + 16];
    char tmp[IOTRACE_PATH_MAX + 64];
    struct stat st;
    iotrace_fmt(path, sizeof path, "%s/session", iotrace_sess.run_dir);
    if (sys_lstat(path, &st) == 0)
        return;
    iotrace_fmt(tmp, sizeof tmp, "%s/.session.%d.tmp", iotrace_sess.run_dir, sys_getpid());
    int fd = sys_open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return;
    char text[IOTRACE_PATH_MAX + 2];
    size_t n = iotrace_fmt(text, sizeof text, "%s\n", iotrace_sess.out_dir);
    int ok = iotrace_write_all(fd, text, n) == 0;
    sys_close(fd);
    /* rename: readers see the whole file or none (a racing process writes the same text) */
    if (!ok || sys_rename(tmp, path) != 0)
        sys_unlink(tmp);
}

static int default_out_dir(char *out, size_t cap)
{
    char cwd[IOTRACE_PATH_MAX];
    if (sys_getcwd(cwd, sizeof cwd) < 0)
        return -1;
    time_t now = time(NULL);
    struct tm tm;
    if (localtime_r(&now, &tm) == NULL)
        return -1;
    if (iotrace_fmt(out, cap, "%s/iotrace-%d%s%d%s%d-%s%d%s%d%s%d-%d", cwd, tm.tm_year + 1900,
                    tm.tm_mon + 1 < 10 ? "0" : "", tm.tm_mon + 1, tm.tm_mday < 10 ? "0" : "", tm.tm_mday,
                    tm.tm_hour < 10 ? "0" : "", tm.tm_hour, tm.tm_min < 10 ? "0" : "", tm.tm_min,
                    tm.tm_sec < 10 ? "0" : "", tm.tm_sec, sys_getpid()) >= cap)
        return -1;
    normalise(out);
    return 0;
}

/* ---- ring file ---------------------------------------------------------------------------------------------- */

static void put32(unsigned char *h, size_t off, uint32_t v) { memcpy(h + off, &v, 4); }
static void put64(unsigned char *h, size_t off, uint64_t v) { memcpy(h + off, &v, 8); }

static void fill_header(unsigned char *h, int pid, int ppid, int inc, int origin, uint64_t ticks,
                        uint64_t parent_ticks)
{
    put64(h, IOTRACE_HDR_MAGIC, IOTRACE_RING_MAGIC);
    put32(h, IOTRACE_HDR_FORMAT_VERSION, IOTRACE_FORMAT_VERSION);
    put32(h, IOTRACE_HDR_HEADER_LENGTH, IOTRACE_RING_HEADER_LENGTH);
    put32(h, IOTRACE_HDR_RING_CAPACITY, iotrace_cfg.ring_size);
    put32(h, IOTRACE_HDR_PID, (uint32_t)pid);
    put32(h, IOTRACE_HDR_PPID, (uint32_t)ppid);
    put32(h, IOTRACE_HDR_INCARNATION, (uint32_t)inc);
    put32(h, IOTRACE_HDR_ORIGIN, (uint32_t)origin);
    put64(h, IOTRACE_HDR_START_TIME_NS, (uint64_t)iotrace_now_ns());
    put64(h, IOTRACE_HDR_PROC_START_TICKS, ticks);
    put32(h, IOTRACE_HDR_UID, (uint32_t)sys_geteuid());
    put64(h, IOTRACE_HDR_PARENT_START_TICKS, parent_ticks);
    int rank = iotrace_mpi_known_rank(); /* so that even process_start and the first records carry it */
    put32(h, IOTRACE_HDR_MPI_RANK_KNOWN, rank >= 0);
    put32(h, IOTRACE_HDR_MPI_RANK, rank >= 0 ? (uint32_t)rank : 0);

    struct utsname u;
    if (syscall(SYS_uname, &u) == 0)
        iotrace_strlcpy((char *)h + IOTRACE_HDR_HOSTNAME, u.nodename, IOTRACE_HDR_HOSTNAME_LENGTH);
    ssize_t n = sys_readlink("/proc/self/exe", (char *)h + IOTRACE_HDR_EXE, IOTRACE_HDR_EXE_LENGTH - 1);
    if (n < 0)
        n = 0;
    h[IOTRACE_HDR_EXE + n] = '\0';
    if (sys_getcwd((char *)h + IOTRACE_HDR_CWD, IOTRACE_HDR_CWD_LENGTH) < 0)
        h[IOTRACE_HDR_CWD] = '\0';
    n = iotrace_read_file("/proc/self/cmdline", (char *)h + IOTRACE_HDR_CMDLINE, IOTRACE_HDR_CMDLINE_CAPACITY);
    put32(h, IOTRACE_HDR_CMDLINE_LENGTH, n > 0 ? (uint32_t)n : 0);
}

#define RESERVE_FIRST (64u * 1024u)   /* at start: most processes never write more */
#define RESERVE_CHUNK (256u * 1024u)  /* then: one madvise per ~4700 small records */

/*
 * Makes the pages of [addr, addr + len) exist and maps them, or fails (-1, EFAULT/ENOMEM) where a store would raise
 * SIGBUS. MADV_POPULATE_READ rather than _WRITE: on a shared tmpfs mapping it allocates missing pages the same way
 * and maps them writable too (tmpfs needs no write notification), and it maps pages the file already has 16 at a
 * time (fault-around): the collector makes ring pages ahead of a busy producer (RingSource.populateAhead), which
 * then cost 0.46 us per page here instead of 0.9 (2.5 for a page made now).
 */
static int populate(void *addr, size_t len)
{
    /* the kernel rounds len up to whole pages; addr is always page aligned here */
    return (int)syscall(SYS_madvise, addr, len, MADV_POPULATE_READ);
}

int iotrace_ring_reserve_more(void)
{
    int64_t have = __atomic_load_n(&iotrace_cur.reserved, __ATOMIC_ACQUIRE);
    if (have >= iotrace_cur.capacity)
        return 0;
    int64_t want = have + RESERVE_CHUNK < iotrace_cur.capacity ? have + RESERVE_CHUNK : iotrace_cur.capacity;
    /* threads racing here populate the same pages: harmless, and reserved only grows */
    if (populate(iotrace_cur.data + have, (size_t)(want - have)) != 0) {
        iotrace_debugf("cannot populate ring pages (errno %d): spilling", errno);
        return -1;
    }
    while (have < want &&
           !__atomic_compare_exchange_n(&iotrace_cur.reserved, &have, want, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        ;
    return 0;
}

/* Creates R/<pid>-<inc>.ring with the first free inc >= first_inc, maps it, fills the header, state ACTIVE. */
static int create_ring(int origin, int ppid, int first_inc, uint64_t ticks, uint64_t parent_ticks)
{
    int pid = sys_getpid();
    uint32_t capacity = iotrace_cfg.ring_size;
    size_t size = IOTRACE_RING_HEADER_LENGTH + (size_t)capacity + IOTRACE_TRAILER_LENGTH;
    char path[IOTRACE_PATH_MAX + 64];
    int fd = -1;
    int inc;
    for (inc = first_inc; inc < first_inc + 1000; inc++) {
        iotrace_fmt(path, sizeof path, "%s/%d-%d.ring", iotrace_sess.run_dir, pid, inc);
        fd = sys_open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0 && errno == ENOENT && inc == first_inc && private_dir(iotrace_sess.run_dir) == 0) {
            /* a collector removed this session as stale just now (StaleSessions renames R away first): make R
               again, as a process arriving a moment later would */
            write_session_file();
            fd = sys_open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        }
        if (fd >= 0 || errno != EEXIST)
            break;
    }
    if (fd < 0) {
        iotrace_debugf("cannot create ring %s: errno %d", path, errno);
        return -1;
    }
    unsigned char *map = MAP_FAILED;
    if (sys_ftruncate(fd, (off_t)size) == 0)
        map = sys_mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    /*
     * A store to a ring page that tmpfs cannot allocate would SIGBUS the program, so pages are populated before
     * use: header, trailer and a first chunk now, the rest chunk by chunk as the tail reaches it (a short-lived
     * process never pays for zeroing 4 MiB). Kernels before 5.14 lack MADV_POPULATE_WRITE: fallocate it all.
     */
    int64_t reserved = 0;
    if (map != MAP_FAILED) {
        uint32_t first = capacity < RESERVE_FIRST ? capacity : RESERVE_FIRST;
        if (populate(map, IOTRACE_RING_HEADER_LENGTH) == 0 &&
            populate(map + IOTRACE_RING_HEADER_LENGTH + capacity, IOTRACE_TRAILER_LENGTH) == 0 &&
            populate(map + IOTRACE_RING_HEADER_LENGTH, first) == 0)
            reserved = first;
        else if (errno == EINVAL && sys_fallocate(fd, 0, 0, (off_t)size) == 0)
            reserved = capacity;
        else {
            sys_munmap(map, size);
            map = MAP_FAILED;
        }
    }
    sys_close(fd); /* the mapping keeps the file; no fd of ours stays in the program's table */
    if (map == MAP_FAILED) {
        iotrace_debugf("cannot size or map ring %s: errno %d", path, errno);
        sys_unlink(path);
        return -1;
    }
    fill_header(map, pid, ppid, inc, origin, ticks, parent_ticks);

    iotrace_cur.map = map;
    iotrace_cur.map_len = size;
    iotrace_cur.data = map + IOTRACE_RING_HEADER_LENGTH;
    iotrace_cur.capacity = capacity;
    iotrace_cur.pid = pid;
    iotrace_cur.incarnation = inc;
    iotrace_cur.start_ticks = ticks;
    iotrace_cur.reserved = reserved;
    iotrace_set_state(IOTRACE_STATE_ACTIVE); /* last, with release: the header is complete */
    pid_index_add(pid);
    iotrace_debugf("ring %s (origin %d, session %s, output %s)", path, origin, iotrace_sess.id,
                   iotrace_sess.out_dir);
    return 0;
}

void iotrace_set_state(int state)
{
    if (iotrace_cur.map != NULL)
        __atomic_store_n((uint32_t *)iotrace_hdr(IOTRACE_HDR_STATE), (uint32_t)state, __ATOMIC_RELEASE);
}

/* Makes RT/iotrace-<euid> (user_dir) in the configured runtime dir RT; -1 with errno when it cannot be used. */
static int runtime_user_dir(void)
{
    if (iotrace_fmt(user_dir, sizeof user_dir, "%s/iotrace-%d", iotrace_cfg.runtime_dir, sys_geteuid()) >=
        sizeof user_dir) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (iotrace_mkdirs(iotrace_cfg.runtime_dir, 0700) != 0)
        return -1;
    if (private_dir(user_dir) != 0) {
        if (errno == 0 || errno == EEXIST)
            errno = ENOTDIR; /* exists but is not a private directory of ours */
        return -1;
    }
    return 0;
}

int iotrace_session_start(void)
{
    int pid = sys_getpid();
    int ppid = sys_getppid();
    uint64_t ticks = iotrace_proc_start_ticks(0);
    char found[64];

    if (runtime_user_dir() != 0) {
        if (strcmp(iotrace_cfg.runtime_dir, IOTRACE_DEFAULT_RUNTIME_DIR) == 0)
            return -1;
        /* a bad IOTRACE_RUNTIME_DIR must not lose the trace: say so (config errors log) and use the default */
        int err = errno;
        char why[160];
        iotrace_fmt(why, sizeof why, "cannot make a private directory in it (%s): using %s",
                    strerrordesc_np(err) ? strerrordesc_np(err) : "error", IOTRACE_DEFAULT_RUNTIME_DIR);
        iotrace_config_error("IOTRACE_RUNTIME_DIR", iotrace_cfg.runtime_dir, why);
        iotrace_strlcpy(iotrace_cfg.runtime_dir, IOTRACE_DEFAULT_RUNTIME_DIR, sizeof iotrace_cfg.runtime_dir);
        if (runtime_user_dir() != 0)
            return -1;
    }

    struct iotrace_session *s = &iotrace_sess;
    if (iotrace_cfg.dir[0] != '\0') {
        /* explicit: every process with this IOTRACE_DIR shares one session */
        if (make_absolute(iotrace_cfg.dir, s->out_dir, sizeof s->out_dir) != 0)
            return -1;
    } else if (find_session_of(ppid, iotrace_proc_start_ticks(ppid), found, sizeof found) == 0 &&
               read_session_file(found, s->out_dir, sizeof s->out_dir) == 0) {
        /* our parent is traced: join its session */
    } else if (find_session_of(pid, ticks, found, sizeof found) == 0 &&
               read_session_file(found, s->out_dir, sizeof s->out_dir) == 0) {
        /* our own pid has a ring: this image was exec'd by a traced one */
    } else if (default_out_dir(s->out_dir, sizeof s->out_dir) != 0) {
        return -1;
    }
    if (!iotrace_valid_utf8(s->out_dir)) {
        /* made absolute in a current directory whose name is not UTF-8: the (Java) collector could not name it and
         * would write elsewhere. Every process with this O falls back to the same directory, named by O's hash. */
        char fallback[64];
        iotrace_fmt(fallback, sizeof fallback, "/tmp/iotrace-%llx", (unsigned long long)fnv1a64(s->out_dir));
        char why[128];
        iotrace_fmt(why, sizeof why, "not valid UTF-8 once made absolute (the collector could not name it): using %s",
                    fallback);
        iotrace_config_error(iotrace_cfg.dir[0] != '\0' ? "IOTRACE_DIR" : "IOTRACE_DIR (unset, the default)",
                             s->out_dir, why);
        iotrace_strlcpy(s->out_dir, fallback, sizeof s->out_dir);
    }
    if (iotrace_mkdirs(s->out_dir, 0700) != 0 || sys_access(s->out_dir, W_OK | X_OK) != 0) {
        /* Nothing recorded could ever be written out: say so in one line (the user asked for a trace and
         * must learn why there is none) and run the program untraced, unharmed. */
        int err = errno;
        char line[IOTRACE_PATH_MAX + 160];
        size_t n = iotrace_fmt(line, sizeof line, "iotrace: cannot write the trace directory %s (%s): pid %d runs untraced\n",
                               s->out_dir, strerrordesc_np(err) ? strerrordesc_np(err) : "error", pid);
        sys_write(2, line, n < sizeof line ? n : sizeof line - 1);
        return -1;
    }
    iotrace_fmt(s->id, sizeof s->id, "%llx", (unsigned long long)fnv1a64(s->out_dir));
    /* %llx drops leading zeros: the id is always 16 digits */
    size_t idlen = strlen(s->id);
    if (idlen < 16) {
        memmove(s->id + 16 - idlen, s->id, idlen + 1);
        memset(s->id, '0', 16 - idlen);
    }
    if (iotrace_fmt(s->run_dir, sizeof s->run_dir, "%s/%s", user_dir, s->id) >= sizeof s->run_dir - 64 ||
        private_dir(s->run_dir) != 0)
        return -1;
    write_session_file();

    /* an earlier image of this process in this session: we are its exec, next incarnation */
    struct ring_search own = {pid, ticks, -1, ""};
    each_entry(s->run_dir, scan_rings, &own);
    if (own.max_inc >= 0 && ticks != 0)
        return create_ring(IOTRACE_ORIGIN_EXEC, ppid, own.max_inc + 1, ticks, 0);
    return create_ring(IOTRACE_ORIGIN_START, ppid, 0, ticks, 0);
}

int iotrace_session_fork_child(int parent_pid, uint64_t parent_start_ticks)
{
    return create_ring(IOTRACE_ORIGIN_FORK, parent_pid, 0, iotrace_proc_start_ticks(0), parent_start_ticks);
}
