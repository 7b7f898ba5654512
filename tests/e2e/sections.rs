//! Sections and reslicing: a projection stack read as sinograms goes
//! through a chunk store, in memory with a large budget and spilled to disk
//! with a small one, bit-identically and within the small budget; an
//! operator with a halo gets neighbour slices and its trimmed output over
//! chunks equals the whole-volume result exactly, on a plain edge and out
//! of a reslice.

use std::path::Path;

use plexus_e2e::{run_with_peak_rss, show, Sandbox};
use plexus_plugin_api::Array;

const MIB: u64 = 1 << 20;

/// Element `[a, r, c]` of the test scan, exact in f32.
fn scan_value(a: usize, r: usize, c: usize) -> f32 {
    ((a * 7919 + r * 257 + c) % 65521) as f32
}

/// Writes an `angles × rows × cols` f32 scan 16 angles at a time.
fn write_scan(path: &Path, angles: usize, rows: usize, cols: usize) {
    let mut w = plexus_io::StackWriter::open(path, plexus_io::Format::Npy).unwrap();
    for a0 in (0..angles).step_by(16) {
        let n = 16.min(angles - a0);
        w.append(&Array::from_fn(vec![n, rows, cols], |i| {
            let (a, r, c) = (a0 + i / (rows * cols), i / cols % rows, i % cols);
            scan_value(a, r, c)
        }))
        .unwrap();
    }
    w.finish().unwrap();
}

fn pack_chunked(sb: &Sandbox) {
    sb.pack("chunked", "libtest_chunked.so", &sb.plugins().join("chunked"));
}

const SINOGRAMS: &str = "[pipeline]\nname = \"sino\"\n\n[input]\npath = \"scan.npy\"\n\n[[stage]]\nid = \"proj\"\nuse = \"faulty.projections\"\n\n[[stage]]\nid = \"sino\"\nuse = \"faulty.sinograms\"\n\n[[output]]\nfrom = \"sino\"\npath = \"OUT\"\n";

#[test]
fn a_scan_resliced_to_sinograms_is_the_same_in_memory_and_spilled() {
    let sb = Sandbox::new();
    sb.pack("faulty", "libtest_faulty.so", &sb.plugins().join("faulty"));
    let (angles, rows, cols) = (720, 256, 256);
    write_scan(&sb.path().join("scan.npy"), angles, rows, cols);
    sb.write("memory.toml", &SINOGRAMS.replace("OUT", "memory.npy"));
    sb.write("disk.toml", &SINOGRAMS.replace("OUT", "disk.npy"));

    let check = sb.run(&["check", "--memory", "48MiB", "disk.toml"]);
    let plan = String::from_utf8_lossy(&check.stdout);
    assert!(plan.contains("sections: 2"), "{plan}");
    assert!(plan.contains("`proj` → `sino` (section 2): reslice `angle` → `row` through disk (180.0 MiB)"), "{plan}");
    assert!(plan.contains("spill: 1 reslice(s) go to disk in "), "{plan}");
    let check = sb.run(&["check", "--memory", "2GiB", "memory.toml"]);
    let plan = String::from_utf8_lossy(&check.stdout);
    assert!(plan.contains("reslice `angle` → `row` through memory (180.0 MiB)"), "{plan}");
    assert!(plan.contains("spill: nothing goes to disk"), "{plan}");

    let out = sb.run(&["run", "--json", "--memory", "2GiB", "memory.toml"]);
    assert!(out.status.success(), "{}", show(&out));
    let (out, peak) = run_with_peak_rss(sb.cmd().args(["run", "--json", "--memory", "48MiB", "disk.toml"]));
    assert!(out.status.success(), "{}", show(&out));
    let stores: Vec<String> =
        sb.events_of("section.resliced").iter().map(|e| e["store"].as_str().unwrap().to_string()).collect();
    assert_eq!(stores, vec!["memory", "disk"]);

    let memory = std::fs::read(sb.path().join("memory.npy")).unwrap();
    let disk = std::fs::read(sb.path().join("disk.npy")).unwrap();
    assert!(memory == disk, "the spilled reslice differs from the in-memory one");
    let sino = plexus_io::read(&sb.path().join("disk.npy")).unwrap();
    assert_eq!(sino.shape(), &[rows, angles, cols]);
    let v = sino.as_slice::<f32>().unwrap();
    for r in 0..rows {
        for a in 0..angles {
            for c in (0..cols).step_by(17) {
                assert_eq!(v[(r * angles + a) * cols + c], scan_value(a, r, c), "sinogram {r}, angle {a}, col {c}");
            }
        }
    }
    let spill = sb.path().join(".plexus/spill");
    let left: Vec<_> = std::fs::read_dir(&spill).map(|d| d.filter_map(|e| e.ok()).collect()).unwrap_or_default();
    assert!(left.is_empty(), "the spill file is removed: {left:?}");
    eprintln!("720 × 256 × 256 f32 resliced with --memory 48MiB: peak RSS {:.1} MiB", peak as f64 / MIB as f64);
    assert!(peak <= 48 * MIB + 48 * MIB, "peak RSS {peak} exceeds 48 MiB + the fixed overhead");
}

