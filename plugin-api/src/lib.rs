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
//! That is the whole plugin: a parameter struct, an operator, one line of
//! export. `plexus new-plugin NAME [--wasm]` writes a crate like it (with
//! `Cargo.toml`, `plugin.toml`, a compliance test and a README), which
//! builds and passes its test as it is.
//!
//! # Writing a plugin
//!
//! ## 1. The crate
//!
//! A plugin is a `cdylib` (the artifact the host loads) and an `rlib` (what
//! its own tests link), depending on this crate — by path on a Plexus
//! checkout, since it has no crates.io release — and on `serde`:
//!
//! ```toml
//! [lib]
//! crate-type = ["cdylib", "rlib"]
//!
//! [dependencies]
//! plexus-plugin-api = { path = "../plexus/plugin-api", version = "2" }
//! serde = { version = "1", features = ["derive"] }
//!
//! [dev-dependencies]
//! plexus-plugin-api = { path = "../plexus/plugin-api", version = "2", features = ["compliance"] }
//! ```
//!
//! The same source builds for the wasm sandbox with `cargo build --target
//! wasm32-wasip1`: [`export_plugin!`] emits the guest ABI there instead of
//! the native root module (`plugin-api/WASM_ABI.md`).
//!
//! ## 2. Parameters, declared once
//!
//! Each operator takes a struct deriving `Deserialize` and `Serialize`
//! (`#[serde(default, deny_unknown_fields)]`, defaults in `Default`),
//! documented field by field, with units in names (`sigma_px`,
//! `pixel_size_um`) and choices as enums written
//! `#[serde(rename_all = "kebab-case")]`. [`Params::TABLE`] adds what serde
//! cannot say: a one-line doc and a range (`Param::new("sigma_px",
//! "…").min(0.0)`). The manifest's `[operator.params]` table is read off the
//! struct ([`schema_of`]): `REGENERATE=1 cargo test` writes it into
//! `plugin.toml`, the compliance test fails while they disagree, and the host
//! refuses a plugin whose manifest and code disagree. The host validates
//! every pipeline against the manifest before any plugin code runs, so `new`
//! receives values that are in range; see [`params`].
//!
//! ## 3. Inputs and outputs
//!
//! `process` gets a [`FrameView`]: the dataset id, the [`ChunkKey`] (where
//! the chunk lies: axis, offset, length, extent), JSON metadata and named
//! arrays as [`ArrayView`]s of host memory (never copied; a typed slice with
//! [`ArrayView::as_slice`], any type as `f64` with `to_f64_vec`). It writes
//! to the [`Emitter`]:
//!
//! - [`Emitter::emit`] a new [`Frame`] ([`Frame::like`] keeps the input's
//!   dataset and key), or [`Emitter::forward`] the input itself unchanged
//!   (free: nothing is copied);
//! - [`Emitter::result`] a named JSON value (merged into the run's results
//!   and the output's sidecar), [`Emitter::event`] an event for the log;
//! - a `source` operator calls [`Emitter::end_stream`] when it is done.
//!
//! Make large outputs with [`ArrayBuf`] (write in place, then
//! `into_array`), [`Array::from_fn`], [`Array::from_bytes`] or
//! [`ArrayView::to_owned`]: their buffers come from the plugin's [`pool`]
//! and are reused frame after frame instead of faulting in fresh pages.
//! [`Array::from_vec`] takes a vector you already have without copying.
//!
//! With the cargo feature `ndarray` (`plexus-plugin-api = { …, features =
//! ["ndarray"] }`), `view.as_ndarray::<f32>()` gives an input as an
//! `ndarray::ArrayViewD` over the host's memory (no copy) and
//! `Array::from_ndarray(a)` takes an owned `ndarray` result as an output
//! without copying its buffer when it is in standard layout; the example is
//! in the `ndarray_views` module's docs (`cargo doc --features ndarray`).
//!
//! ## 4. Errors
//!
//! Return a [`PluginError`]; the host reports it naming the stage and the
//! frame and carries on with the next frame. Use the constructor that says
//! what is wrong: [`PluginError::bad_parameter`] (name, expected, got),
//! [`PluginError::bad_input`] (array, expected, got),
//! [`PluginError::unsupported`], [`PluginError::failed`]. A panic is caught
//! on the plugin side and becomes [`PluginError::Panic`]; it never crosses
//! the boundary (it would abort the host).
//!
//! ## 5. Threads and state
//!
//! [`Context::threads`] is the operator's share of the job's `--threads`:
//! use that many for data parallelism inside a chunk, no more. An operator
//! declared `parallel = true` in its manifest is stateless, and the host may
//! run several instances on different chunks at once. A stateful operator
//! (running statistics) keeps state across `process` calls, emits its
//! summary in `finish`, and offers `snapshot`/`restore` so a hot reload
//! keeps the state.
//!
//! ## 6. Test, build, pack, drop
//!
//! The plugin's tests call `compliance::check_operator` (feature
//! `compliance`) with a few frames; it checks the manifest against the code,
//! builds the operator from the manifest's defaults as the host does, runs
//! it twice for determinism, checks snapshot/restore, and returns the
//! outputs for the test's own assertions against a reference. Then:
//!
//! ```sh
//! cargo build --release
//! plexus plugins pack plugin.toml --artifact target/release/libmy_plugin.so --out ~/plexus-plugins/my_plugin
//! ```
//!
//! and a running `plexus serve` loads it from that folder (and reloads it
//! between two frames whenever a new version is packed there).
//!
//! # Core concepts
//!
//! - [`Array`]: element type ([`DType`]), shape, axis labels, contiguous
//!   row-major elements, shared by reference counting. [`ArrayView`] is the
//!   borrowed form; inputs reach a plugin as views of host memory, never
//!   copied. Axis order and units: `docs/CONVENTIONS.md`.
//! - [`Frame`]: what travels on the bus — a dataset id, a [`ChunkKey`], named
//!   arrays and a JSON metadata map. [`FrameView`] is the borrowed input form.
//! - [`Params`]: an operator's parameters, a serde struct; its manifest table
//!   is read off it ([`schema_of`]) and checked against `plugin.toml`.
//! - [`Operator`]: built from its parameter struct and a [`Context`] (the
//!   thread budget), fed frames with `process`, told the stream ended with
//!   `finish`, optionally `snapshot`/`restore` for hot reload. It writes
//!   outputs, side results and events to an [`Emitter`].
//!
//! # Lifecycle
//!
//! discover (the host reads `plugin.toml`, no plugin code) → verify (sha256,
//! API major, ELF structure, ABI layout) → load (from a private copy; never
//! unloaded) → configure (parameters validated against the manifest, then
//! `new`) → process (once per frame, in stream order) → finish (end of
//! stream) → reload (a new version is loaded beside the old; between two
//! frames the host moves state with snapshot/restore; if the new version's
//! first call fails, the old one is put back).
//!
//! # Versions
//!
//! This crate's major version is the plugin API major, [`API_MAJOR`] (2).
//! The host refuses a plugin built against another major — whatever its
//! manifest says, since the check reads the artifact's root module (native)
//! or `plexus_api_version` (wasm) — with one line:
//! ``plugin `x` was built for plugin API 1, this host serves API 2; rebuild
//! it against plexus-plugin-api 2.x``.

#![deny(missing_docs)]

// The data model: arrays, element types, frames, operators, errors. None
// of these modules imports the transports below.
mod array;
mod dtype;
mod error;
mod frame;
#[cfg(feature = "ndarray")]
pub mod ndarray_views;
mod operator;
pub mod params;
#[doc(hidden)]
pub mod plugin;
pub mod pool;

// How the data model crosses the boundary (native ABI, wasm guest ABI).
pub mod abi;
#[cfg(all(feature = "compliance", not(target_arch = "wasm32")))]
pub mod compliance;

pub use array::{channel_count, default_axes, Array, ArrayBuf, ArrayView, RawArrayBuf, CHANNEL_LABELS};
pub use dtype::{DType, Element};
pub use error::{ArrayError, PluginError};
/// The plugin API major this crate serves. A plugin built against another
/// major is refused at load (native and wasm alike).
pub const API_MAJOR: u32 = 2;
pub use frame::{ChunkKey, Frame, FrameView};
pub use operator::{Emitter, Operator, Output, Sink};
pub use params::schema::{ParamSpec, ParamType};
pub use params::{schema_of, NoParams, Param, Params};
pub use plugin::{Context, OperatorEntry, Plugin};
