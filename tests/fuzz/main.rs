//! Parsers under a bounded mutation fuzzer (issue 9, item 12): the TIFF,
//! PNG and NPY readers (through `inspect`, whole reads and chunk reads),
//! HDF5 attributes (image sets and dxchange files, with the `hdf5`
//! feature), and `plugin.toml` manifests. Each campaign mutates the
//! repository's own fixtures (`io/tests/fixtures`, `io/tests/h5`, every
//! `plugin.toml`), a fixed number of inputs from a fixed seed, in child
//! processes so that an abort, a segfault or a hang is a finding as much
//! as a panic; every input must give `Ok` or a clean error.
//!
//! Longer: `PLEXUS_FUZZ_EXECS=200000 PLEXUS_FUZZ_SEED=$RANDOM cargo test
//! --release -p plexus-e2e --test fuzz -- --nocapture` (docs/RELIABILITY.md).
//! A finding is saved under `$PLEXUS_FUZZ_CRASHES` (default
//! `$TMPDIR/plexus-fuzz-crashes`) and becomes a test in [`regressions`].

mod regressions;

use std::path::{Path, PathBuf};

use plexus_testkit::fuzz::{Campaign, Findings, Target};

/// Inputs per campaign in `cargo test`: a few seconds each on a loaded
/// two-core machine.
const EXECS: usize = 3000;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("repo root").to_path_buf()
}

/// The files of `dir` whose names end with one of `suffixes`, as bytes.
fn seeds(dir: &Path, suffixes: &[&str]) -> Vec<Vec<u8>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("`{}`: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| suffixes.iter().any(|s| p.to_string_lossy().ends_with(s)))
        .collect();
    paths.sort();
    paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// Writes `data` to a scratch file named `name` (the extension picks the
/// reader) and hands its path over; the file is this process's own.
///
/// Each input gets a file name of its own: HDF5 keeps files it has open
/// by name, and a reused name would mix one input's state into the next.
fn as_file(name: &str, data: &[u8], f: impl FnOnce(&Path) -> bool) -> bool {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    // The supervisor's scratch folder, removed when the campaign ends.
    let dir = std::env::var_os("PLEXUS_FUZZ_PROGRESS")
        .and_then(|p| Path::new(&p).parent().map(Path::to_path_buf))
        .unwrap_or_else(std::env::temp_dir);
    let path = dir.join(format!("{}-{name}", NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)));
    std::fs::write(&path, data).unwrap();
    let refused = f(&path);
    let _ = std::fs::remove_file(&path);
    refused
}

/// Every way the host reads an image file: `inspect`, a whole read, and
/// a chunk reader taken slab by slab (at most 64 slabs). Returns whether
/// any of them refused the file.
fn read_every_way(path: &Path) -> bool {
    let inspected = plexus_io::inspect(path).is_err();
    let whole = plexus_io::read(path).is_err();
    let chunked = match plexus_io::open(path) {
        Err(_) => true,
        Ok(mut r) => {
            let len = r.info().len();
            let step = r.natural_chunk().unwrap_or(1).max(1);
            let mut refused = false;
            for start in (0..len).step_by(step).take(64) {
                refused |= r.read(start, step.min(len - start)).is_err();
            }
            refused
        }
    };
    inspected || whole || chunked
}

fn campaign(name: &str) -> (Campaign, Target) {
    let fixtures = repo().join("io/tests/fixtures");
    match name {
        "tiff" => {
            let mut s = seeds(&fixtures, &[".tif"]);
            s.extend(seeds(&repo().join("io/tests/data"), &[".tif"]));
            (Campaign::new(name, s, EXECS), Box::new(|d| as_file("in.tif", d, read_every_way)))
        }
        "png" => (
            Campaign::new(name, seeds(&fixtures, &[".png"]), EXECS),
            Box::new(|d| as_file("in.png", d, read_every_way)),
        ),
        "npy" => (
            Campaign::new(name, seeds(&fixtures, &[".npy"]), EXECS),
            Box::new(|d| as_file("in.npy", d, read_every_way)),
        ),
        "hdf5" => (Campaign::new(name, seeds(&repo().join("io/tests/h5"), &[".h5"]), EXECS), Box::new(hdf5_target)),
        "manifest" => {
            let mut s = Vec::new();
            for dir in ["plugins", "tests/plugins"] {
                for e in std::fs::read_dir(repo().join(dir)).unwrap().filter_map(|e| e.ok()) {
                    if let Ok(text) = std::fs::read(e.path().join("plugin.toml")) {
                        s.push(text);
                    }
                }
            }
            s.sort();
            (
                Campaign::new(name, s, EXECS),
                Box::new(|d| {
                    let text = String::from_utf8_lossy(d);
                    plexus_registry::Manifest::parse(Path::new("plugin.toml"), &text).is_err()
                }),
            )
        }
        other => panic!("no campaign `{other}`"),
    }
}

