//! Fixtures, the shipped models, and comparisons.

use std::path::PathBuf;

use plexus_onnx::model::Model;
use plexus_testkit::{load_from, Npy};

pub fn npy(name: &str) -> Npy {
    load_from(env!("CARGO_MANIFEST_DIR"), name)
}

pub fn f32s(name: &str) -> (Vec<f32>, Vec<usize>) {
    let n = npy(name);
    (n.f64s().into_iter().map(|v| v as f32).collect(), n.shape.clone())
}

pub fn model_path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models").join(file)
}

/// Loads a shipped model; a missing ONNX Runtime fails the test with the
/// error's instructions.
pub fn model(file: &str, threads: usize) -> Model {
    Model::load(&model_path(file), threads).unwrap_or_else(|e| panic!("{e}"))
}

pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max)
}

/// PSNR in dB for data range 1.
pub fn psnr(reference: &[f32], a: &[f32]) -> f64 {
    let mse = reference.iter().zip(a).map(|(r, a)| (*r as f64 - *a as f64).powi(2)).sum::<f64>() / a.len() as f64;
    10.0 * (1.0 / mse).log10()
}

pub fn fixture_json() -> serde_json::Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/psnr.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}
