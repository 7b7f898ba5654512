//! The `convolve` and `correlate` operators: any 2-D kernel, or one of the
//! built-in filters, with scipy's boundary modes.
//!
//! Output types: f32 images give f32 (computed in f32), f64 images give f64;
//! integer images with an integer kernel give exact i32 when the dtype's range
//! (and `cval`) times `Σ|k|` fits in i32, exact f64 otherwise (computed in f64, exact while
//! every partial sum stays below 2^53); integer images with a non-integer
//! kernel (or a fractional `cval`) give f32.

use plexus_plugin_api::{ArrayView, Context, DType, Emitter, Frame, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

use crate::filter::{correlate2d, Anchor, Kernel, Path, Sample};
use crate::image::{array_like, as_cow, dtype_max_abs, plane, put_plane, Planes};
use crate::options::{Mode, MODE_DOC};

/// Parameters of `convolve` and `correlate` (one struct, two operators).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConvolveParams {
    /// A built-in kernel, or `custom` for `kernel`.
    pub filter: Filter,
    /// Row-major weights when `filter` is `custom`.
    pub kernel: Vec<f64>,
    /// `[rows, cols]` of `kernel`; may be left empty for a square kernel.
    pub kernel_shape: Vec<usize>,
    /// Derivative axis of the `sobel` filter.
    pub axis: SobelAxis,
    /// How the image is extended past its edges.
    pub mode: Mode,
    /// The value outside the image when `mode` is `constant`.
    pub cval: f64,
    /// Whether to use the two 1-D passes of a rank-1 kernel.
    pub separable: Separable,
}

impl Params for ConvolveParams {
    const TABLE: &'static [Param] = &[
        Param::new(
            "filter",
            "built-in kernel: identity5 (5x5 identity), dx/dy ([0.5, 0, -0.5] along x/y), sobel ([1,2,1]^T x [1,0,-1], see axis), gaussian5 (binomial [1,4,6,4,1]/16 outer product); custom: use kernel",
        ),
        Param::new("kernel", "row-major weights when filter = custom"),
        Param::new("kernel_shape", "[rows, cols] of kernel; may be left out for a square kernel").min(1.0),
        Param::new("axis", "derivative axis of the sobel filter"),
        Param::new("mode", MODE_DOC),
        Param::new("cval", "value outside the image when mode = constant"),
        Param::new(
            "separable",
            "auto: two 1-D passes when the kernel factors exactly (rank 1); on: require it; off: always the general path",
        ),
    ];
}

/// The derivative axis of the Sobel filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SobelAxis {
    /// d/dx (along columns).
    #[default]
    X,
    /// d/dy (along rows).
    Y,
}

/// Whether a rank-1 kernel is applied as two 1-D passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Separable {
    /// Two passes when the kernel factors exactly.
    #[default]
    Auto,
    /// Require a rank-1 kernel.
    On,
    /// Always the general path.
    Off,
}

/// The built-in kernels (`filter` parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Filter {
    /// The `kernel` / `kernel_shape` parameters.
    #[default]
    Custom,
    /// 5×5, 1 at the centre.
    Identity5,
    /// 1×3 `[0.5, 0, -0.5]` along x: under `convolve` the central difference
    /// `(f[x+1] - f[x-1]) / 2`; under `correlate` its negative.
    Dx,
    /// 3×1 `[0.5, 0, -0.5]` along y.
    Dy,
    /// 3×3 Sobel: `[1, 2, 1]ᵀ ⊗ [1, 0, -1]` for `axis = x`, the transpose for
    /// `y` (unnormalised; the derivative sign as for `dx`).
    Sobel,
    /// 5×5 binomial Gaussian `b ⊗ b`, `b = [1, 4, 6, 4, 1] / 16` (weights are
    /// exact binary fractions; variance 1 per axis).
    Gaussian5,
}

