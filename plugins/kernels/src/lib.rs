//! Numeric kernels shared by several built-in plugins. A plugin still
//! depends only on `plexus-plugin-api` at the ABI level; this is an ordinary
//! library linked into each plugin that uses it.
//!
//! - [`binning`]: equal-width bins with `numpy.histogram`'s edge rule
//!   (`pattern.histogram`, `learner.fit_histogram`/`score_histogram`).
//! - [`phantom`]: the modified Shepp–Logan ellipses and their exact chords
//!   (`generator.projections`, the reconstruction tests).
//! - [`rng`]: seeded counter-based random numbers with NumPy's samplers
//!   (every `generator` source, the reconstruction tests).

#![deny(missing_docs)]

pub mod binning;
pub mod phantom;
pub mod rng;
