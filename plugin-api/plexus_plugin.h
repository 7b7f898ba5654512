/*
 * plexus_plugin.h: the Plexus wasm guest ABI for C (and anything that can
 * call C). Described in full in plugin-api/WASM_ABI.md; API major 2.
 *
 * Build a plugin with Debian's clang + wasi-libc:
 *   clang --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor \
 *         -Iplugin-api -o plugin.wasm plugin.c
 * (see tests/plugins/wasm-c/build.sh for the exact line the tests use).
 *
 * A guest exports plexus_api_version, plexus_describe, plexus_new,
 * plexus_process and optionally plexus_finish, plexus_snapshot,
 * plexus_restore; one wasm instance holds one operator. Inputs are pulled
 * from the host (plexus_input_read, in slabs if you like); outputs are
 * handed over as pointers into linear memory, copied out by the host.
 * Every pointer is checked: one outside linear memory ends the call with
 * an error and the host replaces the instance.
 */
#ifndef PLEXUS_PLUGIN_H
#define PLEXUS_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#define PLEXUS_API_MAJOR 2
#define PLEXUS_OK 0
#define PLEXUS_ERR (-1)
#define PLEXUS_MAX_RANK 8

/* Element types (codes match plexus_plugin_api::DType). */
enum plexus_dtype {
    PLEXUS_U8 = 0, PLEXUS_U16 = 1, PLEXUS_U32 = 2, PLEXUS_I16 = 3,
    PLEXUS_I32 = 4, PLEXUS_F32 = 5, PLEXUS_F64 = 6
};

/* Error codes for plexus_error, with what its three strings a, b, c hold
 * (they become the matching PluginError variant on the host). */
enum plexus_error_code {
    PLEXUS_E_JSON = 0,             /* a: the JSON of a PluginError (Rust guests) */
    PLEXUS_E_PARAM = 1,            /* a: parameter, b: what was expected, c: what it got */
    PLEXUS_E_INPUT = 2,            /* a: array ("" for the frame), b: expected, c: got */
    PLEXUS_E_UNKNOWN_OPERATOR = 3, /* a: the name */
    PLEXUS_E_UNSUPPORTED = 4,      /* a: what */
    PLEXUS_E_PANICKED = 5,         /* a: the message */
    PLEXUS_E_FAILED = 6            /* a: the message, b: a short kind ("" for "failed") */
};

/* What plexus_input_info writes: 80 bytes, little-endian. */
typedef struct {
    uint32_t dtype;
    uint32_t ndim;
    uint64_t nbytes;
    uint64_t shape[PLEXUS_MAX_RANK];
} plexus_array_info;

#define PLEXUS_IMPORT(name) __attribute__((import_module("plexus"), import_name(#name)))
#define PLEXUS_EXPORT(name) __attribute__((export_name(#name)))

/* ---- host functions ---------------------------------------------------- */
/* Strings are (pointer, length), not NUL-terminated. Functions that copy a
 * string into a buffer write at most `cap` bytes and return the full length:
 * call again with a larger buffer if it did not fit. */

PLEXUS_IMPORT(describe_operator) void plexus_describe_operator(const char *name, size_t len);
PLEXUS_IMPORT(config_name) size_t plexus_config_name(char *dst, size_t cap);
PLEXUS_IMPORT(config_params) size_t plexus_config_params(char *dst, size_t cap); /* JSON object */

PLEXUS_IMPORT(input_info) int32_t plexus_input_info(uint32_t index, plexus_array_info *info);
PLEXUS_IMPORT(input_name) size_t plexus_input_name(uint32_t index, char *dst, size_t cap);
PLEXUS_IMPORT(input_axes) size_t plexus_input_axes(uint32_t index, char *dst, size_t cap);
PLEXUS_IMPORT(input_dataset) size_t plexus_input_dataset(char *dst, size_t cap);
PLEXUS_IMPORT(input_meta) size_t plexus_input_meta(char *dst, size_t cap); /* JSON object or empty */
/* Copies bytes [offset, offset + len) of input array `index` to dst. */
PLEXUS_IMPORT(input_read) int32_t plexus_input_read(uint32_t index, uint64_t offset, void *dst, size_t len);

