/* `cslabs.double`: 2 x a f64 array of any size, streamed through the guest in
 * bounded slabs along the chunk axis (whole planes of axis 0, at most 8 MiB
 * at a time; byte slabs when one plane is larger): read with
 * plexus_input_read at an offset, written with plexus_output_array_write.
 * The guest never holds more than one slab, so a 1 GiB array passes a guest
 * capped at 256 MiB. */
#include <string.h>
#include "plexus_plugin.h"

#define SLAB_BYTES (8u << 20)
static double slab[SLAB_BYTES / 8];

PLEXUS_EXPORT(plexus_api_version) int32_t plexus_api_version(void) { return PLEXUS_API_MAJOR; }

PLEXUS_EXPORT(plexus_describe) void plexus_describe(void) { plexus_describe_operator("double", 6); }

PLEXUS_EXPORT(plexus_new) int32_t plexus_new(int32_t threads) {
    (void)threads;
    char name[32] = {0};
    plexus_config_name(name, sizeof name - 1);
    if (strcmp(name, "double")) {
        plexus_fail(PLEXUS_E_UNKNOWN_OPERATOR, name);
        return PLEXUS_ERR;
    }
    return PLEXUS_OK;
}

PLEXUS_EXPORT(plexus_process)
int32_t plexus_process(int32_t narrays, int64_t seq, int32_t axis, int64_t offset, int64_t length, int64_t extent) {
    (void)seq;
    plexus_array_info info;
    if (narrays < 1 || plexus_input_info(0, &info) != PLEXUS_OK || info.dtype != PLEXUS_F64) {
        plexus_fail(PLEXUS_E_INPUT, "one f64 array");
        return PLEXUS_ERR;
    }
    /* Whole planes along axis 0 per slab, as many as fit. */
    uint64_t plane = info.ndim > 0 && info.shape[0] > 0 ? info.nbytes / info.shape[0] : info.nbytes;
    uint64_t step = plane > 0 && plane <= SLAB_BYTES ? (SLAB_BYTES / plane) * plane : SLAB_BYTES;
    char name[64], axes[64], dataset[128];
    size_t nl = plexus_input_name(0, name, sizeof name);
    size_t al = plexus_input_axes(0, axes, sizeof axes);
    size_t dl = plexus_input_dataset(dataset, sizeof dataset);
    plexus_output_frame(dataset, dl, (uint32_t)axis, offset, length, extent, "", 0);
    if (plexus_output_array_begin(name, nl, PLEXUS_F64, info.shape, info.ndim, axes, al) != PLEXUS_OK) {
        plexus_fail(PLEXUS_E_FAILED, "output_array_begin refused the array");
        return PLEXUS_ERR;
    }
    for (uint64_t off = 0; off < info.nbytes; off += step) {
        uint64_t n = info.nbytes - off < step ? info.nbytes - off : step;
        if (plexus_input_read(0, off, slab, n) != PLEXUS_OK) {
            plexus_fail(PLEXUS_E_FAILED, "input_read refused a slab");
            return PLEXUS_ERR;
        }
        for (uint64_t i = 0; i < n / 8; i++) slab[i] *= 2.0;
        plexus_output_array_write(slab, n);
    }
    return PLEXUS_OK;
}
