//! The JSON sidecar beside each output (`<output>.json`: what was written,
//! every stage's results, provenance), written all or nothing. A sidecar
//! that cannot be written is an output failure: the output's results and
//! provenance would be lost, so the run must not end as a success.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::written::Written;
use crate::error::OutputError;

/// `<output>.json`.
pub fn path_of(output: &Path) -> PathBuf {
    let mut name = output.as_os_str().to_owned();
    name.push(".json");
    PathBuf::from(name)
}

/// Writes `<output>.json` beside a written output: what was written, every
/// stage's results, and provenance (pipeline, plugins, versions, sha256,
/// parameters). Returns its path.
pub fn write(written: &Written, provenance: &Value, results: &Value) -> Result<PathBuf, OutputError> {
    let path = path_of(&written.path);
    let doc = json!({
        "output": {
            "path": written.path,
            "frames": written.frames,
            "shape": written.shape,
            "dtype": written.dtype,
            "missing_slices": written.missing.iter().map(|(o, l)| json!([o, o + l])).collect::<Vec<_>>(),
        },
        "results": results,
        "provenance": provenance,
    });
    write_document(&path, &doc)?;
    Ok(path)
}

/// Writes `doc` as pretty JSON to the sidecar `path`, all or nothing.
pub fn write_document(path: &Path, doc: &Value) -> Result<(), OutputError> {
    let text = serde_json::to_string_pretty(doc).unwrap_or_default() + "\n";
    write_atomically(path, text.as_bytes()).map_err(|source| OutputError::Sidecar { path: path.to_path_buf(), source })
}

/// Writes `bytes` to `path` all or nothing: into `<path>.partial`, created
/// fresh (a stale one left by a killed run is removed first, and a link
/// planted there is removed, never written through), synced, then renamed
/// over `path`. On any failure the partial is removed, so a full disk
/// leaves neither an empty partial nor half a file under the real name.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut name = path.as_os_str().to_owned();
    name.push(".partial");
    let tmp = PathBuf::from(name);
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let result = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|file| fill_and_rename(file, bytes, &tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes and syncs `file` (open at `tmp`), then renames `tmp` to `path`.
fn fill_and_rename(mut file: std::fs::File, bytes: &[u8], tmp: &Path, path: &Path) -> std::io::Result<()> {
    file.write_all(bytes)?;
    file.sync_data()?;
    drop(file);
    std::fs::rename(tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_leaves_no_partial() {
        // /dev/full answers every write with ENOSPC, as a full disk does.
        let Ok(full) = OpenOptions::new().write(true).open("/dev/full") else { return };
        let dir = tempfile::tempdir().unwrap();
        let (tmp, path) = (dir.path().join("a.json.partial"), dir.path().join("a.json"));
        std::fs::write(&tmp, b"").unwrap();
        let e = fill_and_rename(full, b"{}", &tmp, &path).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(28), "ENOSPC: {e}");
        assert!(!path.exists());
    }

    #[test]
    fn a_planted_link_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"keep").unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join("a.json.partial")).unwrap();
        write_atomically(&dir.path().join("a.json"), b"{}").unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
        assert_eq!(std::fs::read(dir.path().join("a.json")).unwrap(), b"{}");
        assert!(!dir.path().join("a.json.partial").exists());
    }
}
