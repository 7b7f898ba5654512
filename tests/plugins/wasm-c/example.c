/* The C example plugin: `cexample.scale` multiplies a f64 array by `factor`
 * and says hello on stdout once (captured into the event log);
 * `cexample.sum` sums a f64 array pulled in 64 KiB slabs (so an array larger
 * than guest memory is fine), publishes `sum` and forwards its input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plexus_plugin.h"

static char op_name[32];
static double factor = 1.0;
static double total = 0.0;
static int said_hello = 0;

PLEXUS_EXPORT(plexus_api_version) int32_t plexus_api_version(void) { return PLEXUS_API_MAJOR; }

PLEXUS_EXPORT(plexus_describe) void plexus_describe(void) {
    plexus_describe_operator("scale", 5);
    plexus_describe_operator("sum", 3);
}

PLEXUS_EXPORT(plexus_new) int32_t plexus_new(int32_t threads) {
    (void)threads;
    size_t n = plexus_config_name(op_name, sizeof op_name - 1);
    op_name[n < sizeof op_name ? n : sizeof op_name - 1] = 0;
    char params[256] = {0};
    plexus_config_params(params, sizeof params - 1);
    const char *f = strstr(params, "\"factor\":");
    if (f) factor = strtod(f + 9, NULL);
    if (strcmp(op_name, "scale") && strcmp(op_name, "sum")) {
        plexus_fail(PLEXUS_E_UNKNOWN_OPERATOR, op_name);
        return PLEXUS_ERR;
    }
    return PLEXUS_OK;
}

static int32_t scale(int32_t narrays, int64_t axis, int64_t offset, int64_t length, int64_t extent) {
    plexus_array_info info;
    if (narrays < 1 || plexus_input_info(0, &info) != PLEXUS_OK || info.dtype != PLEXUS_F64) {
        plexus_fail(PLEXUS_E_INPUT, "one f64 array");
        return PLEXUS_ERR;
    }
    if (!said_hello) {
        printf("cexample.scale: hello from C, factor %g\n", factor);
        fflush(stdout);
        said_hello = 1;
    }
    double *data = malloc(info.nbytes ? info.nbytes : 1);
    if (!data) {
        plexus_fail(PLEXUS_E_FAILED, "out of memory");
        return PLEXUS_ERR;
    }
    plexus_input_read(0, 0, data, info.nbytes);
    for (uint64_t i = 0; i < info.nbytes / 8; i++) data[i] *= factor;
    char name[64], axes[64], dataset[128];
    size_t nl = plexus_input_name(0, name, sizeof name);
    size_t al = plexus_input_axes(0, axes, sizeof axes);
    size_t dl = plexus_input_dataset(dataset, sizeof dataset);
    plexus_output_frame(dataset, dl, (uint32_t)axis, offset, length, extent, "", 0);
    plexus_output_array(name, nl, PLEXUS_F64, info.shape, info.ndim, axes, al, data, info.nbytes);
    free(data);
    return PLEXUS_OK;
}

static int32_t sum(int32_t narrays) {
    static double slab[8192];
    plexus_array_info info;
    if (narrays < 1 || plexus_input_info(0, &info) != PLEXUS_OK || info.dtype != PLEXUS_F64) {
        plexus_fail(PLEXUS_E_INPUT, "one f64 array");
        return PLEXUS_ERR;
    }
    for (uint64_t off = 0; off < info.nbytes; off += sizeof slab) {
        uint64_t n = info.nbytes - off < sizeof slab ? info.nbytes - off : sizeof slab;
        plexus_input_read(0, off, slab, n);
        for (uint64_t i = 0; i < n / 8; i++) total += slab[i];
    }
    char json[64];
    int len = snprintf(json, sizeof json, "{\"sum\": %.17g}", total);
    plexus_output_result(json, (size_t)len);
    plexus_output_forward();
    return PLEXUS_OK;
}

PLEXUS_EXPORT(plexus_process)
int32_t plexus_process(int32_t narrays, int64_t seq, int32_t axis, int64_t offset, int64_t length, int64_t extent) {
    (void)seq;
    if (op_name[1] == 'c') return scale(narrays, axis, offset, length, extent);
    return sum(narrays);
}
