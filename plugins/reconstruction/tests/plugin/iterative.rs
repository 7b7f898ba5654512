//! `sirt`, `cgls` and `sart` as operators: the slices are their kernels'
//! bit for bit whatever the chunking, and the residuals they publish at
//! the end are the kernels' per-row reports merged in row order, the same
//! bits for 1, 3 and 7 chunks.

use plexus_reconstruction::cgls::{cgls, CglsParams};
use plexus_reconstruction::geometry::half_turn_deg;
use plexus_reconstruction::sart::{sart, SartParams};
use plexus_reconstruction::sirt::{sirt, SirtParams};
use plexus_reconstruction::solver::SolveReport;
use plexus_reconstruction::SinoShape;
use serde_json::{json, Value};

use super::{build_error, emitted, frames, no_meta, run, stack};
use crate::recon::chunking;

#[test]
fn slices_and_merged_residuals_match_the_kernels() {
    let (cols, na, rows) = (33usize, 45usize, 7usize);
    let angles = half_turn_deg(na);
    let s = chunking::stack(cols, &angles);
    let shape = SinoShape { rows, angles: na, cols };
    type Kernel = Box<dyn Fn() -> (Vec<f32>, Vec<SolveReport>)>;
    let (s1, s2, s3) = (s.clone(), s.clone(), s.clone());
    let (a1, a2, a3) = (angles.clone(), angles.clone(), angles.clone());
    let cases: Vec<(&str, Value, Kernel)> = vec![
        (
            "sirt",
            json!({ "iterations": 6, "non_negative": true }),
            Box::new(move || {
                sirt(&s1, shape, &a1, &SirtParams { iterations: 6, non_negative: true, ..Default::default() }, 1)
                    .unwrap()
            }),
        ),
        (
            "cgls",
            json!({ "iterations": 8, "tolerance": 0.05 }),
            Box::new(move || {
                cgls(&s2, shape, &a2, &CglsParams { iterations: 8, tolerance: Some(0.05), ..Default::default() }, 1)
                    .unwrap()
            }),
        ),
        (
            "sart",
            json!({ "iterations": 2, "relaxation": 0.5 }),
            Box::new(move || {
                sart(&s3, shape, &a3, &SartParams { iterations: 2, relaxation: 0.5, ..Default::default() }, 1).unwrap()
            }),
        ),
    ];
    for (op, params, kernel) in cases {
        let (want, reports) = kernel();
        let iterations = reports.iter().map(|r| r.residuals.len()).max().unwrap();
        let residual: Vec<f64> = (0..iterations)
            .map(|k| {
                reports.iter().map(|r| r.residuals.get(k).or(r.residuals.last()).unwrap().powi(2)).sum::<f64>().sqrt()
            })
            .collect();
        let data_norm = reports.iter().map(|r| r.data_norm.powi(2)).sum::<f64>().sqrt();
        let mut published = Vec::new();
        for k in [1, 3, 7] {
            let f = frames(&stack(s.clone(), [rows, na, cols], "row angle col"), k, no_meta);
            let outs = run(op, params.clone(), &f);
            assert!(emitted(&outs) == want, "{op}: {k} chunks");
            assert!(outs[..k].iter().all(|e| e.results().is_empty()), "{op}: results at the end only");
            let r = outs[k].results().clone();
            assert_eq!(r["residual"], json!(residual), "{op}");
            assert_eq!(r["data_norm"], json!(data_norm), "{op}");
            let relative: Vec<f64> = residual.iter().map(|v| v / data_norm).collect();
            assert_eq!(r["relative_residual"], json!(relative), "{op}");
            assert_eq!(r["residual_by_row"], json!(reports.iter().map(|r| &r.residuals).collect::<Vec<_>>()));
            assert_eq!(r["converged"], reports.iter().filter(|r| r.converged).count());
            published.push(r);
        }
        assert!(published.windows(2).all(|w| w[0] == w[1]), "{op}: the same results for 1, 3 and 7 chunks");
        // The volume's residual falls at every iteration (CGLS by theorem;
        // SIRT and SART on this consistent data in practice).
        assert!(residual.windows(2).all(|w| w[1] < w[0]), "{op}: {residual:?}");
    }
    assert_eq!(build_error("sirt", json!({ "relaxation": 2.0 })), "parameter `relaxation`: expected in (0, 2), got 2");
}
