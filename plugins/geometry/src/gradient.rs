//! The `gradient` operator: central differences as `numpy.gradient`
//! (edge_order 1) and the Sobel magnitude in the two conventions users
//! arrive with: `skimage.filters.sobel` and scipy's unnormalised
//! `hypot(ndimage.sobel(f, 0), ndimage.sobel(f, 1))`.
//!
//! - `central`: interior `(f[i+1] - f[i-1]) / (2 h)`, first and last sample
//!   `(f[1] - f[0]) / h` and `(f[n-1] - f[n-2]) / h`, per axis, with unit or
//!   given spacing `h`. Computed in the image's float type exactly as numpy
//!   does (f32 stays f32; integers are converted to f64), so results are
//!   bit-identical to `numpy.gradient`.
//! - `sobel_magnitude`: `sqrt((gy² + gx²) / 2)` where `gx` is the convolution
//!   (scipy `convolve`, boundary `mode`, default `reflect`) with
//!   `[1, 2, 1]ᵀ/4 ⊗ [1, 0, -1]` and `gy` its transpose: skimage's
//!   normalisation (smoothing weights sum to 1, magnitude divided by
//!   `sqrt(ndim)`). skimage first rescales integer images with
//!   `img_as_float` (u8 / 255); this operator keeps native values
//!   (docs/CONVENTIONS.md), so a u8 result is 255 × skimage's.
//! - `sobel-hypot`: `hypot(gy, gx)` with scipy's unnormalised kernels,
//!   `gx` the correlation with `[1, 2, 1]ᵀ ⊗ [-1, 0, 1]` as
//!   `scipy.ndimage.sobel(f, axis=1)` (boundary `mode`, default `reflect`
//!   as scipy's) and `gy` its transpose (`axis=0`), each as scipy's two
//!   1-D passes: `4·√2` times the skimage magnitude except at a constant
//!   boundary with `cval ≠ 0` ([`sobel_hypot`]). scipy keeps the input's dtype (a u8 result wraps
//!   around); this operator computes integers in f64, like `sobel_magnitude`.

use plexus_plugin_api::{
    ArrayView, Context, DType, Element, Emitter, Frame, FrameView, Operator, Param, Params, PluginError,
};
use serde::{Deserialize, Serialize};

use crate::filter::{correlate2d_vec, Anchor, Kernel, Path, Sample};
use crate::image::{array_like, as_cow, plane, put_plane, Planes};
use crate::options::Mode;

/// Parameters of `gradient`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct GradientParams {
    /// What to compute.
    pub output: Output,
    /// Which derivatives `central` emits.
    pub axis: Axes,
    /// Sample spacing `[h]` or `[h_y, h_x]`, in pixels.
    pub spacing: Vec<f64>,
    /// The boundary of the Sobel filters.
    pub mode: Mode,
    /// The value outside the image when `mode` is `constant`.
    pub cval: f64,
}

impl Default for GradientParams {
    fn default() -> Self {
        GradientParams { output: Output::Central, axis: Axes::Both, spacing: vec![1.0], mode: Mode::Reflect, cval: 0.0 }
    }
}

impl Params for GradientParams {
    const TABLE: &'static [Param] = &[
        Param::new(
            "output",
            "central: numpy.gradient (edge_order 1); sobel_magnitude: sqrt((gx^2 + gy^2) / 2) as skimage.filters.sobel, native value range; sobel-hypot: hypot(ndimage.sobel(f, 0), ndimage.sobel(f, 1)), scipy's unnormalised kernels and two 1-D passes (4 sqrt(2) x sobel_magnitude but at a constant edge with cval != 0)",
        ),
        Param::new("axis", "central only: both emits <name>_dy and <name>_dx, y or x replaces <name>"),
        Param::new("spacing", "sample spacing [h] or [h_y, h_x]").min(0.0),
        Param::new("mode", "boundary of sobel_magnitude and sobel-hypot (skimage's and scipy's default reflect)"),
        Param::new("cval", "value outside the image when mode = constant"),
    ];
}

/// `numpy.gradient(f, h, axis=0)` of the `h_rows × w` image `src`:
/// the derivative along y (rows). Needs at least 2 rows.
pub fn gradient_y<T: Sample>(src: &[T], rows: usize, w: usize, spacing: f64) -> Vec<T> {
    assert!(rows >= 2 && src.len() == rows * w);
    let (two_h, h) = (T::from_f64(2.0 * spacing), T::from_f64(spacing));
    let mut out = vec![T::ZERO; src.len()];
    let row = |y: usize| &src[y * w..(y + 1) * w];
    for y in 1..rows - 1 {
        let (a, b) = (row(y + 1), row(y - 1));
        for ((o, &p), &m) in out[y * w..(y + 1) * w].iter_mut().zip(a).zip(b) {
            *o = (p - m) / two_h;
        }
    }
    for (y, (a, b)) in [(0, (1, 0)), (rows - 1, (rows - 1, rows - 2))] {
        let (a, b) = (row(a), row(b));
        for ((o, &p), &m) in out[y * w..(y + 1) * w].iter_mut().zip(a).zip(b) {
            *o = (p - m) / h;
        }
    }
    out
}