/// HDF5 attributes as the host reads them: an image set's attributes per
/// image, a dxchange scan, and `inspect`.
#[cfg(feature = "hdf5")]
fn hdf5_target(d: &[u8]) -> bool {
    as_file("in.h5", d, |p| {
        let set = match plexus_io::ImageSet::open(p) {
            Err(_) => true,
            Ok(set) => (0..set.len().min(16)).any(|i| set.attributes(i).is_err()),
        };
        let scan = plexus_io::read_dxchange(p).is_err();
        set | scan | plexus_io::inspect(p).is_err()
    })
}

#[cfg(not(feature = "hdf5"))]
fn hdf5_target(_: &[u8]) -> bool {
    true
}

/// Runs campaign `name` under supervision and fails on any finding.
fn fuzz(name: &str) {
    let (c, _) = campaign(name);
    let Findings { inputs, refused, crashes, history } = c.supervise("child");
    let list = |v: &[(usize, String, PathBuf)]| {
        v.iter()
            .map(|(i, what, path)| format!("  input {i}: {what} (saved to `{}`)", path.display()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    // Counted for docs/RELIABILITY.md (run with --nocapture).
    println!(
        "fuzz `{name}`: {inputs} inputs from {} seeds (seed {:#x}), {refused} refused cleanly, {} crashes, {} failures only after earlier inputs",
        c.seeds.len(),
        c.seed,
        crashes.len(),
        history.len()
    );
    if !history.is_empty() {
        // Not reproducible alone: state an earlier input left in a C
        // library (docs/RELIABILITY.md, HDF5). Reported, not failed.
        println!("{}", list(&history));
    }
    assert_eq!(inputs, c.execs, "`{name}`: every input was tried");
    // Crashes inside libhdf5 1.10.8 itself (Debian 12), each reproduced
    // alone and its stack in the library (docs/RELIABILITY.md, HDF5): known
    // for this seed and count, reported, not failed; any other fails.
    let known: &[usize] = match (name, c.seed, c.execs) {
        ("hdf5", 0x5EED_F00D, EXECS) => &[1267, 1561, 1597, 1751, 2001, 2011, 2433, 2546],
        _ => &[],
    };
    let (known, crashes): (Vec<_>, Vec<_>) = crashes.into_iter().partition(|c| known.contains(&c.0));
    if !known.is_empty() {
        println!("known libhdf5 crashes:\n{}", list(&known));
    }
    assert!(crashes.is_empty(), "`{name}`: {} finding(s):\n{}", crashes.len(), list(&crashes));
}

/// The child process of every campaign (run by [`Campaign::supervise`],
/// never on its own).
#[test]
#[ignore = "run by the fuzz campaigns in a child process"]
fn child() {
    for name in ["tiff", "png", "npy", "hdf5", "manifest"] {
        Campaign::child(name, || campaign(name));
    }
}

#[test]
fn tiff_reader_survives_mutated_tiffs() {
    fuzz("tiff");
}

#[test]
fn png_reader_survives_mutated_pngs() {
    fuzz("png");
}

#[test]
fn npy_reader_survives_mutated_npys() {
    fuzz("npy");
}

#[cfg(feature = "hdf5")]
#[test]
fn hdf5_attributes_survive_mutated_files() {
    fuzz("hdf5");
}

#[test]
fn plugin_manifests_survive_mutation() {
    fuzz("manifest");
}
