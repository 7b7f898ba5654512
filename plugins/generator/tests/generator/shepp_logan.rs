//! `shepp_logan`: the 2-D phantom against a closed form and scikit-image's
//! stored phantom, the 3-D phantom against TomoPy's `shepp3d` algorithm,
//! and chunking.

use plexus_generator::shepp_logan::{coordinate, image_2d, slab_3d, MODIFIED_SHEPP_LOGAN};
use plexus_plugin_api::{Array, ChunkKey, DType};
use serde_json::json;

use super::{frames, run};

/// Reads a fixture written by `fixtures/make_fixtures.py`: a header of
/// extents, then `level run` lines; `parse` turns a level into a value.
fn read_rle<T: Copy>(name: &str, parse: impl Fn(&str) -> T) -> (Vec<usize>, Vec<T>) {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let shape: Vec<usize> = lines.next().unwrap().split(' ').map(|s| s.parse().unwrap()).collect();
    let mut values = Vec::new();
    for line in lines {
        let (level, run) = line.split_once(' ').unwrap();
        let v = parse(level);
        values.extend(std::iter::repeat_n(v, run.parse().unwrap()));
    }
    assert_eq!(values.len(), shape.iter().product::<usize>());
    (shape, values)
}

/// scikit-image's `shepp_logan_phantom()` is not computed: it loads a
/// 400×400 8-bit PNG whose six levels are Toft's intensities truncated to
/// n/255 (0.1 is stored as 25, 0.3 as 76). So the comparison is in 8-bit
/// units at 400 pixels: `|255·v − level| < 1` for every pixel, the
/// quantisation error of the PNG. Levels of different regions are at least
/// 25 apart, so a pixel assigned to the wrong region cannot pass; the test
/// therefore checks every pixel's region, which also pins the sampling
/// convention (sample points on `[−1, 1]` including both ends, `y` up):
/// pixel-centred sampling puts 879 boundary pixels in another region.
#[test]
fn matches_scikit_image_phantom_at_8_bits() {
    let (shape, levels) = read_rle("skimage_phantom_400.rle", |s| s.parse::<u8>().unwrap());
    assert_eq!(shape, [400, 400]);
    let ours = image_2d(400);
    let mismatched = ours.iter().zip(&levels).filter(|(&v, &l)| (v as f64 * 255.0 - l as f64).abs() >= 1.0).count();
    assert_eq!(mismatched, 0, "pixels differing from scikit-image's phantom");
}

/// Closed form: the phantom's integral over the plane is Σ Aᵢ π aᵢ bᵢ. The
/// pixel sum times the pixel area h² (h = 2/(n−1)) approximates it; the
/// error comes only from cells cut by an ellipse boundary, each contributing
/// at most |Aᵢ| h², and a boundary of length Pᵢ cuts at most
/// ≈ 2 Pᵢ / h + 4 cells, so |error| ≤ Σ |Aᵢ| (2 Pᵢ h + 4h²). Ramanujan's
/// approximation gives Pᵢ to far better than this bound needs.
#[test]
fn integral_matches_sum_of_ellipse_areas() {
    let exact: f64 = MODIFIED_SHEPP_LOGAN.iter().map(|e| e.intensity * std::f64::consts::PI * e.a * e.b).sum();
    for n in [128usize, 512, 1024] {
        let h = 2.0 / (n - 1) as f64;
        let approx: f64 = image_2d(n).iter().map(|&v| v as f64).sum::<f64>() * h * h;
        let bound: f64 = MODIFIED_SHEPP_LOGAN
            .iter()
            .map(|e| {
                let (a, b) = (e.a, e.b);
                let p = std::f64::consts::PI * (3.0 * (a + b) - ((3.0 * a + b) * (a + 3.0 * b)).sqrt());
                e.intensity.abs() * (2.0 * p * h + 4.0 * h * h)
            })
            .sum();
        // f32 rounding of each pixel adds at most n² · 3e−8 · h² ≈ 1.2e−7.
        assert!((approx - exact).abs() <= bound + 1e-6, "n = {n}: {approx} vs {exact}, bound {bound}");
    }
}

