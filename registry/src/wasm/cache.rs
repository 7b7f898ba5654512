//! The compiled-module cache: `<sha256>-wasmtime<version>-<engine hash>.cwasm`
//! files in a `0700` folder, so a known artifact loads by deserializing
//! instead of compiling.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use wasmtime::Module;

use crate::wasm::engine::{engine, WASMTIME_VERSION};

fn cache_path(dir: &Path, sha256: &str) -> PathBuf {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine().precompile_compatibility_hash().hash(&mut h);
    dir.join(format!("{sha256}-wasmtime{WASMTIME_VERSION}-{:016x}.cwasm", h.finish()))
}

/// Compiles `bytes`, or deserializes the cached compilation of the same
/// sha256 for this wasmtime and engine configuration.
pub(crate) fn compile(bytes: &[u8], sha256: &str, cache_dir: Option<&Path>) -> Result<(Module, bool), String> {
    let cached = cache_dir.map(|d| cache_path(d, sha256));
    if let Some(path) = cached.as_ref().filter(|p| p.is_file()) {
        // SAFETY: the cache folder is created 0700 by this host and only
        // holds files it serialized itself; the name pins the artifact's
        // sha256, the wasmtime version and the engine configuration, and
        // wasmtime checks its own header before using the file.
        match unsafe { Module::deserialize_file(engine(), path) } {
            Ok(m) => return Ok((m, true)),
            Err(e) => tracing::warn!(path = %path.display(), "ignoring unusable cached module: {e}"),
        }
    }
    let module = Module::new(engine(), bytes).map_err(|e| format!("not a valid wasm module: {e}"))?;
    if let Some(path) = cached {
        if let Err(e) = store_cache(&module, &path) {
            tracing::warn!(path = %path.display(), "cannot cache the compiled module: {e}");
        }
    }
    Ok((module, false))
}

fn store_cache(module: &Module, path: &Path) -> Result<(), String> {
    let dir = path.parent().ok_or("no folder")?;
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    let bytes = module.serialize().map_err(|e| e.to_string())?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, path).map_err(|e| e.to_string())
}
