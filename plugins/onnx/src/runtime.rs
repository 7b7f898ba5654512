//! Finding and loading the ONNX Runtime shared library, once per process.
//!
//! `ort` is built with `load-dynamic`: nothing links libonnxruntime at build
//! time, and the library is opened with `ort::init_from` on first use. A
//! missing or unloadable library is an [`OnnxError`] naming the path and the
//! command that installs it; no `ort` call that could panic on a missing
//! library (`ort::api()` does) is made before [`environment`] succeeded.

use std::path::PathBuf;
use std::sync::OnceLock;

use ort::environment::Environment;

use crate::error::OnnxError;

/// The ONNX Runtime version the `ort` release pins (2.0.0-rc.15 → 1.31).
pub const ORT_VERSION: &str = "1.31.1";

/// Environment variable naming the library file.
pub const LIB_VAR: &str = "PLEXUS_ORT_LIB";

/// Where `scripts/ensure-onnxruntime.sh` puts the library by default.
pub fn default_library() -> PathBuf {
    let cache = std::env::var_os("PLEXUS_ORT_CACHE")
        .map_or_else(|| PathBuf::from("/var/tmp/plexus-onnxruntime"), PathBuf::from);
    cache.join(ORT_VERSION).join(format!("libonnxruntime.so.{ORT_VERSION}"))
}

/// The library this process loads: `$PLEXUS_ORT_LIB`, else [`default_library`].
pub fn library_path() -> PathBuf {
    match std::env::var_os(LIB_VAR) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => default_library(),
    }
}

/// The process-wide ONNX Runtime environment, loading the library on the
/// first call. Later calls return the same environment, or the same error.
pub fn environment() -> Result<&'static Environment, OnnxError> {
    static ENV: OnceLock<Result<Environment, OnnxError>> = OnceLock::new();
    ENV.get_or_init(|| load(library_path())).as_ref().map_err(Clone::clone)
}

fn load(path: PathBuf) -> Result<Environment, OnnxError> {
    if !path.is_file() {
        return Err(OnnxError::RuntimeMissing { path });
    }
    let builder =
        ort::init_from(&path).map_err(|e| OnnxError::RuntimeLoad { path: path.clone(), reason: e.to_string() })?;
    builder.with_name("plexus").build().map_err(|e| OnnxError::RuntimeLoad { path, reason: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_library_is_an_error_naming_the_path() {
        let e = load(PathBuf::from("/nonexistent/libonnxruntime.so")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "onnx runtime library not found at `/nonexistent/libonnxruntime.so`: run `scripts/ensure-onnxruntime.sh` (or set `PLEXUS_ORT_LIB` to a libonnxruntime.so.1.31.x)"
        );
    }

    #[test]
    fn a_file_that_is_not_a_library_is_an_error_not_a_panic() {
        let dir = std::env::temp_dir().join(format!("plexus-onnx-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fake = dir.join("libonnxruntime.so");
        std::fs::write(&fake, b"not an ELF file").unwrap();
        let e = load(fake.clone()).unwrap_err();
        match &e {
            OnnxError::RuntimeLoad { path, reason } => {
                assert_eq!(path, &fake);
                assert!(reason.contains("failed to load from"), "{reason}");
            }
            other => panic!("unexpected {other:?}"),
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
