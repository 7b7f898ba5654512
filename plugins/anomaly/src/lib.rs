//! # plexus-anomaly
//!
//! Outlier detection on images and volumes:
//!
//! - [`zscore::ZScore`] (`zscore`): `|x − mean| / std > k` per frame and channel;
//! - [`robust::Robust`] (`robust`): the modified z-score `0.6745 (x − median) / MAD`
//!   of Iglewicz & Hoaglin, with MAD = 0 handled explicitly;
//! - [`local::Local`] (`local`): hot pixels and zingers,
//!   `|x − median_filter(x, size)| > threshold`, with the median filter of
//!   [`median`] equal to scipy's.
//!
//! Output modes, events and their cap are described in [`common`]. The
//! numeric kernels ([`zscore::zscores`], [`robust::modified_zscores`],
//! [`median::median_filter`], [`local::local_outliers`]) are plain functions
//! on slices.

pub mod common;
pub mod local;
pub mod median;
pub mod robust;
pub mod zscore;

plexus_plugin_api::export_plugin! {
    "zscore" => zscore::ZScore::new,
    "robust" => robust::Robust::new,
    "local" => local::Local::new,
}
