//! Test plugin `scale` 3.0.0: fails every call, to test that a reload to a
//! broken version keeps the previous one.
const FACTOR: f64 = f64::NAN;
const VERSION: &str = "3.0.0";
include!("../../scale.rs");
