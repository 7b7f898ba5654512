//! Names and layouts of the wasm guest ABI, shared by the guest side
//! (`abi::guest`, built on wasm32) and the host's loader. The full
//! description, for guests in any language, is `plugin-api/WASM_ABI.md`;
//! the C header is `plugin-api/plexus_plugin.h`.

use crate::error::PluginError;

/// The import module every host function lives in.
pub const IMPORT_MODULE: &str = "plexus";

/// Exported by the guest: `() -> i32`, the plugin API major it was built against.
pub const EXPORT_API_VERSION: &str = "plexus_api_version";
/// Exported by the guest: `()`, declares its operators through `describe_operator`.
pub const EXPORT_DESCRIBE: &str = "plexus_describe";
/// Exported by the guest: `(threads: i32) -> i32`, builds the instance's operator.
pub const EXPORT_NEW: &str = "plexus_new";
/// Exported by the guest: `(narrays: i32, seq: i64, axis: i32, offset: i64,
/// length: i64, extent: i64) -> i32`.
pub const EXPORT_PROCESS: &str = "plexus_process";
/// Exported by the guest: `() -> i32`, end of stream.
pub const EXPORT_FINISH: &str = "plexus_finish";
/// Exported by the guest: `() -> i32`: 0 no state, 1 state written, else error.
pub const EXPORT_SNAPSHOT: &str = "plexus_snapshot";
/// Exported by the guest: `(len: i64) -> i32`, state readable through `state_read`.
pub const EXPORT_RESTORE: &str = "plexus_restore";

/// Status a guest returns from a call that succeeded.
pub const OK: i32 = 0;
/// Status a guest returns after reporting an error through `error`.
pub const ERR: i32 = -1;

/// Largest array rank that crosses the wasm boundary.
pub const MAX_RANK: usize = 8;

/// Size in bytes of the `plexus_array_info` record `input_info` writes:
/// `u32 dtype, u32 ndim, u64 nbytes, u64 shape[8]`, little-endian.
pub const ARRAY_INFO_SIZE: usize = 16 + 8 * MAX_RANK;

/// `error` code: `a` is the JSON of a [`PluginError`] (what Rust guests send).
pub const ERROR_JSON: u32 = 0;
/// `error` code: a bad parameter; `a` its name, `b` what was expected, `c` what it got.
pub const ERROR_PARAMETER: u32 = 1;
/// `error` code: bad input; `a` the array (empty: the frame), `b` expected, `c` got.
pub const ERROR_INPUT: u32 = 2;
/// `error` code: no such operator; `a` the name.
pub const ERROR_UNKNOWN_OPERATOR: u32 = 3;
/// `error` code: not supported; `a` what.
pub const ERROR_UNSUPPORTED: u32 = 4;
/// `error` code: a panic; `a` the message.
pub const ERROR_PANIC: u32 = 5;
/// `error` code: any other failure; `a` the message, `b` its kind (empty: `failed`).
pub const ERROR_FAILED: u32 = 6;

/// The error a guest reported with `error(code, a, b, c)`.
pub fn decode_error(code: u32, a: &str, b: &str, c: &str) -> PluginError {
    match code {
        ERROR_JSON => PluginError::from_json(a),
        ERROR_PARAMETER => PluginError::bad_parameter(a, b, c),
        ERROR_INPUT => PluginError::bad_input(a, b, c),
        ERROR_UNKNOWN_OPERATOR => PluginError::UnknownOperator { name: a.to_string() },
        ERROR_UNSUPPORTED => PluginError::unsupported(a),
        ERROR_PANIC => PluginError::Panic { message: a.to_string(), instance_replaced: false },
        _ if b.is_empty() => PluginError::failed(a),
        _ => PluginError::failure(b, a),
    }
}
