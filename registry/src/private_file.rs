//! Files the registry keeps for itself (the verified-hash cache, compiled
//! wasm modules): written whole or not at all, readable by the user only,
//! in a folder that passes the trust check, never through a symlink.

use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

/// Writes `bytes` to `path` in `dir`: the folder is made (mode 0700) when
/// missing and must pass [`crate::trust::check_folder`]; the bytes go to a
/// fresh temporary file (mode 0600, `O_NOFOLLOW`, created exclusively) that
/// is renamed over `path`, and removed when anything fails.
pub(crate) fn write(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), String> {
    if std::fs::symlink_metadata(dir).is_err() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    }
    crate::trust::check_folder(dir).map_err(|p| p.to_string())?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&tmp)
        .map_err(|e| format!("`{}`: {e}", tmp.display()))?;
    let written = std::io::Write::write_all(&mut file, bytes)
        .map_err(|e| e.to_string())
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| e.to_string()));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}
