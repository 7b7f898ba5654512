/* A misbehaving C guest for the containment tests: `cfaulty.fault` forwards
 * every frame except frame `at`, where it does `mode`:
 *   trap  - executes `unreachable`
 *   loop  - spins forever (the deadline must stop it)
 *   bomb  - allocates until the memory cap stops it
 *   oob   - asks the host to write input bytes outside its memory
 *   huge  - claims an output array larger than its whole memory */
#include <stdlib.h>
#include <string.h>
#include "plexus_plugin.h"

static char mode[16];
static long at = 1;

PLEXUS_EXPORT(plexus_api_version) int32_t plexus_api_version(void) { return PLEXUS_API_MAJOR; }
PLEXUS_EXPORT(plexus_describe) void plexus_describe(void) { plexus_describe_operator("fault", 5); }

PLEXUS_EXPORT(plexus_new) int32_t plexus_new(int32_t threads) {
    (void)threads;
    char params[256] = {0};
    plexus_config_params(params, sizeof params - 1);
    const char *m = strstr(params, "\"mode\":\"");
    if (m) {
        m += 8;
        size_t i = 0;
        while (m[i] && m[i] != '"' && i < sizeof mode - 1) { mode[i] = m[i]; i++; }
    }
    const char *a = strstr(params, "\"at\":");
    if (a) at = strtol(a + 5, NULL, 10);
    return PLEXUS_OK;
}

PLEXUS_EXPORT(plexus_process)
int32_t plexus_process(int32_t narrays, int64_t seq, int32_t axis, int64_t offset, int64_t length, int64_t extent) {
    (void)narrays; (void)axis; (void)offset; (void)length; (void)extent;
    if (seq == at) {
        if (!strcmp(mode, "trap")) __builtin_trap();
        if (!strcmp(mode, "loop")) { volatile unsigned long n = 0; for (;;) n++; }
        if (!strcmp(mode, "bomb")) {
            /* `keep` makes the allocations escape, so the optimiser keeps them. */
            static char *volatile keep;
            for (;;) { char *p = malloc(1 << 20); if (!p) break; memset(p, 1, 1 << 20); keep = p; }
            plexus_fail(PLEXUS_E_FAILED, "malloc returned NULL");
            return PLEXUS_ERR;
        }
        if (!strcmp(mode, "oob")) plexus_input_read(0, 0, (void *)(uintptr_t)0xFFFFFF00u, 4096);
        if (!strcmp(mode, "huge")) {
            uint64_t shape[1] = {((uint64_t)1 << 29) - 1}; /* 4 GiB - 8 bytes of f64 */
            static double one = 1.0;
            plexus_output_frame("d", 1, 0, 0, 1, 0, "", 0);
            plexus_output_array("x", 1, PLEXUS_F64, shape, 1, "x", 1, &one, (size_t)0xFFFFFFF8u);
        }
    }
    plexus_output_forward();
    return PLEXUS_OK;
}
