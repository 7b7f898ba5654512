//! Watching plugin folders: a debounced notify watcher rescans the registry
//! whenever something in a folder changes. A half-written artifact fails its
//! sha256 check quietly and is picked up by the scan after the write ends.

use std::path::Path;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use notify_debouncer_mini::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{new_debouncer, Debouncer};

use crate::error::RegistryError;
use crate::registry::Registry;

/// Keeps the watch alive; dropping it stops watching.
pub struct Watcher {
    _debouncer: Debouncer<RecommendedWatcher>,
}

/// Watches every existing root of `registry` and rescans after each burst of
/// changes, `debounce` after the last one.
pub fn watch(registry: Arc<Registry>, debounce: Duration) -> Result<Watcher, RegistryError> {
    let (tx, rx) = mpsc::channel();
    let mut debouncer =
        new_debouncer(debounce, tx).map_err(|e| RegistryError::Watch { path: None, message: e.to_string() })?;
    for root in registry.roots() {
        if root.is_dir() {
            debouncer
                .watcher()
                .watch(root, RecursiveMode::Recursive)
                .map_err(|e| RegistryError::Watch { path: Some(root.clone()), message: e.to_string() })?;
        }
    }
    std::thread::Builder::new()
        .name("plexus-plugin-watch".into())
        .spawn(move || {
            for result in rx {
                match result {
                    Ok(_events) => registry.scan(),
                    Err(e) => tracing::warn!("plugin folder watch error: {e}"),
                }
            }
        })
        .map_err(|e| RegistryError::io("start the watcher thread for", Path::new("plugin folders"), e))?;
    Ok(Watcher { _debouncer: debouncer })
}
