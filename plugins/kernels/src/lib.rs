//! Numeric kernels shared by several built-in plugins. A plugin still
//! depends only on `plexus-plugin-api` at the ABI level; this is an ordinary
//! library linked into each plugin that uses it.
//!
//! - [`binning`]: equal-width bins with `numpy.histogram`'s edge rule
//!   (`pattern.histogram`, `learner.fit_histogram`/`score_histogram`).

#![deny(missing_docs)]

pub mod binning;
