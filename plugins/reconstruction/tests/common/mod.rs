//! Shared test helpers: the analytic phantom and its sinogram, the
//! fixtures (`.npy`, `peers.json`), PSNR.

#![allow(dead_code)]

use std::path::PathBuf;

use plexus_generator::projections::ellipse_chord;
use plexus_generator::shepp_logan::MODIFIED_SHEPP_LOGAN;

/// The fixtures folder.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// `peers.json`.
pub fn peers() -> serde_json::Value {
    let text = std::fs::read_to_string(fixtures().join("peers.json")).expect("peers.json");
    serde_json::from_str(&text).expect("peers.json parses")
}

/// A little-endian f32 C-order `.npy` file: (shape, values).
pub fn npy(name: &str) -> (Vec<usize>, Vec<f32>) {
    let bytes = std::fs::read(fixtures().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(&bytes[..6], b"\x93NUMPY", "{name}: not an npy file");
    let (hlen, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        _ => (u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize, 12),
    };
    let header = std::str::from_utf8(&bytes[start..start + hlen]).unwrap();
    assert!(header.contains("'descr': '<f4'") && header.contains("'fortran_order': False"), "{name}: {header}");
    let shape_text = header.split("'shape': (").nth(1).unwrap().split(')').next().unwrap();
    let shape: Vec<usize> =
        shape_text.split(',').filter(|s| !s.trim().is_empty()).map(|s| s.trim().parse().unwrap()).collect();
    let data: Vec<f32> =
        bytes[start + hlen..].chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
    assert_eq!(data.len(), shape.iter().product::<usize>(), "{name}");
    (shape, data)
}

/// Phantom coordinate of index `k` of `n`: `k·2/(n−1) − 1`.
fn coord(k: usize, n: usize) -> f64 {
    k as f64 * 2.0 / (n as f64 - 1.0) - 1.0
}

/// The modified Shepp–Logan phantom at `n × n`, sampled at pixel centres
/// (x along columns, y up), clipped at 0: as the fixture script renders it.
pub fn phantom(n: usize) -> Vec<f32> {
    let mut img = vec![0.0f64; n * n];
    for e in MODIFIED_SHEPP_LOGAN.iter() {
        let (sp, cp) = e.phi_deg.to_radians().sin_cos();
        for i in 0..n {
            let y = -coord(i, n);
            for j in 0..n {
                let x = coord(j, n);
                let xr = (x - e.x0) * cp + (y - e.y0) * sp;
                let yr = -(x - e.x0) * sp + (y - e.y0) * cp;
                if (xr / e.a).powi(2) + (yr / e.b).powi(2) <= 1.0 {
                    img[i * n + j] += e.intensity;
                }
            }
        }
    }
    img.iter().map(|v| v.max(0.0) as f32).collect()
}

/// Exact line integrals (in pixels) of the `n`-pixel phantom, `cols`
/// detector columns, column `c` at `s = c − center`, in `f64`.
pub fn sinogram_f64(n: usize, cols: usize, angles_deg: &[f64], center: f64) -> Vec<f64> {
    let h = 2.0 / (n as f64 - 1.0);
    let mut out = Vec::with_capacity(angles_deg.len() * cols);
    for &t in angles_deg {
        let (sin, cos) = t.to_radians().sin_cos();
        for c in 0..cols {
            let s = (c as f64 - center) * h;
            let v: f64 = MODIFIED_SHEPP_LOGAN.iter().map(|e| e.intensity * ellipse_chord(e, s, cos, sin)).sum();
            out.push(v / h);
        }
    }
    out
}

/// [`sinogram_f64`] as f32.
pub fn sinogram(n: usize, cols: usize, angles_deg: &[f64], center: f64) -> Vec<f32> {
    sinogram_f64(n, cols, angles_deg, center).iter().map(|&v| v as f32).collect()
}

/// Checks the Rust sinogram is the fixture script's: their sums agree to
/// 1e-9 relative (both are the same closed form in f64).
pub fn check_sum(sino: &[f64], peer: &serde_json::Value) {
    let want = peer["sino_sum"].as_f64().unwrap();
    let got: f64 = sino.iter().sum();
    assert!(((got - want) / want).abs() < 1e-9, "sinogram sum {got} vs the fixture's {want}");
}

/// PSNR in dB with a data range of 1 (the phantom's), over every pixel.
pub fn psnr(img: &[f32], reference: &[f32]) -> f64 {
    let mse: f64 =
        img.iter().zip(reference).map(|(a, b)| (*a as f64 - *b as f64).powi(2)).sum::<f64>() / img.len() as f64;
    10.0 * (1.0 / mse).log10()
}

/// The largest absolute difference.
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}
