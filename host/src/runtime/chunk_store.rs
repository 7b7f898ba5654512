//! The chunk store a reslice goes through: the stack a section produced,
//! written chunk by chunk along its first axis, read back as slabs along
//! its second axis with the first two axes swapped (projections
//! `angle row col` → sinograms `row angle col`).
//!
//! Two backends: [`MemoryStore`] (one buffer, while it fits the budget) and
//! [`FileStore`] (a raw row-major file in the spill folder, written and read
//! with positioned I/O, removed when dropped). The file layout is the plain
//! C-order array, so a slab along the second axis is one contiguous read
//! per index of the first.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// The shape of a stored stack: `n0 × n1` cells of `cell` bytes (the
/// product of the remaining axes times the element size).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreShape {
    /// Extent of the first axis (the one written along).
    pub n0: usize,
    /// Extent of the second axis (the one read along).
    pub n1: usize,
    /// Bytes of one `[i, j]` cell.
    pub cell: usize,
}

impl StoreShape {
    /// Bytes of the whole stack.
    pub fn bytes(&self) -> usize {
        self.n0 * self.n1 * self.cell
    }

    /// Bytes of one slice along the first axis.
    pub fn slice(&self) -> usize {
        self.n1 * self.cell
    }
}

/// Where a reslice keeps its stack.
pub trait ChunkStore: Send {
    /// The stack's shape.
    fn shape(&self) -> StoreShape;

    /// Writes slices `first..first + bytes.len() / slice` of the first axis.
    fn write(&mut self, first: usize, bytes: &[u8]) -> io::Result<()>;

    /// Reads indices `k0..k1` of the second axis for every index of the
    /// first, as `[k1 - k0, n0, cell]` (the first two axes swapped).
    fn read_swapped(&mut self, k0: usize, k1: usize, out: &mut [u8]) -> io::Result<()>;

    /// `memory` or `disk`, for plans and events.
    fn kind(&self) -> &'static str;
}

fn check_write(shape: StoreShape, first: usize, len: usize) -> io::Result<()> {
    let slice = shape.slice();
    if slice == 0 || !len.is_multiple_of(slice) || first + len / slice > shape.n0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{len} bytes at slice {first} do not fit a stack of {} slices of {slice} bytes", shape.n0),
        ));
    }
    Ok(())
}

fn check_read(shape: StoreShape, k0: usize, k1: usize, out: usize) -> io::Result<()> {
    if k0 > k1 || k1 > shape.n1 || out != (k1 - k0) * shape.n0 * shape.cell {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("slab {k0}..{k1} of {} into {out} bytes", shape.n1),
        ));
    }
    Ok(())
}

/// The stack in one buffer.
pub struct MemoryStore {
    shape: StoreShape,
    data: Vec<u8>,
}

impl MemoryStore {
    /// A zeroed stack of `shape`.
    pub fn new(shape: StoreShape) -> MemoryStore {
        MemoryStore { shape, data: vec![0; shape.bytes()] }
    }
}

impl ChunkStore for MemoryStore {
    fn shape(&self) -> StoreShape {
        self.shape
    }

    fn write(&mut self, first: usize, bytes: &[u8]) -> io::Result<()> {
        check_write(self.shape, first, bytes.len())?;
        let at = first * self.shape.slice();
        self.data[at..at + bytes.len()].copy_from_slice(bytes);
        Ok(())
    }

    fn read_swapped(&mut self, k0: usize, k1: usize, out: &mut [u8]) -> io::Result<()> {
        check_read(self.shape, k0, k1, out.len())?;
        let StoreShape { n0, n1, cell } = self.shape;
        let k = k1 - k0;
        // Read each source slice's rows in order (contiguous), write them
        // `n0 · cell` apart.
        for i in 0..n0 {
            let src = &self.data[(i * n1 + k0) * cell..(i * n1 + k1) * cell];
            for (r, piece) in src.chunks_exact(cell).enumerate().take(k) {
                let at = (r * n0 + i) * cell;
                out[at..at + cell].copy_from_slice(piece);
            }
        }
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "memory"
    }
}

