//! # plexus-plot
//!
//! Small, dependency-lean plots written as PNG next to a pipeline's outputs:
//! histograms with error bars over a set, radially averaged power spectra and
//! trend time series. Everything is drawn here — axes with 1-2-5 ticks (whole
//! decades on log axes), a built-in bitmap font, anti-aliased lines — into an
//! [`Rgb8Image`] and written with the `png` crate. No fonts or system
//! libraries are needed.
//!
//! ```no_run
//! use plexus_plot::{histogram, Plot, Series};
//! # fn main() -> Result<(), plexus_plot::PlotError> {
//! let edges = [0.0, 1.0, 2.0, 3.0];
//! histogram(&[4.0, 9.0, 2.0], &edges, Some(&[1.0, 2.0, 0.5]))
//!     .title("grain size")
//!     .x_label("size (µm)")
//!     .save_png("grains.png".as_ref())?;
//!
//! Plot::new("drift")
//!     .x_label("frame")
//!     .y_label("shift (px)")
//!     .series(Series::line("x", vec![0.0, 1.0, 2.0], vec![0.0, 0.4, 0.9]))
//!     .series(Series::line("y", vec![0.0, 1.0, 2.0], vec![0.1, -0.2, -0.3]))
//!     .save_png("drift.png".as_ref())?;
//! # Ok(()) }
//! ```
//!
//! Modules: [`plot`] (the description and rendering), [`axis`] (scales,
//! ticks, mapping), [`raster`] (the image and drawing primitives), [`font`]
//! (the glyph table), [`png`] (reading and writing), [`error`].
#![deny(missing_docs)]

pub mod axis;
pub mod error;
pub mod font;
pub mod plot;
pub mod png;
pub mod raster;

pub use crate::axis::{AxisMap, Scale};
pub use crate::error::PlotError;
pub use crate::plot::{histogram, power_spectrum, time_series, Frame, Plot, Series, PALETTE};
pub use crate::png::{read_png, write_png};
pub use crate::raster::{Rect, Rgb, Rgb8Image};