impl Filter {
    /// The kernel of a built-in filter (`None` for `Custom`); `along_y`
    /// selects the Sobel derivative axis.
    pub fn kernel(self, along_y: bool) -> Option<Kernel> {
        let b = [1.0 / 16.0, 4.0 / 16.0, 6.0 / 16.0, 4.0 / 16.0, 1.0 / 16.0];
        Some(match self {
            Filter::Custom => return None,
            Filter::Identity5 => {
                let mut w = vec![0.0; 25];
                w[12] = 1.0;
                Kernel::new(5, 5, w)
            }
            Filter::Dx => Kernel::new(1, 3, vec![0.5, 0.0, -0.5]),
            Filter::Dy => Kernel::new(3, 1, vec![0.5, 0.0, -0.5]),
            Filter::Sobel if along_y => Kernel::outer(&[1.0, 0.0, -1.0], &[1.0, 2.0, 1.0]),
            Filter::Sobel => Kernel::outer(&[1.0, 2.0, 1.0], &[1.0, 0.0, -1.0]),
            Filter::Gaussian5 => Kernel::outer(&b, &b),
        })
    }
}

/// Whether the kernel is applied flipped (convolution) or as is (correlation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `scipy.ndimage.convolve`.
    Convolve,
    /// `scipy.ndimage.correlate`, `cv2.filter2D`.
    Correlate,
}

/// The configured filter, shared by both operators.
#[derive(Debug, Clone)]
pub struct ConvolveOp {
    flavor: Flavor,
    kernel: Kernel,
    mode: Mode,
    cval: f64,
    path: Path,
    threads: usize,
}

impl ConvolveOp {
    /// `convolve` from its parameters.
    pub fn convolve(p: ConvolveParams, ctx: &Context) -> Result<ConvolveOp, PluginError> {
        ConvolveOp::new(Flavor::Convolve, p, ctx)
    }

    /// `correlate` from its parameters.
    pub fn correlate(p: ConvolveParams, ctx: &Context) -> Result<ConvolveOp, PluginError> {
        ConvolveOp::new(Flavor::Correlate, p, ctx)
    }

    /// Builds the filter from its parameters.
    pub fn new(flavor: Flavor, p: ConvolveParams, ctx: &Context) -> Result<ConvolveOp, PluginError> {
        let kernel = match p.filter.kernel(p.axis == SobelAxis::Y) {
            Some(k) => k,
            None => custom_kernel(&p.kernel, &p.kernel_shape)?,
        };
        let path = match p.separable {
            Separable::Auto => Path::Auto,
            Separable::On => Path::Separable,
            Separable::Off => Path::General,
        };
        if !p.cval.is_finite() {
            return Err(PluginError::bad_parameter("cval", "a finite number", p.cval.to_string()));
        }
        if path == Path::Separable && kernel.factor().is_none() {
            return Err(PluginError::bad_parameter(
                "separable",
                "`auto` or `off` for a kernel that is not rank 1",
                "`on`",
            ));
        }
        Ok(ConvolveOp { flavor, kernel, mode: p.mode, cval: p.cval, path, threads: ctx.threads() })
    }

    /// The kernel and anchor actually correlated with the image.
    pub fn effective(&self) -> (Kernel, Anchor) {
        let (kh, kw) = (self.kernel.kh, self.kernel.kw);
        match self.flavor {
            Flavor::Correlate => (self.kernel.clone(), Anchor::correlate(kh, kw)),
            Flavor::Convolve => (self.kernel.flipped(), Anchor::convolve(kh, kw)),
        }
    }

    fn run<T: Sample + plexus_plugin_api::Element>(
        &self,
        view: &ArrayView<'_>,
        layout: Planes,
    ) -> Result<Vec<T>, PluginError> {
        let data = as_cow::<T>(view);
        let (kernel, anchor) = self.effective();
        let mut out = vec![T::ZERO; data.len()];
        let mut buf = vec![T::ZERO; layout.area()];
        for p in 0..layout.count() {
            let src = plane(&data, layout, p);
            correlate2d(
                &src,
                layout.h,
                layout.w,
                &kernel,
                anchor,
                self.mode,
                self.cval,
                self.path,
                self.threads,
                &mut buf,
            )
            .map_err(|e| PluginError::bad_parameter("separable", "a rank-1 kernel", e))?;
            put_plane(&mut out, layout, p, &buf);
        }
        Ok(out)
    }

