//! The chunk readers stream: reading a 64 MiB stack slab by slab raises
//! the process's peak resident memory (VmHWM, from `/proc/self/status`) by
//! far less than the file's size, for every format that claims
//! `streams()`. Its own test binary (one test), so that no other test's
//! allocations move the high-water mark.
//!
//! Budget: 24 MiB over the resident size before reading — two 4 MiB slab buffers,
//! a decoded Zarr chunk (8 MiB) and the decoders' working memory, with
//! room to spare; a reader holding the file would add 64 MiB.

#![cfg(target_os = "linux")]

use std::path::Path;

use plexus_io::{create_writer, open, DatasetSpec, WriteOptions, ZarrCodec, ZarrOptions};
use plexus_plugin_api::{Array, DType};

const SLICES: usize = 64;
const ROWS: usize = 512;
const COLS: usize = 1024;
const BUDGET: u64 = 24 << 20;

/// Resets the peak to the current resident size (Linux 4.0+: writing 5 to
/// `clear_refs`), so that earlier work — writing the files — cannot hide
/// what reading takes.
fn reset_hwm() {
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
}

/// Peak resident set size of this process, in bytes.
fn vm_hwm() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

/// Writes the stack to `path` in 8-slice chunks, one chunk in memory at a time.
fn write_stack(path: &Path, options: &WriteOptions) {
    let spec = DatasetSpec::new(vec![SLICES, ROWS, COLS], DType::U16).with_axes("z y x").with_chunk(8);
    let mut w = create_writer(path, spec, options).unwrap();
    for k in 0..SLICES / 8 {
        let chunk = Array::from_fn::<u16>(vec![8, ROWS, COLS], |i| (i % 4093 + k) as u16);
        w.write(k * 8, &chunk).unwrap();
    }
    w.finish().unwrap();
}

#[test]
fn reading_slab_by_slab_stays_within_a_fixed_budget() {
    let dir = tempfile::tempdir_in(std::env::temp_dir()).unwrap();
    let zarr = |codec| WriteOptions {
        zarr: ZarrOptions { codec, ome: false, durable: false, ..ZarrOptions::default() },
        ..WriteOptions::default()
    };
    let files = [
        ("stack.npy", WriteOptions::default()),
        ("stack.tif", WriteOptions::default()),
        ("raw.zarr", zarr(ZarrCodec::None)),
        ("lz4.zarr", zarr(ZarrCodec::Lz4)),
    ];
    for (name, options) in &files {
        write_stack(&dir.path().join(name), options);
    }
    #[cfg(feature = "hdf5")]
    {
        let data =
            Array::from_fn::<u16>(vec![SLICES, ROWS, COLS], |i| (i % 4093) as u16).with_axes("angle row col").unwrap();
        let scan = plexus_io::Dxchange { data, white: None, dark: None, theta: None, theta_units: None };
        plexus_io::write_dxchange(&dir.path().join("scan.h5"), &scan).unwrap();
    }
    let mut names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
    if cfg!(feature = "hdf5") {
        names.push("scan.h5");
    }
    let mut buf = vec![0u8; 4 * ROWS * COLS * 2];
    // Touch the buffer so that its pages count before the baseline.
    buf.iter_mut().step_by(4096).for_each(|b| *b = 1);
    for name in names {
        reset_hwm();
        let before = vm_hwm();
        let mut r = open(&dir.path().join(name)).unwrap();
        assert!(r.streams(), "{name}");
        let mut sum = 0u64;
        for start in (0..SLICES).step_by(4) {
            r.read_into(start, 4, &mut buf).unwrap();
            sum += buf[buf.len() - 2] as u64;
        }
        assert!(sum > 0);
        let grew = vm_hwm().saturating_sub(before);
        eprintln!("{name}: peak RSS +{:.1} MiB", grew as f64 / (1 << 20) as f64);
        assert!(grew <= BUDGET, "{name}: peak RSS grew by {} MiB reading a 64 MiB file in 4 MiB slabs", grew >> 20);
    }
    // The control: the measurement sees a reader that holds the file (at
    // least half of it: the allocator may reuse pages freed earlier that
    // are still resident).
    reset_hwm();
    let before = vm_hwm();
    let whole = plexus_io::read(&dir.path().join("stack.tif")).unwrap();
    let grew = vm_hwm().saturating_sub(before);
    assert!(grew >= (SLICES * ROWS * COLS) as u64, "reading whole grew by only {} MiB", grew >> 20);
    drop(whole);
}
