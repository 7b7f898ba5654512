//! One loaded version of a plugin ([`LoadedPlugin`]): its manifest, the
//! sha256 it was verified against, and the artifact it runs on (a mapped
//! native library or a compiled wasm module).

use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use crate::error::RegistryError;
use crate::manifest::{Manifest, OperatorSpec};
use crate::native::NativeModule;
use crate::wasm::{Limits, WasmModule};

/// What a loaded version runs on.
pub(crate) enum Artifact {
    Native(NativeModule),
    Wasm(Arc<WasmModule>),
}

/// One loaded version of a plugin. Native versions are never unloaded; a
/// wasm version is dropped once no slot or instance refers to it.
pub struct LoadedPlugin {
    /// Its manifest.
    pub manifest: Manifest,
    /// sha256 of the artifact that was loaded.
    pub sha256: String,
    /// When it was loaded.
    pub loaded_at: SystemTime,
    pub(crate) artifact: Artifact,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.manifest.plugin.name, self.manifest.plugin.version)
    }
}

impl LoadedPlugin {
    /// Plugin name.
    pub fn name(&self) -> &str {
        &self.manifest.plugin.name
    }

    /// Plugin version.
    pub fn version(&self) -> &semver::Version {
        &self.manifest.plugin.version
    }

    /// `native` or `wasm`.
    pub fn tier(&self) -> &'static str {
        match self.artifact {
            Artifact::Native(_) => "native",
            Artifact::Wasm(_) => "wasm",
        }
    }

    /// For a wasm plugin: the limits in force and the capabilities granted.
    pub fn sandbox_limits(&self) -> Option<&Limits> {
        match &self.artifact {
            Artifact::Native(_) => None,
            Artifact::Wasm(m) => Some(&m.limits),
        }
    }

    /// For a wasm plugin: whether its compiled module came from the disk cache.
    pub fn from_module_cache(&self) -> Option<bool> {
        match &self.artifact {
            Artifact::Native(_) => None,
            Artifact::Wasm(m) => Some(m.from_cache),
        }
    }

    /// The folder the plugin was found in.
    pub fn folder(&self) -> &Path {
        self.manifest.path.parent().unwrap_or(Path::new("."))
    }

    /// The declared operator `name`.
    pub fn operator(&self, name: &str) -> Result<&OperatorSpec, RegistryError> {
        self.manifest.operator(name).ok_or_else(|| RegistryError::UnknownOperator {
            plugin: self.name().to_string(),
            operator: name.to_string(),
            available: self.manifest.operators.iter().map(|o| o.name.clone()).collect(),
        })
    }
}
