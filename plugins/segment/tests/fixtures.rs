//! Every segment kernel against scipy and scikit-image on real images and
//! seeded volumes (`tests/fixtures/make_fixtures.py`), and chunked against
//! whole.
//!
//! Tolerances: thresholds, labels, morphology, remove_small_objects,
//! watershed and peaks exact (the peers are exact and so are we: integer
//! arithmetic, or the same float operations in the same order); the EDT in
//! f64 ≤ 1e-12 relative to scipy (the same squared integers under one
//! correctly rounded square root: exact in practice, a bound for
//! non-integer voxel sizes, where summation order differs), in f32
//! ≤ 1e-6 relative (one f32 rounding of the root, ≤ 6e-8).

mod common;

use common::{expected, load, shape, u16s, u32s, u8s, z_chunks};
use plexus_segment::distance_transform::{distance_transform, squared_planes, z_pass};
use plexus_segment::label::{label, merge_chunks, relabel, ChunkSummary};
use plexus_segment::morphology::{halo, morphology, morphology_chunk, MorphologyParams, Operation, Structure};
use plexus_segment::remove_small_objects::{apply_keep, keep_table, remove_small_objects, RemoveSmallParams};
use plexus_segment::threshold::{apply, multi_otsu, otsu, Histogram};
use plexus_segment::watershed::{watershed, WatershedParams};
use plexus_segment::{Connectivity, Shape};
use plexus_testkit::{f64s, Npy};

fn conn(n: u32) -> Connectivity {
    Connectivity::try_from(n).unwrap()
}

fn histogram_of(n: &Npy) -> Histogram {
    match n.descr.as_str() {
        "|u1" => Histogram::of(&n.data, 256).unwrap(),
        "<u2" => Histogram::of(&u16s(n), 256).unwrap(),
        "<f4" => Histogram::of(&common::f32s(n), 256).unwrap(),
        "<f8" => Histogram::of(&n.f64s(), 256).unwrap(),
        d => panic!("{d}"),
    }
}

#[test]
fn otsu_and_multi_otsu_match_scikit_image() {
    let e = expected();
    for name in ["grains", "camera", "coins", "vol16", "camf64", "camf32"] {
        let img = load(&format!("in_{name}"));
        let h = histogram_of(&img);
        let t = otsu(&h).unwrap();
        assert_eq!(t, e[format!("otsu_{name}")].as_f64().unwrap(), "otsu {name}");
        let mo = multi_otsu(&h, 3).unwrap();
        assert_eq!(mo, f64s(&e[format!("multiotsu3_{name}")]), "multi-otsu 3 {name}");
        if let Some(want) = e.get(format!("multiotsu4_{name}")) {
            assert_eq!(multi_otsu(&h, 4).unwrap(), f64s(want), "multi-otsu 4 {name}");
        }
        // The foreground convention (value > t) and digitize classes.
        let vals: Vec<f64> = match img.descr.as_str() {
            "|u1" => img.data.iter().map(|&v| v as f64).collect(),
            "<u2" => u16s(&img).iter().map(|&v| v as f64).collect(),
            _ => img.f64s(),
        };
        let mut out = vec![0u8; vals.len()];
        apply(&vals, &[t], &mut out);
        let fg = out.iter().map(|&v| v as u64).sum::<u64>();
        assert_eq!(fg, e[format!("otsu_fg_{name}")].as_u64().unwrap(), "{name}");
        apply(&vals, &mo, &mut out);
        let mut classes = [0u64; 3];
        out.iter().for_each(|&c| classes[c as usize] += 1);
        assert_eq!(classes.to_vec(), plexus_testkit::u64s(&e[format!("multiotsu3_classes_{name}")]), "{name}");
    }
}

#[test]
fn otsu_of_chunked_histograms_equals_the_whole() {
    let vol = u16s(&load("in_vol16"));
    let s = Shape::new(24, 24, 24);
    let whole = otsu(&Histogram::of(&vol, 256).unwrap()).unwrap();
    for n in [1, 3, 7] {
        let mut h = Histogram::integer();
        for zs in z_chunks(s.z, n) {
            let mut part = Histogram::integer();
            part.add(&vol[zs.start * s.slice_len()..zs.end * s.slice_len()]).unwrap();
            h.merge(&part).unwrap();
        }
        assert_eq!(otsu(&h).unwrap(), whole, "{n} chunks");
        assert_eq!(multi_otsu(&h, 3).unwrap(), multi_otsu(&Histogram::of(&vol, 256).unwrap(), 3).unwrap());
    }
}

