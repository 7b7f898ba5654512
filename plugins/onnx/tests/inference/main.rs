//! The ONNX path with the real ONNX Runtime and the shipped models, against
//! Python `onnxruntime` on the same tensors (`tests/fixtures/make_fixtures.py`).
//!
//! These tests need libonnxruntime 1.31: `scripts/ensure-onnxruntime.sh`
//! puts it where they look (or set `PLEXUS_ORT_LIB`). Without it they fail
//! with the message saying so; they never pass silently.

mod common;
mod denoise;
mod segment;
