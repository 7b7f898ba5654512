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

/// Every other per-slice or per-projection kernel on a 7-item stack cut in
/// 1, 3 and 7 chunks (with 1 thread for the whole, 2 for the chunks): the
/// same values bit for bit.
#[test]
fn every_kernel_is_chunk_and_thread_invariant() {
    use plexus_reconstruction::gridrec::{gridrec, GridrecParams};
    use plexus_reconstruction::normalize::{normalize, NormalizeParams};
    use plexus_reconstruction::phase_retrieval::{phase_retrieval, PhaseRetrievalParams};
    use plexus_reconstruction::remove_stripes::{remove_stripes, RemoveStripesParams, WaveletFftParams};
    use plexus_reconstruction::remove_zingers::{remove_zingers, RemoveZingersParams};
    use plexus_reconstruction::sirt::{sirt, SirtParams};

    let (cols, na) = (33usize, 45usize);
    let angles = half_turn_deg(na);
    let s = stack(cols, &angles);
    let shape = |rows: usize| SinoShape { rows, angles: na, cols };
    type Kernel<'a> = Box<dyn Fn(&[f32], usize, usize) -> Vec<f32> + 'a>;
    let flats: Vec<f32> = (0..2 * na * cols).map(|k| 50.0 + (k % 7) as f32).collect();
    let kernels: Vec<(&str, Kernel)> = vec![
        ("gridrec", Box::new(|p, r, t| gridrec(p, shape(r), &angles, &GridrecParams::default(), t).unwrap())),
        (
            "sirt",
            Box::new(|p, r, t| {
                sirt(p, shape(r), &angles, &SirtParams { iterations: 5, ..SirtParams::default() }, t).unwrap().0
            }),
        ),
        (
            "remove_stripes wavelet-fft",
            Box::new(|p, r, t| {
                let w = RemoveStripesParams::WaveletFft(WaveletFftParams::default());
                remove_stripes(p, shape(r), &w, t).unwrap()
            }),
        ),
        (
            "remove_stripes sorting",
            Box::new(|p, r, t| remove_stripes(p, shape(r), &RemoveStripesParams::default(), t).unwrap()),
        ),
        // The stack read as projections (7, 45, 33): flats of one
        // 45 × 33 detector, zingers and Paganin per projection.
        (
            "normalize",
            Box::new(|p, _, t| normalize(p, &flats, &[], na * cols, &NormalizeParams::default(), t).unwrap()),
        ),
        (
            "remove_zingers",
            Box::new(|p, r, t| {
                remove_zingers(p, [r, na, cols], &RemoveZingersParams { threshold: 1.0, ..Default::default() }, t)
                    .unwrap()
            }),
        ),
        (
            "phase_retrieval",
            Box::new(|p, r, t| {
                let q: Vec<f32> = p.iter().map(|v| (-0.01 * v).exp()).collect();
                phase_retrieval(
                    &q,
                    [r, na, cols],
                    &PhaseRetrievalParams { delta_over_beta: 100.0, ..Default::default() },
                    t,
                )
                .unwrap()
            }),
        ),
    ];
    for (name, k) in &kernels {
        let whole = chunked(&s, 7, 1, |p, r| k(p, r, 1));
        for chunks in [3, 7] {
            assert!(whole == chunked(&s, 7, chunks, |p, r| k(p, r, 2)), "{name}: {chunks} chunks");
        }
    }
}
