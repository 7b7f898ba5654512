//! Why a plugin was refused. Each variant carries the data a user needs to
//! act on it; messages are lowercase and name things in backticks.

use std::path::PathBuf;

/// A broken `plugin.toml`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("`{}`{}: {message}", path.display(), location(*line, key))]
pub struct ManifestError {
    /// The manifest file.
    pub path: PathBuf,
    /// 1-based line of the offending key, where known.
    pub line: Option<usize>,
    /// Dotted path of the offending key (`operator.fbp.params.filter`), where known.
    pub key: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
}

fn location(line: Option<usize>, key: &Option<String>) -> String {
    match (line, key) {
        (Some(l), Some(k)) => format!(", line {l}, key `{k}`"),
        (Some(l), None) => format!(", line {l}"),
        (None, Some(k)) => format!(", key `{k}`"),
        (None, None) => String::new(),
    }
}

/// Why an artifact was not loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RejectReason {
    /// The manifest could not be read or is invalid.
    #[error("bad manifest: {0}")]
    BadManifest(ManifestError),
    /// The artifact named by the manifest is not there.
    #[error("artifact `{}` is missing", .0.display())]
    MissingArtifact(PathBuf),
    /// The artifact's bytes are not the ones the manifest vouches for.
    #[error("sha256 mismatch: the manifest says {expected}, the artifact `{}` hashes to {found}", artifact.display())]
    ShaMismatch {
        /// The artifact file.
        artifact: PathBuf,
        /// From the manifest.
        expected: String,
        /// Computed from the file.
        found: String,
    },
    /// Built against another API major.
    #[error(
        "plugin `{plugin}` was built for plugin API {built_for}, this host serves API {host_serves}; rebuild it against plexus-plugin-api {host_serves}.x"
    )]
    ApiMismatch {
        /// Plugin name.
        plugin: String,
        /// What it was built for.
        built_for: String,
        /// What this host serves.
        host_serves: String,
    },
    /// Same API major, different layout of the contract's types.
    #[error(
        "plugin `{plugin}` was built against a plexus-plugin-api whose ABI layout differs from this host's (API {host_serves}); rebuild it against the same plexus-plugin-api release (run with RUST_LOG=plexus_registry=debug for the full layout report)"
    )]
    LayoutMismatch {
        /// Plugin name.
        plugin: String,
        /// What this host serves.
        host_serves: String,
    },
    /// The dynamic loader refused the file (truncated, wrong architecture, not a library).
    #[error("cannot load `{}`: {message}", path.display())]
    LoadFailed {
        /// The artifact.
        path: PathBuf,
        /// The loader's reason.
        message: String,
    },
    /// The manifest lists an operator the artifact does not export.
    #[error("the manifest lists operator `{operator}`, which the artifact does not export (it exports {exported})")]
    OperatorMissing {
        /// The missing operator.
        operator: String,
        /// The artifact's operators, formatted.
        exported: String,
    },
    /// The manifest's parameter table disagrees with the parameter struct
    /// the artifact builds the operator from.
    #[error(
        "operator `{operator}`: its parameter table disagrees with the plugin's parameter struct: {}; regenerate the table (`REGENERATE=1 cargo test` in the plugin's crate)",
        mismatches.join("; ")
    )]
    ParamsMismatch {
        /// The operator.
        operator: String,
        /// Each difference.
        mismatches: Vec<String>,
    },
    /// The artifact cannot describe an operator's parameters.
    #[error("operator `{operator}`: the plugin cannot describe its parameters: {message}")]
    ParamsUnreadable {
        /// The operator.
        operator: String,
        /// What the plugin said.
        message: String,
    },
    /// Another folder earlier in the search path already provides this name.
    #[error("duplicate plugin `{name}`: `{}` is used", first.display())]
    Duplicate {
        /// Plugin name.
        name: String,
        /// The manifest that won.
        first: PathBuf,
    },
    /// The artifact kind cannot be loaded by this host.
    #[error("plugins of kind `{0}` are not supported by this host")]
    UnsupportedKind(String),
    /// A folder or file another user could write to: native code from it
    /// could be theirs (see `docs/TRUST.md`).
    #[error("{what} `{}` is refused: {problem}", path.display())]
    Untrusted {
        /// `plugin folder`, `manifest` or `artifact`.
        what: &'static str,
        /// The folder or file, as found on the search path.
        path: PathBuf,
        /// What is wrong with it or with a folder above it.
        problem: TrustProblem,
    },
    /// The artifact is a FIFO, a device, a folder or a socket.
    #[error("artifact `{}` is not a regular file (it is {found}); plexus loads only regular files", path.display())]
    NotAFile {
        /// The artifact.
        path: PathBuf,
        /// What it is instead (`a FIFO`, `a character device`, ...).
        found: &'static str,
    },
    /// The artifact is a symlink that leads out of its plugin's folder.
    #[error("artifact `{}` is a symlink to `{}`, outside its plugin folder `{}`", path.display(), target.display(), folder.display())]
    OutsideFolder {
        /// The artifact.
        path: PathBuf,
        /// Where the symlink leads (resolved).
        target: PathBuf,
        /// The plugin's folder.
        folder: PathBuf,
    },
    /// The artifact is larger than the cap on plugin artifacts.
    #[error(
        "artifact `{}` is {:.1} MiB ({bytes} bytes), over the {} MiB cap on plugin artifacts",
        path.display(), *bytes as f64 / 1048576.0, cap_bytes >> 20
    )]
    TooLarge {
        /// The artifact.
        path: PathBuf,
        /// Its size.
        bytes: u64,
        /// The cap.
        cap_bytes: u64,
    },
    /// The new version failed its first call; the previous one stays.
    #[error("version {version} failed its first call: {message}")]
    FirstCallFailed {
        /// The version that failed.
        version: String,
        /// Why.
        message: String,
    },
}