/// `numpy.gradient(f, h, axis=1)`: the derivative along x (columns). Needs
/// at least 2 columns.
pub fn gradient_x<T: Sample>(src: &[T], rows: usize, w: usize, spacing: f64) -> Vec<T> {
    assert!(w >= 2 && src.len() == rows * w);
    let (two_h, h) = (T::from_f64(2.0 * spacing), T::from_f64(spacing));
    let mut out = vec![T::ZERO; src.len()];
    for (r, o) in src.chunks_exact(w).zip(out.chunks_exact_mut(w)) {
        for x in 1..w - 1 {
            o[x] = (r[x + 1] - r[x - 1]) / two_h;
        }
        o[0] = (r[1] - r[0]) / h;
        o[w - 1] = (r[w - 1] - r[w - 2]) / h;
    }
    out
}

/// `skimage.filters.sobel(src, mode=mode, cval=cval)` of a 2-D image, in `T`
/// (without skimage's rescaling of integer images).
///
/// # Arguments
/// - `src`: the `h × w` image, row-major (`[y, x]`).
/// - `mode`, `cval`: the boundary, scipy names.
/// - `threads`: threads of the two correlations.
///
/// # Returns
/// `sqrt((gy² + gx²) / 2)`, `h × w`, where `gx` is the convolution with
/// `[1, 2, 1]ᵀ/4 ⊗ [1, 0, -1]` and `gy` its transpose.
///
/// # References
/// I. Sobel and G. Feldman, "A 3x3 isotropic gradient operator for image
/// processing", Stanford Artificial Intelligence Project, 1968;
/// scikit-image `skimage.filters.sobel` (van der Walt et al., PeerJ 2:e453, 2014).
pub fn sobel_magnitude<T: Sample>(src: &[T], h: usize, w: usize, mode: Mode, cval: f64, threads: usize) -> Vec<T> {
    // skimage convolves with edge [1, 0, -1] ⊗ smooth [1, 2, 1] / 4; a 3×3
    // convolution is the correlation with the flipped kernel, same anchor.
    let smooth = [0.25, 0.5, 0.25];
    let edge_flipped = [-1.0, 0.0, 1.0];
    let kx = Kernel::outer(&smooth, &edge_flipped);
    let ky = Kernel::outer(&edge_flipped, &smooth);
    let a = Anchor::correlate(3, 3);
    let gx = correlate2d_vec(src, h, w, &kx, a, mode, cval, Path::Auto, threads).expect("auto path");
    let gy = correlate2d_vec(src, h, w, &ky, a, mode, cval, Path::Auto, threads).expect("auto path");
    let sqrt2 = T::from_f64(2.0).sqrt();
    gy.iter().zip(&gx).map(|(&y, &x)| (y * y + x * x).sqrt() / sqrt2).collect()
}

/// `numpy.hypot(ndimage.sobel(src, 0), ndimage.sobel(src, 1))` of a 2-D
/// image, in `T`: the Sobel magnitude with scipy's unnormalised kernels.
///
/// # Arguments
/// As [`sobel_magnitude`].
///
/// # Returns
/// `sqrt(gy² + gx²)`, `h × w`, where `gx` is the correlation with
/// `[1, 2, 1]ᵀ ⊗ [-1, 0, 1]` (`ndimage.sobel(src, axis=1)`) and `gy` with
/// its transpose (`axis=0`); `4·√2 ×` [`sobel_magnitude`] except at a
/// constant boundary (notes).
///
/// # Notes
/// Two 1-D passes per derivative as scipy makes them (the derivative, then
/// the smoothing of its result, each padded by `mode` on its own), so with
/// `mode = constant` and `cval ≠ 0` the intermediate is padded with `cval`
/// and the result is not `4·√2 ×` [`sobel_magnitude`] near the edges, as in
/// scipy. scipy keeps the input's dtype, so `ndimage.sobel` of a u8 image
/// wraps around; callers pass integers converted to f64 (as `gradient`
/// does), which equals scipy on the image converted to float first.
///
/// # References
/// I. Sobel and G. Feldman (1968), as [`sobel_magnitude`]; SciPy
/// `scipy.ndimage.sobel` (Virtanen et al., Nature Methods 17:261, 2020).
pub fn sobel_hypot<T: Sample>(src: &[T], h: usize, w: usize, mode: Mode, cval: f64, threads: usize) -> Vec<T> {
    // scipy's order and rounding: the 1-D derivative along the axis into an
    // array of the input's type, then the 1-D smoothing of that along the
    // other axis, each pass padded on its own.
    let pass = |src: &[T], kernel: Kernel| {
        let a = Anchor::correlate(kernel.kh, kernel.kw);
        correlate2d_vec(src, h, w, &kernel, a, mode, cval, Path::Auto, threads).expect("auto path")
    };
    let (edge, smooth) = ([-1.0, 0.0, 1.0], [1.0, 2.0, 1.0]);
    let gx = pass(&pass(src, Kernel::outer(&[1.0], &edge)), Kernel::outer(&smooth, &[1.0]));
    let gy = pass(&pass(src, Kernel::outer(&edge, &[1.0])), Kernel::outer(&[1.0], &smooth));
    gy.iter().zip(&gx).map(|(&y, &x)| (y * y + x * x).sqrt()).collect()
}