/* Starts an output frame; the arrays that follow belong to it. */
PLEXUS_IMPORT(output_frame) int32_t plexus_output_frame(const char *dataset, size_t dataset_len, uint32_t axis,
                                                        uint64_t offset, uint64_t length, uint64_t extent,
                                                        const char *meta_json, size_t meta_len);
/* Adds an array to the current output frame; data_len must equal the
 * product of shape times the element size. The host copies it out. */
PLEXUS_IMPORT(output_array) int32_t plexus_output_array(const char *name, size_t name_len, uint32_t dtype,
                                                        const uint64_t *shape, uint32_t ndim, const char *axes,
                                                        size_t axes_len, const void *data, size_t data_len);
/* The same, handed over in slabs so that an array larger than this guest's
 * memory never has to exist in it: begin the array (its whole shape), then
 * write its bytes in order, in slabs of any size; it joins the frame when
 * the last byte is written. One array open at a time; the call fails if it
 * returns with one still open. */
PLEXUS_IMPORT(output_array_begin) int32_t plexus_output_array_begin(const char *name, size_t name_len, uint32_t dtype,
                                                                    const uint64_t *shape, uint32_t ndim,
                                                                    const char *axes, size_t axes_len);
PLEXUS_IMPORT(output_array_write) int32_t plexus_output_array_write(const void *data, size_t len);
PLEXUS_IMPORT(output_result) void plexus_output_result(const char *json, size_t len); /* JSON object */
PLEXUS_IMPORT(output_event) void plexus_output_event(const char *json, size_t len);   /* {"kind": ...} */
PLEXUS_IMPORT(output_forward) void plexus_output_forward(void);  /* pass the input frame on, uncopied */
PLEXUS_IMPORT(output_end_stream) void plexus_output_end_stream(void);
/* Reports an error (see plexus_error_code for a, b, c); then return
 * PLEXUS_ERR from the export. */
PLEXUS_IMPORT(error) void plexus_error(uint32_t code, const char *a, size_t a_len, const char *b, size_t b_len,
                                       const char *c, size_t c_len);
PLEXUS_IMPORT(state_write) void plexus_state_write(const void *data, size_t len);
PLEXUS_IMPORT(state_read) int32_t plexus_state_read(uint64_t offset, void *dst, size_t len);

/* ---- exports a guest defines -------------------------------------------
 * PLEXUS_EXPORT(plexus_api_version) int32_t plexus_api_version(void) { return PLEXUS_API_MAJOR; }
 * PLEXUS_EXPORT(plexus_describe) void plexus_describe(void);
 * PLEXUS_EXPORT(plexus_new) int32_t plexus_new(int32_t threads);
 * PLEXUS_EXPORT(plexus_process) int32_t plexus_process(int32_t narrays, int64_t seq, int32_t axis,
 *                                                      int64_t offset, int64_t length, int64_t extent);
 * PLEXUS_EXPORT(plexus_finish) int32_t plexus_finish(void);
 * PLEXUS_EXPORT(plexus_snapshot) int32_t plexus_snapshot(void);   0: none, 1: written, -1: error
 * PLEXUS_EXPORT(plexus_restore) int32_t plexus_restore(int64_t len);
 */

static inline size_t plexus_strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

/* A bad parameter: "parameter `name`: expected EXPECTED, got GOT". */
static inline void plexus_bad_param(const char *name, const char *expected, const char *got) {
    plexus_error(PLEXUS_E_PARAM, name, plexus_strlen(name), expected, plexus_strlen(expected), got,
                 plexus_strlen(got));
}

/* Bad input: "invalid input `array`: expected EXPECTED, got GOT" ("" array: the frame). */
static inline void plexus_bad_input(const char *array, const char *expected, const char *got) {
    plexus_error(PLEXUS_E_INPUT, array, plexus_strlen(array), expected, plexus_strlen(expected), got,
                 plexus_strlen(got));
}

/* Any error with one message; for PLEXUS_E_PARAM and PLEXUS_E_INPUT the
 * message is what was expected. */
static inline void plexus_fail(uint32_t code, const char *message) {
    size_t n = plexus_strlen(message);
    if (code == PLEXUS_E_PARAM || code == PLEXUS_E_INPUT) {
        plexus_error(code, "", 0, message, n, "", 0);
    } else {
        plexus_error(code, message, n, "", 0, "", 0);
    }
}

#endif
