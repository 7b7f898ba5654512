//! Which format a file is in: [`Format`], chosen from the extension and
//! checked against the first bytes (the "magic"), so that a text file named
//! `.png` or a TIFF renamed to `.npy` is reported as such instead of failing
//! somewhere deep inside a decoder.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::error::{shown, IoError};

/// A file format Plexus reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Tagged Image File Format, classic or BigTIFF (`.tif`, `.tiff`, `.btf`).
    Tiff,
    /// Portable Network Graphics (`.png`).
    Png,
    /// NumPy's array file (`.npy`).
    Npy,
    /// HDF5 (`.h5`, `.hdf5`): read with the `hdf5` feature, through
    /// [`read`](crate::read) (one array) or `read_hdf5`, `read_dxchange` and
    /// `ImageSet`; written only as whole files (`write_dxchange`,
    /// `write_image_set`), never streamed.
    Hdf5,
    /// A Zarr store (`.zarr`): a folder holding `zarr.json` (v3) or
    /// `.zarray`/`.zgroup` (v2); read by chunk, written as v3 with
    /// OME-Zarr metadata for volumes.
    Zarr,
}

const TIFF_LE: &[u8] = b"II";
const TIFF_BE: &[u8] = b"MM";
const PNG_SIGNATURE: &[u8] = &[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
const NPY_MAGIC: &[u8] = b"\x93NUMPY";
/// The HDF5 superblock signature (at byte 0 when the file has no user block).
pub(crate) const HDF5_SIGNATURE: &[u8] = b"\x89HDF\r\n\x1a\n";

impl Format {
    /// The format an extension names, case-insensitively.
    pub fn from_extension(ext: &str) -> Option<Format> {
        match ext.to_ascii_lowercase().as_str() {
            "tif" | "tiff" | "btf" => Some(Format::Tiff),
            "png" => Some(Format::Png),
            "npy" => Some(Format::Npy),
            "h5" | "hdf5" => Some(Format::Hdf5),
            "zarr" => Some(Format::Zarr),
            _ => None,
        }
    }

    /// The format `path`'s extension names, or an error naming the extension.
    pub fn from_path(path: &Path) -> Result<Format, IoError> {
        let ext = path.extension().and_then(|e| e.to_str());
        ext.and_then(Format::from_extension).ok_or_else(|| IoError::UnknownExtension {
            file: shown(path),
            ext: match path.extension() {
                Some(e) => format!("`.{}`", e.to_string_lossy()),
                None => "(none)".to_string(),
            },
        })
    }

    /// The format whose magic bytes begin `head`, if any.
    pub fn sniff(head: &[u8]) -> Option<Format> {
        if head.len() >= 4 && (head.starts_with(TIFF_LE) || head.starts_with(TIFF_BE)) {
            let version = if head.starts_with(TIFF_LE) {
                u16::from_le_bytes([head[2], head[3]])
            } else {
                u16::from_be_bytes([head[2], head[3]])
            };
            if version == 42 || version == 43 {
                return Some(Format::Tiff);
            }
        }
        if head.starts_with(PNG_SIGNATURE) {
            return Some(Format::Png);
        }
        if head.starts_with(NPY_MAGIC) {
            return Some(Format::Npy);
        }
        if head.starts_with(HDF5_SIGNATURE) {
            return Some(Format::Hdf5);
        }
        None
    }

    /// The name used in messages (`"TIFF"`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Tiff => "TIFF",
            Format::Png => "PNG",
            Format::Npy => "NPY",
            Format::Hdf5 => "HDF5",
            Format::Zarr => "Zarr",
        }
    }

    /// What the first bytes of this format must be, for messages.
    fn expected_magic(self) -> &'static str {
        match self {
            Format::Tiff => "`II*\\0` or `MM\\0*` (or `II+\\0`/`MM\\0+` for BigTIFF)",
            Format::Png => "the signature `89 50 4e 47 0d 0a 1a 0a`",
            Format::Npy => "`\\x93NUMPY`",
            Format::Hdf5 => "the signature `89 48 44 46 0d 0a 1a 0a`",
            Format::Zarr => "a folder holding `zarr.json`, `.zarray` or `.zgroup`",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the first bytes look like, without quoting them: a message may end
/// up in an event log, and a file read by mistake (a link to a secret)
/// must not leak through it.
pub(crate) fn describe_bytes(head: &[u8]) -> String {
    let head = &head[..head.len().min(8)];
    if head.starts_with(b"GIF8") {
        "the signature of a GIF image".into()
    } else if head.starts_with(&[0xff, 0xd8, 0xff]) {
        "the signature of a JPEG image".into()
    } else if !head.is_empty() && head.iter().all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace()) {
        "text".into()
    } else {
        "bytes of no known format".into()
    }
}

