//! The `metrics` operator: PSNR and SSIM of an image against a reference,
//! as `skimage.metrics.peak_signal_noise_ratio` and
//! `skimage.metrics.structural_similarity` with their defaults.
//!
//! # Conventions (scikit-image's defaults)
//! - PSNR = `10·log10(R² / MSE)`, MSE in f64. `R = data_range`; when not
//!   given: for a reference without negative values the type's maximum
//!   (255 for u8, 1 for floats), else the type's full range (2 for floats).
//! - SSIM: a uniform `win_size`³ window (`win_size`² in 2-D), default 7,
//!   `K1 = 0.01`, `K2 = 0.03`, sample covariance (`N / (N - 1)`), the mean
//!   of the SSIM map over voxels whose window lies inside the image (the
//!   `(win_size - 1) / 2` border cropped, as scikit-image). `R` defaults to
//!   the integer type's range (255 for u8); float images need `data_range`,
//!   as scikit-image requires.
//! - A one-slice volume is a 2-D image.
//!
//! # Chunks
//! [`MetricsSum`] keeps squared errors and SSIM sums per slice, summed in
//! slice order at the end, so chunking does not change the result. SSIM
//! needs `(win_size - 1) / 2` halo slices on both sides of a chunk.
//!
//! # Operator
//! `quantify.metrics` scores the first array of each frame against the
//! second, as one volume streamed in z order: the host gives a stage two
//! arrays by listing two inputs (`inputs = ["denoised", "clean"]`: arrays
//! `in0`, the image scored, and `in1`, the reference). The operator keeps
//! the last `win_size − 1` slices of both so that each slice's SSIM window
//! is complete when it is summed (no host halo), forwards each frame, and
//! publishes at `finish` `psnr_db` (dB), `ssim`, `mse` (image units²),
//! `psnr_data_range` and `ssim_data_range` (image units). Both arrays must
//! have one shape and element type.
//!
//! # References
//! - Z. Wang, A. C. Bovik, H. R. Sheikh, E. P. Simoncelli, "Image quality
//!   assessment: from error visibility to structural similarity", *IEEE
//!   Trans. Image Processing* 13(4):600–612 (2004), doi:10.1109/TIP.2003.819861.

use std::collections::BTreeMap;
use std::ops::Range;

use plexus_kernels::chunk::{check_order, VolumeChunk};
use plexus_kernels::volume::sample::Sample;
use plexus_kernels::volume::Shape;
use plexus_plugin_api::{Array, Context, DType, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

use crate::error::{param, QuantifyError};

/// Parameters of `quantify.metrics`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsParams {
    /// The dynamic range `R` (see the module docs for the defaults).
    pub data_range: Option<f64>,
    /// SSIM window side, odd, at least 3 (default 7).
    pub win_size: usize,
    /// SSIM constant K1 (default 0.01).
    pub k1: f64,
    /// SSIM constant K2 (default 0.03).
    pub k2: f64,
}

impl Default for MetricsParams {
    fn default() -> Self {
        MetricsParams { data_range: None, win_size: 7, k1: 0.01, k2: 0.03 }
    }
}

impl Params for MetricsParams {
    const TABLE: &'static [Param] = &[
        Param::new("data_range", "dynamic range R in image units; default: PSNR the type's maximum (1 for floats) or full range for negative references, SSIM the integer type's range (required for floats, as scikit-image)").min(0.0),
        Param::new("win_size", "SSIM window side, odd, at least 3").min(3.0),
        Param::new("k1", "SSIM constant K1").min(0.0),
        Param::new("k2", "SSIM constant K2").min(0.0),
    ];
}

/// The result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Metrics {
    /// Peak signal-to-noise ratio, dB (+inf for identical images).
    pub psnr_db: f64,
    /// Mean structural similarity, dimensionless (1 = identical).
    pub ssim: f64,
    /// Mean squared error, image units².
    pub mse: f64,
    /// The `R` used for PSNR, image units.
    pub psnr_data_range: f64,
    /// The `R` used for SSIM, image units.
    pub ssim_data_range: f64,
}

