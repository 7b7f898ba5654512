//! Numeric kernels shared by several built-in plugins. A plugin still
//! depends only on `plexus-plugin-api` at the ABI level; this is an ordinary
//! library linked into each plugin that uses it.
//!
//! Why shared code lives here and not in one plugin's crate: every plugin
//! crate exports the root-module symbol (`export_plugin!`), so a plugin that
//! linked another plugin's rlib would carry two definitions of it and fail
//! to link. Kernels two plugins need therefore sit in this crate, which
//! exports nothing.
//!
//! - [`binning`]: equal-width bins with `numpy.histogram`'s edge rule
//!   (`pattern.histogram`, `learner.fit_histogram`/`score_histogram`);
//! - [`phantom`]: the modified Shepp–Logan ellipses and their exact chords
//!   (`generator.projections`, the reconstruction tests);
//! - [`rng`]: seeded counter-based random numbers with NumPy's samplers
//!   (every `generator` source, the reconstruction tests);
//! - [`boundary`]: the scipy boundary modes (`geometry`, `denoise`);
//! - [`chunk`]: a frame's array seen as a chunk of a `(z, y, x)` volume
//!   (place, halo, order) and the output frame that goes back;
//! - [`volume`]: `(z, y, x)` volume kernels that `segment` and `quantify`
//!   both run: shapes and connectivities, voxel types, thread bands,
//!   connected-component labelling merged across chunks, and the exact
//!   Euclidean distance transform.

#![deny(missing_docs)]

pub mod binning;
pub mod boundary;
pub mod chunk;
pub mod phantom;
pub mod rng;
pub mod volume;
