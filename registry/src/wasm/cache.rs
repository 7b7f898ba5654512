//! The compiled-module cache: `<sha256>-wasmtime<version>-<engine hash>.cwasm`
//! files in a `0700` folder, so a known artifact loads by deserializing
//! instead of compiling.
//!
//! A cached module is native code that wasmtime runs without re-checking
//! it, so the cache is held to the rules of native plugin folders
//! ([`crate::trust`]): a cache folder (or file) another user could write to
//! or owns is neither read nor written, and the module is compiled afresh.
//! This matters because the default cache lives under `$PLEXUS_HOME`, which
//! defaults to `./.plexus` in the working directory.

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
    let cached = cache_dir.filter(|d| usable(d)).map(|d| cache_path(d, sha256));
    if let Some(path) = cached.as_ref().filter(|p| trusted_file(p)) {
        // SAFETY: the cache folder and file are owned by this user (or
        // root) and writable by nobody else (checked just above), so they
        // hold only what a host of ours serialized; the name pins the
        // artifact's sha256, the wasmtime version and the engine
        // configuration, and wasmtime checks its own header before using
        // the file.
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

/// Whether the cache folder `dir` may be used: absent (it will be created
/// `0700`), or trusted like a plugin folder. Says why not, once per call.
fn usable(dir: &Path) -> bool {
    if std::fs::symlink_metadata(dir).is_err() {
        return true;
    }
    match crate::trust::check_folder(dir) {
        Ok(()) => true,
        Err(problem) => {
            tracing::warn!("not using the compiled-module cache `{}`: {problem}", dir.display());
            false
        }
    }
}

/// A cached module that is a regular file, ours and writable only by us.
fn trusted_file(path: &Path) -> bool {
    let Ok(md) = std::fs::symlink_metadata(path) else { return false };
    if !md.file_type().is_file() {
        return false;
    }
    match crate::trust::check_file(path) {
        Ok(()) => true,
        Err(problem) => {
            tracing::warn!("not using the cached module `{}`: {problem}", path.display());
            false
        }
    }
}

fn store_cache(module: &Module, path: &Path) -> Result<(), String> {
    let dir = path.parent().ok_or("no folder")?;
    if dir.is_dir() {
        // The cache folder is ours: make it private before the trust check.
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    let bytes = module.serialize().map_err(|e| e.to_string())?;
    crate::private_file::write(dir, path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_cache_folder_others_could_write_to_is_neither_read_nor_written() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("wasm-cache");
        // The smallest valid module: magic and version.
        let wasm = b"\0asm\x01\0\0\0";
        assert!(!compile(wasm, "ab", Some(&cache)).unwrap().1, "first load compiles");
        assert!(compile(wasm, "ab", Some(&cache)).unwrap().1, "second load is cached");
        std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(!compile(wasm, "ab", Some(&cache)).unwrap().1, "a world-writable cache is not read");
        assert!(!compile(wasm, "cd", Some(&cache)).unwrap().1);
        assert!(!cache_path(&cache, "cd").exists(), "nor written");
        std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o700)).unwrap();
        let file = cache_path(&cache, "ab");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert!(!compile(wasm, "ab", Some(&cache)).unwrap().1, "a world-writable cached file is not read");
    }
}
