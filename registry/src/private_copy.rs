//! The private copy a native artifact is mapped from.
//!
//! Why a copy: overwriting a file that is mapped crashes the process, and
//! plugin folders are exactly where new versions get written. Why a fresh
//! folder per load: a predictable, reused folder in a shared `/tmp` can be
//! planted with symlinks before `plexus` runs, and a copy written through
//! one overwrites whatever it points at (as root: any file). So each load
//! makes a folder with `mkdtemp` semantics (random name, created
//! atomically, mode `0700`, owner checked), writes the copy with
//! `O_CREAT | O_EXCL | O_NOFOLLOW`, and removes both as soon as `dlopen`
//! has mapped the copy (the mapping survives the unlink). Nothing is left
//! behind on a normal or an error exit; only a kill during the `dlopen`
//! itself can leave a folder behind.

use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::trust::current_uid;

/// A fresh private folder, removed with everything in it when dropped.
pub(crate) struct PrivateDir {
    dir: tempfile::TempDir,
}

impl PrivateDir {
    /// Makes `<root>/plexus-loaded-XXXXXX` (root: usually `$TMPDIR`) and
    /// checks that it is ours: a folder, not a link, owned by this user,
    /// mode `0700`.
    pub(crate) fn create(root: &Path) -> Result<PrivateDir, String> {
        std::fs::create_dir_all(root).map_err(|e| format!("cannot create `{}`: {e}", root.display()))?;
        let dir = tempfile::Builder::new()
            .prefix("plexus-loaded-")
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir_in(root)
            .map_err(|e| format!("cannot create a private folder in `{}`: {e}", root.display()))?;
        let md = std::fs::symlink_metadata(dir.path()).map_err(|e| format!("`{}`: {e}", dir.path().display()))?;
        if !md.is_dir() || md.uid() != current_uid() || md.mode() & 0o077 != 0 {
            return Err(format!(
                "the private folder `{}` is not ours (owner uid {}, mode {:04o})",
                dir.path().display(),
                md.uid(),
                md.mode() & 0o7777
            ));
        }
        Ok(PrivateDir { dir })
    }

    /// Writes `bytes` to a new file `name` in the folder: never through an
    /// existing file or symlink.
    pub(crate) fn write(&self, name: &str, bytes: &[u8]) -> Result<PathBuf, String> {
        let path = self.dir.path().join(sanitize(name));
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o700)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)
            .map_err(|e| format!("cannot create `{}`: {e}", path.display()))?;
        file.write_all(bytes).map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
        Ok(path)
    }

    #[cfg(test)]
    fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// A file name made of `[A-Za-z0-9._-]` only, so that no name from a
/// manifest can point elsewhere.
fn sanitize(name: &str) -> String {
    let s: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect();
    if s.starts_with('.') {
        format!("_{s}")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_fresh_0700_folder_removed_on_drop_that_never_writes_through_a_link() {
        let root = tempfile::tempdir().unwrap();
        let a = PrivateDir::create(root.path()).unwrap();
        let b = PrivateDir::create(root.path()).unwrap();
        assert_ne!(a.path(), b.path(), "each load gets its own folder");
        let md = std::fs::symlink_metadata(a.path()).unwrap();
        assert_eq!(md.permissions().mode() & 0o7777, 0o700);
        assert!(a.path().file_name().unwrap().to_str().unwrap().starts_with("plexus-loaded-"));

        let copy = a.write("p-1.0.0.so", b"lib").unwrap();
        assert_eq!(std::fs::read(&copy).unwrap(), b"lib");
        // Never through something that is already there, link or file.
        let victim = root.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        std::os::unix::fs::symlink(&victim, a.path().join("q.so")).unwrap();
        let e = a.write("q.so", b"evil").unwrap_err();
        assert!(e.contains("File exists"), "{e}");
        assert!(a.write("p-1.0.0.so", b"again").unwrap_err().contains("File exists"));
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert_eq!(a.write("../../x", b"x").unwrap(), a.path().join("_.._.._x"));

        let (pa, pb) = (a.path().to_path_buf(), b.path().to_path_buf());
        drop(a);
        drop(b);
        assert!(!pa.exists() && !pb.exists(), "removed on drop");
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1, "only the victim is left");
    }
}
