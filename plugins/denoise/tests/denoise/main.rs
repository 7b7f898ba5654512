//! The denoise plugin: every kernel against its peer (scipy, scikit-image)
//! on real images and a generated volume, chunked runs against whole-volume
//! runs, and the operators through the compliance harness. Fixtures:
//! `tests/fixtures/make_fixtures.py`; each module's header states its
//! tolerances and why.

mod bilateral;
mod chunks;
mod common;
mod gaussian;
mod median;
mod nl_means;
mod operators;
mod tv_chambolle;
