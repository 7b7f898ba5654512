//! The set of loaded plugins: discovery over the search path, verification,
//! side-by-side versions for hot reload, and the list of rejects.
//!
//! A scan walks the plugin folders in order (the first valid plugin of a name
//! wins), refuses folders and files another user could write to
//! ([`crate::trust`]) and artifacts that are not regular files inside their
//! folder ([`crate::artifact`]), verifies each artifact (API major, sha256,
//! ABI layout) and loads
//! what is new or changed beside what is already loaded.
//!
//! [`Registry::discover`] is the lazy variant for a one-shot run: it reads
//! and checks manifests only, and a plugin's artifact is verified and loaded
//! when [`Registry::current`] first asks for it (a trivial `plexus run`
//! uses one or two of the built-ins; verifying all of them was most of its
//! start-up). The same rules apply, in the same order: the first copy of a
//! name on the search path that verifies wins, the ones after it are
//! duplicates. [`Registry::load_all`] verifies whatever is still pending
//! (`plexus plugins list` does, so it still verifies everything it lists). Routing switches
//! when a pipeline stage sees [`Registry::generation`] change between two
//! frames and asks for [`Registry::current`]; the old version stays mapped so
//! frames in flight finish on it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use plexus_plugin_api::API_MAJOR;

use crate::artifact;
use crate::error::{RegistryError, RejectReason};
use crate::loaded::{Artifact, LoadedPlugin};
use crate::manifest::{Kind, Manifest};
use crate::native;
use crate::trust;
use crate::verified::{FileKey, VerifiedCache};
use crate::wasm::{self, WasmPolicy};

/// An artifact that was not loaded, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    /// The manifest that describes it.
    pub manifest: PathBuf,
    /// The plugin name, when the manifest could be read.
    pub name: Option<String>,
    /// Why.
    pub reason: RejectReason,
}

/// What happened to a plugin, for the event log.
#[derive(Debug, Clone, PartialEq)]
pub enum RegistryEvent {
    /// A plugin was loaded for the first time.
    Loaded {
        /// Name.
        name: String,
        /// Version.
        version: String,
        /// Artifact sha256.
        sha256: String,
        /// Its folder.
        folder: PathBuf,
    },
    /// A new version replaced the current one.
    Reloaded {
        /// Name.
        name: String,
        /// Previous version.
        from: String,
        /// New version.
        to: String,
        /// New artifact sha256.
        sha256: String,
    },
    /// A new version could not replace the current one, which stays.
    ReloadFailed {
        /// Name.
        name: String,
        /// The version that failed.
        version: String,
        /// Why.
        reason: RejectReason,
    },
    /// An artifact was refused.
    Rejected {
        /// Its manifest.
        manifest: PathBuf,
        /// Why.
        reason: RejectReason,
    },
    /// A plugin's folder disappeared; running instances finish on it.
    Removed {
        /// Name.
        name: String,
    },
    /// A wasm guest wrote to stdout or stderr (captured, never a terminal).
    GuestOutput {
        /// Plugin name.
        name: String,
        /// Plugin version.
        version: String,
        /// `stdout` or `stderr`.
        stream: String,
        /// What it wrote (trailing newline removed; at most 64 KiB per call).
        text: String,
    },
}

type Listener = Box<dyn Fn(&RegistryEvent) + Send + Sync>;

struct Slot {
    current: Arc<LoadedPlugin>,
    history: Vec<Arc<LoadedPlugin>>,
}

#[derive(Default)]
struct State {
    plugins: BTreeMap<String, Slot>,
    /// Discovered but not yet verified ([`Registry::discover`]): every
    /// usable manifest of a name, in search-path order.
    pending: BTreeMap<String, Vec<Manifest>>,
    /// Pending names whose every copy was refused when first used: the
    /// manifest refused first and why, so later uses get the same answer.
    refused: BTreeMap<String, (PathBuf, RejectReason)>,
    rejected: Vec<Rejected>,
    first_call_failures: Vec<Rejected>,
    failed_shas: HashSet<String>,
    mapped: usize,
    reported: HashMap<PathBuf, String>,
}

