//! Which folders and files the registry trusts to hold native code.
//!
//! A native plugin runs as the user who runs `plexus` (its ELF constructors
//! run on `dlopen`, before any check of ours), and a sha256 written by
//! whoever made the folder proves nothing. So, like ssh's `StrictModes` for
//! `~/.ssh`, a plugin folder is used only if nobody else could have put code
//! in it: the folder, every folder above it and the files loaded from it
//! are owned by the current user or root and writable by nobody else. A
//! folder above may be writable by others if it is sticky (`/tmp`): then
//! they cannot rename our entries away. See `docs/TRUST.md`.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::error::TrustProblem;

/// The effective uid of this process.
pub(crate) fn current_uid() -> u32 {
    // SAFETY: geteuid has no preconditions, touches no memory of ours and
    // cannot fail (POSIX).
    unsafe { libc::geteuid() }
}

/// Checks a plugin folder: the folder itself and every folder above it
/// (after resolving symlinks, so a link cannot hide a writable folder).
pub(crate) fn check_folder(folder: &Path) -> Result<(), TrustProblem> {
    let real = folder.canonicalize().map_err(|e| unreadable(folder, e))?;
    check(&real, false)?;
    for above in real.ancestors().skip(1) {
        check(above, true)?;
    }
    Ok(())
}

/// Checks one file loaded from a checked folder (a manifest, an artifact).
pub(crate) fn check_file(path: &Path) -> Result<(), TrustProblem> {
    check(path, false)
}

/// Checks a file the host trusts to choose what it loads (its config
/// file): owned by the current user or root, writable by nobody else.
pub fn check_trusted_file(path: &Path) -> Result<(), TrustProblem> {
    check(path, false)
}

fn check(path: &Path, above: bool) -> Result<(), TrustProblem> {
    let md = std::fs::metadata(path).map_err(|e| unreadable(path, e))?;
    let current = current_uid();
    if md.uid() != current && md.uid() != 0 {
        return Err(TrustProblem::Owner { path: path.to_path_buf(), owner: md.uid(), current });
    }
    let mode = md.mode() & 0o7777;
    let sticky = mode & 0o1000 != 0;
    if mode & 0o022 != 0 && !(above && md.is_dir() && sticky) {
        return Err(TrustProblem::Writable { path: path.to_path_buf(), mode });
    }
    Ok(())
}

fn unreadable(path: &Path, e: std::io::Error) -> TrustProblem {
    TrustProblem::Unreadable { path: path.to_path_buf(), message: e.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn chmod(p: &Path, mode: u32) {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn writable_folders_are_refused_unless_sticky_and_above() {
        let dir = tempfile::tempdir().unwrap();
        let plugins = dir.path().join("plugins");
        std::fs::create_dir(&plugins).unwrap();
        assert_eq!(check_folder(&plugins), Ok(()));

        chmod(&plugins, 0o1777);
        // Sticky helps a folder above (others cannot rename our entries),
        // not the plugin folder itself (they can add their own).
        assert_eq!(check_folder(&plugins), Err(TrustProblem::Writable { path: plugins.clone(), mode: 0o1777 }));
        chmod(&plugins, 0o755);
        chmod(dir.path(), 0o1777);
        assert_eq!(check_folder(&plugins), Ok(()));
        chmod(dir.path(), 0o777);
        let e = check_folder(&plugins).unwrap_err();
        assert_eq!(e, TrustProblem::Writable { path: dir.path().canonicalize().unwrap(), mode: 0o777 });
        chmod(dir.path(), 0o700);

        // A symlink to the folder is judged by where it leads.
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&plugins, &link).unwrap();
        chmod(&plugins, 0o722);
        assert_eq!(check_folder(&link), Err(TrustProblem::Writable { path: plugins.clone(), mode: 0o722 }));
    }

    #[test]
    fn files_writable_by_others_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("lib.so");
        std::fs::write(&f, b"x").unwrap();
        chmod(&f, 0o644);
        assert_eq!(check_file(&f), Ok(()));
        chmod(&f, 0o666);
        let e = check_file(&f).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "`{0}` is writable by group and others (mode 0666), so another user could plant code in it; fix with `chmod go-w {0}`",
                f.display()
            )
        );
    }

    #[test]
    fn a_folder_of_another_user_is_refused_when_root_can_make_one() {
        if current_uid() != 0 {
            return; // only root can give a folder away
        }
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::chown(dir.path(), Some(4242), None).unwrap();
        let path = dir.path().canonicalize().unwrap();
        assert_eq!(check_folder(dir.path()), Err(TrustProblem::Owner { path, owner: 4242, current: 0 }));
    }
}