impl RejectReason {
    /// A short machine-readable name for the reason, used in events.
    pub fn kind(&self) -> &'static str {
        match self {
            RejectReason::BadManifest(_) => "bad_manifest",
            RejectReason::MissingArtifact(_) => "missing_artifact",
            RejectReason::ShaMismatch { .. } => "sha256_mismatch",
            RejectReason::ApiMismatch { .. } => "api_mismatch",
            RejectReason::LayoutMismatch { .. } => "layout_mismatch",
            RejectReason::LoadFailed { .. } => "load_failed",
            RejectReason::OperatorMissing { .. } => "operator_missing",
            RejectReason::ParamsMismatch { .. } => "params_mismatch",
            RejectReason::ParamsUnreadable { .. } => "params_unreadable",
            RejectReason::Duplicate { .. } => "duplicate",
            RejectReason::UnsupportedKind(_) => "unsupported_kind",
            RejectReason::FirstCallFailed { .. } => "first_call_failed",
            RejectReason::Untrusted { .. } => "untrusted",
            RejectReason::NotAFile { .. } => "not_a_file",
            RejectReason::OutsideFolder { .. } => "outside_folder",
            RejectReason::TooLarge { .. } => "too_large",
        }
    }
}

/// Why a folder or file is not trusted to hold native code: the rules of
/// ssh's `StrictModes`, applied to plugin folders.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrustProblem {
    /// Group or others may write to it (a folder above the plugin folder
    /// may be, if it is sticky like `/tmp`).
    #[error(
        "`{}` is writable by {} (mode {mode:04o}), so another user could plant code in it; fix with `chmod go-w {}`",
        path.display(), writers(*mode), path.display()
    )]
    Writable {
        /// The folder or file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Owned by someone who is neither the current user nor root.
    #[error(
        "`{}` is owned by uid {owner}, who is neither the current user (uid {current}) nor root and could replace the code in it",
        path.display()
    )]
    Owner {
        /// The folder or file.
        path: PathBuf,
        /// Its owner.
        owner: u32,
        /// The effective uid of this process.
        current: u32,
    },
    /// Its owner and mode cannot be read.
    #[error("cannot check `{}`: {message}", path.display())]
    Unreadable {
        /// The folder or file.
        path: PathBuf,
        /// What the operating system said.
        message: String,
    },
}

fn writers(mode: u32) -> &'static str {
    match (mode & 0o020 != 0, mode & 0o002 != 0) {
        (true, true) => "group and others",
        (true, false) => "group",
        _ => "others",
    }
}

/// Errors from asking the registry for something.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// No plugin of that name is loaded.
    #[error("no plugin `{name}` is loaded{}", hint(available))]
    UnknownPlugin {
        /// The name asked for.
        name: String,
        /// Loaded plugin names.
        available: Vec<String>,
    },
    /// The plugin was found but its artifact was refused when first used.
    #[error("plugin `{name}` (`{}`) was refused: {reason}", manifest.display())]
    Refused {
        /// Plugin name.
        name: String,
        /// The manifest of the copy refused first.
        manifest: PathBuf,
        /// Why.
        reason: Box<RejectReason>,
    },
    /// The plugin does not offer that operator.
    #[error("plugin `{plugin}` has no operator `{operator}`{}", hint(available))]
    UnknownOperator {
        /// Plugin name.
        plugin: String,
        /// The operator asked for.
        operator: String,
        /// Its operators.
        available: Vec<String>,
    },
    /// The plugin refused to build the operator.
    #[error("plugin `{plugin}` could not build operator `{operator}`: {source}")]
    Construct {
        /// Plugin name.
        plugin: String,
        /// Operator name.
        operator: String,
        /// What the plugin said.
        source: Box<plexus_plugin_api::PluginError>,
    },
    /// A manifest that cannot be used (packing).
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// A file or folder could not be read, written or created.
    #[error("cannot {action} `{}`: {source}", path.display())]
    Io {
        /// What was being done (`read`, `write`, `create`).
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::sync::Arc<std::io::Error>,
    },
    /// Watching a plugin folder failed.
    #[error("cannot watch {}: {message}", path.as_ref().map(|p| format!("`{}`", p.display())).unwrap_or_else(|| "plugin folders".to_string()))]
    Watch {
        /// The folder, when one was being added.
        path: Option<PathBuf>,
        /// What the watcher said.
        message: String,
    },
}

impl RegistryError {
    /// An I/O failure doing `action` on `path`.
    pub fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> RegistryError {
        RegistryError::Io { action, path: path.to_path_buf(), source: std::sync::Arc::new(source) }
    }
}

fn hint(available: &[String]) -> String {
    if available.is_empty() {
        String::new()
    } else {
        format!(" (available: {})", available.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", "))
    }
}
