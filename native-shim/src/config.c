/*
 * Configuration. A bad value never disturbs the program: it is reported with one line naming the variable and the
 * value (in O/iotrace-config-errors.log, and on stderr only with IOTRACE_DEBUG=1) and the default is used.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sys.h"
#include "util.h"

struct iotrace_config iotrace_cfg;

void iotrace_config_error(const char *name, const char *value, const char *why)
{
    struct iotrace_config *c = &iotrace_cfg;
    char line[512];
    /* a value too long for the line (a 4 KiB IOTRACE_DIR) is cut, so that the line and its reason stay whole */
    char shown[208];
    size_t value_length = iotrace_strlcpy(shown, value, sizeof shown);
    if (value_length >= sizeof shown)
        memcpy(shown + sizeof shown - 4, "...", 4);
    size_t n = iotrace_fmt(line, sizeof line, "bad %s='%s': %s\n", name, shown, why);
    if (n >= sizeof line)
        n = sizeof line - 1;
    if (c->errors_len + n < sizeof c->errors) {
        memcpy(c->errors + c->errors_len, line, n);
        c->errors_len += (uint32_t)n;
    }
}

/* strict decimal: digits only, no sign, no overflow */
static int parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (*s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return 0;
}

static int parse_bool(const char *name, const char *v, int dflt)
{
    if (v == NULL || *v == '\0')
        return dflt;
    if (strcmp(v, "1") == 0)
        return 1;
    if (strcmp(v, "0") == 0)
        return 0;
    iotrace_config_error(name, v, "expected 0 or 1");
    return dflt;
}

