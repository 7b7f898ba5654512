//! A loaded wasm plugin ([`WasmModule`]): compiled (or taken from the
//! cache), linked against the host functions and the WASI shim, and checked
//! (exports, API major, declared operators and their parameter tables) by
//! a throwaway probe instance.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use plexus_plugin_api::abi::wasm as abi;
use plexus_plugin_api::API_MAJOR;
use wasmtime::{Extern, ExternType, InstancePre, Linker, Store, TypedFunc};

use crate::described::DescribedOperator;
use crate::error::RejectReason;
use crate::manifest::Manifest;
use crate::wasm::cache::compile;
use crate::wasm::engine::{deadline_ticks, engine};
use crate::wasm::host_abi::define_plexus;
use crate::wasm::policy::{Grants, Limits, WasmPolicy};
use crate::wasm::state::{dummy_state, GuestState};
use crate::wasm::wasi::{define_wasi, WASI};
use crate::wasm::wasi_fs::FsTable;

static LIVE_MODULES: AtomicUsize = AtomicUsize::new(0);

/// How many compiled wasm modules are alive in this process (they are
/// dropped when no version or instance refers to them any more).
pub fn live_modules() -> usize {
    LIVE_MODULES.load(Ordering::Relaxed)
}

/// Lines a guest wrote to stdout or stderr: `(stream, text)`.
pub type OutputSink = Arc<dyn Fn(&str, &str) + Send + Sync>;

/// A compiled, checked wasm plugin.
pub struct WasmModule {
    pub(crate) pre: InstancePre<GuestState>,
    /// The limits in force.
    pub limits: Limits,
    operators: Vec<DescribedOperator>,
    sink: OutputSink,
    pub(crate) name: String,
    /// Whether the module came from the on-disk cache.
    pub from_cache: bool,
}

impl Drop for WasmModule {
    fn drop(&mut self) {
        LIVE_MODULES.fetch_sub(1, Ordering::Relaxed);
    }
}

impl WasmModule {
    /// The operators the module declared through `plexus_describe`, with
    /// the parameter tables it reported.
    pub fn described(&self) -> Vec<DescribedOperator> {
        self.operators.clone()
    }
}

/// Compiles (or takes from the cache), links and checks a wasm plugin:
/// exports present, API major, declared operators. `bytes` are the
/// artifact's contents, already checked against the manifest's sha256
/// (`artifact` is its path, for messages).
pub fn load(
    manifest: &Manifest,
    artifact: &Path,
    bytes: &[u8],
    sha256: &str,
    policy: &WasmPolicy,
    sink: OutputSink,
) -> Result<WasmModule, RejectReason> {
    let load_failed = |message: String| RejectReason::LoadFailed { path: artifact.to_path_buf(), message };
    let (module, from_cache) = compile(bytes, sha256, policy.cache_dir.as_deref()).map_err(&load_failed)?;
    for (name, want) in [(abi::EXPORT_API_VERSION, "() -> i32"), (abi::EXPORT_NEW, "(i32) -> i32")] {
        if !matches!(module.get_export(name), Some(ExternType::Func(_))) {
            return Err(load_failed(format!("not a plexus wasm plugin: it exports no function `{name}` {want}")));
        }
    }
    if !matches!(module.get_export("memory"), Some(ExternType::Memory(_))) {
        return Err(load_failed("not a plexus wasm plugin: it exports no `memory`".to_string()));
    }
    let mut linker = Linker::new(engine());
    define_plexus(&mut linker).map_err(|e| load_failed(format!("linking: {e}")))?;
    define_wasi(&mut linker, &module).map_err(|e| load_failed(format!("linking: {e}")))?;
    let pre = linker.instantiate_pre(&module).map_err(|e| {
        let missing = module
            .imports()
            .find(|i| i.module() != WASI && i.module() != abi::IMPORT_MODULE)
            .map(|i| format!("it imports `{}.{}`, which the sandbox does not provide", i.module(), i.name()));
        load_failed(missing.unwrap_or_else(|| format!("linking: {e}")))
    })?;
    LIVE_MODULES.fetch_add(1, Ordering::Relaxed);
    let mut wm = WasmModule {
        pre,
        limits: Limits::from(manifest, policy),
        operators: Vec::new(),
        sink,
        name: manifest.plugin.name.clone(),
        from_cache,
    };
    // Probe: API major and declared operators, in a throwaway instance.
    let (mut store, instance) = wm.instantiate("", "", &Grants::default()).map_err(load_failed)?;
    let version: TypedFunc<(), i32> = instance
        .get_typed_func(&mut store, abi::EXPORT_API_VERSION)
        .map_err(|e| load_failed(format!("`{}`: {e}", abi::EXPORT_API_VERSION)))?;
    store.set_epoch_deadline(deadline_ticks(wm.limits.deadline_ms));
    let built_for =
        version.call(&mut store, ()).map_err(|e| load_failed(format!("`plexus_api_version` failed: {e}")))?;
    if built_for != API_MAJOR as i32 {
        return Err(RejectReason::ApiMismatch {
            plugin: manifest.plugin.name.clone(),
            built_for: built_for.to_string(),
            host_serves: API_MAJOR.to_string(),
        });
    }
    if let Ok(describe) = instance.get_typed_func::<(), ()>(&mut store, abi::EXPORT_DESCRIBE) {
        describe.call(&mut store, ()).map_err(|e| load_failed(format!("`plexus_describe` failed: {e}")))?;
    }
    wm.operators = std::mem::take(&mut store.data_mut().operators);
    wm.flush_output(&mut store, "");
    Ok(wm)
}