/// The plugin registry.
pub struct Registry {
    roots: Vec<PathBuf>,
    temp_root: PathBuf,
    state: RwLock<State>,
    generation: AtomicU64,
    listeners: Arc<RwLock<Vec<Listener>>>,
    scan_lock: Mutex<()>,
    wasm_policy: RwLock<WasmPolicy>,
    verified: RwLock<Option<VerifiedCache>>,
}

impl Registry {
    /// A registry over the plugin folders `roots` (in priority order), loading
    /// native artifacts from private copies in fresh folders made under
    /// `temp_root` (usually `$TMPDIR`; each is removed once its copy is
    /// mapped). Nothing is scanned yet.
    pub fn new(roots: Vec<PathBuf>, temp_root: PathBuf) -> Registry {
        Registry {
            roots,
            temp_root,
            state: RwLock::default(),
            generation: AtomicU64::new(0),
            listeners: Arc::default(),
            scan_lock: Mutex::new(()),
            wasm_policy: RwLock::default(),
            verified: RwLock::default(),
        }
    }

    /// Keeps the sha256 of every artifact that verified in `dir` (a private
    /// folder, created `0700`; refused if another user could write to it),
    /// keyed by device, inode, size, mtime and ctime, so an unchanged
    /// artifact loads without being hashed again. `None`: hash every time.
    pub fn set_verified_cache(&self, dir: Option<PathBuf>) {
        *self.verified.write().unwrap_or_else(|e| e.into_inner()) = dir.map(VerifiedCache::new);
    }

    /// Sets what wasm plugins may have at most, what they are granted, and
    /// where compiled modules are cached. Applies to plugins loaded from now on.
    pub fn set_wasm_policy(&self, policy: WasmPolicy) {
        *self.wasm_policy.write().unwrap_or_else(|e| e.into_inner()) = policy;
    }

