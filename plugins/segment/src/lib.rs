//! # plexus-segment
//!
//! The segment plugin: from a grey-level volume to masks and labels, on
//! row-major `(z, y, x)` chunks (a 2-D image is one slice). One module per
//! operator, holding its parameter struct, its kernel (or a re-export of the
//! shared one in `plexus-kernels`) and its `Operator`:
//!
//! | operator | module | streams? |
//! |---|---|---|
//! | `threshold` | [`threshold`]: Otsu, multi-Otsu (as scikit-image; integer thresholds for integer images), fixed; foreground is `value > t` | fixed: any chunking; Otsu: whole volume (or measure with `otsu` first) |
//! | `otsu` | [`otsu`]: the Otsu / multi-Otsu thresholds of a chunked stream, published at `finish` | any chunking (floats: give `min`, `max`) |
//! | `label` | [`label`]: connected components (4/8, 6/18/26) numbered as `scipy.ndimage.label`, with sizes | any chunking: provisional labels per chunk, merges published at `finish` |
//! | `relabel` | [`relabel`]: applies `label`'s merges (`${label.merges}`) | any chunking |
//! | `remove_small_objects` | [`remove_small_objects`]: as scikit-image (`max_size`, inclusive) | a whole mask, or chunked labels with `label`'s merges and sizes |
//! | `morphology` | [`morphology`]: erosion, dilation, opening, closing with cross, cube or ball, scipy's `border_value` | halo from the parameters |
//! | `distance_transform` | [`distance_transform`]: exact EDT with voxel sizes, as scipy | whole volume |
//! | `watershed` | [`watershed`]: `peak_local_max` markers + marker watershed, as scikit-image | whole volume |
//! | `onnx` | [`onnx`]: a U-Net over 3-D patches, blended, argmax to labels | halo `margin` |
//!
//! Shared kernels from `plexus-kernels` are re-exported under their old
//! paths: [`shape`] (shape, connectivity, voxel sizes), [`sample`] (voxel
//! types), [`runs`] (foreground runs and union-find), [`bands`] (work split
//! over threads), [`error`].
//!
//! Masks are `u8` (0 background, nonzero foreground), labels `u32`.
//! Conventions: `docs/CONVENTIONS.md`. This file only registers.

#![deny(missing_docs)]

pub mod distance_transform;
pub mod label;
pub mod morphology;
pub mod onnx;
pub mod otsu;
pub mod relabel;
pub mod remove_small_objects;
pub mod threshold;
pub mod watershed;

pub use plexus_kernels::volume::{bands, error, runs, sample, shape};
pub use plexus_kernels::volume::{Connectivity, SegmentError, Shape};

/// The one-line doc of every `connectivity` parameter.
pub(crate) const CONNECTIVITY_DOC: &str =
    "neighbours that connect: 4 or 8 (within slices), 6, 18 or 26 (3-D), as scipy's generate_binary_structure";

plexus_plugin_api::export_plugin! {
    "threshold" => threshold::Threshold::new,
    "otsu" => otsu::Otsu::new,
    "label" => label::Label::new,
    "relabel" => relabel::Relabel::new,
    "remove_small_objects" => remove_small_objects::RemoveSmallObjects::new,
    "morphology" => morphology::Morphology::new,
    "distance_transform" => distance_transform::DistanceTransform::new,
    "watershed" => watershed::WatershedOp::new,
    "onnx" => onnx::OnnxSegment::new,
}