impl WasmModule {
    pub(crate) fn instantiate(
        &self,
        operator: &str,
        params: &str,
        grants: &Grants,
    ) -> Result<(Store<GuestState>, wasmtime::Instance), String> {
        let mut state = dummy_state();
        state.limiter.cap = self.limits.memory_bytes();
        state.config_name = operator.to_string();
        state.config_params = params.to_string();
        state.output_cap = (self.limits.output_mib as usize).saturating_mul(1 << 20);
        // In force: granted by the pipeline, asked for by the manifest and
        // within the host's ceiling (`limits.granted`).
        let allowed = |c: &str| self.limits.granted.iter().any(|g| g == c);
        state.clock = grants.clock && allowed("clock");
        state.fs = FsTable::new(if allowed("read") { &grants.read } else { &[] });
        let mut store = Store::new(engine(), state);
        store.limiter(|s| &mut s.limiter);
        store.set_epoch_deadline(deadline_ticks(self.limits.deadline_ms));
        let instance = match self.pre.instantiate(&mut store) {
            Ok(i) => i,
            Err(e) => {
                let cap = store.data().limiter.hit.is_some();
                return Err(if cap {
                    format!("its initial memory exceeds the sandbox's memory cap of {} MiB", self.limits.memory_mib)
                } else {
                    format!("instantiation failed: {e}")
                });
            }
        };
        let Some(Extern::Memory(mem)) = instance.get_export(&mut store, "memory") else {
            return Err("it exports no `memory`".to_string());
        };
        store.data_mut().memory = Some(mem);
        if let Ok(init) = instance.get_typed_func::<(), ()>(&mut store, "_initialize") {
            init.call(&mut store, ()).map_err(|e| format!("`_initialize` failed: {e}"))?;
        }
        Ok((store, instance))
    }

    pub(crate) fn flush_output(&self, store: &mut Store<GuestState>, operator: &str) {
        for stream in ["stdout", "stderr"] {
            let buf = if stream == "stdout" { &mut store.data_mut().stdout } else { &mut store.data_mut().stderr };
            if buf.is_empty() {
                continue;
            }
            let text = String::from_utf8_lossy(buf).into_owned();
            buf.clear();
            let _ = operator;
            (self.sink)(stream, text.trim_end_matches('\n'));
        }
    }
}