    /// The wasm policy in force.
    pub fn wasm_policy(&self) -> WasmPolicy {
        self.wasm_policy.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The plugin folders, in priority order.
    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// Calls `f` for every event from now on.
    pub fn subscribe(&self, f: impl Fn(&RegistryEvent) + Send + Sync + 'static) {
        self.listeners.write().unwrap_or_else(|e| e.into_inner()).push(Box::new(f));
    }

    fn emit(&self, event: RegistryEvent) {
        for l in self.listeners.read().unwrap_or_else(|e| e.into_inner()).iter() {
            l(&event);
        }
    }

    fn state(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Bumped whenever the set of current versions changes; cheap to poll
    /// between frames.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The current version of plugin `name`; a plugin [`discover`](Self::discover)ed
    /// but not used yet is verified and loaded now.
    pub fn current(&self, name: &str) -> Result<Arc<LoadedPlugin>, RegistryError> {
        {
            let state = self.state();
            if let Some(slot) = state.plugins.get(name) {
                return Ok(slot.current.clone());
            }
            if let Some(e) = refused(&state, name) {
                return Err(e);
            }
            if !state.pending.contains_key(name) {
                return Err(RegistryError::UnknownPlugin { name: name.to_string(), available: names(&state) });
            }
        }
        self.load_pending(name)
    }

    /// Verifies and loads every plugin still pending after
    /// [`discover`](Self::discover), reporting the ones refused.
    pub fn load_all(&self) {
        let names: Vec<String> = self.state().pending.keys().cloned().collect();
        for name in names {
            // A refusal is recorded and reported; nothing more to do here.
            let _ = self.load_pending(&name);
        }
    }

    /// The current version of every loaded plugin, by name (after
    /// [`discover`](Self::discover), only those used so far; see
    /// [`load_all`](Self::load_all)).
    pub fn plugins(&self) -> Vec<Arc<LoadedPlugin>> {
        self.state().plugins.values().map(|s| s.current.clone()).collect()
    }

    /// Versions of `name` loaded before the current one, oldest first.
    pub fn history(&self, name: &str) -> Vec<Arc<LoadedPlugin>> {
        self.state().plugins.get(name).map(|s| s.history.clone()).unwrap_or_default()
    }

    /// Artifacts refused by the last scan, and versions that failed their
    /// first call.
    pub fn rejected(&self) -> Vec<Rejected> {
        let s = self.state();
        s.rejected.iter().chain(s.first_call_failures.iter()).cloned().collect()
    }

    /// How many plugin libraries are mapped into this process (they are never
    /// unloaded).
    pub fn mapped_versions(&self) -> usize {
        self.state().mapped
    }

    /// Walks the plugin folders and reads their manifests only: what is
    /// found is verified and loaded when first used ([`current`](Self::current)).
    /// Folder and manifest trust, manifest errors and API majors are checked
    /// (and reported) now, as by [`scan`](Self::scan); artifacts are not read.
    pub fn discover(&self) {
        let _guard = self.scan_lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut rejected = Vec::new();
        let mut pending: BTreeMap<String, Vec<Manifest>> = BTreeMap::new();
        for manifest_path in self.trusted_manifests(&mut rejected) {
            let Some(m) = load_manifest(&manifest_path, &mut rejected) else { continue };
            let name = m.plugin.name.clone();
            if let Err(reason) = check_api(&m) {
                rejected.push(Rejected { manifest: manifest_path, name: Some(name), reason });
                continue;
            }
            pending.entry(name).or_default().push(m);
        }
        {
            let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
            pending.retain(|name, _| !state.plugins.contains_key(name));
            state.pending = pending;
            state.refused.clear();
        }
        self.report_rejects(rejected);
    }

    /// Verifies the pending copies of `name` in search-path order and loads
    /// the first that passes; the others are reported as refused or as
    /// duplicates, as a scan would.
    fn load_pending(&self, name: &str) -> Result<Arc<LoadedPlugin>, RegistryError> {
        let _guard = self.scan_lock.lock().unwrap_or_else(|e| e.into_inner());
        let candidates = {
            let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
            // Another thread may have loaded it while this one waited.
            if let Some(slot) = state.plugins.get(name) {
                return Ok(slot.current.clone());
            }
            match state.pending.remove(name) {
                Some(c) => c,
                None => {
                    return Err(refused(&state, name).unwrap_or_else(|| RegistryError::UnknownPlugin {
                        name: name.to_string(),
                        available: names(&state),
                    }))
                }
            }
        };
        let mut rejected = Vec::new();
        let mut winner: Option<PathBuf> = None;
        for m in candidates {
            let reason = match &winner {
                Some(first) => RejectReason::Duplicate { name: name.to_string(), first: first.clone() },
                None => match self.consider(&m) {
                    Ok(()) => {
                        winner = Some(m.path.clone());
                        continue;
                    }
                    Err(reason) => reason,
                },
            };
            rejected.push(Rejected { manifest: m.path.clone(), name: Some(name.to_string()), reason });
        }
        let first_refusal = rejected.first().map(|r| (r.manifest.clone(), r.reason.clone()));
        self.add_rejects(rejected);
        if winner.is_some() {
            return self.current(name);
        }
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = first_refusal {
            state.refused.insert(name.to_string(), r);
        }
        Err(refused(&state, name)
            .unwrap_or_else(|| RegistryError::UnknownPlugin { name: name.to_string(), available: names(&state) }))
    }

    /// Walks the plugin folders and loads what is new or changed.
    pub fn scan(&self) {
        let _guard = self.scan_lock.lock().unwrap_or_else(|e| e.into_inner());
        {
            let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
            state.pending.clear();
            state.refused.clear();
        }
        let mut rejected = Vec::new();
        // The first plugin of a name that passes verification wins; a broken
        // copy earlier in the search path does not shadow a good one.
        let mut winners: HashMap<String, PathBuf> = HashMap::new();
        for manifest_path in self.trusted_manifests(&mut rejected) {
            let Some(m) = load_manifest(&manifest_path, &mut rejected) else { continue };
            let name = m.plugin.name.clone();
            if let Some(first) = winners.get(&name) {
                let reason = RejectReason::Duplicate { name: name.clone(), first: first.clone() };
                rejected.push(Rejected { manifest: manifest_path, name: Some(name), reason });
                continue;
            }
            match self.consider(&m) {
                Ok(()) => {
                    winners.insert(name, manifest_path);
                }
                Err(reason) => {
                    // A plugin that is loaded and being replaced keeps its slot.
                    if self.state().plugins.get(&name).is_some_and(|s| s.current.manifest.path == manifest_path) {
                        winners.insert(name.clone(), manifest_path.clone());
                    }
                    rejected.push(Rejected { manifest: manifest_path, name: Some(name), reason });
                }
            }
        }
        self.drop_vanished();
        self.report_rejects(rejected);
    }

    /// The manifests of every plugin folder nobody else could have written
    /// to, in search-path order; the others go to `rejected` with the reason.
    fn trusted_manifests(&self, rejected: &mut Vec<Rejected>) -> Vec<PathBuf> {
        let untrusted = |what, path: &Path, problem| Rejected {
            manifest: path.to_path_buf(),
            name: None,
            reason: RejectReason::Untrusted { what, path: path.to_path_buf(), problem },
        };
        let mut out = Vec::new();
        for root in &self.roots {
            // A folder on the default path that does not exist is no error.
            if std::fs::symlink_metadata(root).is_err() {
                continue;
            }
            if let Err(problem) = trust::check_folder(root) {
                rejected.push(untrusted("plugin folder", root, problem));
                continue;
            }
            for manifest in manifests_in(root) {
                let folder = manifest.parent().unwrap_or(root);
                let checked = if folder == root.as_path() {
                    Ok(())
                } else {
                    trust::check_folder(folder).map_err(|p| ("plugin folder", folder, p))
                };
                match checked.and_then(|()| trust::check_file(&manifest).map_err(|p| ("manifest", &*manifest, p))) {
                    Ok(()) => out.push(manifest.clone()),
                    Err((what, path, problem)) => {
                        let mut r = untrusted(what, path, problem);
                        r.manifest = manifest.clone();
                        rejected.push(r);
                    }
                }
            }
        }
        out
    }

    /// Verifies and, if new or changed, loads one plugin.
    fn consider(&self, m: &Manifest) -> Result<(), RejectReason> {
        let name = &m.plugin.name;
        let current = self.state().plugins.get(name).map(|s| s.current.clone());
        check_api(m)?;
        let artifact = artifact::resolve(m.artifact_path(), m.path.parent().unwrap_or(Path::new(".")))?;
        let sha_mismatch = |artifact: PathBuf, found: String| {
            // Often a file still being written: quiet, retried on the next event.
            tracing::debug!(plugin = %name, "sha256 mismatch, not loading yet");
            RejectReason::ShaMismatch { artifact, expected: m.plugin.sha256.clone(), found }
        };
        // Already loaded at this sha256: only confirm the file still is it,
        // streaming. Otherwise read it once; what is hashed is what loads.
        if current.as_ref().is_some_and(|c| c.sha256.eq_ignore_ascii_case(&m.plugin.sha256)) {
            let found = artifact::sha256(&artifact)?;
            return if m.plugin.sha256.eq_ignore_ascii_case(&found) {
                Ok(())
            } else {
                Err(sha_mismatch(artifact, found))
            };
        }
        let (bytes, key) = artifact::read_keyed(&artifact)?;
        let found = self.sha256_of(&bytes, key.as_ref(), &m.plugin.sha256);
        if !m.plugin.sha256.eq_ignore_ascii_case(&found) {
            return Err(sha_mismatch(artifact, found));
        }
        if self.state().failed_shas.contains(&found) {
            return Err(RejectReason::FirstCallFailed {
                version: m.plugin.version.to_string(),
                message: "this artifact failed before; replace it to retry".to_string(),
            });
        }
        let loaded = self.load(m, &artifact, &bytes, found);
        let loaded = match (loaded, &current) {
            (Ok(p), _) => p,
            (Err(reason), Some(_)) => {
                self.emit(RegistryEvent::ReloadFailed {
                    name: name.clone(),
                    version: m.plugin.version.to_string(),
                    reason: reason.clone(),
                });
                return Err(reason);
            }
            (Err(reason), None) => return Err(reason),
        };
        self.install(loaded, current);
        Ok(())
    }

    /// The sha256 of `bytes`: from the verified-hash cache when the file's
    /// `key` is there, else computed (and cached when it is `expected`).
    fn sha256_of(&self, bytes: &[u8], key: Option<&FileKey>, expected: &str) -> String {
        let cache = self.verified.read().unwrap_or_else(|e| e.into_inner()).clone();
        let (Some(cache), Some(key)) = (cache, key) else { return artifact::sha256_of(bytes) };
        if let Some(sha) = cache.lookup(key) {
            return sha;
        }
        let found = artifact::sha256_of(bytes);
        if found.eq_ignore_ascii_case(expected) {
            cache.store(key, &found);
        }
        found
    }

    fn load(
        &self,
        m: &Manifest,
        artifact: &Path,
        bytes: &[u8],
        sha256: String,
    ) -> Result<Arc<LoadedPlugin>, RejectReason> {
        let (artifact, described) = match m.plugin.kind {
            Kind::Native => {
                let native = native::load(m, artifact, bytes, &self.temp_root)?;
                self.state.write().unwrap_or_else(|e| e.into_inner()).mapped += 1;
                let described = native.described();
                (Artifact::Native(native), described)
            }
            Kind::Wasm => {
                let listeners = self.listeners.clone();
                let (name, version) = (m.plugin.name.clone(), m.plugin.version.to_string());
                let sink: wasm::OutputSink = Arc::new(move |stream: &str, text: &str| {
                    let event = RegistryEvent::GuestOutput {
                        name: name.clone(),
                        version: version.clone(),
                        stream: stream.to_string(),
                        text: text.to_string(),
                    };
                    for l in listeners.read().unwrap_or_else(|e| e.into_inner()).iter() {
                        l(&event);
                    }
                });
                let module = wasm::load(m, artifact, bytes, &sha256, &self.wasm_policy(), sink)?;
                let described = module.described();
                (Artifact::Wasm(Arc::new(module)), described)
            }
        };
        crate::described::check(m, &described)?;
        Ok(Arc::new(LoadedPlugin { manifest: m.clone(), sha256, loaded_at: SystemTime::now(), artifact }))
    }

    fn install(&self, new: Arc<LoadedPlugin>, previous: Option<Arc<LoadedPlugin>>) {
        let name = new.name().to_string();
        {
            let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
            match state.plugins.get_mut(&name) {
                Some(slot) => {
                    let old = std::mem::replace(&mut slot.current, new.clone());
                    slot.history.push(old);
                    // Native libraries stay mapped anyway; wasm versions can
                    // really be dropped, so keep only the one a failed first
                    // call would fall back to.
                    if matches!(new.artifact, Artifact::Wasm(_)) {
                        let keep_from = slot.history.len().saturating_sub(1);
                        slot.history.drain(..keep_from);
                    }
                }
                None => {
                    state.plugins.insert(name.clone(), Slot { current: new.clone(), history: Vec::new() });
                }
            }
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        tracing::info!(plugin = %name, version = %new.version(), "plugin loaded");
        self.emit(match previous {
            Some(old) => RegistryEvent::Reloaded {
                name,
                from: old.version().to_string(),
                to: new.version().to_string(),
                sha256: new.sha256.clone(),
            },
            None => RegistryEvent::Loaded {
                name,
                version: new.version().to_string(),
                sha256: new.sha256.clone(),
                folder: new.folder().to_path_buf(),
            },
        });
    }

    /// A version failed its first call after a reload: go back to the one
    /// before it and never retry this artifact.
    pub fn report_first_call_failure(&self, failed: &Arc<LoadedPlugin>, message: &str) {
        let reason =
            RejectReason::FirstCallFailed { version: failed.version().to_string(), message: message.to_string() };
        {
            let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
            state.failed_shas.insert(failed.sha256.clone());
            let Some(slot) = state.plugins.get_mut(failed.name()) else { return };
            if !Arc::ptr_eq(&slot.current, failed) {
                return;
            }
            let Some(previous) = slot.history.pop() else { return };
            slot.current = previous;
            state.first_call_failures.push(Rejected {
                manifest: failed.manifest.path.clone(),
                name: Some(failed.name().to_string()),
                reason: reason.clone(),
            });
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        tracing::warn!(plugin = %failed.name(), "new version failed its first call; keeping the previous one");
        self.emit(RegistryEvent::ReloadFailed {
            name: failed.name().to_string(),
            version: failed.version().to_string(),
            reason,
        });
    }

    fn drop_vanished(&self) {
        let gone: Vec<String> = {
            let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
            let gone: Vec<String> = state
                .plugins
                .iter()
                .filter(|(_, s)| !s.current.manifest.path.exists())
                .map(|(n, _)| n.clone())
                .collect();
            for n in &gone {
                state.plugins.remove(n);
            }
            if !gone.is_empty() {
                self.generation.fetch_add(1, Ordering::AcqRel);
            }
            gone
        };
        for name in gone {
            self.emit(RegistryEvent::Removed { name });
        }
    }

    /// Adds rejects found while loading a pending plugin and reports them.
    fn add_rejects(&self, rejected: Vec<Rejected>) {
        {
            let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
            for r in &rejected {
                state.reported.insert(r.manifest.clone(), r.reason.to_string());
            }
            state.rejected.extend(rejected.iter().cloned());
        }
        for r in rejected {
            tracing::warn!(manifest = %r.manifest.display(), "plugin rejected: {}", r.reason);
            self.emit(RegistryEvent::Rejected { manifest: r.manifest, reason: r.reason });
        }
    }

    /// Records this scan's rejects; reports each one once until it changes.
    fn report_rejects(&self, rejected: Vec<Rejected>) {
        let mut fresh = Vec::new();
        {
            let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
            let mut reported = HashMap::new();
            for r in &rejected {
                let text = r.reason.to_string();
                if state.reported.get(&r.manifest) != Some(&text) {
                    fresh.push(r.clone());
                }
                reported.insert(r.manifest.clone(), text);
            }
            state.reported = reported;
            state.rejected = rejected;
        }
        for r in fresh {
            if matches!(r.reason, RejectReason::ShaMismatch { .. }) {
                tracing::debug!(manifest = %r.manifest.display(), "{}", r.reason);
            } else {
                tracing::warn!(manifest = %r.manifest.display(), "plugin rejected: {}", r.reason);
            }
            self.emit(RegistryEvent::Rejected { manifest: r.manifest, reason: r.reason });
        }
    }
}

/// Refuses a manifest that declares another API major, before anything
/// reads its artifact.
/// The manifest at `path`, or `None` with the reason added to `rejected`.
fn load_manifest(path: &Path, rejected: &mut Vec<Rejected>) -> Option<Manifest> {
    match Manifest::load(path) {
        Ok(m) => Some(m),
        Err(e) => {
            rejected.push(Rejected { manifest: path.to_path_buf(), name: None, reason: RejectReason::BadManifest(e) });
            None
        }
    }
}

fn check_api(m: &Manifest) -> Result<(), RejectReason> {
    if m.api_major() == API_MAJOR {
        return Ok(());
    }
    Err(RejectReason::ApiMismatch {
        plugin: m.plugin.name.clone(),
        built_for: m.plugin.api.clone(),
        host_serves: API_MAJOR.to_string(),
    })
}

/// The error for a discovered plugin refused when first used, if `name` is one.
fn refused(state: &State, name: &str) -> Option<RegistryError> {
    state.refused.get(name).map(|(manifest, reason)| RegistryError::Refused {
        name: name.to_string(),
        manifest: manifest.clone(),
        reason: Box::new(reason.clone()),
    })
}

/// Every plugin name a pipeline may use: loaded or discovered.
fn names(state: &State) -> Vec<String> {
    let all: std::collections::BTreeSet<&String> = state.plugins.keys().chain(state.pending.keys()).collect();
    all.into_iter().cloned().collect()
}

/// `plugin.toml` files directly in `root` or one folder below it, sorted.
fn manifests_in(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let direct = root.join("plugin.toml");
    if direct.is_file() {
        out.push(direct);
    }
    let Ok(entries) = std::fs::read_dir(root) else { return out };
    let mut dirs: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    for d in dirs {
        let m = d.join("plugin.toml");
        if m.is_file() {
            out.push(m);
        }
    }
    out
}

/// Hex sha256 of a file's contents. Only a regular file of at most
/// [`MAX_ARTIFACT_BYTES`](crate::artifact::MAX_ARTIFACT_BYTES) is read; a
/// FIFO or a device is refused at once instead of blocking or reading
/// forever.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    artifact::sha256(path).map_err(|e| match e {
        RejectReason::MissingArtifact(_) => std::io::Error::from(std::io::ErrorKind::NotFound),
        RejectReason::LoadFailed { message, .. } => std::io::Error::other(message),
        other => std::io::Error::other(other.to_string()),
    })
}
