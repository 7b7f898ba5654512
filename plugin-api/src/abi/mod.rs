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

use crate::error::PluginError;

pub mod export;
#[cfg(target_arch = "wasm32")]
pub mod guest;
#[cfg(not(target_arch = "wasm32"))]
pub mod native;
pub mod wasm;

/// The code an error crosses the boundary with (`plugin-api/WASM_ABI.md`).
pub(crate) fn error_code(e: &PluginError) -> u8 {
    match e {
        PluginError::InvalidParam { .. } => 1,
        PluginError::InvalidInput(_) => 2,
        PluginError::UnknownOperator(_) => 3,
        PluginError::Unsupported(_) => 4,
        PluginError::Panicked(_) => 5,
        PluginError::Failed(_) => 6,
    }
}

/// The parameter name (or empty) and message an error crosses with.
pub(crate) fn error_detail(e: &PluginError) -> (&str, &str) {
    match e {
        PluginError::InvalidParam { param, message } => (param, message),
        PluginError::InvalidInput(m)
        | PluginError::UnknownOperator(m)
        | PluginError::Unsupported(m)
        | PluginError::Panicked(m)
        | PluginError::Failed(m) => ("", m),
    }
}

/// Rebuilds an error from its code, parameter and message.
pub fn error_from_code(code: u8, param: &str, message: &str) -> PluginError {
    let m = message.to_string();
    match code {
        1 => PluginError::InvalidParam { param: param.to_string(), message: m },
        2 => PluginError::InvalidInput(m),
        3 => PluginError::UnknownOperator(m),
        4 => PluginError::Unsupported(m),
        5 => PluginError::Panicked(m),
        _ => PluginError::Failed(m),
    }
}
