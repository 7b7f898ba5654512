//! `minus_log`: transmission to line integrals, `−ln(max(T, floor))`.
//!
//! # Parameters ([`MinusLogParams`])
//!
//! `floor` (default `1e-6`, must be > 0): values below it — zero and
//! negative transmissions from noise or a dark-field excess — are raised to
//! it first, so the output is at most `−ln(floor) ≈ 13.8` and never
//! infinite. NaN stays NaN (as `numpy.maximum` propagates it).
//!
//! # Input and output
//!
//! Any f32 array, element by element (so any chunking is the same);
//! output f32, same shape: with projections normalised to transmission,
//! line integrals `∫μ dl` in the unit of the detector pixel.

use serde::Deserialize;

use crate::error::{ReconError, Result};
use crate::parallel::for_each_block;

/// Parameters of `minus_log`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MinusLogParams {
    /// The smallest transmission taken at face value.
    pub floor: f32,
}

impl Default for MinusLogParams {
    fn default() -> Self {
        MinusLogParams { floor: 1e-6 }
    }
}

/// `−ln(max(v, floor))` for every value, in place.
pub fn minus_log_in_place(data: &mut [f32], params: &MinusLogParams, threads: usize) -> Result<()> {
    let floor = params.floor;
    if !(floor > 0.0 && floor.is_finite()) {
        return Err(ReconError::param("floor", "a finite number > 0", floor));
    }
    for_each_block(data, 1 << 16, threads, |_, block| {
        for v in block.iter_mut() {
            // `v < floor` is false for NaN, which passes through.
            *v = -(if *v < floor { floor } else { *v }).ln();
        }
    });
    Ok(())
}

/// `−ln(max(v, floor))` of every value.
pub fn minus_log(data: &[f32], params: &MinusLogParams, threads: usize) -> Result<Vec<f32>> {
    let mut out = data.to_vec();
    minus_log_in_place(&mut out, params, threads)?;
    Ok(out)
}
