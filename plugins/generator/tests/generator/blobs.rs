//! `blobs`: the Gaussian filter against scipy, the porosity target, and
//! chunking.

use plexus_generator::blobs::{gaussian_filter, gaussian_weights};
use plexus_plugin_api::{ChunkKey, DType};
use serde_json::{json, Value};

use super::{frames, run};

/// `scipy.ndimage.gaussian_filter(field, sigma, mode="reflect",
/// truncate=4.0)` on a closed-form field (see `make_fixtures.py`), for
/// σ = 1.5 and σ = 4 (radius 16, wider than every axis). Same weights, same
/// axis order, same boundary rule; only the summation order of the 13 or
/// 33 products can differ, so 1e−14 absolute on values in [0, 1].
#[test]
fn gaussian_filter_matches_scipy() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/scipy_gaussian_filter.json");
    let want: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let shape = [6usize, 9, 11];
    for sigma in ["1.5", "4.0"] {
        let mut field: Vec<f64> = (0..6 * 9 * 11)
            .map(|f| {
                let (k, i, j) = (f / 99, f / 11 % 9, f % 11);
                ((7 * k + 13 * i + 29 * j) % 17) as f64 / 17.0
            })
            .collect();
        gaussian_filter(&mut field, &shape, &gaussian_weights(sigma.parse().unwrap()));
        let want: Vec<f64> = want[sigma].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let worst = field.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(worst <= 1e-14, "sigma {sigma}: largest difference {worst}");
    }
}

/// The pore fraction is `round(porosity · N) / N`: within 1/(2N) of the
/// target (ties in the smoothed field, which would break this, have
/// probability ~0 for continuous noise and are counted exactly here).
#[test]
fn porosity_hits_the_target() {
    for (porosity, blobiness) in [(0.5, 1.0), (0.3, 2.0), (0.85, 0.5), (0.0, 1.0), (1.0, 1.0)] {
        let outs = run("blobs", json!({"shape": [24, 32, 40], "porosity": porosity, "blobiness": blobiness}), 3);
        let fs = frames(&outs);
        let voxels: Vec<u8> =
            fs.iter().flat_map(|f| f.array("volume").unwrap().as_slice::<u8>().unwrap().to_vec()).collect();
        assert_eq!(voxels.len(), 24 * 32 * 40);
        assert!(voxels.iter().all(|&v| v <= 1));
        let n = voxels.len() as f64;
        let got = voxels.iter().map(|&v| v as f64).sum::<f64>() / n;
        assert!((got - porosity).abs() <= 0.5 / n, "porosity {got} for target {porosity}");
    }
}

/// Blobiness sets the feature size: more blobiness, more pore–solid
/// interface (counted as unequal neighbour pairs along x).
#[test]
fn blobiness_shrinks_the_blobs() {
    let interface = |blobiness: f64| {
        let outs = run("blobs", json!({"shape": [16, 48, 48], "blobiness": blobiness, "chunk": 16}), 1);
        let v = frames(&outs)[0].array("volume").unwrap().as_slice::<u8>().unwrap().to_vec();
        v.chunks(48).map(|row| row.windows(2).filter(|w| w[0] != w[1]).count()).sum::<usize>()
    };
    let (coarse, fine) = (interface(0.5), interface(2.0));
    assert!(fine > 2 * coarse, "interface {fine} (blobiness 2) vs {coarse} (blobiness 0.5)");
}

#[test]
fn chunks_tile_the_volume_and_seed_selects_it() {
    let outs = run("blobs", json!({"shape": [10, 12, 14], "chunk": 4, "seed": 3}), 4);
    let fs = frames(&outs);
    let keys: Vec<ChunkKey> = fs.iter().map(|f| f.key()).collect();
    assert_eq!(keys[2], ChunkKey { axis: 0, offset: 8, length: 2, extent: 10 });
    assert!(outs[2].is_end_of_stream());
    let a = fs[0].array("volume").unwrap();
    assert_eq!((a.dtype(), a.shape(), a.axes()), (DType::U8, &[4usize, 12, 14][..], "z y x"));
    let whole = frames(&run("blobs", json!({"shape": [10, 12, 14], "chunk": 10, "seed": 3}), 1));
    let joined: Vec<u8> = fs.iter().flat_map(|f| f.array("volume").unwrap().as_bytes().to_vec()).collect();
    assert_eq!(joined, whole[0].array("volume").unwrap().as_bytes());
    let other = frames(&run("blobs", json!({"shape": [10, 12, 14], "chunk": 10, "seed": 4}), 1));
    assert_ne!(other[0].array("volume").unwrap().as_bytes(), whole[0].array("volume").unwrap().as_bytes());
}
