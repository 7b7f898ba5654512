//! Read-only preopened folders for wasm guests: the part of WASI preview 1
//! that wasi-libc's `fopen`/`fread`/`fseek`/`fclose`/`stat` need, over the
//! folders a pipeline granted (`grants = { read = [...] }`), and nothing more.
//!
//! - Each granted folder is a preopened directory fd (3, 4, …) named as the
//!   pipeline wrote it, so `fopen("data/calib/dark.txt", "r")` works in the
//!   guest when the pipeline granted `data/calib`.
//! - `path_open` takes relative paths only; `..` may not climb above the
//!   folder the fd stands for; the result is resolved with symlinks followed
//!   and refused unless it still lies inside the granted folder. Creating,
//!   truncating, appending and any write right are refused.
//! - Without a grant the table is empty: every fd call answers `EBADF`.
//!
//! Resolving and opening are two steps; on Linux the file actually opened is
//! checked again through `/proc/self/fd`, so a component swapped for a
//! symlink in between cannot redirect an open outside the folder. Elsewhere
//! (and for `path_filestat_get`, which opens nothing) that window remains:
//! grant folders that untrusted parties cannot write.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

/// One granted read-only folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadGrant {
    /// The name the guest sees (the path as written in the pipeline).
    pub guest: String,
    /// The folder on the host, canonical (symlinks resolved).
    pub host: PathBuf,
}

pub(crate) const ESUCCESS: i32 = 0;
pub(crate) const EBADF: i32 = 8;
const EINVAL: i32 = 28;
const EISDIR: i32 = 31;
const EMFILE: i32 = 33;
const ENAMETOOLONG: i32 = 37;
const ENOENT: i32 = 44;
const ENOTDIR: i32 = 54;
pub(crate) const ENOTCAPABLE: i32 = 76;

const FILETYPE_DIRECTORY: u8 = 3;
const FILETYPE_REGULAR: u8 = 4;

// Rights (WASI preview 1).
const FD_DATASYNC: u64 = 1 << 0;
const FD_READ: u64 = 1 << 1;
const FD_SEEK: u64 = 1 << 2;
const FD_TELL: u64 = 1 << 5;
const FD_WRITE: u64 = 1 << 6;
const FD_ADVISE: u64 = 1 << 7;
const FD_ALLOCATE: u64 = 1 << 8;
const PATH_OPEN: u64 = 1 << 13;
const PATH_FILESTAT_GET: u64 = 1 << 18;
const FD_FILESTAT_GET: u64 = 1 << 21;
const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;

/// What an open file may do.
const FILE_RIGHTS: u64 = FD_READ | FD_SEEK | FD_TELL | FD_ADVISE | FD_FILESTAT_GET;
/// What an open folder may do.
const DIR_RIGHTS: u64 = PATH_OPEN | PATH_FILESTAT_GET | FD_FILESTAT_GET;
/// Rights that mean "open for writing"; asking for any is refused. These are
/// the ones wasi-libc leaves out for `O_RDONLY`. Other rights a read-only
/// open may ask for (Rust's std asks `fd_sync`, `fd_filestat_set_times`,
/// …) are not refused but never served: the calls behind them are not
/// implemented for granted files.
const WRITE_RIGHTS: u64 = FD_DATASYNC | FD_WRITE | FD_ALLOCATE | FD_FILESTAT_SET_SIZE;

// oflags / fdflags.
const O_CREAT: u16 = 1;
const O_DIRECTORY: u16 = 2;
const O_EXCL: u16 = 4;
const O_TRUNC: u16 = 8;
const FDFLAG_APPEND: u16 = 1;
const FDFLAG_DSYNC: u16 = 2;
const FDFLAG_SYNC: u16 = 16;

/// Open files and folders a guest may hold at once (preopens included).
const MAX_FDS: usize = 64;
/// The first fd handed out (0, 1, 2 are stdin/stdout/stderr).
const FIRST_FD: usize = 3;

enum Entry {
    Dir {
        /// The granted folder this fd lies in (canonical).
        root: PathBuf,
        /// This folder (canonical).
        path: PathBuf,
        /// For preopens: the name the guest sees.
        preopen: Option<String>,
    },
    File {
        file: File,
    },
}

/// The fd table of one guest instance.
#[derive(Default)]
pub(crate) struct FsTable {
    fds: Vec<Option<Entry>>,
}