/// Opens `path`, checks that its extension names a known format and that the
/// first bytes agree with it. Returns the format and the file's length.
pub(crate) fn detect(path: &Path) -> Result<(Format, u64), IoError> {
    let format = Format::from_path(path)?;
    if format == Format::Zarr {
        return detect_zarr(path).map(|()| (format, 0));
    }
    let mut file = open_regular(path)?;
    let len = file.metadata().map_err(|e| IoError::os(path, "read", e))?.len();
    let mut head = Vec::with_capacity(16);
    (&mut file).take(16).read_to_end(&mut head).map_err(|e| IoError::os(path, "read", e))?;
    check_magic(path, format, &head)?;
    Ok((format, len))
}

/// Fails unless `path` is a folder holding Zarr metadata. A store is a
/// folder, so its "magic" is a metadata file in it.
fn detect_zarr(path: &Path) -> Result<(), IoError> {
    let meta = std::fs::metadata(path).map_err(|e| IoError::os(path, "open", e))?;
    let found = if !meta.is_dir() {
        "it is a file, not a folder".to_string()
    } else if ["zarr.json", ".zarray", ".zgroup"].iter().any(|m| path.join(m).is_file()) {
        return Ok(());
    } else {
        "the folder holds none".to_string()
    };
    Err(IoError::WrongFormat {
        file: shown(path),
        expected: Format::Zarr.name(),
        found: format!("expected {}, {found}", Format::Zarr.expected_magic()),
    })
}

/// Opens `path` for reading if it is a regular file (symlinks followed).
///
/// Why stat first: opening a FIFO blocks until a writer comes, and a
/// character device such as `/dev/zero` reads forever; both would hang
/// `inspect` and `run` instead of failing.
pub(crate) fn open_regular(path: &Path) -> Result<File, IoError> {
    let kind = std::fs::metadata(path).map_err(|e| IoError::os(path, "open", e))?.file_type();
    if !kind.is_file() {
        return Err(IoError::unsupported(
            path,
            format!("file type: it is {}; plexus reads regular files", file_kind(kind)),
        ));
    }
    File::open(path).map_err(|e| IoError::os(path, "open", e))
}

/// `a FIFO`, `a character device`, ... for messages.
fn file_kind(t: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        "a folder"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "an unknown kind of file"
    }
}

/// Fails unless `head` starts with the magic of `format`.
pub(crate) fn check_magic(path: &Path, format: Format, head: &[u8]) -> Result<(), IoError> {
    match Format::sniff(head) {
        Some(found) if found == format => Ok(()),
        Some(found) => Err(IoError::WrongFormat {
            file: shown(path),
            expected: format.name(),
            found: format!("its first bytes are those of a {} file", found.name()),
        }),
        None if head.is_empty() => Err(IoError::WrongFormat {
            file: shown(path),
            expected: format.name(),
            found: "the file is empty".to_string(),
        }),
        None => Err(IoError::WrongFormat {
            file: shown(path),
            expected: format.name(),
            found: format!("expected {}, found {}", format.expected_magic(), describe_bytes(head)),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_are_case_insensitive() {
        assert_eq!(Format::from_path(Path::new("a/b.TIF")).unwrap(), Format::Tiff);
        assert_eq!(Format::from_path(Path::new("b.Npy")).unwrap(), Format::Npy);
        assert_eq!(Format::from_path(Path::new("scan.H5")).unwrap(), Format::Hdf5);
        assert_eq!(Format::from_path(Path::new("scan.hdf5")).unwrap(), Format::Hdf5);
        assert_eq!(Format::from_path(Path::new("vol.ZARR")).unwrap(), Format::Zarr);
        assert_eq!(
            Format::from_path(Path::new("b.jpg")).unwrap_err().to_string(),
            "`b.jpg`: unknown file extension `.jpg`; plexus reads and writes .tif/.tiff, .png, .npy, .zarr and .h5"
        );
        assert_eq!(
            Format::from_path(Path::new("noext")).unwrap_err().to_string(),
            "`noext`: unknown file extension (none); plexus reads and writes .tif/.tiff, .png, .npy, .zarr and .h5"
        );
    }

    #[test]
    fn sniffing() {
        assert_eq!(Format::sniff(b"II*\0\x08\0\0\0"), Some(Format::Tiff));
        assert_eq!(Format::sniff(b"MM\0+\0\x08\0\0"), Some(Format::Tiff));
        assert_eq!(Format::sniff(b"II\x2b\0"), Some(Format::Tiff));
        assert_eq!(Format::sniff(b"IIxx"), None);
        assert_eq!(Format::sniff(b"\x93NUMPY\x01\x00"), Some(Format::Npy));
        assert_eq!(Format::sniff(PNG_SIGNATURE), Some(Format::Png));
        assert_eq!(Format::sniff(b"\x89HDF\r\n\x1a\n\0\0"), Some(Format::Hdf5));
        assert_eq!(Format::sniff(b""), None);
    }

    #[test]
    fn describes_bytes() {
        assert_eq!(describe_bytes(b"root:x:0:0:root"), "text");
        assert_eq!(describe_bytes(b"GIF89a\x01\x00"), "the signature of a GIF image");
        assert_eq!(describe_bytes(&[0, 1]), "bytes of no known format");
    }
}
