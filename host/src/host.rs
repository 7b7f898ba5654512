//! Assembling a host: control bus, event log, registry (scanned, and
//! optionally watched), with registry events forwarded to the bus.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use plexus_registry::{Registry, RegistryEvent, Watcher};

use crate::error::HostError;
use crate::events::{ControlBus, EventKind, EventLog};
use crate::paths;

/// A running host's shared parts.
pub struct Host {
    /// Control events.
    pub bus: ControlBus,
    /// Plugins.
    pub registry: Arc<Registry>,
    log: Option<EventLog>,
    _watcher: Option<Watcher>,
}

impl Host {
    /// Starts the event log at `events`, scans the plugin folders (with
    /// `extra` first) and, if `watch`, watches them for changes.
    ///
    /// A watching host (`serve`, `run --watch-plugins`) verifies and loads
    /// every plugin now, so a plugin dropped in is reported at once; a
    /// one-shot host only reads the manifests, and each artifact is verified
    /// and loaded when a pipeline first uses it (`Registry::discover`).
    pub fn start(extra_plugins: &[PathBuf], events: &Path, watch: bool) -> Result<Host, HostError> {
        let bus = ControlBus::new();
        let log = EventLog::start(&bus, events).map_err(|e| HostError::system("open the event log", events, e))?;
        let roots = paths::plugin_roots(extra_plugins)?;
        if let Some(here) = paths::unsearched_cwd_plugins(&roots) {
            tracing::warn!(
                "`{}` is not searched for plugins: native plugins run as you, so they come only from folders you choose; pass `--plugins plugins` to use it (docs/TRUST.md)",
                here.display()
            );
        }
        let registry = Arc::new(Registry::new(roots, paths::private_copies_root()));
        let b = bus.clone();
        registry.subscribe(move |e| b.emit(registry_event(e)));
        registry.set_wasm_policy(paths::wasm_policy()?);
        registry.set_verified_cache(Some(paths::home().join("verified-sha256")));
        if watch {
            registry.scan();
        } else {
            registry.discover();
        }
        let watcher =
            if watch { Some(plexus_registry::watch(registry.clone(), Duration::from_millis(150))?) } else { None };
        Ok(Host { bus, registry, log: Some(log), _watcher: watcher })
    }

    /// Flushes the event log and stops.
    pub fn shutdown(mut self) {
        self.bus.close();
        if let Some(log) = self.log.take() {
            log.join();
        }
    }
}

/// Translates a registry event into a control event.
pub fn registry_event(e: &RegistryEvent) -> EventKind {
    match e {
        RegistryEvent::Loaded { name, version, sha256, folder } => EventKind::PluginLoaded {
            plugin: name.clone(),
            version: version.clone(),
            sha256: sha256.clone(),
            folder: folder.display().to_string(),
        },
        RegistryEvent::Reloaded { name, from, to, sha256 } => EventKind::PluginReloaded {
            plugin: name.clone(),
            from: from.clone(),
            to: to.clone(),
            sha256: sha256.clone(),
        },
        RegistryEvent::ReloadFailed { name, version, reason } => EventKind::PluginReloadFailed {
            plugin: name.clone(),
            version: version.clone(),
            reason: reason.kind().to_string(),
            message: reason.to_string(),
        },
        RegistryEvent::Rejected { manifest, reason } => EventKind::PluginRejected {
            manifest: manifest.display().to_string(),
            reason: reason.kind().to_string(),
            message: reason.to_string(),
        },
        RegistryEvent::Removed { name } => EventKind::PluginRemoved { plugin: name.clone() },
        RegistryEvent::GuestOutput { name, version, stream, text } => EventKind::PluginOutput {
            plugin: name.clone(),
            version: version.clone(),
            stream: stream.clone(),
            text: text.clone(),
        },
    }
}
