//! Where things live: the plugin search path and the state folder.

use std::path::PathBuf;

use crate::error::HostError;

/// Plugin folders in priority order: `extra` (from `--plugins`), each entry
/// of `$PLEXUS_PLUGIN_PATH`, the folders of the config file
/// ([`crate::config`]), then the built-in plugins beside the binary
/// (`<dir of plexus>/plugins`).
///
/// Never the working directory's `plugins/`: a native plugin runs as the
/// user of `plexus`, so native code comes only from folders the operator
/// chose (`cd`-ing into a dataset someone else prepared must not run their
/// code). The registry then refuses any of these folders that another user
/// could write to (see `docs/TRUST.md`).
pub fn plugin_roots(extra: &[PathBuf]) -> Result<Vec<PathBuf>, HostError> {
    let mut roots: Vec<PathBuf> = extra.to_vec();
    if let Some(path) = std::env::var_os("PLEXUS_PLUGIN_PATH") {
        roots.extend(std::env::split_paths(&path).filter(|p| !p.as_os_str().is_empty()));
    }
    roots.extend(crate::config::plugin_folders().map_err(|e| HostError::Config(format!("{e:#}")))?);
    if let Some(dir) = std::env::current_exe().ok().and_then(|e| e.parent().map(|p| p.join("plugins"))) {
        roots.push(dir);
    }
    let mut seen = Vec::new();
    roots.retain(|r| {
        let key = r.canonicalize().unwrap_or_else(|_| r.clone());
        if seen.contains(&key) {
            false
        } else {
            seen.push(key);
            true
        }
    });
    Ok(roots)
}

/// The working directory's `plugins/` when it exists but is not on the
/// search path `roots`: worth a warning, since earlier versions searched it.
pub fn unsearched_cwd_plugins(roots: &[PathBuf]) -> Option<PathBuf> {
    let here = std::path::Path::new("plugins").canonicalize().ok().filter(|p| p.is_dir())?;
    let searched = roots.iter().any(|r| r.canonicalize().ok().as_ref() == Some(&here));
    (!searched).then_some(here)
}

/// The state folder: `$PLEXUS_HOME`, else `./.plexus`.
pub fn home() -> PathBuf {
    std::env::var_os("PLEXUS_HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(".plexus"))
}

/// What wasm plugins may have at most and what they are granted, from the
/// environment: `PLEXUS_WASM_MAX_MEMORY_MIB` (default 4096),
/// `PLEXUS_WASM_MAX_DEADLINE_MS` (default 60000), `PLEXUS_WASM_GRANT` (the
/// host-wide ceiling on what pipelines may grant: comma-separated
/// capabilities, `none` or empty for nothing; unset: no ceiling — pipelines
/// may grant whatever a manifest asks for) and `PLEXUS_WASM_CACHE`
/// (compiled-module cache, default `$PLEXUS_HOME/wasm-cache`).
pub fn wasm_policy() -> Result<plexus_registry::WasmPolicy, HostError> {
    let mut p = plexus_registry::WasmPolicy::default();
    let number = |var: &'static str, default: u64| -> Result<u64, HostError> {
        match std::env::var(var) {
            Ok(v) => v.trim().parse().map_err(|_| HostError::Environment {
                var,
                message: format!("expected a positive integer, got `{v}`"),
            }),
            Err(_) => Ok(default),
        }
    };
    p.max_memory_mib = number("PLEXUS_WASM_MAX_MEMORY_MIB", p.max_memory_mib)?;
    p.max_deadline_ms = number("PLEXUS_WASM_MAX_DEADLINE_MS", p.max_deadline_ms)?;
    if let Ok(g) = std::env::var("PLEXUS_WASM_GRANT") {
        let list: Vec<String> =
            g.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty() && s != "none").collect();
        for c in &list {
            if !plexus_registry::wasm::KNOWN_CAPABILITIES.contains(&c.as_str()) {
                return Err(HostError::Environment {
                    var: "PLEXUS_WASM_GRANT",
                    message: format!(
                        "unknown capability `{c}` (known: {})",
                        plexus_registry::wasm::KNOWN_CAPABILITIES.join(", ")
                    ),
                });
            }
        }
        p.ceiling = Some(list);
    }
    p.cache_dir =
        Some(std::env::var_os("PLEXUS_WASM_CACHE").map(PathBuf::from).unwrap_or_else(|| home().join("wasm-cache")));
    Ok(p)
}

/// The default event log.
pub fn event_log() -> PathBuf {
    home().join("events.jsonl")
}

/// Where the fresh private folders that native artifacts are mapped from
/// are made (`$TMPDIR`, else `/tmp`); each is removed once its copy is mapped.
pub fn private_copies_root() -> PathBuf {
    std::env::temp_dir()
}
