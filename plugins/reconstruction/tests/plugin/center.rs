//! `find_center` as an operator: it forwards its input, finds the axis on
//! the dataset row asked for (default the middle one) as soon as the frame
//! holding it passes, publishes what its kernel finds on that row, and
//! fails at the end of a stream that never held the row.

use plexus_plugin_api::compliance::Harness;
use plexus_reconstruction::find_center::{find_center, FindCenterParams};
use plexus_reconstruction::geometry::half_turn_deg;
use plexus_reconstruction::SinoShape;
use serde_json::{json, Value};

use super::{build_error, frames, no_meta, run, stack};
use crate::common::sinogram;

const ROWS: usize = 5;
const COLS: usize = 129;
const ANGLES: usize = 180;

/// Row `r`'s axis: 64.3 + 0.5·(r − 2), so that each row has its own.
fn truth(r: usize) -> f64 {
    64.3 + 0.5 * (r as f64 - 2.0)
}

fn stack_of_axes() -> Vec<f32> {
    let angles = half_turn_deg(ANGLES);
    (0..ROWS).flat_map(|r| sinogram(121, COLS, &angles, truth(r))).collect()
}

fn kernel(s: &[f32], row: usize, params: Value) -> plexus_reconstruction::find_center::CenterEstimate {
    let p: FindCenterParams = serde_json::from_value(params).unwrap();
    let one = &s[row * ANGLES * COLS..(row + 1) * ANGLES * COLS];
    find_center(
        one,
        SinoShape::slice(ANGLES, COLS),
        &half_turn_deg(ANGLES),
        &p.method_params().unwrap().with_row(None),
        1,
    )
    .unwrap()
}

#[test]
fn publishes_the_kernels_centre_of_its_row_when_that_row_passes() {
    let s = stack_of_axes();
    for (params, row) in [
        (json!({}), 2),
        (json!({ "row": 4 }), 4),
        (json!({ "method": "sweep", "row": 1, "start": 60.0, "stop": 66.0 }), 1),
    ] {
        let want = kernel(&s, row, params.clone());
        assert!((want.center_col - truth(row)).abs() <= 0.25, "{params}: {} vs {}", want.center_col, truth(row));
        for k in [1, 3, 5] {
            let f = frames(&stack(s.clone(), [ROWS, ANGLES, COLS], "row angle col"), k, no_meta);
            let outs = run("find_center", params.clone(), &f);
            let holder =
                f.iter().position(|f| (f.key().offset..f.key().offset + f.key().length).contains(&(row as u64)));
            let holder = holder.unwrap();
            for (i, e) in outs[..k].iter().enumerate() {
                assert!(e.forwards_input() && e.frames().is_empty(), "{params}: frame {i} is forwarded");
                assert_eq!(e.results().contains_key("center_col"), i == holder, "{params}, {k} chunks: frame {i}");
            }
            let r = outs[k].results();
            assert_eq!(r["center_col"], want.center_col, "{params}, {k} chunks");
            assert_eq!(r["row"], row);
            assert_eq!(r["method"], params.get("method").cloned().unwrap_or(json!("vo")));
            assert_eq!(r["candidates"], json!(want.candidates));
            assert_eq!(r["metric"], json!(want.metric));
        }
    }
}

#[test]
fn a_stream_without_its_row_fails_at_the_end() {
    let s = stack_of_axes();
    let mut h = Harness::new(&plexus_reconstruction::PLUGIN, "find_center", json!({ "row": 9 })).unwrap();
    for f in frames(&stack(s, [ROWS, ANGLES, COLS], "row angle col"), 3, no_meta) {
        assert!(h.process(&f).unwrap().results().is_empty());
    }
    assert_eq!(
        h.finish().unwrap_err().to_string(),
        "parameter `row`: expected a row of the stream, which held 5 rows, got 9"
    );
    assert_eq!(
        build_error("find_center", json!({ "method": "correlation", "radius": 3.0 })),
        "parameter `radius`: expected left out with method `correlation`, got 3 (it is a parameter of vo)"
    );
}
