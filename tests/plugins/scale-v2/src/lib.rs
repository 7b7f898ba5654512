//! Test plugin `scale` 2.0.0: multiplies by 3.0.
const FACTOR: f64 = 3.0;
const VERSION: &str = "2.0.0";
include!("../../scale.rs");
