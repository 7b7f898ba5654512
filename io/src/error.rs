//! The one error type of this crate, [`IoError`].
//!
//! Every message names the file in backticks first, then says what is wrong:
//! what was expected, what was found and, where the format lets us know it,
//! the byte offset. Messages are lowercase sentences without a final period so
//! that callers can prefix or chain them.

use std::fmt;
use std::path::Path;

/// Everything that can go wrong reading, writing or inspecting a file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IoError {
    /// The operating system refused an operation (open, read, write, rename).
    #[error("`{file}`: cannot {action}: {source}")]
    Os {
        /// The file, as given.
        file: String,
        /// What was being done: `open`, `read`, `write`, `rename`, ...
        action: &'static str,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// The file ends before data that its own header declares.
    #[error("`{file}`: truncated at byte {at}: {what}")]
    Truncated {
        /// The file, as given.
        file: String,
        /// The file's length: the first byte that is missing.
        at: u64,
        /// What needed the missing bytes.
        what: String,
    },

    /// The contents contradict the format's rules.
    #[error("`{file}`: {}{what}", At(*.offset))]
    Malformed {
        /// The file, as given.
        file: String,
        /// Where the problem was found, when known.
        offset: Option<u64>,
        /// What is wrong, with the expected and the found value.
        what: String,
    },

    /// A well-formed file using a feature or element type Plexus does not
    /// handle.
    #[error("`{file}`: unsupported {what}")]
    Unsupported {
        /// The file, as given.
        file: String,
        /// The feature, and why.
        what: String,
    },

    /// The extension names no format Plexus knows.
    #[error("`{file}`: unknown file extension {ext}; plexus reads and writes .tif/.tiff, .png, .npy, .zarr and .h5")]
    UnknownExtension {
        /// The file, as given.
        file: String,
        /// The extension with its dot (`.jpg`), or `(none)`.
        ext: String,
    },

    /// The extension promises one format, the first bytes say otherwise.
    #[error("`{file}`: not a {expected} file: {found}")]
    WrongFormat {
        /// The file, as given.
        file: String,
        /// The format the extension promised.
        expected: &'static str,
        /// What the first bytes look like instead.
        found: String,
    },

    /// The array cannot be stored in the requested format.
    #[error("`{file}`: cannot write {what}")]
    CannotWrite {
        /// The file, as given.
        file: String,
        /// Why not, and what to do instead.
        what: String,
    },

    /// A chunk given to a [`StackWriter`](crate::StackWriter) does not fit the
    /// chunks before it, or the writer was used out of order.
    #[error("`{file}`: chunk {index} {what}")]
    Chunk {
        /// The file being written (its final name).
        file: String,
        /// Zero-based index of the offending chunk.
        index: usize,
        /// What differs: expected and found.
        what: String,
    },

    /// An HDF5 dataset is missing, or is not what the caller expected
    /// (element type, rank, length).
    #[error("`{file}`: dataset `{dataset}`: {what}")]
    Dataset {
        /// The file, as given.
        file: String,
        /// The dataset's absolute path inside the file (`/exchange/data`).
        dataset: String,
        /// What was expected and what was found.
        what: String,
    },

    /// A folder read as a [`Batch`](crate::Batch) has a problem: no such
    /// image, or an image unlike the first one.
    #[error("`{file}`: {what}")]
    Batch {
        /// The offending image file, or the folder itself.
        file: String,
        /// What was expected and what was found.
        what: String,
    },

    /// A slab asked of a [`ChunkReader`](crate::ChunkReader) lies outside
    /// the dataset, or the buffer given for it has the wrong size.
    #[error("`{file}`: {what}")]
    Slab {
        /// The dataset's file.
        file: String,
        /// The range or size asked for and what the dataset has.
        what: String,
    },
}

/// Formats an optional byte offset as the prefix `at byte N: `.
struct At(Option<u64>);

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(offset) => write!(f, "at byte {offset}: "),
            None => Ok(()),
        }
    }
}

/// The file name as messages show it.
pub(crate) fn shown(path: &Path) -> String {
    path.display().to_string()
}

/// Builders that keep call sites short; all take the path as given.
impl IoError {
    pub(crate) fn os(path: &Path, action: &'static str, source: std::io::Error) -> IoError {
        IoError::Os { file: shown(path), action, source }
    }

    pub(crate) fn truncated(path: &Path, at: u64, what: impl Into<String>) -> IoError {
        IoError::Truncated { file: shown(path), at, what: what.into() }
    }

    pub(crate) fn malformed(path: &Path, offset: Option<u64>, what: impl Into<String>) -> IoError {
        IoError::Malformed { file: shown(path), offset, what: what.into() }
    }

    pub(crate) fn unsupported(path: &Path, what: impl Into<String>) -> IoError {
        IoError::Unsupported { file: shown(path), what: what.into() }
    }

    pub(crate) fn cannot_write(path: &Path, what: impl Into<String>) -> IoError {
        IoError::CannotWrite { file: shown(path), what: what.into() }
    }

    #[cfg_attr(not(feature = "hdf5"), allow(dead_code))]
    pub(crate) fn dataset(path: &Path, dataset: &str, what: impl Into<String>) -> IoError {
        IoError::Dataset { file: shown(path), dataset: dataset.to_string(), what: what.into() }
    }

    pub(crate) fn slab(path: &Path, what: impl Into<String>) -> IoError {
        IoError::Slab { file: shown(path), what: what.into() }
    }

    pub(crate) fn batch(path: &Path, what: impl Into<String>) -> IoError {
        IoError::Batch { file: shown(path), what: what.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_file_first() {
        let p = Path::new("scan.tif");
        assert_eq!(
            IoError::truncated(p, 65536, "strip 3 needs 4096 more bytes").to_string(),
            "`scan.tif`: truncated at byte 65536: strip 3 needs 4096 more bytes"
        );
        assert_eq!(IoError::malformed(p, Some(8), "bad thing").to_string(), "`scan.tif`: at byte 8: bad thing");
        assert_eq!(IoError::malformed(p, None, "bad thing").to_string(), "`scan.tif`: bad thing");
    }
}
