//! `normalize`: flat- and dark-field correction of raw projections,
//! `(raw − dark) / (flat − dark)`, to transmission in f32.
//!
//! # Parameters ([`NormalizeParams`])
//!
//! - `average` (`mean` | `median`, default `mean`): how the flat frames and
//!   the dark frames are each reduced to one image (`numpy.mean` /
//!   `numpy.median` over the frame axis; an even count's median is the
//!   mean of the two middle values).
//! - `invalid` (`one` | `zero` | `nan`, default `one`): the output where
//!   `flat − dark ≤ 0` (a dead or saturated detector pixel): `one` reads as
//!   full transmission, so `minus_log` gives 0 attenuation there.
//! - `cutoff` (optional): values above it are set to it (TomoPy's
//!   `normalize(cutoff=…)`).
//!
//! # Input and output
//!
//! Raw projections `(angle, row, col)` (any count; each projection is
//! corrected alone, so chunks along `angle` give the same result), flats
//! `(flats, row, col)` (at least one), darks `(darks, row, col)` (none
//! means a zero dark), all as f32 counts: dxchange's `/exchange/data`,
//! `/exchange/data_white`, `/exchange/data_dark`. Output: f32, the shape
//! of `raw`.
//!
//! # References
//!
//! - D. Gürsoy, F. De Carlo, X. Xiao and C. Jacobsen, "TomoPy: a framework
//!   for the analysis of synchrotron tomographic data," *J. Synchrotron
//!   Rad.*, vol. 21, pp. 1188–1193, 2014. DOI: 10.1107/S1600577514013939
//!   (`tomopy.prep.normalize.normalize`).

use serde::Deserialize;

use crate::error::{ReconError, Result};
use crate::median::median_of;
use crate::parallel::for_each_block;

/// How a stack of flat (or dark) frames becomes one image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Average {
    /// The mean per pixel.
    #[default]
    Mean,
    /// The median per pixel (robust to a zinger in one flat).
    Median,
}

/// The output where `flat − dark ≤ 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Invalid {
    /// 1: full transmission (0 after `minus_log`).
    #[default]
    One,
    /// 0: no transmission (the `minus_log` floor).
    Zero,
    /// NaN: marked for a later stage.
    Nan,
}

/// Parameters of `normalize`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NormalizeParams {
    /// Reduction of the flat and dark stacks.
    pub average: Average,
    /// Output where `flat − dark ≤ 0`.
    pub invalid: Invalid,
    /// Upper clip of the output.
    pub cutoff: Option<f32>,
}

/// The reduced flat and dark fields of one detector, ready to apply.
#[derive(Debug, Clone)]
pub struct FlatField {
    pixels: usize,
    dark: Vec<f32>,
    /// `1/(flat − dark)`, or NaN where `flat − dark ≤ 0`.
    gain: Vec<f32>,
    invalid: f32,
    cutoff: Option<f32>,
}

fn reduce(stack: &[f32], frames: usize, pixels: usize, average: Average) -> Vec<f32> {
    let mut column = vec![0.0f32; frames];
    (0..pixels)
        .map(|p| {
            for (f, v) in column.iter_mut().enumerate() {
                *v = stack[f * pixels + p];
            }
            match average {
                Average::Mean => (column.iter().map(|&v| v as f64).sum::<f64>() / frames as f64) as f32,
                Average::Median if frames % 2 == 1 => median_of(&mut column),
                Average::Median => {
                    column.sort_by(|a, b| a.total_cmp(b));
                    ((column[frames / 2 - 1] as f64 + column[frames / 2] as f64) / 2.0) as f32
                }
            }
        })
        .collect()
}

impl FlatField {
    /// Reduces `flats` (`frames × pixels`) and `darks` (`frames × pixels`,
    /// possibly empty) for a detector of `pixels = rows · cols`.
    pub fn new(flats: &[f32], darks: &[f32], pixels: usize, params: &NormalizeParams) -> Result<FlatField> {
        if pixels == 0 {
            return Err(ReconError::Empty { what: "detector" });
        }
        if flats.is_empty() {
            return Err(ReconError::Empty { what: "flats" });
        }
        let frames = |what: &'static str, v: &[f32]| {
            if !v.len().is_multiple_of(pixels) {
                return Err(ReconError::Shape {
                    what,
                    len: v.len(),
                    expected: v.len().div_ceil(pixels) * pixels,
                    shape: vec![v.len().div_ceil(pixels), pixels],
                });
            }
            Ok(v.len() / pixels)
        };
        let (nf, nd) = (frames("flats", flats)?, frames("darks", darks)?);
        if let Some(c) = params.cutoff {
            if !c.is_finite() {
                return Err(ReconError::param("cutoff", "a finite number", c));
            }
        }
        let flat = reduce(flats, nf, pixels, params.average);
        let dark = if nd == 0 { vec![0.0; pixels] } else { reduce(darks, nd, pixels, params.average) };
        let gain = flat.iter().zip(&dark).map(|(f, d)| if f - d > 0.0 { 1.0 / (f - d) } else { f32::NAN }).collect();
        let invalid = match params.invalid {
            Invalid::One => 1.0,
            Invalid::Zero => 0.0,
            Invalid::Nan => f32::NAN,
        };
        Ok(FlatField { pixels, dark, gain, invalid, cutoff: params.cutoff })
    }

    /// Corrects one projection (`pixels` values) into `out`.
    pub fn apply_one(&self, raw: &[f32], out: &mut [f32]) {
        for (((o, r), d), g) in out.iter_mut().zip(raw).zip(&self.dark).zip(&self.gain) {
            let v = if g.is_nan() { self.invalid } else { (r - d) * g };
            *o = match self.cutoff {
                Some(c) if v > c => c,
                _ => v,
            };
        }
    }

    /// Corrects a stack of projections (`k × pixels`) into `out`.
    pub fn apply(&self, raw: &[f32], out: &mut [f32], threads: usize) -> Result<()> {
        if !raw.len().is_multiple_of(self.pixels) {
            let k = raw.len().div_ceil(self.pixels);
            return Err(ReconError::Shape {
                what: "projections",
                len: raw.len(),
                expected: k * self.pixels,
                shape: vec![k, self.pixels],
            });
        }
        ReconError::check_len("output", out.len(), &[raw.len()])?;
        let p = self.pixels;
        for_each_block(out, p, threads, |i, o| self.apply_one(&raw[i * p..(i + 1) * p], o));
        Ok(())
    }
}

/// `(raw − dark)/(flat − dark)` for projections `raw` (`k × rows · cols`).
pub fn normalize(
    raw: &[f32],
    flats: &[f32],
    darks: &[f32],
    pixels: usize,
    params: &NormalizeParams,
    threads: usize,
) -> Result<Vec<f32>> {
    let ff = FlatField::new(flats, darks, pixels, params)?;
    let mut out = vec![0.0; raw.len()];
    ff.apply(raw, &mut out, threads)?;
    Ok(out)
}
