//! Paths a client names: only files under an `--allow-root` given on the
//! command line, checked after every symlink and `..` is resolved, so
//! neither `..`, an absolute path elsewhere, a symlink planted under a root
//! nor an encoded variant leads out. Paths are taken as written: nothing
//! is percent-decoded, so `%2e%2e` is a file name like any other.

use std::path::{Component, Path, PathBuf};

use super::errors::ApiError;

/// The allowed roots, resolved once at start.
#[derive(Debug, Clone, Default)]
pub struct Roots {
    roots: Vec<PathBuf>,
}

impl Roots {
    /// Resolves each root; one that does not exist is an error naming it.
    pub fn new(roots: &[PathBuf]) -> Result<Roots, crate::error::HostError> {
        let roots = roots
            .iter()
            .map(|r| r.canonicalize().map_err(|e| crate::error::HostError::system("resolve the allowed root", r, e)))
            .collect::<Result<_, _>>()?;
        Ok(Roots { roots })
    }

    /// The real path of `asked` (relative paths are taken from the first
    /// root) when it lies under a root once resolved; a path outside, or
    /// one that does not exist, is refused without saying which (a client
    /// learns nothing of the server's files outside the roots).
    pub fn resolve(&self, asked: &str) -> Result<PathBuf, ApiError> {
        let refused = || {
            ApiError::Forbidden(format!(
                "`{asked}` is not a file under an allowed root: the server was started with {}",
                if self.roots.is_empty() {
                    "no `--allow-root`".to_string()
                } else {
                    "`--allow-root` folders only".into()
                }
            ))
        };
        let first = self.roots.first().ok_or_else(refused)?;
        if asked.is_empty() || asked.contains('\0') {
            return Err(refused());
        }
        let joined = first.join(asked);
        // Refused before touching the disk when even the words lead out.
        let lexical = normalize(&joined);
        if !self.roots.iter().any(|r| lexical.starts_with(r)) {
            return Err(refused());
        }
        let real = joined
            .canonicalize()
            .map_err(|_| ApiError::NotFound(format!("`{asked}` does not exist under the allowed root")))?;
        if !self.roots.iter().any(|r| real.starts_with(r)) {
            return Err(refused());
        }
        Ok(real)
    }
}

/// `path` with `.` and `..` folded, without reading the disk.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_real_paths_under_a_root_resolve() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/a.npy"), b"x").unwrap();
        std::fs::write(dir.path().join("secret.npy"), b"x").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret.npy"), root.join("link.npy")).unwrap();
        let roots = Roots::new(std::slice::from_ref(&root)).unwrap();
        let real = root.canonicalize().unwrap();
        assert_eq!(roots.resolve("sub/a.npy").unwrap(), real.join("sub/a.npy"));
        assert_eq!(roots.resolve(real.join("sub/../sub/a.npy").to_str().unwrap()).unwrap(), real.join("sub/a.npy"));
        for bad in ["../secret.npy", "sub/../../secret.npy", "link.npy", "/etc/passwd"] {
            assert!(matches!(roots.resolve(bad), Err(ApiError::Forbidden(_))), "{bad}");
        }
        assert!(matches!(roots.resolve("%2e%2e/secret.npy"), Err(ApiError::NotFound(_))));
        assert!(matches!(Roots::default().resolve("a.npy"), Err(ApiError::Forbidden(_))));
    }
}