/// Partial sums per slice, merged across chunks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricsSum {
    /// Squared error sum and voxel count per slice.
    sq: BTreeMap<usize, (f64, u64)>,
    /// SSIM-map sum and voxel count per slice.
    ssim: BTreeMap<usize, (f64, u64)>,
    /// The reference's minimum so far.
    true_min: f64,
    ranges: Option<(f64, f64)>,
}

impl MetricsSum {
    /// Adds a chunk: `reference` and `test` hold `shape.z` slices from
    /// volume slice `z_first`, of which the chunk owns `owned` (the rest is
    /// halo); the volume has `volume_z` slices.
    #[allow(clippy::too_many_arguments)]
    pub fn add<T: Sample>(
        &mut self,
        reference: &[T],
        test: &[T],
        shape: Shape,
        z_first: usize,
        owned: Range<usize>,
        volume_z: usize,
        params: &MetricsParams,
    ) -> Result<(), QuantifyError> {
        shape.check("reference", reference.len())?;
        shape.check("test", test.len())?;
        let w = params.win_size;
        if w < 3 || w.is_multiple_of(2) {
            return Err(param("win_size", "must be odd and at least 3", w));
        }
        let ssim_range = match params.data_range {
            Some(r) if r > 0.0 && r.is_finite() => r,
            Some(r) => return Err(param("data_range", "must be positive and finite", r)),
            None if T::INTEGER => T::RANGE.1 - T::RANGE.0,
            None => return Err(param("data_range", "is required for float images (as scikit-image)", "nothing")),
        };
        self.ranges = Some((ssim_range, params.data_range.unwrap_or(f64::NAN)));
        let pad = (w - 1) / 2;
        let planar = volume_z == 1;
        let zpad = if planar { 0 } else { pad };
        let half_z = if planar { 0 } else { pad };
        let slice = shape.slice_len();
        let (ny, nx) = (shape.y, shape.x);
        if ny < w || nx < w || (!planar && volume_z < w) {
            return Err(param("win_size", "must not exceed the image's sides", w));
        }
        if self.sq.is_empty() && self.ssim.is_empty() {
            self.true_min = f64::INFINITY;
        }
        for z in owned.clone() {
            let k = z - z_first;
            let (r, t) = (&reference[k * slice..(k + 1) * slice], &test[k * slice..(k + 1) * slice]);
            let mut s = 0.0;
            for (a, b) in r.iter().zip(t) {
                let d = a.to_f64() - b.to_f64();
                s += d * d;
                self.true_min = self.true_min.min(a.to_f64());
            }
            self.sq.insert(z, (s, slice as u64));
        }
        // SSIM centres: slices whose window lies inside the volume and the chunk.
        let lo = owned.start.max(zpad);
        let hi = owned.end.min(volume_z - zpad);
        if lo >= hi {
            return Ok(());
        }
        if lo < z_first + half_z || hi + half_z > z_first + shape.z {
            return Err(QuantifyError::Halo { what: "metrics", need: pad, z_first, z_owned: owned.start });
        }
        let wz = if planar { 1 } else { w };
        let np = (wz * w * w) as f64;
        let cov = np / (np - 1.0);
        let c1 = (params.k1 * ssim_range).powi(2);
        let c2 = (params.k2 * ssim_range).powi(2);
        let f = |v: &[T]| -> Vec<f64> { v.iter().map(|x| x.to_f64()).collect() };
        let (x, y) = (f(reference), f(test));
        let fields: [Vec<f64>; 5] = [
            x.clone(),
            y.clone(),
            x.iter().map(|a| a * a).collect(),
            y.iter().map(|a| a * a).collect(),
            x.iter().zip(&y).map(|(a, b)| a * b).collect(),
        ];
        let (oy, ox) = (ny - w + 1, nx - w + 1);
        for z in lo..hi {
            let zc = z - z_first;
            let zs = zc - half_z..zc + half_z + 1;
            let sums: Vec<Vec<f64>> = fields.iter().map(|fld| box_sums(fld, shape, zs.clone(), w)).collect();
            let ssim_at = |i: usize| {
                let [ux, uy, uxx, uyy, uxy] = [0, 1, 2, 3, 4].map(|k| sums[k][i] / np);
                let vx = cov * (uxx - ux * ux);
                let vy = cov * (uyy - uy * uy);
                let vxy = cov * (uxy - ux * uy);
                let (a1, a2) = (2.0 * ux * uy + c1, 2.0 * vxy + c2);
                let (b1, b2) = (ux * ux + uy * uy + c1, vx + vy + c2);
                (a1 * a2) / (b1 * b2)
            };
            let total: f64 = (0..oy * ox).map(ssim_at).sum();
            self.ssim.insert(z, (total, (oy * ox) as u64));
        }
        Ok(())
    }