void iotrace_config_load(void)
{
    struct iotrace_config *c = &iotrace_cfg;
    memset(c, 0, sizeof *c);
    c->ring_size = IOTRACE_DEFAULT_RING_SIZE;
    c->heartbeat_timeout_ms = IOTRACE_DEFAULT_HEARTBEAT_TIMEOUT;
    c->linger_ms = 500;
    iotrace_strlcpy(c->runtime_dir, IOTRACE_DEFAULT_RUNTIME_DIR, sizeof c->runtime_dir);

    c->debug = parse_bool("IOTRACE_DEBUG", getenv("IOTRACE_DEBUG"), 0);
    iotrace_debug_enabled = c->debug;
    c->disable = parse_bool("IOTRACE_DISABLE", getenv("IOTRACE_DISABLE"), 0);

    const char *v = getenv("IOTRACE_RING_SIZE");
    if (v != NULL && *v != '\0') {
        uint64_t n;
        if (parse_u64(v, &n) != 0)
            iotrace_config_error("IOTRACE_RING_SIZE", v, "expected a number of bytes");
        else if (n < IOTRACE_MIN_RING_SIZE || n > IOTRACE_MAX_RING_SIZE || (n & (n - 1)) != 0)
            iotrace_config_error("IOTRACE_RING_SIZE", v, "expected a power of two from 65536 to 1073741824");
        else
            c->ring_size = (uint32_t)n;
    }

    v = getenv("IOTRACE_HEARTBEAT_TIMEOUT_MS");
    if (v != NULL && *v != '\0') {
        uint64_t n;
        if (parse_u64(v, &n) != 0 || n == 0 || n > 86400000ULL)
            iotrace_config_error("IOTRACE_HEARTBEAT_TIMEOUT_MS", v, "expected milliseconds from 1 to 86400000");
        else
            c->heartbeat_timeout_ms = (int64_t)n;
    }

    v = getenv("IOTRACE_DIR");
    if (v != NULL && *v != '\0') {
        if (iotrace_strlcpy(c->dir, v, sizeof c->dir) >= sizeof c->dir - 256) {
            iotrace_config_error("IOTRACE_DIR", v, "path too long");
            c->dir[0] = '\0';
        } else if (!iotrace_valid_utf8(v)) {
            iotrace_config_error("IOTRACE_DIR", v, "not valid UTF-8 (the collector could not name it): using the default");
            c->dir[0] = '\0';
        }
    }

    v = getenv("IOTRACE_RUNTIME_DIR");
    if (v != NULL && *v != '\0') {
        if (v[0] != '/')
            iotrace_config_error("IOTRACE_RUNTIME_DIR", v, "expected an absolute path");
        else if (strlen(v) > 1024)
            iotrace_config_error("IOTRACE_RUNTIME_DIR", v, "path too long");
        else if (!iotrace_valid_utf8(v))
            iotrace_config_error("IOTRACE_RUNTIME_DIR", v,
                                 "not valid UTF-8 (the collector could not name it): using " IOTRACE_DEFAULT_RUNTIME_DIR);
        else
            iotrace_strlcpy(c->runtime_dir, v, sizeof c->runtime_dir);
    }

    v = getenv("IOTRACE_COLLECTOR");
    if (v != NULL && *v != '\0') {
        if (strcmp(v, "none") == 0)
            c->collector_none = 1;
        else if (iotrace_strlcpy(c->collector, v, sizeof c->collector) >= sizeof c->collector) {
            iotrace_config_error("IOTRACE_COLLECTOR", v, "path too long");
            c->collector[0] = '\0';
        }
    }

    /* read by the collector or by `iotrace run`, checked here: the shim is the first to see them, and the only one
       that can report into the trace directory before anything else happens */
    v = getenv("IOTRACE_COLLECTOR_LINGER_MS");
    if (v != NULL && *v != '\0') {
        uint64_t n;
        if (parse_u64(v, &n) != 0 || n > 3600000ULL)
            iotrace_config_error("IOTRACE_COLLECTOR_LINGER_MS", v, "expected milliseconds from 0 to 3600000; using 500");
        else
            c->linger_ms = (int64_t)n;
    }
    v = getenv("IOTRACE_PTRACE");
    if (v != NULL && *v != '\0' && strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
        iotrace_config_error("IOTRACE_PTRACE", v, "expected on or off");
    c->ptrace_on = v != NULL && strcmp(v, "on") == 0;
    v = getenv("IOTRACE_COMPRESS");
    if (v != NULL && *v != '\0' && strcmp(v, "gzip") != 0 && strcmp(v, "zstd") != 0)
        iotrace_config_error("IOTRACE_COMPRESS", v, "expected gzip or zstd; writing plain JSON Lines");
    if (c->collector[0] != '\0') {
        struct stat st;
        if (sys_access(c->collector, X_OK) != 0 || syscall(SYS_newfstatat, AT_FDCWD, c->collector, &st, 0) != 0 ||
            !S_ISREG(st.st_mode))
            iotrace_config_error("IOTRACE_COLLECTOR", c->collector, "not an executable file: no collector runs, the events "
                         "wait in the rings and spill files for `iotrace recover`");
    }

    v = getenv("IOTRACE_CLOCK");
    if (v != NULL && *v != '\0') {
        if (strcmp(v, "realtime") == 0)
            c->clock_realtime = 1;
        else if (strcmp(v, "tsc") != 0)
            iotrace_config_error("IOTRACE_CLOCK", v, "expected tsc or realtime");
    }
}

void iotrace_config_flush_errors(const char *out_dir)
{
    struct iotrace_config *c = &iotrace_cfg;
    if (c->errors_len == 0)
        return;
    if (c->debug) {
        /* the same lines, each with the iotrace: prefix */
        char *line = c->errors;
        for (char *p = c->errors; p < c->errors + c->errors_len; p++) {
            if (*p == '\n') {
                *p = '\0';
                iotrace_debugf("%s", line);
                *p = '\n';
                line = p + 1;
            }
        }
    }
    if (out_dir != NULL && out_dir[0] != '\0' && iotrace_mkdirs(out_dir, 0700) == 0) {
        char path[IOTRACE_PATH_MAX + 64];
        iotrace_fmt(path, sizeof path, "%s/iotrace-config-errors.log", out_dir);
        int fd = sys_open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0) {
            char prefix[64];
            size_t n = iotrace_fmt(prefix, sizeof prefix, "pid %d: ", sys_getpid());
            /* one write per line: lines of concurrent processes never interleave */
            char *line = c->errors;
            for (char *p = c->errors; p < c->errors + c->errors_len; p++) {
                if (*p == '\n') {
                    char buf[600];
                    size_t len = (size_t)(p + 1 - line);
                    if (n + len <= sizeof buf) {
                        memcpy(buf, prefix, n);
                        memcpy(buf + n, line, len);
                        iotrace_write_all(fd, buf, n + len);
                    }
                    line = p + 1;
                }
            }
            sys_close(fd);
        }
    }
    c->errors_len = 0;
}
