//! Loading native plugins through the checked ABI.
//!
//! Every artifact is loaded from a private copy of the bytes that passed
//! the sha256 check, in a fresh private folder (see [`crate::private_copy`]
//! for why, and why it is gone when `load` returns). Libraries are never
//! unloaded (a frame may still be running on an old version, and Rust code
//! cannot be safely unloaded anyway); the registry counts how many versions
//! stay mapped.

use std::path::Path;

use abi_stable::library::{lib_header_from_raw_library, LibraryError, RawLibrary};
use plexus_plugin_api::abi::native::{PluginModRef, API_MAJOR, ROOT_MODULE_SYMBOL};

use crate::described::DescribedOperator;
use crate::error::RejectReason;
use crate::manifest::Manifest;
use crate::private_copy::PrivateDir;

/// A native plugin, mapped and checked.
#[derive(Clone, Copy)]
pub struct NativeModule {
    pub(crate) module: PluginModRef,
}

/// Writes `bytes` (the artifact's contents, already checked against the
/// manifest's sha256; `artifact` is its path, for messages) to a private
/// copy in a fresh folder under `temp_root`, maps it, checks its ABI and
/// returns its root module. The copy and its folder are removed before
/// this returns, whether loading worked or not.
pub fn load(
    manifest: &Manifest,
    artifact: &Path,
    bytes: &[u8],
    temp_root: &Path,
) -> Result<NativeModule, RejectReason> {
    let load_failed = |message: String| RejectReason::LoadFailed { path: artifact.to_path_buf(), message };
    #[cfg(target_os = "linux")]
    crate::elf::check_bytes(bytes).map_err(&load_failed)?;
    let private = PrivateDir::create(temp_root).map_err(&load_failed)?;
    let copy = private.write(&format!("{}-{}.so", manifest.plugin.name, manifest.plugin.version), bytes);
    let raw = RawLibrary::load_at(&copy.map_err(&load_failed)?);
    // The mapping survives the unlink; removing the copy and its folder now
    // means nothing is left behind however the process ends.
    drop(private);
    let raw = raw.map_err(|e| load_failed(loader_message(&e)))?;

    // SAFETY: looking up a symbol by name (libloading wants a pointer-sized
    // type); we only check that it exists and never read through it.
    let has_root = unsafe { raw.get::<*const std::ffi::c_void>(ROOT_MODULE_SYMBOL.as_bytes()) }.is_ok();
    if !has_root {
        return Err(load_failed("not a plexus plugin: it exports no plugin root module".to_string()));
    }
    // SAFETY: the symbol exists and was exported by `export_plugin!` (or by
    // abi_stable itself); `lib_header_from_raw_library` checks the abi_stable
    // header before trusting anything else, and the library is leaked below
    // so the 'static header never dangles.
    let header = unsafe { lib_header_from_raw_library(&raw) }.map_err(|e| map_library_error(manifest, e))?;
    let module = header.init_root_module::<PluginModRef>().map_err(|e| map_library_error(manifest, e))?;
    std::mem::forget(raw);
    Ok(NativeModule { module })
}

fn loader_message(e: &LibraryError) -> String {
    match e {
        LibraryError::OpenError { err, .. } => err.to_string(),
        other => other.to_string(),
    }
}

fn map_library_error(m: &Manifest, e: LibraryError) -> RejectReason {
    match e {
        LibraryError::IncompatibleVersionNumber { actual_version, .. } => RejectReason::ApiMismatch {
            plugin: m.plugin.name.clone(),
            built_for: actual_version.major.to_string(),
            host_serves: API_MAJOR.to_string(),
        },
        LibraryError::AbiInstability(report) => {
            tracing::debug!(plugin = %m.plugin.name, "ABI layout report:\n{report}");
            RejectReason::LayoutMismatch { plugin: m.plugin.name.clone(), host_serves: API_MAJOR.to_string() }
        }
        other => RejectReason::LoadFailed { path: m.artifact_path(), message: first_line(&other.to_string()) },
    }
}

fn first_line(s: &str) -> String {
    s.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_string()
}

impl NativeModule {
    /// The operators the artifact exports and their parameter tables, from
    /// its `describe` call.
    pub fn described(&self) -> Vec<DescribedOperator> {
        let json = (self.module.describe())();
        crate::described::parse(&json).unwrap_or_default()
    }
}
