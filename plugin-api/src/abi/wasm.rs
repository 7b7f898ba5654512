//! Names and layouts of the wasm guest ABI, shared by the guest side
//! ([`guest`](crate), built on wasm32) and the host's loader. The full
//! description, for guests in any language, is `plugin-api/WASM_ABI.md`;
//! the C header is `plugin-api/plexus_plugin.h`.

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
