//! The projection-pattern operators (`normalize`, `remove_zingers`,
//! `phase_retrieval`) and `minus_log`: each gives its kernel's values bit
//! for bit on the whole stack, whatever the chunking along `angle`, keeps
//! the array's name, axes, chunk key and metadata, and refuses bad input
//! with the message asserted here.

use plexus_plugin_api::{Array, ChunkKey, Frame};
use plexus_reconstruction::minus_log::{minus_log, MinusLogParams};
use plexus_reconstruction::normalize::{normalize, NormalizeParams};
use plexus_reconstruction::phase_retrieval::{phase_retrieval, PhaseRetrievalParams};
use plexus_reconstruction::remove_zingers::{remove_zingers, RemoveZingersParams, ZingerAxis};
use serde_json::json;

use super::{build_error, emitted, first_frame, frame_error, frames, run, stack};
use crate::recon::scan::simulate;

/// A raw scan as projection frames: `(angles, 2, cols)` counts (the
/// simulated row twice, the second scaled), 5 flats and 3 darks on the
/// first frame, `theta_deg` per chunk.
struct Raw {
    raw: Vec<f32>,
    flats: Vec<f32>,
    darks: Vec<f32>,
    angles: Vec<f64>,
    dims: [usize; 3],
}

fn raw_scan() -> Raw {
    let (cols, na) = (41usize, 28usize);
    let angles = plexus_reconstruction::geometry::half_turn_deg(na);
    let s = simulate(41, cols, &angles, 20.0, 3000.0, 0.02, 0.01);
    let twice = |v: &[f32], per: usize| -> Vec<f32> {
        v.chunks(per).flat_map(|r| r.iter().copied().chain(r.iter().map(|x| 0.9 * x))).collect()
    };
    Raw {
        raw: twice(&s.raw, cols),
        flats: twice(&s.flats, cols),
        darks: twice(&s.darks, cols),
        angles,
        dims: [na, 2, cols],
    }
}

impl Raw {
    fn frames(&self, k: usize, white: &str, dark: &str) -> Vec<Frame> {
        let [na, rows, cols] = self.dims;
        let a = stack(self.raw.clone(), self.dims, "angle row col");
        let angles = self.angles.clone();
        let mut f = frames(&a, k, move |o, l| json!({ "theta_deg": angles[o..o + l], "pixel_size_cm": 0.001 }));
        assert_eq!(f.len(), k.min(na));
        f[0] = f[0]
            .clone()
            .with_array(white, stack(self.flats.clone(), [5, rows, cols], "frame row col"))
            .with_array(dark, stack(self.darks.clone(), [3, rows, cols], "frame row col"));
        f
    }
}

#[test]
fn normalize_is_the_kernel_whatever_the_chunking() {
    let scan = raw_scan();
    let [_, rows, cols] = scan.dims;
    for average in ["mean", "median"] {
        let p = NormalizeParams { average: serde_json::from_value(json!(average)).unwrap(), ..Default::default() };
        let want = normalize(&scan.raw, &scan.flats, &scan.darks, rows * cols, &p, 1).unwrap();
        for k in [1, 3, 7] {
            let outs = run("normalize", json!({ "average": average }), &scan.frames(k, "white", "dark"));
            assert!(emitted(&outs) == want, "{average}, {k} chunks");
            let f = first_frame(&outs);
            assert_eq!(f.arrays().len(), 1, "the fields are consumed");
            let a = f.array("data").unwrap();
            assert_eq!((a.shape()[1..].to_vec(), a.axes()), (vec![rows, cols], "angle row col"));
            assert_eq!(f.meta()["pixel_size_cm"], 0.001);
            assert_eq!(f.key(), ChunkKey { axis: 0, offset: 0, length: a.shape()[0] as u64, extent: 28 });
        }
    }
    // dxchange's names, and integer counts converted (u16 raw data).
    let as_u16 = |v: &[f32]| Array::from_vec(vec![v.len()], v.iter().map(|x| x.round() as u16).collect::<Vec<_>>());
    let rounded: Vec<f32> = scan.raw.iter().map(|x| x.round()).collect();
    let want = normalize(&rounded, &scan.flats, &scan.darks, rows * cols, &NormalizeParams::default(), 1).unwrap();
    let mut f = scan.frames(3, "data_white", "data_dark");
    for frame in &mut f {
        let d = frame.array("data").unwrap();
        let u = as_u16(d.as_slice::<f32>().unwrap()).unwrap().reshape(d.shape().to_vec()).unwrap();
        frame.insert("data", u.with_axes("angle row col").unwrap());
    }
    assert!(emitted(&run("normalize", json!({}), &f)) == want);
}

