//! Chunk and thread invariance: a stack reconstructed in 1, 3 or 7 chunks
//! along its slice axis, with 1 or 2 threads, is the same volume bit for
//! bit (every kernel works slice by slice, and sums in a fixed order).

use plexus_reconstruction::fbp::{fbp, FbpParams};
use plexus_reconstruction::geometry::half_turn_deg;
use plexus_reconstruction::SinoShape;

use crate::common::sinogram;

/// 7 slices: the phantom's sinogram scaled differently per slice.
pub fn stack(cols: usize, angles: &[f64]) -> Vec<f32> {
    let one = sinogram(cols, cols, angles, (cols as f64 - 1.0) / 2.0);
    (0..7).flat_map(|r| one.iter().map(move |v| v * (1.0 + 0.1 * r as f32))).collect()
}

/// Runs `f` over `stack` cut into `chunks` pieces along axis 0 and
/// concatenates the outputs.
pub fn chunked(stack: &[f32], rows: usize, chunks: usize, f: impl Fn(&[f32], usize) -> Vec<f32>) -> Vec<f32> {
    let per = stack.len() / rows;
    let mut out = Vec::new();
    let mut r = 0;
    for c in 0..chunks {
        let n = (rows - r) / (chunks - c);
        out.extend(f(&stack[r * per..(r + n) * per], n));
        r += n;
    }
    out
}

#[test]
fn fbp_is_chunk_and_thread_invariant() {
    let angles = half_turn_deg(45);
    let s = stack(33, &angles);

    let (angles, params) = (&angles, &FbpParams::default());
    let run = |threads: usize| {
        move |part: &[f32], rows: usize| {
            fbp(part, SinoShape { rows, angles: 45, cols: 33 }, angles, params, threads).unwrap()
        }
    };
    let whole = chunked(&s, 7, 1, run(1));
    for chunks in [3, 7] {
        assert!(whole == chunked(&s, 7, chunks, run(2)), "{chunks} chunks");
    }
}
