//! Where things live: the plugin search path and the state folder.

use std::path::PathBuf;

/// Plugin folders in priority order: `extra` (from `--plugins`), `./plugins`,
/// each entry of `$PLEXUS_PLUGIN_PATH`, then the built-in plugins beside the
/// binary (`<dir of plexus>/plugins`).
pub fn plugin_roots(extra: &[PathBuf]) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = extra.to_vec();
    roots.push(PathBuf::from("plugins"));
    if let Some(path) = std::env::var_os("PLEXUS_PLUGIN_PATH") {
        roots.extend(std::env::split_paths(&path).filter(|p| !p.as_os_str().is_empty()));
    }
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
    roots
}

/// The state folder: `$PLEXUS_HOME`, else `./.plexus`.
pub fn home() -> PathBuf {
    std::env::var_os("PLEXUS_HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(".plexus"))
}

/// The default event log.
pub fn event_log() -> PathBuf {
    home().join("events.jsonl")
}

/// Where private copies of plugin artifacts are mapped from (each copy is
/// unlinked right after loading).
pub fn private_dir() -> PathBuf {
    std::env::temp_dir().join(format!("plexus-loaded-{}", std::process::id()))
}
