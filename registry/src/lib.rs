//! # plexus-registry
//!
//! Finds, verifies, loads and watches Plexus plugins.
//!
//! - [`manifest`]: `plugin.toml` parsing and the parameter schema.
//! - [`Registry`]: the search path, verification (API major, sha256, ABI
//!   layout), side-by-side versions for hot reload, and rejects with reasons;
//!   [`Registry::discover`] reads manifests only and loads each plugin when
//!   first used.
//! - [`native`]: loading a `cdylib` from a private copy through the checked ABI.
//! - Trust: native code only from folders nobody else can write to, and
//!   only regular files inside them, under [`MAX_ARTIFACT_BYTES`] (see
//!   `docs/TRUST.md`).
//! - [`wasm`]: the sandbox tier: wasmtime with memory caps, deadlines, no
//!   capabilities by default, a compiled-module cache, and containment.
//! - [`watch()`]: debounced folder watching that rescans on change.
//! - [`OperatorInstance`]: calls into a live operator.

#![deny(missing_docs)]

mod artifact;
mod described;
#[cfg(target_os = "linux")]
mod elf;
mod error;
mod instance;
mod loaded;
pub mod manifest;
pub mod native;
mod pack;
mod private_copy;
mod private_file;
mod registry;
mod trust;
mod verified;
pub mod wasm;
mod watch;

pub use artifact::MAX_ARTIFACT_BYTES;
pub use error::{ManifestError, RegistryError, RejectReason, TrustProblem};
pub use instance::OperatorInstance;
pub use loaded::LoadedPlugin;
pub use manifest::{
    valid_name, validate_params, Kind, Manifest, OperatorSpec, ParamProblem, ParamSpec, ParamType, Pattern, SandboxSpec,
};
pub use pack::pack;
pub use registry::{sha256_file, Registry, RegistryEvent, Rejected};
pub use trust::check_trusted_file;
pub use wasm::ReadGrant;
pub use wasm::{Grants, Limits, WasmPolicy};
pub use watch::{watch, Watcher};
