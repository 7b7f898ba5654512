//! `uniform` and `gaussian`: streaming contract and determinism across
//! chunking and hot reload.

use plexus_plugin_api::{ChunkKey, DType};
use serde_json::json;

use super::{frames, run};

#[test]
fn uniform_emits_one_image_per_call_then_ends() {
    let outs = run("uniform", json!({"shape": [16, 24], "frames": 3, "seed": 5}), 5);
    let fs = frames(&outs);
    assert_eq!(fs.len(), 3);
    for (i, f) in fs.iter().enumerate() {
        assert_eq!(f.key(), ChunkKey { axis: 0, offset: i as u64, length: 1, extent: 3 });
        let a = f.array("image").unwrap();
        assert_eq!((a.dtype(), a.shape()), (DType::U8, &[1usize, 16, 24][..]));
        assert_eq!(f.dataset(), "uniform");
    }
    let ends: Vec<bool> = outs.iter().map(|e| e.is_end_of_stream()).collect();
    // The call that emits the last image ends the stream; later ticks too.
    assert_eq!(ends, [false, false, true, true, true, false]);
}

/// Image `i` depends on the seed and `i` only: the third image of a 3-frame
/// run equals the third of a 10-frame run and the image a single-image
/// operator builds for index 2.
#[test]
fn images_do_not_depend_on_run_length() {
    let short = frames(&run("uniform", json!({"shape": [8, 8], "frames": 3, "seed": 9}), 3));
    let long = frames(&run("uniform", json!({"shape": [8, 8], "frames": 10, "seed": 9}), 10));
    for i in 0..3 {
        assert_eq!(short[i].array("image").unwrap().as_bytes(), long[i].array("image").unwrap().as_bytes());
    }
    let direct = plexus_generator::uniform::Uniform::new(
        plexus_plugin_api::params::decode(r#"{"shape": [8, 8], "seed": 9}"#).unwrap(),
        &plexus_plugin_api::Context::new(1),
    )
    .unwrap()
    .image(2);
    assert_eq!(direct.as_bytes(), long[2].array("image").unwrap().as_bytes());
}

#[test]
fn gaussian_images_are_f32_with_requested_moments() {
    let outs = run("gaussian", json!({"shape": [128, 128], "frames": 4, "mean": -3.0, "sigma": 0.5, "seed": 1}), 4);
    let fs = frames(&outs);
    assert_eq!(fs.len(), 4);
    let all: Vec<f64> = fs.iter().flat_map(|f| f.array("image").unwrap().to_f64_vec()).collect();
    assert_eq!(fs[0].array("image").unwrap().dtype(), DType::F32);
    let n = all.len() as f64;
    let mean = all.iter().sum::<f64>() / n;
    let std = (all.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
    // 5 standard errors: σ/√n for the mean, σ/√(2n) for the std.
    assert!((mean + 3.0).abs() < 5.0 * 0.5 / n.sqrt(), "mean = {mean}");
    assert!((std - 0.5).abs() < 5.0 * 0.5 / (2.0 * n).sqrt(), "std = {std}");
    // Frames are independent draws, not copies.
    assert_ne!(fs[0].array("image").unwrap().as_bytes(), fs[1].array("image").unwrap().as_bytes());
}

#[test]
fn sigma_zero_gives_the_mean_exactly() {
    let fs = frames(&run("gaussian", json!({"shape": [4, 4], "mean": 2.5, "sigma": 0.0}), 1));
    assert!(fs[0].array("image").unwrap().as_slice::<f32>().unwrap().iter().all(|&v| v == 2.5));
}
