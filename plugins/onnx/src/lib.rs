//! # plexus-onnx (in progress): ONNX Runtime inference for Plexus operators.
