//! Cutting a stream into images and counting each image's histogram.
//!
//! # What an image is
//!
//! Leave out a channel axis (last axis labelled `band`/`c`/`channel`; its
//! values are pooled into the one intensity histogram). Then:
//!
//! - an array of rank 3 or more is a stack `[image, y, x]`: every index along
//!   axis 0 (the chunk axis) is one image, whatever the chunking;
//! - an array of rank 1 or 2 is a band of rows of one image: consecutive
//!   frames of the same dataset add to the same image, which ends when a
//!   frame reaches the end of the axis (`offset + length >= extent`, extent
//!   known), when a frame starts again at offset 0 or belongs to another
//!   dataset, or at the end of the stream.
//!
//! The set histogram is the sum of every frame's counts: the counts of
//! `numpy.histogram` over the concatenation of all frames, exactly.

use plexus_plugin_api::{ArrayView, ChunkKey, DType, PluginError};
use serde::{Deserialize, Serialize};

use crate::binning::{count_range, has_channel_axis, lut_for, Binning, Counts};

/// The image still receiving rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenImage {
    /// Dataset of its frames.
    pub dataset: String,
    /// Its counts so far.
    pub counts: Counts,
}

/// What the stream has counted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamCounts {
    /// Element type of the stream (fixed by the first frame).
    pub dtype: String,
    /// Counts over every frame.
    pub set: Counts,
    /// The image still open (rows of a 2-D image), if any.
    pub open: Option<OpenImage>,
    /// Number of images completed so far.
    pub images: u64,
}

/// Counts a stream image by image with fixed bins.
pub struct ImageCounter {
    binning: Binning,
    dtype: DType,
    lut: Option<Vec<u32>>,
    /// The counts (the part that snapshots carry).
    pub state: StreamCounts,
}

impl ImageCounter {
    /// A counter for elements of `dtype` into `binning`.
    pub fn new(binning: Binning, dtype: DType) -> ImageCounter {
        let lut = lut_for(dtype, &binning);
        let state =
            StreamCounts { dtype: dtype.name().to_string(), set: Counts::zeros(binning.bins()), open: None, images: 0 };
        ImageCounter { binning, dtype, lut, state }
    }

    /// A counter taking over `state` (from a snapshot).
    pub fn with_state(binning: Binning, state: StreamCounts) -> Result<ImageCounter, String> {
        let dtype = DType::parse(&state.dtype).ok_or_else(|| format!("unknown dtype `{}`", state.dtype))?;
        let bins = binning.bins();
        let ok = state.set.bins.len() == bins && state.open.as_ref().is_none_or(|o| o.counts.bins.len() == bins);
        if !ok {
            return Err(format!("counts do not have {bins} bins"));
        }
        let mut c = ImageCounter::new(binning, dtype);
        c.state = state;
        Ok(c)
    }

    /// The bins.
    pub fn binning(&self) -> &Binning {
        &self.binning
    }

    /// Element type of the stream.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Counts one frame; returns the images it completed, in order.
    pub fn process(&mut self, a: &ArrayView<'_>, dataset: &str, key: ChunkKey) -> Result<Vec<Counts>, PluginError> {
        if a.dtype() != self.dtype {
            return Err(PluginError::bad_input(
                "",
                format!("elements of `{}`, as earlier frames had", self.dtype),
                format!("`{}`", a.dtype()),
            ));
        }
        let bins = self.binning.bins();
        let rank = a.shape().len() - usize::from(has_channel_axis(a.axes()) && !a.shape().is_empty());
        let mut done = Vec::new();
        if rank >= 3 {
            done.extend(self.close());
            let n = a.shape()[0];
            let per = a.len().checked_div(n).unwrap_or(0);
            for i in 0..n {
                let mut c = Counts::zeros(bins);
                count_range(a, i * per, (i + 1) * per, &self.binning, self.lut.as_deref(), &mut c);
                self.state.set.add(&c);
                self.state.images += 1;
                done.push(c);
            }
        } else {
            let continues = self.state.open.as_ref().is_some_and(|o| o.dataset == dataset) && key.offset != 0;
            if !continues {
                done.extend(self.close());
            }
            let mut c = Counts::zeros(bins);
            count_range(a, 0, a.len(), &self.binning, self.lut.as_deref(), &mut c);
            self.state.set.add(&c);
            match &mut self.state.open {
                Some(o) => o.counts.add(&c),
                None => self.state.open = Some(OpenImage { dataset: dataset.to_string(), counts: c }),
            }
            if key.extent > 0 && key.offset + key.length >= key.extent {
                done.extend(self.close());
            }
        }
        Ok(done)
    }

    /// Ends the open image, if any, and returns it.
    pub fn close(&mut self) -> Option<Counts> {
        let o = self.state.open.take()?;
        self.state.images += 1;
        Some(o.counts)
    }
}

/// The input array: `array` if set, else the frame's first.
pub fn pick<'a>(input: &plexus_plugin_api::FrameView<'a>, array: &str) -> Result<ArrayView<'a>, PluginError> {
    if array.is_empty() {
        Ok(input.first()?.1)
    } else {
        input.array(array)
    }
}
