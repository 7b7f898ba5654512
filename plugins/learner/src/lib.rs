//! # plexus-learner
//!
//! Models fitted on a stream, saved as JSON and loaded again:
//!
//! - [`fit_histogram::FitHistogram`] (`fit_histogram`): the normalised
//!   intensity histogram of an image set and the per-bin mean/std of the
//!   per-image histograms, saved as a [`histmodel::HistogramModel`];
//! - [`score_histogram::ScoreHistogram`] (`score_histogram`): symmetric
//!   chi-square, KL divergence and Wasserstein-1 distance of new images (each,
//!   or the set) from such a model ([`distance`] defines them);
//! - [`pca::Pca`] (`pca`): PCA of a band cube, pixels as samples, as
//!   `sklearn.decomposition.PCA`, saved as a [`pca::PcaModel`];
//! - [`pca_project::PcaProject`] (`pca_project`): projection of each frame
//!   onto a saved model's components.
//!
//! Reductions forward their input, accumulate exactly mergeable statistics
//! across chunks, publish at `finish` and carry their state across a hot
//! reload with `snapshot`/`restore`. Model files are versioned
//! ([`modelfile`]); a missing, corrupt or foreign file is rejected with a
//! message that names it.

pub mod binning;
pub mod distance;
pub mod fit_histogram;
pub mod histmodel;
pub mod images;
pub mod linalg;
pub mod modelfile;
pub mod pca;
pub mod pca_project;
pub mod score_histogram;

plexus_plugin_api::export_plugin! {
    "fit_histogram" => fit_histogram::FitHistogram::new,
    "score_histogram" => score_histogram::ScoreHistogram::new,
    "pca" => pca::Pca::new,
    "pca_project" => pca_project::PcaProject::new,
}