#[test]
fn normalize_needs_its_flats_first_and_of_the_detector_size() {
    let scan = raw_scan();
    let f = scan.frames(3, "white", "dark");
    assert_eq!(
        frame_error("normalize", json!({}), &f[1..]),
        "invalid input `white`: expected flat fields with the first frame: arrays `white` and `dark` (generator.projections) or `data_white` and `data_dark` (a dxchange scan), got none"
    );
    let bad = f[0].clone().with_array("white", stack(vec![1.0; 5 * 41], [5, 1, 41], "frame row col"));
    assert_eq!(
        frame_error("normalize", json!({}), &[bad]),
        "invalid input `white`: expected frames `[n, 2, 41]`, the projections' rows and columns, got shape [5, 1, 41]"
    );
    // Without darks: a zero dark, as the kernel.
    let [_, rows, cols] = scan.dims;
    let mut no_dark = scan.frames(1, "white", "dark");
    no_dark[0] = Frame::new("d", no_dark[0].key())
        .with_array("data", no_dark[0].array("data").unwrap().clone())
        .with_array("white", no_dark[0].array("white").unwrap().clone());
    let want = normalize(&scan.raw, &scan.flats, &[], rows * cols, &NormalizeParams::default(), 1).unwrap();
    assert!(emitted(&run("normalize", json!({}), &no_dark)) == want);
}

#[test]
fn minus_log_is_the_kernel_on_any_array() {
    let scan = raw_scan();
    let t: Vec<f32> = scan.raw.iter().map(|v| v / 4000.0 - 0.05).collect();
    let want = minus_log(&t, &MinusLogParams { floor: 1e-3 }, 1).unwrap();
    for k in [1, 3, 7] {
        let f = frames(&stack(t.clone(), scan.dims, "angle row col"), k, |o, _| json!({ "first": o }));
        let outs = run("minus_log", json!({ "floor": 1e-3 }), &f);
        assert!(emitted(&outs) == want, "{k} chunks");
        assert_eq!(first_frame(&outs).meta()["first"], 0);
    }
    // A 1-D array keeps its shape and labels.
    let line = Frame::new("d", ChunkKey::whole(1))
        .with_array("data", Array::from_vec(vec![3], vec![1.0f32, 0.5, 0.0]).unwrap());
    let outs = run("minus_log", json!({}), &[line]);
    let a = first_frame(&outs).array("data").unwrap();
    assert_eq!((a.shape(), a.axes()), (&[3][..], "x"));
    assert_eq!(a.as_slice::<f32>().unwrap(), &[0.0, std::f32::consts::LN_2, -(1e-6f32).ln()]);
    assert_eq!(
        build_error("minus_log", json!({ "floor": 0.0 })),
        "parameter `floor`: expected a finite number > 0 in f32, got 0"
    );
}

#[test]
fn remove_zingers_is_the_kernel_in_projections_and_in_sinograms() {
    let scan = raw_scan();
    let [na, rows, cols] = scan.dims;
    let p = RemoveZingersParams { threshold: 200.0, size: 3 };
    let want = remove_zingers(&scan.raw, scan.dims, ZingerAxis::Plane, &p, 1).unwrap();
    assert!(want != scan.raw, "the scan has zingers to remove");
    for k in [1, 3, 7] {
        let f = frames(&stack(scan.raw.clone(), scan.dims, "angle row col"), k, super::no_meta);
        assert!(emitted(&run("remove_zingers", json!({ "threshold": 200.0 }), &f)) == want, "{k} chunks");
    }
    // The same numbers read as two sinograms of (14, 41) each: the angle
    // window runs along their second axis.
    let sino = stack(scan.raw[..2 * 14 * cols].to_vec(), [2, 14, cols], "row angle col");
    let want = remove_zingers(&scan.raw[..2 * 14 * cols], [2, 14, cols], ZingerAxis::Angle, &p, 1).unwrap();
    for k in [1, 2] {
        let outs = run("remove_zingers_sinogram", json!({ "threshold": 200.0 }), &frames(&sino, k, super::no_meta));
        assert!(emitted(&outs) == want, "{k} chunks");
    }
    assert_eq!(
        frame_error("remove_zingers_sinogram", json!({}), &frames(&stack(scan.raw.clone(), [na, rows, cols], "angle row col"), 1, super::no_meta)),
        "invalid input `data`: expected sinograms `[rows, angles, cols]` (axes `row angle col`), got axes `angle row col`; sinogram operators need the stack resliced along `row`"
    );
    assert_eq!(
        build_error("remove_zingers", json!({ "size": 4 })),
        "parameter `size`: expected an odd window size ≥ 1, got 4"
    );
}

#[test]
fn phase_retrieval_is_the_kernel_whatever_the_chunking() {
    let scan = raw_scan();
    let t: Vec<f32> = scan.raw.iter().map(|v| v / 4000.0).collect();
    let params = json!({ "delta_over_beta": 200.0, "pixel_size_cm": 1e-4, "output": "beta-thickness" });
    let p: PhaseRetrievalParams = serde_json::from_value(params.clone()).unwrap();
    let want = phase_retrieval(&t, scan.dims, &p, 1).unwrap();
    for k in [1, 3, 7] {
        let f = frames(&stack(t.clone(), scan.dims, "angle row col"), k, super::no_meta);
        assert!(emitted(&run("phase_retrieval", params.clone(), &f)) == want, "{k} chunks");
    }
    assert_eq!(
        build_error("phase_retrieval", json!({ "energy_kev": 0.0 })),
        "parameter `energy_kev`: expected a finite number > 0, got 0"
    );
}