    /// Merges another chunk's sums.
    pub fn merge(&mut self, o: MetricsSum) {
        self.true_min = if self.sq.is_empty() { o.true_min } else { self.true_min.min(o.true_min) };
        self.sq.extend(o.sq);
        self.ssim.extend(o.ssim);
        self.ranges = self.ranges.or(o.ranges);
    }

    /// PSNR and SSIM for images of type `T`.
    pub fn finish<T: Sample>(&self, params: &MetricsParams) -> Metrics {
        let (s, n) = self.sq.values().fold((0.0, 0u64), |(a, b), (c, d)| (a + c, b + d));
        let mse = s / n as f64;
        let psnr_range =
            params.data_range.unwrap_or(if self.true_min >= 0.0 { T::RANGE.1 } else { T::RANGE.1 - T::RANGE.0 });
        let (ss, sn) = self.ssim.values().fold((0.0, 0u64), |(a, b), (c, d)| (a + c, b + d));
        Metrics {
            psnr_db: 10.0 * (psnr_range * psnr_range / mse).log10(),
            ssim: ss / sn as f64,
            mse,
            psnr_data_range: psnr_range,
            ssim_data_range: self.ranges.map_or(f64::NAN, |r| r.0),
        }
    }
}

/// Window sums over slices `zs` (all of them) and `w × w` in-plane, for
/// every in-plane window inside the slice: `(ny - w + 1) × (nx - w + 1)`.
fn box_sums(f: &[f64], shape: Shape, zs: Range<usize>, w: usize) -> Vec<f64> {
    let (ny, nx) = (shape.y, shape.x);
    let slice = shape.slice_len();
    let mut plane = vec![0.0; slice];
    for z in zs {
        for (p, v) in plane.iter_mut().zip(&f[z * slice..(z + 1) * slice]) {
            *p += v;
        }
    }
    let ox = nx - w + 1;
    let mut rows = vec![0.0; ny * ox];
    for y in 0..ny {
        let r = &plane[y * nx..(y + 1) * nx];
        for x in 0..ox {
            rows[y * ox + x] = r[x..x + w].iter().sum();
        }
    }
    let oy = ny - w + 1;
    let mut out = vec![0.0; oy * ox];
    for y in 0..oy {
        for x in 0..ox {
            out[y * ox + x] = (0..w).map(|k| rows[(y + k) * ox + x]).sum();
        }
    }
    out
}

/// PSNR and SSIM of a whole image against its reference.
pub fn metrics<T: Sample>(
    reference: &[T],
    test: &[T],
    shape: Shape,
    params: &MetricsParams,
) -> Result<Metrics, QuantifyError> {
    let mut m = MetricsSum::default();
    m.add(reference, test, shape, 0, 0..shape.z, shape.z, params)?;
    Ok(m.finish::<T>(params))
}

