//! Where a run may write: no output (or plot) onto the pipeline's input, and
//! no two outputs onto one file. Paths are compared as the filesystem
//! resolves them (symlinks and `..` followed, hard links by device and
//! inode), so `./in.npy`, `sub/../in.npy` and a link to `in.npy` are all the
//! input. A path that does not exist yet is resolved through its nearest
//! existing folder.

use std::path::{Component, Path, PathBuf};

/// One path a run writes, as the pipeline names it.
pub struct Target<'a> {
    /// The key that names it (`output[1].path`, `plot[0].path`).
    pub key: String,
    /// The path as written in the file, for messages.
    pub written: &'a Path,
    /// The path the run will write (resolved against the pipeline's folder).
    pub path: &'a Path,
}

/// A path as the filesystem will resolve it when it is written: the
/// longest existing prefix canonicalised (symlinks followed), the rest
/// appended with `.` dropped and `..` applied.
pub fn resolve(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            let mut out = real;
            for c in rest.iter().rev() {
                match c {
                    Component::ParentDir => {
                        out.pop();
                    }
                    Component::Normal(n) => out.push(n),
                    _ => {}
                }
            }
            return out;
        }
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last);
                existing = parent;
            }
            _ => return abs,
        }
    }
}

/// Device and inode of an existing file, so two names of one file (a hard
/// link) compare equal.
fn file_id(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// How `a` and `b` overlap once resolved.
#[derive(Debug, PartialEq, Eq)]
enum Overlap {
    Same,
    /// `a` lies inside the folder `b`.
    Inside,
    /// `b` lies inside the folder `a`.
    Contains,
}

fn overlap(a: &Path, b: &Path) -> Option<Overlap> {
    let (ra, rb) = (resolve(a), resolve(b));
    if ra == rb || file_id(a).is_some_and(|id| file_id(b) == Some(id)) {
        Some(Overlap::Same)
    } else if ra.starts_with(&rb) {
        Some(Overlap::Inside)
    } else if rb.starts_with(&ra) {
        Some(Overlap::Contains)
    } else {
        None
    }
}

/// Checks every target against the input and against the targets before
/// it; each problem goes to `err(key, message)`. A target that is (or
/// holds) the input is reported once, for that.
pub fn check(input: Option<&Path>, targets: &[Target<'_>], err: &mut dyn FnMut(&str, String)) {
    let on_input: Vec<Option<Overlap>> = targets.iter().map(|t| input.and_then(|i| overlap(t.path, i))).collect();
    for (n, t) in targets.iter().enumerate() {
        let out = t.written.display();
        if let (Some(o), Some(input)) = (&on_input[n], input) {
            let inp = input.display();
            err(
                &t.key,
                match o {
                    Overlap::Same => {
                        format!("`{out}` is the input `{inp}`: an output never replaces its input; write it elsewhere")
                    }
                    Overlap::Inside => format!(
                        "`{out}` lies inside the input folder `{inp}`: an output never goes into its input; write it elsewhere"
                    ),
                    Overlap::Contains => {
                        format!("the input `{inp}` lies inside `{out}`, which the output replaces; write it elsewhere")
                    }
                },
            );
            continue;
        }
        for earlier in targets[..n].iter().zip(&on_input).filter(|(_, o)| o.is_none()).map(|(e, _)| e) {
            let other = &earlier.key;
            match overlap(t.path, earlier.path) {
                Some(Overlap::Same) => err(
                    &t.key,
                    format!("`{out}` is also written by `{other}`: two outputs of one run cannot share a file"),
                ),
                Some(Overlap::Inside | Overlap::Contains) => err(
                    &t.key,
                    format!(
                        "`{out}` and the path of `{other}` lie one inside the other: outputs of one run cannot nest"
                    ),
                ),
                None => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_missing_paths_through_their_existing_folder() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().canonicalize().unwrap();
        std::fs::write(real.join("in.npy"), b"x").unwrap();
        assert_eq!(resolve(&dir.path().join("sub/../in.npy")), real.join("in.npy"));
        assert_eq!(resolve(&dir.path().join("new/./a/../b.npy")), real.join("new/b.npy"));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(real.join("in.npy"), real.join("link.npy")).unwrap();
            std::fs::hard_link(real.join("in.npy"), real.join("hard.npy")).unwrap();
            assert_eq!(overlap(&real.join("link.npy"), &real.join("in.npy")), Some(Overlap::Same));
            assert_eq!(overlap(&real.join("hard.npy"), &real.join("in.npy")), Some(Overlap::Same));
        }
        assert_eq!(overlap(&real.join("new/x.npy"), &real.join("new")), Some(Overlap::Inside));
        assert_eq!(overlap(&real.join("a.npy"), &real.join("in.npy")), None);
    }
}
