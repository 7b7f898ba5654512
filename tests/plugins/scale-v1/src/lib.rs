//! Test plugin `scale` 1.0.0: multiplies by 2.0.
const FACTOR: f64 = 2.0;
const VERSION: &str = "1.0.0";
include!("../../scale.rs");