/// The `metrics` operator (see the module docs).
#[derive(Debug)]
pub struct MetricsOp {
    params: MetricsParams,
    sum: MetricsSum,
    /// The last slices of (test, reference) not yet scored by SSIM, from
    /// volume slice `tail_z`, and the element type.
    tail: Option<(Array, Array, usize)>,
    dtype: Option<DType>,
    /// The next slice expected and the first whose squared error and SSIM
    /// are still to be summed.
    next: usize,
    pending: usize,
    volume_z: usize,
    frames: u64,
}

impl MetricsOp {
    /// Checks the parameters and builds the operator.
    pub fn new(params: MetricsParams, _ctx: &Context) -> Result<MetricsOp, PluginError> {
        let w = params.win_size;
        if w < 3 || w.is_multiple_of(2) {
            return Err(PluginError::bad_parameter("win_size", "an odd number, at least 3", w.to_string()));
        }
        if let Some(r) = params.data_range.filter(|r| !(r.is_finite() && *r > 0.0)) {
            return Err(PluginError::bad_parameter("data_range", "a positive finite number", r.to_string()));
        }
        Ok(MetricsOp {
            params,
            sum: MetricsSum::default(),
            tail: None,
            dtype: None,
            next: 0,
            pending: 0,
            volume_z: 0,
            frames: 0,
        })
    }

    /// `tail` and the owned slices of chunk `c` joined along z.
    fn joined(tail: Option<&Array>, c: &VolumeChunk<'_>) -> Result<Array, PluginError> {
        let row = c.shape.slice_len() * c.view.dtype().size();
        let owned = c.owned();
        let mine = &c.view.as_bytes()[(owned.start - c.z_first) * row..(owned.end - c.z_first) * row];
        let mut bytes = tail.map(|t| t.as_bytes().to_vec()).unwrap_or_default();
        bytes.extend_from_slice(mine);
        let z = bytes.len() / row.max(1);
        Array::from_bytes(c.view.dtype(), vec![z, c.shape.y, c.shape.x], &bytes).map_err(PluginError::from)
    }
}