    /// Filters every plane of `view`, returning the output array.
    pub fn apply(&self, view: &ArrayView<'_>) -> Result<plexus_plugin_api::Array, PluginError> {
        let layout = Planes::of(view.shape(), view.axes())?;
        let (shape, axes) = (view.shape(), view.axes());
        let dtype = view.dtype();
        if dtype == DType::F64 {
            return array_like(shape, axes, self.run::<f64>(view, layout)?);
        }
        if dtype == DType::F32 || !self.kernel.is_integer() || self.cval.fract() != 0.0 {
            return array_like(shape, axes, self.run::<f32>(view, layout)?);
        }
        let out = self.run::<f64>(view, layout)?;
        let bound = dtype_max_abs(dtype) * self.kernel.weights.iter().map(|k| k.abs()).sum::<f64>()
            + self.cval.abs() * self.kernel.weights.iter().map(|k| k.abs()).sum::<f64>();
        if bound <= i32::MAX as f64 {
            array_like(shape, axes, out.into_iter().map(|v| v as i32).collect::<Vec<i32>>())
        } else {
            array_like(shape, axes, out)
        }
    }
}

fn custom_kernel(weights: &[f64], shape: &[usize]) -> Result<Kernel, PluginError> {
    if weights.is_empty() {
        return Err(PluginError::bad_parameter(
            "kernel",
            "a row-major list of weights when `filter` is `custom`",
            "[]",
        ));
    }
    if let Some(bad) = weights.iter().find(|w| !w.is_finite()) {
        return Err(PluginError::bad_parameter("kernel", "finite weights", bad.to_string()));
    }
    let (kh, kw) = match shape {
        [kh, kw] => (*kh, *kw),
        [] => {
            let n = (weights.len() as f64).sqrt().round() as usize;
            if n * n != weights.len() {
                return Err(PluginError::bad_parameter(
                    "kernel_shape",
                    "[rows, cols] (the weights do not make a square kernel)",
                    format!("[] with {} weights", weights.len()),
                ));
            }
            (n, n)
        }
        other => return Err(PluginError::bad_parameter("kernel_shape", "[rows, cols]", format!("{other:?}"))),
    };
    if kh == 0 || kw == 0 || kh * kw != weights.len() {
        return Err(PluginError::bad_parameter(
            "kernel_shape",
            format!("the shape of `kernel`'s {} weights", weights.len()),
            format!("[{kh}, {kw}], which needs {}", kh * kw),
        ));
    }
    Ok(Kernel::new(kh, kw, weights.to_vec()))
}

impl Operator for ConvolveOp {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let (name, view) = input.first()?;
        let result = self.apply(&view)?;
        out.emit(Frame::like(input).with_array(name, result));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plexus_plugin_api::Array;
    use serde_json::json;

    fn params(v: serde_json::Value) -> ConvolveParams {
        plexus_plugin_api::params::decode(&v.to_string()).unwrap()
    }

    #[test]
    fn output_dtype_rules() {
        let sobel = ConvolveOp::convolve(params(json!({ "filter": "sobel" })), &Context::new(1)).unwrap();
        let u8s = Array::from_fn(vec![4, 5], |i| (i * 13 % 256) as u8);
        assert_eq!(sobel.apply(&u8s.view()).unwrap().dtype(), DType::I32);
        // u32 range times Σ|k| = 8 does not fit in i32: exact f64.
        let u32s = Array::from_fn(vec![4, 5], |i| u32::MAX - i as u32);
        let out = sobel.apply(&u32s.view()).unwrap();
        assert_eq!(out.dtype(), DType::F64);
        let gauss = ConvolveOp::correlate(params(json!({ "filter": "gaussian5" })), &Context::new(1)).unwrap();
        assert_eq!(gauss.apply(&u8s.view()).unwrap().dtype(), DType::F32);
        let frac = ConvolveOp::correlate(
            params(json!({ "filter": "sobel", "mode": "constant", "cval": 0.5 })),
            &Context::new(1),
        )
        .unwrap();
        assert_eq!(frac.apply(&u8s.view()).unwrap().dtype(), DType::F32);
        let f64s = Array::from_fn(vec![4, 5], |i| i as f64);
        assert_eq!(sobel.apply(&f64s.view()).unwrap().dtype(), DType::F64);
    }
}
