//! `median`: a median filter over a box window in 2-D or 3-D, as
//! `scipy.ndimage.median_filter`.

use plexus_plugin_api::{Context, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

use crate::axes::{self, Dims, Shape};
use crate::boundary::{self, Mode};
use crate::error::DenoiseError;
use crate::parallel;
use crate::stage::filter_frame;

/// Parameters of [`median`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MedianParams {
    /// Window extent in voxels, one for all axes or per axis (z, y, x), or
    /// (y, x) for `planes`. Default `[3]`.
    pub size: Vec<usize>,
    /// How values beyond the edges are made up (scipy names). Default `reflect`.
    pub mode: Mode,
    /// The value beyond the edges for `mode = "constant"`. Default 0.
    pub cval: f64,
    /// `volume` (3-D, default) or `planes` (each z plane alone).
    pub dims: Dims,
}

impl Default for MedianParams {
    fn default() -> Self {
        MedianParams { size: vec![3], mode: Mode::Reflect, cval: 0.0, dims: Dims::Volume }
    }
}

impl Params for MedianParams {
    const TABLE: &'static [Param] = &[
        Param::new("size", "window extent in voxels: one for every axis, or (z, y, x) (y, x for planes)").min(1.0),
        Param::new("mode", crate::MODE_DOC),
        Param::new("cval", "value beyond the edges for mode = constant, in image units"),
        Param::new("dims", crate::DIMS_DOC),
    ];
}

impl MedianParams {
    /// The window extent per axis `(z, y, x)`.
    pub fn window(&self) -> Result<[usize; 3], DenoiseError> {
        axes::sizes_per_axis("size", &self.size, self.dims)
    }

    /// The halo along z a chunk needs: `size_z / 2` voxels.
    pub fn halo(&self) -> Result<usize, DenoiseError> {
        Ok(self.window()?[0] / 2)
    }
}

/// The `median` operator: [`median`] on each frame (f32 out), with a halo
/// of half the window along z.
#[derive(Debug)]
pub struct Median {
    params: MedianParams,
    halo: usize,
    threads: usize,
}

impl Median {
    /// Checks the parameters and builds the operator.
    pub fn new(params: MedianParams, ctx: &Context) -> Result<Median, PluginError> {
        let halo = params.halo()?;
        Ok(Median { params, halo, threads: ctx.threads() })
    }
}

impl Operator for Median {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let why = "half the window `size` along z";
        filter_frame(input, out, self.halo, why, |data, shape, o| {
            Ok(median(data, shape, &self.params, self.threads, o)?)
        })
    }
}

/// Median filter of a volume over a box window.
///
/// # Arguments
/// - `input`: `shape` = `(z, y, x)` values, row-major, f32.
/// - `params`: window size per axis, boundary mode.
/// - `threads`: the thread budget (z planes are split among threads).
/// - `output`: same shape as `input`.
///
/// # Notes
/// The window of voxel `i` along an axis of size `s` covers
/// `i - s/2 ..= i + (s - 1)/2` (scipy's origin 0), and the result is the
/// element of rank `n / 2` (0-based) of the `n` window values sorted, so an
/// even window takes the upper of the two middle values, as scipy's
/// `median_filter` (a rank filter with rank `filter_size // 2`). Values
/// beyond the edges come from the boundary mode (`docs/CONVENTIONS.md`). The
/// result is exact: it is one of the input values.
///
/// # References
/// P. Virtanen et al., "SciPy 1.0: fundamental algorithms for scientific
/// computing in Python", Nature Methods 17, 261–272 (2020),
/// doi:10.1038/s41592-019-0686-2 (`scipy.ndimage.median_filter`);
/// J. W. Tukey, *Exploratory Data Analysis*, Addison-Wesley (1977) (the
/// running median).
pub fn median(
    input: &[f32],
    shape: Shape,
    params: &MedianParams,
    threads: usize,
    output: &mut [f32],
) -> Result<(), DenoiseError> {
    axes::check(shape, input.len(), output.len())?;
    let size = params.window()?;
    let before = size.map(|s| s / 2);
    let (pad, ps) = boundary::padded(input, shape, before, params.mode, params.cval as f32);
    let [_, ny, nx] = shape;
    let n = size.iter().product::<usize>();
    let rank = n / 2;
    parallel::bands(output, ny * nx, threads, |z0, band| {
        let mut window = vec![0.0f32; n];
        for (dz, plane) in band.chunks_mut(ny * nx).enumerate() {
            let z = z0 + dz;
            for y in 0..ny {
                for x in 0..nx {
                    // padded index of the window's first voxel is (z, y, x)
                    let mut k = 0;
                    for wz in 0..size[0] {
                        for wy in 0..size[1] {
                            let row = &pad[((z + wz) * ps[1] + y + wy) * ps[2] + x..][..size[2]];
                            window[k..k + size[2]].copy_from_slice(row);
                            k += size[2];
                        }
                    }
                    let (_, m, _) = window.select_nth_unstable_by(rank, f32::total_cmp);
                    plane[y * nx + x] = *m;
                }
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_an_impulse_and_keeps_an_edge() {
        let mut img = vec![0.0f32; 7 * 7];
        img[3 * 7 + 3] = 10.0;
        for y in 0..7 {
            for x in 4..7 {
                img[y * 7 + x] += 1.0;
            }
        }
        let mut out = vec![0.0; 49];
        let p = MedianParams { dims: Dims::Planes, ..Default::default() };
        median(&img, [1, 7, 7], &p, 1, &mut out).unwrap();
        for y in 0..7 {
            assert_eq!(&out[y * 7..y * 7 + 7], &[0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
        }
    }

    #[test]
    fn even_windows_take_the_upper_middle() {
        // 1-D row, window 2 covers (i - 1, i): reflect gives 1 | 1 2 3 4
        let p = MedianParams { size: vec![1, 2], dims: Dims::Planes, ..Default::default() };
        let mut out = vec![0.0; 4];
        median(&[1.0, 2.0, 3.0, 4.0], [1, 1, 4], &p, 1, &mut out).unwrap();
        assert_eq!(out, [1.0, 2.0, 3.0, 4.0]);
    }
}
