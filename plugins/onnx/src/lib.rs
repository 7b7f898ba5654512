//! # plexus-onnx
//!
//! ONNX inference for Plexus operators, shared by `denoise.onnx` and
//! `segment.onnx`:
//!
//! - [`runtime`]: ONNX Runtime is loaded at run time (`ort`'s
//!   `load-dynamic`) from `$PLEXUS_ORT_LIB` or the cache that
//!   `scripts/ensure-onnxruntime.sh` fills; a missing library is an error
//!   naming the path and that script, never a panic;
//! - [`model`]: one session per operator instance, intra-op threads set to
//!   the stage's thread budget;
//! - [`tiling`]: overlapping tiles and blended stitching, exact for a
//!   shift-equivariant net whose receptive radius fits the dead margin;
//! - [`denoise`] and [`segment`]: the two operators' kernels and parameter
//!   structs (image → image; image → labels by argmax).
//!
//! ```no_run
//! use plexus_onnx::denoise::{denoise, OnnxDenoiseParams};
//!
//! let params: OnnxDenoiseParams = serde_json::from_str(
//!     r#"{"model": "plugins/onnx/models/n2n_denoise.onnx", "tile": [256], "overlap": 32}"#,
//! )?;
//! let mut model = params.load(2)?; // 2 intra-op threads
//! let shape = [4, 128, 128]; // (z, y, x)
//! let chunk = vec![0.5f32; 4 * 128 * 128];
//! let mut out = vec![0.0; chunk.len()];
//! denoise(&mut model, &chunk, shape, &params, &mut out)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The shipped models and the scripts that train them are in `models/`
//! (`train_n2n.py`, `train_unet.py`, data recipe `phantoms.py`).
//! Plugin registration is added once plugin contract v2 lands.

pub mod denoise;
pub mod error;
pub mod model;
pub mod runtime;
pub mod segment;
mod sliding;
pub mod tiling;

pub use error::OnnxError;
pub use sliding::Layout;
