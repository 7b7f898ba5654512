//! A harness that drives an operator through the real ABI adapter in-process,
//! and a compliance check every built-in plugin's tests call.

use abi_stable::std_types::{ROption, RResult};
use serde_json::Value;

use crate::abi::export::{guard, into_ffi_operator, NewOperator};
use crate::abi::native::{lend, output_from_ffi, FfiError, FfiOperatorBox};
use crate::error::PluginError;
use crate::frame::Frame;
use crate::operator::{Emitter, Params};

fn from_ffi<T>(r: RResult<T, FfiError>) -> Result<T, PluginError> {
    r.into_result().map_err(PluginError::from)
}

/// One operator instance behind the same vtable the host calls.
pub struct Harness {
    op: FfiOperatorBox,
    seq: u64,
}

impl Harness {
    /// Builds operator `name` with `params` (a JSON object) and one thread.
    pub fn new(new: NewOperator, name: &str, params: Value) -> Result<Harness, PluginError> {
        let values = match params {
            Value::Object(m) => m,
            Value::Null => Default::default(),
            _ => return Err(PluginError::failed("parameters must be a JSON object")),
        };
        let op = guard(|| new(name, &Params::new(values, 1)))?;
        Ok(Harness { op: into_ffi_operator(op), seq: 0 })
    }

    /// Feeds the next frame of the stream.
    pub fn process(&mut self, frame: &Frame) -> Result<Emitter, PluginError> {
        let seq = self.seq;
        self.seq += 1;
        let out = lend(frame, seq, |raw| self.op.process(raw));
        output_from_ffi(from_ffi(out)?)
    }

    /// Ends the stream.
    pub fn finish(&mut self) -> Result<Emitter, PluginError> {
        output_from_ffi(from_ffi(self.op.finish())?)
    }

    /// The operator's state, if it offers one.
    pub fn snapshot(&self) -> Result<Option<Vec<u8>>, PluginError> {
        Ok(match from_ffi(self.op.snapshot())? {
            ROption::RSome(v) => Some(v.into_vec()),
            ROption::RNone => None,
        })
    }

    /// Hands state from a snapshot to this instance.
    pub fn restore(&mut self, state: &[u8]) -> Result<(), PluginError> {
        from_ffi(self.op.restore(state.into()))
    }
}

/// Everything observable about one call, for comparing runs byte for byte.
fn fingerprint(e: &Emitter) -> Vec<u8> {
    let mut out = Vec::new();
    for f in e.frames() {
        out.extend_from_slice(format!("{}|{:?}|{}|", f.dataset(), f.key(), f.meta_json()).as_bytes());
        for (name, a) in f.arrays() {
            out.extend_from_slice(format!("{name}:{}:{:?}:{}|", a.dtype(), a.shape(), a.axes()).as_bytes());
            out.extend_from_slice(a.as_bytes());
        }
    }
    out.extend_from_slice(Value::Object(e.results().clone()).to_string().as_bytes());
    out.extend_from_slice(format!("{:?}{}{}", e.events(), e.is_end_of_stream(), e.forwards_input()).as_bytes());
    out
}

/// Runs `frames` through operator `name` and checks what every operator must
/// honour:
///
/// - no panic escapes, and every output decodes (arrays match their shape);
/// - two fresh instances give byte-identical outputs (determinism);
/// - if the operator offers `snapshot`, a fresh instance restored from a
///   snapshot taken halfway continues exactly as the original did.
///
/// Returns the outputs of each `process` call followed by that of `finish`,
/// for the plugin's own numeric assertions.
pub fn check_operator(new: NewOperator, name: &str, params: Value, frames: &[Frame]) -> Result<Vec<Emitter>, String> {
    let run = |restore_at: Option<usize>| -> Result<Vec<Emitter>, String> {
        let mut h = Harness::new(new, name, params.clone()).map_err(|e| format!("`{name}`: new: {e}"))?;
        let mut outs = Vec::new();
        for (i, f) in frames.iter().enumerate() {
            if restore_at == Some(i) {
                if let Some(state) = h.snapshot().map_err(|e| format!("`{name}`: snapshot: {e}"))? {
                    let mut fresh =
                        Harness::new(new, name, params.clone()).map_err(|e| format!("`{name}`: new: {e}"))?;
                    fresh.restore(&state).map_err(|e| format!("`{name}`: restore: {e}"))?;
                    fresh.seq = h.seq;
                    h = fresh;
                }
            }
            outs.push(h.process(f).map_err(|e| format!("`{name}`: frame {i}: {e}"))?);
        }
        outs.push(h.finish().map_err(|e| format!("`{name}`: finish: {e}"))?);
        Ok(outs)
    };
    let first = run(None)?;
    let prints: Vec<Vec<u8>> = first.iter().map(fingerprint).collect();
    let second: Vec<Vec<u8>> = run(None)?.iter().map(fingerprint).collect();
    if prints != second {
        return Err(format!("`{name}`: two fresh instances gave different outputs"));
    }
    if frames.len() >= 2 {
        let resumed: Vec<Vec<u8>> = run(Some(frames.len() / 2))?.iter().map(fingerprint).collect();
        if prints != resumed {
            return Err(format!("`{name}`: an instance restored from a snapshot diverged from the original"));
        }
    }
    Ok(first)
}