#[test]
fn labels_match_scipy_exactly() {
    let e = expected();
    let vol = load("blobs48");
    let s = shape(&vol);
    let fg = u8s(&vol);
    let bg: Vec<u8> = fg.iter().map(|&v| 1 - v).collect();
    for c in [6, 18, 26] {
        for (phase, m) in [("fg", &fg), ("bg", &bg)] {
            let want = u32s(&load(&format!("label{c}_{phase}")));
            for threads in [1, 2, 5] {
                let got = label(m, s, conn(c), threads).unwrap();
                assert_eq!(got.count() as u64, e[format!("label{c}_{phase}_count")].as_u64().unwrap());
                // Same numbering as scipy, not just the same partition.
                assert!(got.labels == want, "label {c} {phase} threads {threads}");
                assert_eq!(got.sizes, plexus_testkit::u64s(&e[format!("label{c}_{phase}_sizes")]));
            }
        }
    }
    let grains = load("label4_grains");
    let s = shape(&grains);
    let mask: Vec<u8> = u32s(&grains).iter().map(|&l| (l != 0) as u8).collect();
    for c in [4, 8] {
        let want = u32s(&load(&format!("label{c}_grains")));
        let got = label(&mask, s, conn(c), 2).unwrap();
        assert!(got.labels == want, "grains {c}");
    }
}

#[test]
fn chunked_labels_equal_whole_labels() {
    let vol = u8s(&load("blobs48"));
    let s = Shape::new(48, 48, 48);
    let slice = s.slice_len();
    for c in [6, 18, 26, 4] {
        let whole = label(&vol, s, conn(c), 1).unwrap();
        for n in [1, 3, 7] {
            let ranges = z_chunks(s.z, n);
            let mut parts = Vec::new();
            let mut summaries = Vec::new();
            // Chunks arrive in any order: summarise them backwards.
            for zs in ranges.iter().rev() {
                let cs = s.with_z(zs.len());
                let l = label(&vol[zs.start * slice..zs.end * slice], cs, conn(c), 1).unwrap();
                summaries.push(ChunkSummary::of(&l, cs, zs.start).unwrap());
                parts.push((zs.start, l.labels));
            }
            let merged = merge_chunks(&summaries, s, conn(c)).unwrap();
            let mut out = vec![0u32; s.len()];
            for (k, (z0, mut labels)) in parts.into_iter().enumerate() {
                relabel(&mut labels, &merged.luts[k]);
                out[z0 * slice..z0 * slice + labels.len()].copy_from_slice(&labels);
            }
            assert!(out == whole.labels, "connectivity {c}, {n} chunks");
            assert_eq!(merged.sizes, whole.sizes);
        }
    }
}

#[test]
fn remove_small_objects_matches_scikit_image() {
    let vol = load("blobs48");
    let s = shape(&vol);
    for c in [6, 26] {
        let p = RemoveSmallParams { max_size: 20, connectivity: c, ..Default::default() };
        let (got, _) = remove_small_objects(&u8s(&vol), s, &p, 2).unwrap();
        assert!(got == u8s(&load(&format!("small{c}"))), "connectivity {c}");
    }
}

#[test]
fn remove_small_objects_over_chunks_equals_the_whole() {
    let vol = u8s(&load("blobs48"));
    let s = Shape::new(48, 48, 48);
    let slice = s.slice_len();
    for c in [6, 26] {
        let p = RemoveSmallParams { max_size: 20, connectivity: c, ..Default::default() };
        let (whole, _) = remove_small_objects(&vol, s, &p, 1).unwrap();
        for n in [1, 3, 7] {
            // Pass 1: label and summarise each chunk; merge; pass 2: relabel and keep.
            let ranges = z_chunks(s.z, n);
            let labelled: Vec<_> = ranges
                .iter()
                .map(|zs| label(&vol[zs.start * slice..zs.end * slice], s.with_z(zs.len()), conn(c), 1).unwrap())
                .collect();
            let summaries: Vec<_> = ranges
                .iter()
                .zip(&labelled)
                .map(|(zs, l)| ChunkSummary::of(l, s.with_z(zs.len()), zs.start).unwrap())
                .collect();
            let merged = merge_chunks(&summaries, s, conn(c)).unwrap();
            let keep = keep_table(&merged.sizes, p.max_size);
            let mut out = Vec::new();
            for (k, mut l) in labelled.into_iter().enumerate() {
                relabel(&mut l.labels, &merged.luts[k]);
                let mut part = vec![0u8; l.labels.len()];
                apply_keep(&l.labels, &keep, &mut part);
                out.extend(part);
            }
            assert!(out == whole, "connectivity {c}, {n} chunks");
        }
    }
}

fn morph_params(op: &str, st: &str, b: u8) -> MorphologyParams {
    let operation = match op {
        "erosion" => Operation::Erosion,
        "dilation" => Operation::Dilation,
        "opening" => Operation::Opening,
        _ => Operation::Closing,
    };
    let (structure, radius) = match st {
        "cross1" => (Structure::Cross, 1),
        "cross2" => (Structure::Cross, 2),
        "cube1" => (Structure::Cube, 1),
        _ => (Structure::Ball, 2),
    };
    MorphologyParams { operation, structure, radius, planar: false, border_value: b }
}

