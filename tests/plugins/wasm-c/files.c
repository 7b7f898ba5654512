/* A C guest for the sandbox's capabilities: `cfiles.read` reads a file with
 * fopen/fread/fseek/stat (wasi-libc over read-only preopened folders),
 * `cfiles.open` calls WASI `path_open` directly on a folder fd so a test can
 * see the host refuse escapes, and `cfiles.clock` asks for the time. Each
 * reports through results; `read` fails the frame (an ordinary error, no
 * trap) when the file cannot be opened. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <wasi/api.h>
#include "plexus_plugin.h"

static char op[16];
static char path[512];
static long fd = 3;
static int write_flag = 0;

static void string_param(const char *params, const char *key, char *dst, size_t cap) {
    const char *m = strstr(params, key);
    if (!m) return;
    m += strlen(key);
    size_t i = 0;
    while (m[i] && m[i] != '"' && i < cap - 1) { dst[i] = m[i]; i++; }
    dst[i] = 0;
}

PLEXUS_EXPORT(plexus_api_version) int32_t plexus_api_version(void) { return PLEXUS_API_MAJOR; }
PLEXUS_EXPORT(plexus_describe) void plexus_describe(void) {
    plexus_describe_operator("read", 4);
    plexus_describe_operator("open", 4);
    plexus_describe_operator("clock", 5);
}

PLEXUS_EXPORT(plexus_new) int32_t plexus_new(int32_t threads) {
    (void)threads;
    char params[1024] = {0};
    plexus_config_params(params, sizeof params - 1);
    size_t n = plexus_config_name(op, sizeof op - 1);
    op[n < sizeof op ? n : sizeof op - 1] = 0;
    string_param(params, "\"path\":\"", path, sizeof path);
    const char *f = strstr(params, "\"fd\":");
    if (f) fd = strtol(f + 5, NULL, 10);
    write_flag = strstr(params, "\"write\":true") != NULL;
    return PLEXUS_OK;
}

static void result(const char *json) { plexus_output_result(json, strlen(json)); }

static int32_t do_read(void) {
    char msg[768];
    FILE *file = fopen(path, "r");
    if (!file) {
        snprintf(msg, sizeof msg, "cannot open %s: %s (errno %d)", path, strerror(errno), errno);
        plexus_fail(PLEXUS_E_FAILED, msg);
        return PLEXUS_ERR;
    }
    char text[256] = {0};
    size_t got = fread(text, 1, sizeof text - 1, file);
    while (got && (text[got - 1] == '\n' || text[got - 1] == '\r')) text[--got] = 0;
    fseek(file, 0, SEEK_END);
    long end = ftell(file);
    fseek(file, 2, SEEK_SET);
    int third = fgetc(file);
    fclose(file);
    struct stat st;
    long long stat_size = stat(path, &st) == 0 ? (long long)st.st_size : -1;
    char json[768];
    snprintf(json, sizeof json, "{\"text\":\"%s\",\"size\":%ld,\"third\":%d,\"stat_size\":%lld}", text, end, third,
             stat_size);
    result(json);
    return PLEXUS_OK;
}

static int32_t do_open(void) {
    __wasi_fd_t out = 0;
    __wasi_oflags_t oflags = write_flag ? __WASI_OFLAGS_CREAT : 0;
    __wasi_rights_t rights = write_flag ? __WASI_RIGHTS_FD_WRITE : __WASI_RIGHTS_FD_READ;
    __wasi_errno_t e = __wasi_path_open((__wasi_fd_t)fd, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, oflags, rights, 0,
                                        0, &out);
    if (e == 0) (void)__wasi_fd_close(out);
    char json[64];
    snprintf(json, sizeof json, "{\"errno\":%d}", (int)e);
    result(json);
    return PLEXUS_OK;
}

static int32_t do_clock(void) {
    __wasi_timestamp_t t = 0;
    __wasi_errno_t e = __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &t);
    char json[96];
    snprintf(json, sizeof json, "{\"clock_errno\":%d,\"after_2020\":%s}", (int)e,
             t > 1577836800000000000ull ? "true" : "false");
    result(json);
    return PLEXUS_OK;
}

PLEXUS_EXPORT(plexus_process)
int32_t plexus_process(int32_t narrays, int64_t seq, int32_t axis, int64_t offset, int64_t length, int64_t extent) {
    (void)narrays; (void)seq; (void)axis; (void)offset; (void)length; (void)extent;
    if (!strcmp(op, "read")) return do_read();
    if (!strcmp(op, "open")) return do_open();
    return do_clock();
}