impl FsTable {
    /// Preopens `grants` as fds 3, 4, …
    pub(crate) fn new(grants: &[ReadGrant]) -> FsTable {
        let fds = grants
            .iter()
            .map(|g| Some(Entry::Dir { root: g.host.clone(), path: g.host.clone(), preopen: Some(g.guest.clone()) }))
            .collect();
        FsTable { fds }
    }

    fn get(&self, fd: i32) -> Option<&Entry> {
        let i = (fd as u32 as usize).checked_sub(FIRST_FD)?;
        self.fds.get(i)?.as_ref()
    }

    fn get_mut(&mut self, fd: i32) -> Option<&mut Entry> {
        let i = (fd as u32 as usize).checked_sub(FIRST_FD)?;
        self.fds.get_mut(i)?.as_mut()
    }

    fn insert(&mut self, e: Entry) -> Result<i32, i32> {
        if let Some(i) = self.fds.iter().position(Option::is_none) {
            self.fds[i] = Some(e);
            return Ok((i + FIRST_FD) as i32);
        }
        if self.fds.len() >= MAX_FDS {
            return Err(EMFILE);
        }
        self.fds.push(Some(e));
        Ok((self.fds.len() - 1 + FIRST_FD) as i32)
    }

    /// `fd_prestat_get`: the 8-byte prestat record (tag 0 = dir, name length).
    pub(crate) fn prestat(&self, fd: i32) -> Result<[u8; 8], i32> {
        match self.get(fd) {
            Some(Entry::Dir { preopen: Some(name), .. }) => {
                let mut rec = [0u8; 8];
                rec[4..8].copy_from_slice(&(name.len() as u32).to_le_bytes());
                Ok(rec)
            }
            _ => Err(EBADF),
        }
    }

    /// `fd_prestat_dir_name`: the preopen's name.
    pub(crate) fn prestat_name(&self, fd: i32, cap: usize) -> Result<Vec<u8>, i32> {
        match self.get(fd) {
            Some(Entry::Dir { preopen: Some(name), .. }) if name.len() <= cap => Ok(name.as_bytes().to_vec()),
            Some(Entry::Dir { preopen: Some(_), .. }) => Err(ENAMETOOLONG),
            _ => Err(EBADF),
        }
    }

    /// `fd_fdstat_get`: the 24-byte fdstat record.
    pub(crate) fn fdstat(&self, fd: i32) -> Result<[u8; 24], i32> {
        let (filetype, base, inheriting) = match self.get(fd) {
            Some(Entry::Dir { .. }) => (FILETYPE_DIRECTORY, DIR_RIGHTS, DIR_RIGHTS | FILE_RIGHTS),
            Some(Entry::File { .. }) => (FILETYPE_REGULAR, FILE_RIGHTS, 0),
            None => return Err(EBADF),
        };
        let mut rec = [0u8; 24];
        rec[0] = filetype;
        rec[8..16].copy_from_slice(&base.to_le_bytes());
        rec[16..24].copy_from_slice(&inheriting.to_le_bytes());
        Ok(rec)
    }

    /// `fd_close`.
    pub(crate) fn close(&mut self, fd: i32) -> i32 {
        let Some(i) = (fd as u32 as usize).checked_sub(FIRST_FD) else { return EBADF };
        match self.fds.get_mut(i) {
            Some(slot @ Some(_)) => {
                *slot = None;
                ESUCCESS
            }
            _ => EBADF,
        }
    }

    /// `fd_read` into one buffer; returns the bytes read (0 at the end).
    pub(crate) fn read(&mut self, fd: i32, buf: &mut [u8]) -> Result<usize, i32> {
        match self.get_mut(fd) {
            Some(Entry::File { file }) => file.read(buf).map_err(|e| errno(&e)),
            Some(Entry::Dir { .. }) => Err(EISDIR),
            None => Err(EBADF),
        }
    }

    /// `fd_seek`; `whence` 0 set, 1 current, 2 end.
    pub(crate) fn seek(&mut self, fd: i32, offset: i64, whence: i32) -> Result<u64, i32> {
        let Some(Entry::File { file }) = self.get_mut(fd) else {
            return Err(if self.get(fd).is_some() { ENOTCAPABLE } else { EBADF });
        };
        let pos = match whence {
            0 if offset >= 0 => SeekFrom::Start(offset as u64),
            0 => return Err(EINVAL),
            1 => SeekFrom::Current(offset),
            2 => SeekFrom::End(offset),
            _ => return Err(EINVAL),
        };
        file.seek(pos).map_err(|e| errno(&e))
    }

