//! The plugin's operators driven through the same ABI adapter the host
//! calls (`plexus_plugin_api::compliance`): each against its kernel on the
//! same data (the kernels are checked against their peers in `recon`), on
//! frames cut into 1, 3 and 7 chunks, with the messages of its errors.

#![allow(dead_code)]

mod center;
mod chain;

mod iterative;
mod manifest;
mod projections;
mod sinograms;

use plexus_plugin_api::compliance::{check_operator, Harness};
use plexus_plugin_api::{Array, Frame, Output};
use serde_json::{json, Value};

/// Runs the compliance check of operator `op` (manifest tables,
/// determinism, snapshot/restore halfway) and returns each call's output,
/// `finish`'s last.
pub fn run(op: &str, params: Value, frames: &[Frame]) -> Vec<Output> {
    check_operator(&plexus_reconstruction::PLUGIN, op, params, frames).unwrap_or_else(|e| panic!("{e}"))
}

/// The message of the error building operator `op` from `params` gives.
pub fn build_error(op: &str, params: Value) -> String {
    match Harness::new(&plexus_reconstruction::PLUGIN, op, params) {
        Ok(_) => panic!("`{op}` accepted its parameters"),
        Err(e) => e.to_string(),
    }
}

/// The message of the error the first frame of `frames` gives `op`.
pub fn frame_error(op: &str, params: Value, frames: &[Frame]) -> String {
    let mut h = Harness::new(&plexus_reconstruction::PLUGIN, op, params).unwrap();
    for f in frames {
        if let Err(e) = h.process(f) {
            return e.to_string();
        }
    }
    panic!("`{op}` accepted every frame")
}

/// An f32 stack `dims` labelled `axes`.
pub fn stack(data: Vec<f32>, dims: [usize; 3], axes: &str) -> Array {
    Array::from_vec(dims.to_vec(), data).unwrap().with_axes(axes).unwrap()
}

/// `a` cut into `k` frames along axis 0 (array `data`), each with its
/// chunk key and the metadata `meta(offset, length)` returns.
pub fn frames(a: &Array, k: usize, meta: impl Fn(usize, usize) -> Value) -> Vec<Frame> {
    plexus_testkit::chunks(a, k)
        .into_iter()
        .map(|f| {
            let key = f.key();
            let mut out = Frame::new(f.dataset(), key).with_array("data", f.first().unwrap().clone());
            if let Value::Object(m) = meta(key.offset as usize, key.length as usize) {
                for (name, v) in m {
                    out = out.with_meta(name, v);
                }
            }
            out
        })
        .collect()
}

/// No metadata.
pub fn no_meta(_: usize, _: usize) -> Value {
    json!({})
}

/// Every emitted frame's array `data`, in order, concatenated.
pub fn emitted(outs: &[Output]) -> Vec<f32> {
    outs.iter()
        .flat_map(|e| e.frames())
        .flat_map(|f| f.array("data").unwrap().as_slice::<f32>().unwrap().to_vec())
        .collect()
}

/// The first emitted frame.
pub fn first_frame(outs: &[Output]) -> &Frame {
    outs.iter().flat_map(|e| e.frames()).next().expect("a frame was emitted")
}
