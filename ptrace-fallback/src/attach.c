/*
 * iotrace attach PID: what the process had before we came. Also the descriptors an image starts with under
 * --own-rings (iotrace run --ptrace-only), as the shim's start-up scan records them (record_open_descriptors). Its descriptors (/proc/PID/fd: files, sockets, pipes,
 * as the kernel names them) become fd_discovered events (how 0, as the shim's own start-up scan), its file mappings
 * (/proc/PID/maps) map_discovered events, so that the handle table the collector builds names the later records on
 * them. Read while every thread of the process is stopped (tracer.c), so nothing changes under the scan.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iotrace_fn_ids.h"
#include "tracer.h"

static void seed_descriptors(struct proc *p, pid_t pid, int64_t now)
{
    if (p->map == NULL)
        return; /* no ring: its events would wait in pending for a registration that never comes */
    static unsigned char payload[MAX_EVENT];
    char dir_path[64];
    snprintf(dir_path, sizeof dir_path, "/proc/%d/fd", pid);
    DIR *d = opendir(dir_path);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end != '\0')
            continue;
        char link[96], name[IOTRACE_MAX_STRING];
        snprintf(link, sizeof link, "%s/%ld", dir_path, fd);
        ssize_t n = readlink(link, name, sizeof name);
        if (n <= 0)
            continue;
        uint64_t slots[2] = {(uint64_t)fd, 0 /* how: open before tracing began */};
        uint32_t length = record_meta(payload, pid, now, 0, slots, 2, name, (uint16_t)n, 0);
        proc_publish(p, IOTRACE_FN_FD_DISCOVERED, payload, length, 0, -1);
    }
    closedir(d);
}

/* lines "start-end perms offset dev inode   path": those with an inode and an absolute path map a file */
static void seed_mappings(struct proc *p, pid_t pid, int64_t now)
{
    static unsigned char payload[MAX_EVENT];
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/maps", pid);
    FILE *maps = fopen(path, "re");
    if (maps == NULL)
        return;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, maps)) > 0) {
        if (line[n - 1] == '\n')
            line[--n] = '\0';
        uint64_t start, end, inode;
        int name_at = 0;
        if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %*x %*x:%*x %" SCNu64 " %n", &start, &end, &inode,
                   &name_at) != 3 ||
            inode == 0 || name_at == 0 || line[name_at] != '/' || end <= start)
            continue;
        size_t name_len = strlen(line + name_at);
        uint64_t length = end - start;
        uint32_t size = record_meta(payload, pid, now, (int64_t)start, &length, 1, line + name_at,
                                    (uint16_t)(name_len < IOTRACE_MAX_STRING ? name_len : IOTRACE_MAX_STRING), 0);
        proc_publish(p, IOTRACE_FN_MAP_DISCOVERED, payload, size, 0, -1);
    }
    free(line);
    fclose(maps);
}

void record_open_descriptors(pid_t pid)
{
    struct proc *p = proc_get(pid);
    if (p != NULL)
        seed_descriptors(p, pid, now_ns());
}

void attach_seed(pid_t pid)
{
    struct proc *p = proc_get(pid);
    if (p == NULL)
        return;
    proc_ensure_ring(p);
    int64_t now = now_ns();
    seed_descriptors(p, pid, now);
    seed_mappings(p, pid, now);
}