/// Symmetry of the table: only ellipses 3, 4, 8 and 10 break the left-right
/// mirror symmetry, so pixels far from them mirror exactly — here checked on
/// the top half (y > 0.5), which none of them reaches.
#[test]
fn top_half_is_mirror_symmetric() {
    let n = 257;
    let img = image_2d(n);
    for r in 0..n {
        if -coordinate(r, n) <= 0.5 {
            continue;
        }
        for c in 0..n {
            assert_eq!(img[r * n + c], img[r * n + (n - 1 - c)], "row {r}, col {c}");
        }
    }
}

#[test]
fn two_d_emits_one_image_and_ends() {
    let outs = run("shepp_logan", json!({"size": 64}), 2);
    let fs = frames(&outs);
    assert_eq!(fs.len(), 1);
    assert_eq!(fs[0].key(), ChunkKey { axis: 0, offset: 0, length: 1, extent: 1 });
    let a = fs[0].array("image").unwrap();
    assert_eq!((a.dtype(), a.shape(), a.axes()), (DType::F32, &[1usize, 64, 64][..], "z y x"));
    assert_eq!(a.as_slice::<f32>().unwrap(), image_2d(64).as_slice());
    assert!(outs[0].is_end_of_stream());
}

/// TomoPy's `shepp3d` as transcribed in `make_fixtures.py`, depth 24 and
/// size 32 (unequal, so a swapped axis fails). TomoPy adds each ellipsoid's
/// intensity into a float32 cube (leaving e.g. 2.98e−9 where 1 − 0.8 − 0.2
/// should be 0); we sum in f64 and round once, so values may differ by a
/// few f32 ulps: tolerance 1e−6 absolute. A voxel whose centre lies on an
/// ellipsoid surface to within rounding could flip; none does here.
#[test]
fn matches_tomopy_shepp3d() {
    let (shape, want) =
        read_rle("tomopy_shepp3d_24x32x32.rle", |s| f32::from_bits(u32::from_str_radix(s, 16).unwrap()));
    assert_eq!(shape, [24, 32, 32]);
    let ours = slab_3d(32, 24, 0, 24);
    let worst = ours.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(worst <= 1e-6, "largest difference {worst}");
}

/// Chunks of 5 slices of a depth-12 volume: keys tile the axis, the last
/// chunk is short, and the concatenation equals the volume made at once.
#[test]
fn three_d_chunks_tile_the_volume() {
    let outs = run("shepp_logan", json!({"dim": "3d", "size": 20, "depth": 12, "chunk": 5}), 4);
    let fs = frames(&outs);
    let keys: Vec<(u64, u64, u64)> = fs.iter().map(|f| (f.key().offset, f.key().length, f.key().extent)).collect();
    assert_eq!(keys, [(0, 5, 12), (5, 5, 12), (10, 2, 12)]);
    assert!(outs[2].is_end_of_stream());
    let joined: Vec<f32> =
        fs.iter().flat_map(|f| f.array("volume").unwrap().as_slice::<f32>().unwrap().to_vec()).collect();
    assert_eq!(joined, slab_3d(20, 12, 0, 12));
    let a: &Array = fs[2].array("volume").unwrap();
    assert_eq!((a.shape(), a.axes()), (&[2usize, 20, 20][..], "z y x"));
}

/// The central axial slice of the 3-D phantom at a point inside only the
/// outer two ellipsoids is 0.2, and inside ellipsoid 5 (centred at
/// z = −0.15) it is 0.3 — the 3-D table's intensities.
#[test]
fn three_d_known_points() {
    let n = 101; // odd, so 0 is a sample point on every axis
    let vol = slab_3d(n, n, 0, n);
    let at = |z: usize, y: f64, x: f64| {
        let r = ((1.0 - y) / 2.0 * (n - 1) as f64).round() as usize; // y up
        let c = ((x + 1.0) / 2.0 * (n - 1) as f64).round() as usize;
        vol[(z * n + r) * n + c]
    };
    let mid = n / 2;
    assert!((at(mid, 0.0, 0.0) - 0.2).abs() < 1e-7);
    assert!((at(mid, 0.9, 0.0) - 1.0).abs() < 1e-7);
    let z = ((-0.15 + 1.0) / 2.0 * (n - 1) as f64).round() as usize;
    assert!((at(z, 0.4, 0.0) - 0.3).abs() < 1e-7);
}