/// The stack in a raw file, removed when the store is dropped.
pub struct FileStore {
    shape: StoreShape,
    file: File,
    path: PathBuf,
    scratch: Vec<u8>,
}

impl FileStore {
    /// Creates a stack of `shape` in a new file in `dir`.
    pub fn create(dir: &Path, name: &str, shape: StoreShape) -> io::Result<FileStore> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format!("{name}-{}.raw", std::process::id()));
        let file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path)?;
        file.set_len(shape.bytes() as u64)?;
        Ok(FileStore { shape, file, path, scratch: Vec::new() })
    }

    /// The file.
    #[cfg(test)]
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl ChunkStore for FileStore {
    fn shape(&self) -> StoreShape {
        self.shape
    }

    fn write(&mut self, first: usize, bytes: &[u8]) -> io::Result<()> {
        check_write(self.shape, first, bytes.len())?;
        self.file.write_all_at(bytes, (first * self.shape.slice()) as u64)
    }

    fn read_swapped(&mut self, k0: usize, k1: usize, out: &mut [u8]) -> io::Result<()> {
        check_read(self.shape, k0, k1, out.len())?;
        let StoreShape { n0, n1, cell } = self.shape;
        let k = k1 - k0;
        self.scratch.resize(k * cell, 0);
        for i in 0..n0 {
            // Rows k0..k1 of slice i are contiguous in the file.
            self.file.read_exact_at(&mut self.scratch, ((i * n1 + k0) * cell) as u64)?;
            for (r, piece) in self.scratch.chunks_exact(cell).enumerate() {
                let at = (r * n0 + i) * cell;
                out[at..at + cell].copy_from_slice(piece);
            }
        }
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "disk"
    }
}

impl Drop for FileStore {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3 × 4 stack of 2-byte cells; cell `[i, j]` holds bytes `(i, j)`.
    fn fill(store: &mut dyn ChunkStore) {
        for i in 0..3u8 {
            let slice: Vec<u8> = (0..4u8).flat_map(|j| [i, j]).collect();
            store.write(i as usize, &slice).unwrap();
        }
    }

    fn swapped(store: &mut dyn ChunkStore, k0: usize, k1: usize) -> Vec<u8> {
        let mut out = vec![0; (k1 - k0) * 3 * 2];
        store.read_swapped(k0, k1, &mut out).unwrap();
        out
    }

    #[test]
    fn both_backends_swap_the_first_two_axes() {
        let shape = StoreShape { n0: 3, n1: 4, cell: 2 };
        let dir = tempfile::tempdir().unwrap();
        let mut file = FileStore::create(dir.path(), "t", shape).unwrap();
        let mut memory = MemoryStore::new(shape);
        for store in [&mut memory as &mut dyn ChunkStore, &mut file] {
            fill(store);
            // Rows 1..3 of every slice: [r, i] = (i, r).
            assert_eq!(swapped(store, 1, 3), vec![0, 1, 1, 1, 2, 1, 0, 2, 1, 2, 2, 2]);
            assert_eq!(swapped(store, 0, 4).len(), 24);
        }
        let path = file.path().to_path_buf();
        assert!(path.exists());
        drop(file);
        assert!(!path.exists(), "the spill file is removed with its store");
    }

    #[test]
    fn out_of_range_requests_are_refused() {
        let mut m = MemoryStore::new(StoreShape { n0: 2, n1: 2, cell: 1 });
        assert_eq!(
            m.write(1, &[0; 4]).unwrap_err().to_string(),
            "4 bytes at slice 1 do not fit a stack of 2 slices of 2 bytes"
        );
        assert!(m.read_swapped(1, 3, &mut [0; 4]).is_err());
    }
}
