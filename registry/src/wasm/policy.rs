//! What a host allows wasm plugins ([`WasmPolicy`]), what is in force for
//! one loaded plugin ([`Limits`]), and what a pipeline stage grants an
//! instance ([`Grants`]).

use std::path::PathBuf;

use crate::manifest::Manifest;
use crate::wasm::wasi_fs::ReadGrant;

/// What a pipeline grants one stage (`grants = { clock = true, read = [...] }`).
/// Only capabilities the manifest asks for (and the host's ceiling allows)
/// take effect; the rest stay denied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    /// `clock_time_get` answers.
    pub clock: bool,
    /// Read-only preopened folders.
    pub read: Vec<ReadGrant>,
}

/// What the operator running the host allows wasm plugins at most, and which
/// capabilities it grants to those that ask.
#[derive(Debug, Clone, PartialEq)]
pub struct WasmPolicy {
    /// Largest memory cap a manifest may obtain, in MiB.
    pub max_memory_mib: u64,
    /// Longest per-call deadline a manifest may obtain, in milliseconds.
    pub max_deadline_ms: u64,
    /// Capabilities pipelines may grant at most (`PLEXUS_WASM_GRANT`);
    /// `None`: any capability a manifest asks for.
    pub ceiling: Option<Vec<String>>,
    /// Where compiled modules are cached; `None`: no disk cache.
    pub cache_dir: Option<PathBuf>,
}

impl Default for WasmPolicy {
    fn default() -> Self {
        WasmPolicy { max_memory_mib: 4096, max_deadline_ms: 60_000, ceiling: None, cache_dir: None }
    }
}

/// The limits and capabilities in force for one loaded wasm plugin.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Limits {
    /// Linear memory cap per instance, in MiB.
    pub memory_mib: u64,
    /// Wall-clock deadline per call, in milliseconds.
    pub deadline_ms: u64,
    /// Bytes of output arrays one call may hand back, in MiB.
    pub output_mib: u64,
    /// Capabilities the manifest asked for.
    pub requested: Vec<String>,
    /// Capabilities a pipeline may grant: asked for and within the host's
    /// ceiling. Nothing is in force until a pipeline stage grants it.
    pub granted: Vec<String>,
}

impl Limits {
    pub(crate) fn from(manifest: &Manifest, policy: &WasmPolicy) -> Limits {
        let s = manifest.sandbox.clone().unwrap_or_default();
        Limits {
            memory_mib: s.memory_mib.min(policy.max_memory_mib),
            deadline_ms: s.deadline_ms.min(policy.max_deadline_ms),
            output_mib: s.output_mib,
            granted: s
                .capabilities
                .iter()
                .filter(|c| policy.ceiling.as_ref().is_none_or(|g| g.contains(c)))
                .cloned()
                .collect(),
            requested: s.capabilities,
        }
    }

    pub(crate) fn memory_bytes(&self) -> usize {
        (self.memory_mib as usize).saturating_mul(1 << 20)
    }
}