    /// `fd_filestat_get`: the 64-byte filestat record.
    pub(crate) fn filestat(&self, fd: i32) -> Result<[u8; 64], i32> {
        let meta = match self.get(fd) {
            Some(Entry::File { file }) => file.metadata(),
            Some(Entry::Dir { path, .. }) => std::fs::metadata(path),
            None => return Err(EBADF),
        };
        meta.map(|m| filestat(&m)).map_err(|e| errno(&e))
    }

    /// `path_filestat_get`.
    pub(crate) fn path_filestat(&self, fd: i32, path: &[u8]) -> Result<[u8; 64], i32> {
        let target = self.resolve(fd, path)?;
        std::fs::metadata(&target).map(|m| filestat(&m)).map_err(|e| errno(&e))
    }

    /// `path_open`, read-only: returns the new fd.
    pub(crate) fn open(&mut self, fd: i32, path: &[u8], oflags: i32, rights: i64, fdflags: i32) -> Result<i32, i32> {
        let (oflags, fdflags, rights) = (oflags as u16, fdflags as u16, rights as u64);
        if oflags & (O_CREAT | O_EXCL | O_TRUNC) != 0
            || fdflags & (FDFLAG_APPEND | FDFLAG_DSYNC | FDFLAG_SYNC) != 0
            || rights & WRITE_RIGHTS != 0
        {
            return Err(ENOTCAPABLE);
        }
        let target = self.resolve(fd, path)?;
        let Some(Entry::Dir { root, .. }) = self.get(fd) else { return Err(EBADF) };
        let root = root.clone();
        let meta = std::fs::metadata(&target).map_err(|e| errno(&e))?;
        let entry = if meta.is_dir() {
            Entry::Dir { root, path: target, preopen: None }
        } else if oflags & O_DIRECTORY != 0 {
            return Err(ENOTDIR);
        } else {
            let file = File::open(&target).map_err(|e| errno(&e))?;
            if !opened_inside(&file, &root) {
                return Err(ENOTCAPABLE);
            }
            Entry::File { file }
        };
        self.insert(entry)
    }

    /// Resolves `path` relative to folder fd `fd`: relative only, no climbing
    /// above that folder, symlinks followed, and the result inside the grant.
    fn resolve(&self, fd: i32, path: &[u8]) -> Result<PathBuf, i32> {
        let (root, dir) = match self.get(fd) {
            Some(Entry::Dir { root, path, .. }) => (root, path),
            Some(Entry::File { .. }) => return Err(ENOTDIR),
            None => return Err(EBADF),
        };
        let path = std::str::from_utf8(path).map_err(|_| EINVAL)?;
        if path.is_empty() || path.contains('\0') {
            return Err(EINVAL);
        }
        let rel = Path::new(path);
        let mut joined = dir.clone();
        let mut depth = 0usize;
        for c in rel.components() {
            match c {
                Component::Normal(part) => {
                    joined.push(part);
                    depth += 1;
                }
                Component::CurDir => {}
                Component::ParentDir if depth > 0 => {
                    joined.pop();
                    depth -= 1;
                }
                // `..` above the folder, `/…`, or a prefix: never.
                Component::ParentDir | Component::RootDir | Component::Prefix(_) => return Err(ENOTCAPABLE),
            }
        }
        let real = joined.canonicalize().map_err(|e| errno(&e))?;
        if !real.starts_with(root) {
            return Err(ENOTCAPABLE);
        }
        Ok(real)
    }
}

/// Whether the file actually opened lies in `root`: closes the window
/// between resolving a path and opening it (a component swapped for a
/// symlink in between) for files, on Linux, by asking the kernel which file
/// the descriptor is.
fn opened_inside(file: &File, root: &Path) -> bool {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        if let Ok(real) = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())) {
            return real.starts_with(root);
        }
    }
    let _ = (file, root);
    true
}