/// The 3 × 3 × 3 median with `nearest` edges, written again here as the
/// reference (the plugin's copy is what is tested).
fn median3_reference(v: &[f32], nz: usize, ny: usize, nx: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(v.len());
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                let mut w = Vec::with_capacity(27);
                for zz in [z.saturating_sub(1), z, (z + 1).min(nz - 1)] {
                    for yy in [y.saturating_sub(1), y, (y + 1).min(ny - 1)] {
                        for xx in [x.saturating_sub(1), x, (x + 1).min(nx - 1)] {
                            w.push(v[(zz * ny + yy) * nx + xx]);
                        }
                    }
                }
                w.sort_by(f32::total_cmp);
                out.push(w[13]);
            }
        }
    }
    out
}

/// Seeded values in [0, 1000) with many ties, so medians are sensitive to
/// every neighbour.
fn volume(n: usize) -> Vec<f32> {
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s % 1000) as f32
        })
        .collect()
}

#[test]
fn a_median_with_a_halo_over_chunks_equals_the_whole_volume_result() {
    let sb = Sandbox::new();
    pack_chunked(&sb);
    let (nz, ny, nx) = (40, 24, 24);
    let v = volume(nz * ny * nx);
    plexus_io::write(&sb.path().join("vol.npy"), &Array::from_vec(vec![nz, ny, nx], v.clone()).unwrap()).unwrap();
    let want = median3_reference(&v, nz, ny, nx);
    for chunk in [40, 1, 3, 7] {
        sb.write(
            "p.toml",
            &format!("[pipeline]\nname = \"med\"\n\n[input]\npath = \"vol.npy\"\nchunk = {chunk}\n\n[[stage]]\nid = \"med\"\nuse = \"chunked.median3\"\n\n[[output]]\nfrom = \"med\"\npath = \"med{chunk}.npy\"\n"),
        );
        let out = sb.run(&["run", "--json", "--threads", "2", "p.toml"]);
        assert!(out.status.success(), "{}", show(&out));
        let got = plexus_io::read(&sb.path().join(format!("med{chunk}.npy"))).unwrap();
        assert_eq!(got.shape(), &[nz, ny, nx], "chunk {chunk}: the halo was trimmed");
        assert!(got.as_slice::<f32>().unwrap() == &want[..], "chunk {chunk}: differs from the whole-volume median");
    }
}

#[test]
fn a_reslice_hands_out_halos_too() {
    let sb = Sandbox::new();
    pack_chunked(&sb);
    sb.pack("faulty", "libtest_faulty.so", &sb.plugins().join("faulty"));
    // 30 angles × 20 rows × 16 cols; the median runs on sinograms (rows).
    let (na, nr, nc) = (30, 20, 16);
    let v = volume(na * nr * nc);
    plexus_io::write(&sb.path().join("scan.npy"), &Array::from_vec(vec![na, nr, nc], v.clone()).unwrap()).unwrap();
    let mut transposed = vec![0f32; v.len()];
    for a in 0..na {
        for r in 0..nr {
            for c in 0..nc {
                transposed[(r * na + a) * nc + c] = v[(a * nr + r) * nc + c];
            }
        }
    }
    let want = median3_reference(&transposed, nr, na, nc);
    let mut outputs = Vec::new();
    for memory in ["1GiB", "64KiB"] {
        sb.write(
            "p.toml",
            &format!("[pipeline]\nname = \"med\"\n\n[input]\npath = \"scan.npy\"\nchunk = 4\n\n[[stage]]\nid = \"proj\"\nuse = \"faulty.projections\"\n\n[[stage]]\nid = \"med\"\nuse = \"chunked.median3\"\n\n[[output]]\nfrom = \"med\"\npath = \"med-{memory}.npy\"\n"),
        );
        let out = sb.run(&["run", "--json", "--memory", memory, "p.toml"]);
        assert!(out.status.success(), "{}", show(&out));
        let got = plexus_io::read(&sb.path().join(format!("med-{memory}.npy"))).unwrap();
        assert_eq!(got.shape(), &[nr, na, nc]);
        outputs.push(got.into_vec::<f32>().unwrap());
    }
    let stores: Vec<String> =
        sb.events_of("section.resliced").iter().map(|e| e["store"].as_str().unwrap().to_string()).collect();
    assert_eq!(stores, vec!["memory", "disk"]);
    for got in outputs {
        assert!(got == want, "the median of the resliced sinograms differs from the whole-volume result");
    }
}
