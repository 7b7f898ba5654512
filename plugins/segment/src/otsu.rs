//! The `otsu` operator: Otsu's or the multi-Otsu thresholds of a volume
//! streamed in chunks, as `skimage.filters.threshold_otsu` /
//! `threshold_multiotsu` of the whole volume, published at `finish` for a
//! later `threshold` stage to apply (`method = "fixed"`, `value =
//! "${otsu.threshold}"` or `thresholds = "${otsu.thresholds}"`).
//!
//! # Method
//! The histogram is a reduction ([`crate::threshold::Histogram`]): each
//! chunk adds its voxels, exactly, so any chunking gives the thresholds of
//! the whole volume. Integer images get one bin per value and need one pass.
//! Float images get `nbins` bins over the volume's `[min, max]`, which a
//! stream cannot know before its end: give them as `min` and `max` (for
//! example `min = "${stats.min}"`, `max = "${stats.max}"` from an earlier
//! `trend.running_stats` stage over the same frames). A float volume that
//! arrives as one frame needs neither.
//!
//! Every frame is forwarded unchanged. Results: `threshold` (the first
//! threshold), `thresholds` (all, increasing), `classes`, in image units.
//!
//! # References
//! - N. Otsu, "A threshold selection method from gray-level histograms",
//!   *IEEE Trans. Systems, Man, and Cybernetics* 9(1):62–66 (1979),
//!   doi:10.1109/TSMC.1979.4310076.
//! - P.-S. Liao, T.-S. Chen, P.-C. Chung, "A fast algorithm for multilevel
//!   thresholding", *J. Information Science and Engineering* 17(5):713–727
//!   (2001).

use plexus_kernels::chunk::VolumeChunk;
use plexus_kernels::volume::sample::Sample;
use plexus_plugin_api::{Context, DType, Emitter, FrameView, Operator, Param, Params, PluginError};
use serde::{Deserialize, Serialize};

use crate::threshold::{multi_otsu, otsu, Histogram, ValueRange};

/// Parameters of `segment.otsu`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct OtsuParams {
    /// 2: Otsu's threshold; more: the multi-Otsu thresholds for that many
    /// classes. Default 2.
    pub classes: usize,
    /// Bins of a float image's histogram (default 256, scikit-image's).
    pub nbins: usize,
    /// The smallest value of a float volume streamed in chunks.
    pub min: Option<f64>,
    /// The largest value of a float volume streamed in chunks.
    pub max: Option<f64>,
}

impl Default for OtsuParams {
    fn default() -> Self {
        OtsuParams { classes: 2, nbins: 256, min: None, max: None }
    }
}

impl Params for OtsuParams {
    const TABLE: &'static [Param] = &[
        Param::new("classes", "2: Otsu's threshold (threshold_otsu); more: threshold_multiotsu for that many classes")
            .min(2.0),
        Param::new("nbins", "histogram bins of a float image (integer images: one bin per value)").min(1.0),
        Param::new(
            "min",
            "smallest value of a float volume streamed in chunks (e.g. \"${stats.min}\" of trend.running_stats)",
        ),
        Param::new("max", "largest value of a float volume streamed in chunks (e.g. \"${stats.max}\")"),
    ];
}

/// The `otsu` operator (see the module docs).
#[derive(Debug)]
pub struct Otsu {
    params: OtsuParams,
    /// The histogram so far and the element type it was started for.
    hist: Option<(DType, Histogram)>,
    /// A float frame without a given range can only be the whole volume.
    frames: u64,
}

impl Otsu {
    /// Checks the parameters and builds the operator.
    pub fn new(params: OtsuParams, _ctx: &Context) -> Result<Otsu, PluginError> {
        match (params.min, params.max) {
            (Some(lo), Some(hi)) if !(lo.is_finite() && hi.is_finite() && lo <= hi) => {
                return Err(PluginError::bad_parameter(
                    "max",
                    "a finite number at least `min`",
                    format!("{hi} (`min` {lo})"),
                ))
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err(PluginError::bad_parameter("min", "`min` and `max` given together", "only one"))
            }
            _ => {}
        }
        if params.classes < 2 {
            return Err(PluginError::bad_parameter("classes", "at least 2", params.classes.to_string()));
        }
        Ok(Otsu { params, hist: None, frames: 0 })
    }

    fn add<T: Sample>(&mut self, c: &VolumeChunk<'_>, values: &[T]) -> Result<(), PluginError> {
        let owned = c.owned();
        let slice = c.shape.slice_len();
        let lo = (owned.start - c.z_first) * slice;
        let values = &values[lo..lo + owned.len() * slice];
        let dtype = c.view.dtype();
        let hist = match &mut self.hist {
            Some((d, h)) if *d == dtype => h,
            Some((d, _)) => {
                return Err(PluginError::bad_input(
                    c.name,
                    format!("elements of `{d}`, as earlier frames"),
                    format!("`{dtype}`"),
                ))
            }
            None => {
                let h = if T::INTEGER {
                    Histogram::integer()
                } else {
                    let range = match (self.params.min, self.params.max) {
                        (Some(lo), Some(hi)) => ValueRange { min_max: Some((lo, hi)) },
                        _ => {
                            c.require_whole("a float volume's histogram spans its range: give `min` and `max` for one streamed in chunks")?;
                            let mut r = ValueRange::default();
                            r.add(values, 0)?;
                            r
                        }
                    };
                    Histogram::float::<T>(&range, self.params.nbins)?
                };
                &mut self.hist.insert((dtype, h)).1
            }
        };
        if !T::INTEGER && self.params.min.is_none() && self.frames > 0 {
            return Err(PluginError::bad_parameter(
                "min",
                "the range of a float volume that comes in several frames",
                "nothing",
            ));
        }
        hist.add(values)?;
        Ok(())
    }
}

impl Operator for Otsu {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        out.forward();
        let c = VolumeChunk::of(input)?;
        plexus_kernels::with_elements!(c, |s| self.add(&c, s))?;
        self.frames += 1;
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter) -> Result<(), PluginError> {
        let Some((_, hist)) = &self.hist else {
            return Err(PluginError::bad_input("", "at least one frame with voxels", "none"));
        };
        let thresholds = match self.params.classes {
            2 => vec![otsu(hist)?],
            k => multi_otsu(hist, k)?,
        };
        out.result("threshold", thresholds[0]);
        out.result("thresholds", thresholds);
        out.result("classes", self.params.classes);
        Ok(())
    }
}