#[test]
fn morphology_matches_scipy_and_chunks_with_halos() {
    let vol = u8s(&load("blobs32"));
    let s = Shape::new(32, 32, 32);
    let slice = s.slice_len();
    let mut checked = 0;
    for st in ["cross1", "cube1", "ball2", "cross2"] {
        for op in ["erosion", "dilation", "opening", "closing"] {
            for b in [0u8, 1] {
                let name = format!("morph_{op}_{st}_b{b}");
                let path =
                    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/{name}.npy.gz"));
                if !path.exists() {
                    continue;
                }
                let p = morph_params(op, st, b);
                let want = u8s(&load(&name));
                let got = morphology(&vol, s, &p, 2).unwrap();
                assert!(got == want, "{name}");
                checked += 1;
                // Chunks with the declared halo give the same interior.
                let h = halo(&p);
                for n in [3, 7] {
                    let mut out = Vec::new();
                    for zs in z_chunks(s.z, n) {
                        let (a, b) = (zs.start.saturating_sub(h), (zs.end + h).min(s.z));
                        let chunk = &vol[a * slice..b * slice];
                        out.extend(morphology_chunk(chunk, s.with_z(b - a), zs.start - a, b - zs.end, &p, 1).unwrap());
                    }
                    assert!(out == want, "{name} in {n} chunks");
                }
            }
        }
    }
    assert_eq!(checked, 24);
}

#[test]
fn edt_matches_scipy() {
    let vol = load("blobs48_edt");
    let s = shape(&vol);
    let m = u8s(&vol);
    for (name, vs) in [("iso", [1.0, 1.0, 1.0]), ("int", [2.0, 1.0, 3.0])] {
        let want: Vec<f64> = u32s(&load(&format!("edt_sq_{name}"))).iter().map(|&q| (q as f64).sqrt()).collect();
        let d64: Vec<f64> = distance_transform(&m, s, vs, 2).unwrap();
        assert!(d64 == want, "f64 {name}: exact");
        let d32: Vec<f32> = distance_transform(&m, s, vs, 3).unwrap();
        for (g, w) in d32.iter().zip(&want) {
            assert!((*g as f64 - w).abs() <= 1e-6 * w.max(1.0), "f32 {name}: {g} vs {w}");
        }
    }
    let small = load("blobs_small");
    let want = load("edt_aniso").f64s();
    let got: Vec<f64> = distance_transform(&u8s(&small), shape(&small), [0.7, 1.3, 2.5], 2).unwrap();
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() <= 1e-12 * w.max(1.0), "anisotropic: {g} vs {w}");
    }
    let grains = load("label4_grains");
    let mask: Vec<u8> = u32s(&grains).iter().map(|&l| (l != 0) as u8).collect();
    let want: Vec<f64> = u32s(&load("edt_sq_grains")).iter().map(|&q| (q as f64).sqrt()).collect();
    let got: Vec<f64> = distance_transform(&mask, shape(&grains), [1.0; 3], 1).unwrap();
    assert!(got == want, "grains");
}

#[test]
fn edt_in_plane_passes_chunk_and_the_z_pass_finishes() {
    let m = u8s(&load("blobs48_edt"));
    let s = Shape::new(48, 48, 48);
    let vs = [2.0, 1.0, 3.0];
    let whole: Vec<f64> = distance_transform(&m, s, vs, 1).unwrap();
    for n in [1, 3, 7] {
        let mut sq: Vec<f64> = Vec::new();
        for zs in z_chunks(s.z, n) {
            let part = &m[zs.start * s.slice_len()..zs.end * s.slice_len()];
            sq.extend(squared_planes::<f64>(part, s.with_z(zs.len()), vs, 1).unwrap());
        }
        z_pass(&mut sq, s, vs[0], true, 2).unwrap();
        assert!(sq == whole, "{n} chunks");
    }
}

#[test]
fn watershed_matches_scikit_image() {
    let e = expected();
    for name in ["discs", "grains", "blobs"] {
        let input = load(&format!("ws_in_{name}"));
        let p = &e[format!("ws_{name}_params")];
        let params = WatershedParams {
            min_distance: p["min_distance"].as_u64().unwrap() as usize,
            footprint_size: p["footprint"].as_u64().map(|v| v as usize),
            ..Default::default()
        };
        let got = watershed(&u8s(&input), shape(&input), &params, 2).unwrap();
        let want_peaks: Vec<[usize; 3]> = e[format!("ws_{name}_peaks")]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let c: Vec<usize> = c.as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
                if c.len() == 2 {
                    [0, c[0], c[1]]
                } else {
                    [c[0], c[1], c[2]]
                }
            })
            .collect();
        assert_eq!(got.peaks, want_peaks, "{name} peaks");
        let want = u32s(&load(&format!("ws_{name}")));
        assert!(got.labels.labels == want, "{name} labels");
    }
}
