//! The transports: how the data model of this crate crosses the plugin
//! boundary. Plugin authors never touch these modules; [`export_plugin!`],
//! the host's loader and the compliance harness are their users.
//!
//! - [`native`]: the `#[repr(C)]`, layout-checked (`abi_stable`) types of a
//!   native plugin, and the host-side conversions (lend a frame, take an
//!   output) — not on wasm32.
//! - [`export`]: the plugin side of the native boundary (the adapter that
//!   wraps an [`Operator`](crate::Operator) and catches panics) and the
//!   pieces [`export_plugin!`] expands to.
//! - [`wasm`]: names and layouts of the wasm guest ABI, shared by the guest
//!   and the host's sandbox.
//! - `guest`: the guest side of the wasm ABI, built on wasm32 only.
//!
//! Dependencies point one way: these modules import the data model
//! (`array`, `dtype`, `frame`, `operator`, `error`), never the reverse.
//!
//! [`export_plugin!`]: crate::export_plugin

pub mod export;
#[cfg(target_arch = "wasm32")]
pub mod guest;
#[cfg(not(target_arch = "wasm32"))]
pub mod native;
pub mod wasm;
