//! Inputs the fuzzer found that once failed, each kept as a test of its
//! fix (issue 9, item 12). The files are the saved inputs, unchanged.

#[cfg(feature = "hdf5")]
use std::path::PathBuf;

#[cfg(feature = "hdf5")]
fn found(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/found").join(name)
}

/// `hdf5` input 735 of seed 0x5eedf00d (from `chunked.h5`): a dataset
/// whose shape declares about 2 PB aborted the process ("memory allocation
/// of 1979120929997520 bytes failed") in `read_dxchange`, and `plexus run`
/// with it. Now refused before anything is allocated.
#[cfg(feature = "hdf5")]
#[test]
fn an_hdf5_shape_no_file_could_hold_is_refused_not_allocated() {
    let path = found("hdf5-huge-shape.h5");
    let Err(e) = plexus_io::read_dxchange(&path) else { panic!("the corrupt file was read") };
    assert_eq!(
        e.to_string(),
        format!(
            "`{}`: dataset `/exchange/data_white`: its shape [3, 12, 27487790694410] declares 1979120929997520 bytes, more than a file of 28960 bytes can hold even compressed: the header is corrupt",
            path.display()
        )
    );
}
