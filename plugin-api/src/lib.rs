//! # plexus-plugin-api
//!
//! The contract between the Plexus host and its analysis plugins, and the only
//! crate a plugin depends on. A complete plugin:
//!
//! ```
//! use plexus_plugin_api::{export_plugin, Array, Context, Emitter, Frame, FrameView, Operator, Param, Params, PluginError};
//! use serde::{Deserialize, Serialize};
//!
//! /// Parameters of `scale`: declared once, here; `plugin.toml`'s table is generated from it.
//! #[derive(Deserialize, Serialize)]
//! #[serde(default, deny_unknown_fields)]
//! pub struct ScaleParams {
//!     /// What every pixel is multiplied by.
//!     pub factor: f64,
//! }
//! impl Default for ScaleParams {
//!     fn default() -> Self { ScaleParams { factor: 2.0 } }
//! }
//! impl Params for ScaleParams {
//!     const TABLE: &'static [Param] = &[Param::new("factor", "what every pixel is multiplied by")];
//! }
//!
//! /// Multiplies every pixel of the first array by `factor`.
//! pub struct Scale { factor: f64 }
//!
//! impl Scale {
//!     pub fn new(p: ScaleParams, _ctx: &Context) -> Result<Scale, PluginError> {
//!         Ok(Scale { factor: p.factor })
//!     }
//! }
//!
//! impl Operator for Scale {
//!     fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter<'_>) -> Result<(), PluginError> {
//!         let (name, image) = input.first()?;
//!         let scaled: Vec<f64> = image.to_f64_vec().iter().map(|v| v * self.factor).collect();
//!         let array = Array::from_vec(image.shape().to_vec(), scaled)?.with_axes(image.axes())?;
//!         out.emit(Frame::like(input).with_array(name, array));
//!         Ok(())
//!     }
//! }
//!
//! export_plugin! { "scale" => Scale::new }
//! ```
//!
//! Build it as a `cdylib`, write a `plugin.toml` beside the artifact
//! (`plexus plugins pack` fills in its sha256) and drop the folder into a
//! plugins folder.
//!
//! ## Core concepts
//!
//! - [`Array`]: element type ([`DType`]), shape, axis labels, contiguous
//!   row-major elements, shared by reference counting. [`ArrayView`] is the
//!   borrowed form; inputs reach a plugin as views of host memory, never copied.
//! - [`Frame`]: what travels on the bus — a dataset id, a [`ChunkKey`], named
//!   arrays and a JSON metadata map. [`FrameView`] is the borrowed input form.
//! - [`Params`]: an operator's parameters, a serde struct; its manifest table
//!   is read off it ([`schema_of`]) and checked against `plugin.toml`.
//! - [`Operator`]: built from its parameter struct and a [`Context`] (the
//!   thread budget), fed frames with `process`, told the stream ended with
//!   `finish`, optionally `snapshot`/`restore` for hot reload. It writes
//!   outputs, side results and events to an [`Emitter`].
//!
//! ## Lifecycle
//!
//! discover (the host finds `plugin.toml`) → verify (sha256, API major, ABI
//! layout) → load (from a private copy; never unloaded) → configure (parameters
//! validated against the manifest, then `new`) → process (once per frame, in
//! order) → finish (end of stream) → reload (a new version is loaded beside
//! the old; between two frames the host moves state with snapshot/restore).
//!
//! ## Failure
//!
//! Every call into the plugin is wrapped by [`export_plugin!`] so that a panic
//! becomes [`PluginError::Panicked`] on the plugin side: a panic crossing
//! `extern "C"` would abort the host.
//!
//! ## Testing a plugin
//!
//! `compliance::check_operator` (cargo feature `compliance`) drives an
//! operator through the same ABI adapter the host calls, built from the
//! defaults of `plugin.toml`, and checks that the manifest's parameter
//! tables agree with the structs, determinism and snapshot/restore.
//! `REGENERATE=1 cargo test` writes the tables from the structs.

#![deny(missing_docs)]

// The data model: arrays, element types, frames, operators, errors. None
// of these modules imports the transports below.
mod array;
mod dtype;
mod error;
mod frame;
mod operator;
pub mod params;
#[doc(hidden)]
pub mod plugin;

// How the data model crosses the boundary (native ABI, wasm guest ABI).
pub mod abi;
#[cfg(all(feature = "compliance", not(target_arch = "wasm32")))]
pub mod compliance;

pub use array::{channel_count, default_axes, Array, ArrayView, CHANNEL_LABELS};
pub use dtype::{DType, Element};
pub use error::{ArrayError, PluginError};
/// The plugin API major this crate serves. A plugin built against another
/// major is refused at load (native and wasm alike).
pub const API_MAJOR: u32 = 1;
pub use frame::{ChunkKey, Frame, FrameView};
pub use operator::{Emitter, Operator, Output, Sink};
pub use params::schema::{ParamSpec, ParamType};
pub use params::{schema_of, NoParams, Param, Params};
pub use plugin::{Context, OperatorEntry, Plugin};
