//! The wasm sandbox tier: loading `kind = "wasm"` plugins into wasmtime and
//! calling them through the guest ABI of `plugin-api/WASM_ABI.md`.
//!
//! - [`engine`]: one [`wasmtime::Engine`] per process, with epoch
//!   interruption; a ticker thread advances the epoch every millisecond,
//!   and each call gets a deadline in ticks.
//! - [`cache`]: compiled modules cached on disk under `<sha256>-wasmtime<version>-
//!   <engine hash>.cwasm`, so reloading a known artifact deserializes
//!   instead of compiling.
//! - [`module`]: a loaded plugin, compiled, linked and checked.
//! - [`instance`]: each operator instance is its own `Store` + instance,
//!   with a memory cap, no WASI capability unless granted, and its
//!   stdout/stderr captured and handed to the registry's listeners. A trap,
//!   a deadline, the memory cap or a guest pointer outside its memory ends
//!   that call with a typed [`PluginError`](plexus_plugin_api::PluginError);
//!   the instance is then replaced by a fresh one (same parameters, state
//!   lost) so the next frame runs normally.
//! - [`host_abi`]: the `plexus` host functions ([`slab_output`]: output
//!   arrays handed over in slabs); [`wasi`] and [`wasi_fs`]:
//!   the WASI shim; [`state`]: what a store holds; [`policy`]: limits and
//!   grants.

mod cache;
mod engine;
mod host_abi;
mod instance;
mod module;
mod open_array;
mod policy;
mod slab_output;
mod state;
mod wasi;
pub(crate) mod wasi_fs;

pub use crate::manifest::KNOWN_CAPABILITIES;
pub use engine::WASMTIME_VERSION;
pub use instance::WasmInstance;
pub use module::{live_modules, load, OutputSink, WasmModule};
pub use policy::{Grants, Limits, WasmPolicy};
pub use wasi_fs::ReadGrant;