impl Operator for MetricsOp {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        out.forward();
        if input.len() != 2 {
            return Err(PluginError::bad_input(
                "",
                "two arrays: the image scored and its reference (list two `inputs` for the stage)",
                format!("{} array(s)", input.len()),
            ));
        }
        let mut arrays = input.arrays();
        let (tn, tv) = arrays.next().expect("two arrays");
        let (rn, rv) = arrays.next().expect("two arrays");
        let test = VolumeChunk::from_view(input, tn, tv)?;
        let reference = VolumeChunk::from_view(input, rn, rv)?;
        if (tv.shape(), tv.dtype()) != (rv.shape(), rv.dtype()) {
            return Err(PluginError::bad_input(
                rn,
                format!("the shape {:?} and type `{}` of `{tn}`", tv.shape(), tv.dtype()),
                format!("{:?} of `{}`", rv.shape(), rv.dtype()),
            ));
        }
        if *self.dtype.get_or_insert(tv.dtype()) != tv.dtype() {
            return Err(PluginError::bad_input(
                tn,
                format!("elements of `{}`, as earlier frames", self.dtype.unwrap()),
                format!("`{}`", tv.dtype()),
            ));
        }
        let first = check_order(&test, self.next)?;
        if first && self.frames > 0 {
            return Err(PluginError::bad_input(tn, "one image or volume per stream", "a second one"));
        }
        self.frames += 1;
        let owned = test.owned();
        let (t_tail, r_tail, tail_z) = match self.tail.take() {
            Some((t, r, z)) if !first => (Some(t), Some(r), z),
            _ => (None, None, owned.start),
        };
        let t = MetricsOp::joined(t_tail.as_ref(), &test)?;
        let r = MetricsOp::joined(r_tail.as_ref(), &reference)?;
        let volume_z = test.volume_z;
        self.volume_z = volume_z;
        self.next = owned.end;
        // SSIM centres need (win − 1)/2 slices after them: score up to there,
        // or to the end of the volume.
        let pad = if volume_z == 1 { 0 } else { (self.params.win_size - 1) / 2 };
        let end = if owned.end == volume_z { volume_z } else { owned.end.saturating_sub(pad).max(self.pending) };
        let shape = Shape::new(t.shape()[0], test.shape.y, test.shape.x);
        let (p, score) = (&self.params, self.pending..end);
        match t.dtype() {
            DType::U8 => self.sum.add(r.as_slice::<u8>()?, t.as_slice::<u8>()?, shape, tail_z, score, volume_z, p)?,
            DType::U16 => {
                self.sum.add(r.as_slice::<u16>()?, t.as_slice::<u16>()?, shape, tail_z, score, volume_z, p)?
            }
            DType::U32 => {
                self.sum.add(r.as_slice::<u32>()?, t.as_slice::<u32>()?, shape, tail_z, score, volume_z, p)?
            }
            DType::I16 => {
                self.sum.add(r.as_slice::<i16>()?, t.as_slice::<i16>()?, shape, tail_z, score, volume_z, p)?
            }
            DType::I32 => {
                self.sum.add(r.as_slice::<i32>()?, t.as_slice::<i32>()?, shape, tail_z, score, volume_z, p)?
            }
            DType::F32 => {
                self.sum.add(r.as_slice::<f32>()?, t.as_slice::<f32>()?, shape, tail_z, score, volume_z, p)?
            }
            DType::F64 => {
                self.sum.add(r.as_slice::<f64>()?, t.as_slice::<f64>()?, shape, tail_z, score, volume_z, p)?
            }
        }
        self.pending = end;
        // Keep what the next chunk's SSIM windows reach back to.
        let keep_from = end.saturating_sub(pad).max(tail_z);
        if owned.end < volume_z {
            let rows = |a: &Array| -> Result<Array, PluginError> {
                let row = a.as_bytes().len() / a.shape()[0].max(1);
                let from = keep_from - tail_z;
                Array::from_bytes(
                    a.dtype(),
                    vec![a.shape()[0] - from, a.shape()[1], a.shape()[2]],
                    &a.as_bytes()[from * row..],
                )
                .map_err(PluginError::from)
            };
            self.tail = Some((rows(&t)?, rows(&r)?, keep_from));
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter) -> Result<(), PluginError> {
        if self.frames == 0 || self.next != self.volume_z {
            return Err(PluginError::bad_input(
                "",
                format!("frames covering the volume's {} slices", self.volume_z),
                format!("a stream that ended at slice {}", self.next),
            ));
        }
        let p = &self.params;
        let m = match self.dtype.unwrap_or(DType::F64) {
            DType::U8 => self.sum.finish::<u8>(p),
            DType::U16 => self.sum.finish::<u16>(p),
            DType::U32 => self.sum.finish::<u32>(p),
            DType::I16 => self.sum.finish::<i16>(p),
            DType::I32 => self.sum.finish::<i32>(p),
            DType::F32 => self.sum.finish::<f32>(p),
            DType::F64 => self.sum.finish::<f64>(p),
        };
        out.result("psnr_db", m.psnr_db);
        out.result("ssim", m.ssim);
        out.result("mse", m.mse);
        out.result("psnr_data_range", m.psnr_data_range);
        out.result("ssim_data_range", m.ssim_data_range);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_images_score_perfectly() {
        let img: Vec<u8> = (0..100u32).map(|i| (i * 37 % 251) as u8).collect();
        let m = metrics(&img, &img, Shape::plane(10, 10), &MetricsParams::default()).unwrap();
        assert_eq!(m.psnr_db, f64::INFINITY);
        assert!((m.ssim - 1.0).abs() < 1e-12);
        let f: Vec<f32> = img.iter().map(|&v| v as f32).collect();
        let e = metrics(&f, &f, Shape::plane(10, 10), &MetricsParams::default()).unwrap_err();
        assert_eq!(e.to_string(), "`data_range` is required for float images (as scikit-image), got nothing");
    }
}