fn filestat(m: &std::fs::Metadata) -> [u8; 64] {
    let mut rec = [0u8; 64];
    let nanos = |t: std::io::Result<std::time::SystemTime>| -> u64 {
        t.ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map(|d| d.as_nanos() as u64).unwrap_or(0)
    };
    rec[16] = if m.is_dir() { FILETYPE_DIRECTORY } else { FILETYPE_REGULAR };
    rec[24..32].copy_from_slice(&1u64.to_le_bytes());
    rec[32..40].copy_from_slice(&m.len().to_le_bytes());
    rec[40..48].copy_from_slice(&nanos(m.accessed()).to_le_bytes());
    rec[48..56].copy_from_slice(&nanos(m.modified()).to_le_bytes());
    rec[56..64].copy_from_slice(&nanos(m.modified()).to_le_bytes());
    rec
}

fn errno(e: &std::io::Error) -> i32 {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => ENOENT,
        PermissionDenied => ENOTCAPABLE,
        NotADirectory => ENOTDIR,
        IsADirectory => EISDIR,
        InvalidInput => EINVAL,
        _ => 29, // EIO
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> (tempfile::TempDir, FsTable) {
        let dir = tempfile::tempdir().unwrap();
        let granted = dir.path().join("granted");
        std::fs::create_dir_all(granted.join("sub")).unwrap();
        std::fs::write(granted.join("a.txt"), b"hello").unwrap();
        std::fs::write(dir.path().join("secret.txt"), b"secret").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("../secret.txt", granted.join("out")).unwrap();
            std::os::unix::fs::symlink("a.txt", granted.join("in")).unwrap();
        }
        let host = granted.canonicalize().unwrap();
        (dir, FsTable::new(&[ReadGrant { guest: "data".into(), host }]))
    }

    #[test]
    fn reads_inside_and_refuses_escapes() {
        let (_d, mut t) = table();
        assert_eq!(t.prestat_name(3, 16).unwrap(), b"data");
        assert_eq!(t.prestat(4), Err(EBADF));
        let fd = t.open(3, b"sub/../a.txt", 0, FILE_RIGHTS as i64, 0).unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(t.read(fd, &mut buf), Ok(5));
        assert_eq!(&buf[..5], b"hello");
        assert_eq!(t.seek(fd, 1, 0), Ok(1));
        assert_eq!(t.close(fd), ESUCCESS);
        assert_eq!(t.close(fd), EBADF);
        assert_eq!(t.open(3, b"../secret.txt", 0, 0, 0), Err(ENOTCAPABLE));
        assert_eq!(t.open(3, b"sub/../../secret.txt", 0, 0, 0), Err(ENOTCAPABLE));
        assert_eq!(t.open(3, b"/etc/passwd", 0, 0, 0), Err(ENOTCAPABLE));
        assert_eq!(t.open(3, b"missing", 0, 0, 0), Err(ENOENT));
        assert_eq!(t.open(3, b"a.txt", O_CREAT as i32, 0, 0), Err(ENOTCAPABLE));
        assert_eq!(t.open(3, b"a.txt", O_TRUNC as i32, 0, 0), Err(ENOTCAPABLE));
        assert_eq!(t.open(3, b"a.txt", 0, FD_WRITE as i64, 0), Err(ENOTCAPABLE));
        assert_eq!(t.open(3, b"a.txt", 0, 0, FDFLAG_APPEND as i32), Err(ENOTCAPABLE));
        // What Rust's std asks for a read-only `File::open` is accepted.
        let rust_read =
            FD_READ | (1 << 14) | FD_ADVISE | (1 << 3) | FD_FILESTAT_GET | (1 << 23) | FD_SEEK | (1 << 4) | FD_TELL;
        assert!(t.open(3, b"a.txt", 0, rust_read as i64, 0).is_ok());
        #[cfg(unix)]
        {
            assert_eq!(t.open(3, b"out", 0, 0, 0), Err(ENOTCAPABLE));
            assert!(t.open(3, b"in", 0, 0, 0).is_ok());
        }
        // A folder opened from the preopen cannot climb above the grant either.
        let sub = t.open(3, b"sub", O_DIRECTORY as i32, 0, 0).unwrap();
        assert_eq!(t.open(sub, b"../a.txt", 0, 0, 0), Err(ENOTCAPABLE));
        assert_eq!(t.path_filestat(3, b"a.txt").unwrap()[32..40], 5u64.to_le_bytes());
    }

    #[test]
    fn no_grant_no_fds() {
        let mut t = FsTable::new(&[]);
        assert_eq!(t.prestat(3), Err(EBADF));
        assert_eq!(t.open(3, b"a", 0, 0, 0), Err(EBADF));
        assert_eq!(t.read(3, &mut [0u8; 4]), Err(EBADF));
    }
}