/// What the operator computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Output {
    /// `numpy.gradient`.
    Central,
    /// `skimage.filters.sobel`. Spelled as API 1 published it, so
    /// pipelines written then keep working.
    #[serde(rename = "sobel_magnitude")]
    SobelMagnitude,
    /// `hypot` of scipy's unnormalised `ndimage.sobel` along both axes.
    SobelHypot,
}

/// Which derivatives `central` emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Axes {
    /// `<name>_dy` and `<name>_dx`.
    Both,
    /// d/dy under the input's name.
    Y,
    /// d/dx under the input's name.
    X,
}

/// The `gradient` operator.
#[derive(Debug, Clone)]
pub struct Gradient {
    output: Output,
    axes: Axes,
    spacing: (f64, f64),
    mode: Mode,
    cval: f64,
    threads: usize,
}

impl Gradient {
    /// Builds the operator from its parameters.
    pub fn new(p: GradientParams, ctx: &Context) -> Result<Gradient, PluginError> {
        let spacing = match p.spacing.as_slice() {
            [s] => (*s, *s),
            [sy, sx] => (*sy, *sx),
            other => {
                return Err(PluginError::bad_parameter("spacing", "[h] or [h_y, h_x]", format!("{other:?}")));
            }
        };
        if !(spacing.0 > 0.0 && spacing.1 > 0.0 && spacing.0.is_finite() && spacing.1.is_finite()) {
            return Err(PluginError::bad_parameter("spacing", "positive, finite spacings", format!("{:?}", p.spacing)));
        }
        if !p.cval.is_finite() {
            return Err(PluginError::bad_parameter("cval", "a finite number", p.cval.to_string()));
        }
        Ok(Gradient { output: p.output, axes: p.axis, spacing, mode: p.mode, cval: p.cval, threads: ctx.threads() })
    }

    fn run<T: Sample + Element>(
        &self,
        name: &str,
        view: &ArrayView<'_>,
        layout: Planes,
        frame: Frame,
    ) -> Result<Frame, PluginError> {
        let data = as_cow::<T>(view);
        let (shape, axes) = (view.shape(), view.axes());
        let per_plane = |f: &dyn Fn(&[T]) -> Vec<T>| -> Vec<T> {
            let mut out = vec![T::ZERO; data.len()];
            for p in 0..layout.count() {
                put_plane(&mut out, layout, p, &f(&plane(&data, layout, p)));
            }
            out
        };
        let (h, w) = (layout.h, layout.w);
        match self.output {
            Output::SobelMagnitude | Output::SobelHypot => {
                let sobel = if self.output == Output::SobelHypot { sobel_hypot::<T> } else { sobel_magnitude::<T> };
                let out = per_plane(&|s| sobel(s, h, w, self.mode, self.cval, self.threads));
                Ok(frame.with_array(name, array_like(shape, axes, out)?))
            }
            Output::Central => {
                let need = |n: usize, axis: &str| {
                    if n < 2 {
                        Err(PluginError::bad_input(
                            "",
                            format!("at least 2 samples along {axis} (a gradient needs two)"),
                            format!("{n}"),
                        ))
                    } else {
                        Ok(())
                    }
                };
                let dy = || per_plane(&|s| gradient_y(s, h, w, self.spacing.0));
                let dx = || per_plane(&|s| gradient_x(s, h, w, self.spacing.1));
                Ok(match self.axes {
                    Axes::Y => {
                        need(h, "y")?;
                        frame.with_array(name, array_like(shape, axes, dy())?)
                    }
                    Axes::X => {
                        need(w, "x")?;
                        frame.with_array(name, array_like(shape, axes, dx())?)
                    }
                    Axes::Both => {
                        need(h, "y")?;
                        need(w, "x")?;
                        frame
                            .with_array(format!("{name}_dy"), array_like(shape, axes, dy())?)
                            .with_array(format!("{name}_dx"), array_like(shape, axes, dx())?)
                    }
                })
            }
        }
    }
}

impl Operator for Gradient {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let (name, view) = input.first()?;
        let layout = Planes::of(view.shape(), view.axes())?;
        let frame = Frame::like(input);
        let frame = if view.dtype() == DType::F32 {
            self.run::<f32>(name, &view, layout, frame)?
        } else {
            self.run::<f64>(name, &view, layout, frame)?
        };
        out.emit(frame);
        Ok(())
    }
}
