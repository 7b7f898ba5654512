//! The wasm sandbox tier: loading `kind = "wasm"` plugins into wasmtime and
//! calling them through the guest ABI of `plugin-api/WASM_ABI.md`.
//!
//! - One [`wasmtime::Engine`] per process, with epoch interruption; a ticker
//!   thread advances the epoch every millisecond, and each call gets a
//!   deadline in ticks.
//! - Compiled modules are cached on disk under `<sha256>-wasmtime<version>-
//!   <engine hash>.cwasm`, so reloading a known artifact deserializes instead
//!   of compiling.
//! - Each operator instance is its own `Store` + instance, with a memory cap
//!   ([`wasmtime::ResourceLimiter`]), no WASI capability unless granted, and
//!   its stdout/stderr captured and handed to the registry's listeners.
//! - A trap, a deadline, the memory cap or a guest pointer outside its memory
//!   ends that call with an error; the instance is then replaced by a fresh
//!   one (same parameters, state lost) so the next frame runs normally.

use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use plexus_plugin_api::abi::wasm as abi;
use plexus_plugin_api::{Array, ChunkKey, DType, Emitter, Frame, PluginError, API_MAJOR};
use serde_json::{Map, Value};
use wasmtime::{
    Caller, Config, Engine, Extern, ExternType, FuncType, InstancePre, Linker, Memory, Module, ResourceLimiter, Store,
    Trap, TypedFunc, Val, ValType,
};

use crate::described::DescribedOperator;
use crate::error::RejectReason;
use crate::manifest::Manifest;
use crate::wasi_fs::{FsTable, ReadGrant};

/// The wasmtime release this host embeds (part of the module cache key).
pub const WASMTIME_VERSION: &str = "48.0.8";

/// Epoch tick period: deadlines are counted in these.
const TICK: Duration = Duration::from_millis(1);

/// Capabilities a manifest may ask for. Everything else is refused.
/// `clock`: `clock_time_get`; `read`: read-only preopened folders.
pub const KNOWN_CAPABILITIES: &[&str] = &["clock", "read"];

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

static LIVE_MODULES: AtomicUsize = AtomicUsize::new(0);

/// How many compiled wasm modules are alive in this process (they are
/// dropped when no version or instance refers to them any more).
pub fn live_modules() -> usize {
    LIVE_MODULES.load(Ordering::Relaxed)
}

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = Config::new();
        config.epoch_interruption(true);
        let engine = Engine::new(&config).expect("the wasmtime configuration is valid");
        let ticker = engine.weak();
        std::thread::Builder::new()
            .name("plexus-wasm-epoch".into())
            .spawn(move || loop {
                std::thread::sleep(TICK);
                match ticker.upgrade() {
                    Some(e) => e.increment_epoch(),
                    None => return,
                }
            })
            .expect("spawn the epoch ticker");
        engine
    })
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
    fn from(manifest: &Manifest, policy: &WasmPolicy) -> Limits {
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

    fn memory_bytes(&self) -> usize {
        (self.memory_mib as usize).saturating_mul(1 << 20)
    }
}

/// Lines a guest wrote to stdout or stderr: `(stream, text)`.
pub type OutputSink = Arc<dyn Fn(&str, &str) + Send + Sync>;

/// A compiled, checked wasm plugin.
pub struct WasmModule {
    pre: InstancePre<GuestState>,
    /// The limits in force.
    pub limits: Limits,
    operators: Vec<DescribedOperator>,
    sink: OutputSink,
    name: String,
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

struct MemLimiter {
    cap: usize,
    hit: Option<usize>,
}

impl ResourceLimiter for MemLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _max: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.cap {
            self.hit = Some(desired);
            return Err(wasmtime::format_err!("memory cap reached"));
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _max: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 1 << 20)
    }
}

/// The input frame of the call in progress.
struct InputPtr(*const Frame);
// SAFETY: only dereferenced during a call, on the calling thread, while the
// frame it points to is borrowed by that call.
unsafe impl Send for InputPtr {}

struct GuestState {
    limiter: MemLimiter,
    memory: Option<Memory>,
    config_name: String,
    config_params: String,
    input: InputPtr,
    frames: Vec<Frame>,
    out: Emitter,
    output_bytes: usize,
    output_cap: usize,
    fault: Option<String>,
    guest_error: Option<PluginError>,
    operators: Vec<DescribedOperator>,
    state_out: Vec<u8>,
    state_in: Vec<u8>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    clock: bool,
    fs: FsTable,
    rng: u64,
}

impl GuestState {
    fn input(&self) -> Option<&Frame> {
        // SAFETY: see `InputPtr`.
        unsafe { self.input.0.as_ref() }
    }
}

type Res<T> = wasmtime::Result<T>;

fn fault(caller: &mut Caller<'_, GuestState>, message: String) -> wasmtime::Error {
    caller.data_mut().fault = Some(message.clone());
    wasmtime::Error::msg(message)
}

fn memory(caller: &Caller<'_, GuestState>) -> Memory {
    caller.data().memory.expect("memory is recorded right after instantiation")
}

/// Checks that `[ptr, ptr + len)` lies in guest memory.
fn range(caller: &mut Caller<'_, GuestState>, ptr: i32, len: i32, what: &str) -> Res<Range<usize>> {
    let size = memory(caller).data_size(&*caller);
    let (p, l) = (ptr as u32 as usize, len as u32 as usize);
    match p.checked_add(l) {
        Some(end) if end <= size => Ok(p..end),
        _ => Err(fault(
            caller,
            format!(
                "guest pointer out of bounds: {what} at [{p}, {}) lies outside the guest's {size}-byte memory",
                p as u64 + l as u64
            ),
        )),
    }
}

fn read_bytes(caller: &mut Caller<'_, GuestState>, ptr: i32, len: i32, what: &str) -> Res<Vec<u8>> {
    let r = range(caller, ptr, len, what)?;
    Ok(memory(caller).data(&*caller)[r].to_vec())
}

fn read_str(caller: &mut Caller<'_, GuestState>, ptr: i32, len: i32, what: &str) -> Res<String> {
    let bytes = read_bytes(caller, ptr, len, what)?;
    String::from_utf8(bytes).map_err(|_| fault(caller, format!("{what} is not UTF-8")))
}

/// Copies `src` (up to `cap` bytes) to guest memory at `dst`; returns the full length.
fn write_out(caller: &mut Caller<'_, GuestState>, src: &[u8], dst: i32, cap: i32, what: &str) -> Res<i32> {
    let n = src.len().min(cap as u32 as usize);
    let r = range(caller, dst, n as i32, what)?;
    memory(caller).data_mut(&mut *caller)[r].copy_from_slice(&src[..n]);
    Ok(src.len() as i32)
}

fn input_string(caller: &mut Caller<'_, GuestState>, f: impl Fn(&Frame) -> String) -> String {
    caller.data().input().map(f).unwrap_or_default()
}

fn define_plexus(linker: &mut Linker<GuestState>) -> Res<()> {
    let m = abi::IMPORT_MODULE;
    linker.func_wrap(m, "describe_operator", |mut c: Caller<'_, GuestState>, p: i32, l: i32| -> Res<()> {
        let name = read_str(&mut c, p, l, "operator name")?;
        c.data_mut().operators.push(DescribedOperator::named(name));
        Ok(())
    })?;
    linker.func_wrap(
        m,
        "describe_params",
        |mut c: Caller<'_, GuestState>, np: i32, nl: i32, jp: i32, jl: i32| -> Res<()> {
            let name = read_str(&mut c, np, nl, "operator name")?;
            let json = read_str(&mut c, jp, jl, "parameter table")?;
            #[derive(serde::Deserialize)]
            struct Table {
                #[serde(default)]
                params: Option<Vec<(String, plexus_plugin_api::ParamSpec)>>,
                #[serde(default)]
                params_error: Option<String>,
            }
            let table: Table = serde_json::from_str(&json)
                .map_err(|e| fault(&mut c, format!("describe_params: the table of `{name}` is not valid: {e}")))?;
            match c.data_mut().operators.iter_mut().find(|o| o.name == name) {
                Some(op) => {
                    op.params = table.params;
                    op.params_error = table.params_error;
                    Ok(())
                }
                None => Err(fault(&mut c, format!("describe_params: operator `{name}` was not declared"))),
            }
        },
    )?;
    linker.func_wrap(m, "config_name", |mut c: Caller<'_, GuestState>, dst: i32, cap: i32| -> Res<i32> {
        let s = c.data().config_name.clone();
        write_out(&mut c, s.as_bytes(), dst, cap, "config_name buffer")
    })?;
    linker.func_wrap(m, "config_params", |mut c: Caller<'_, GuestState>, dst: i32, cap: i32| -> Res<i32> {
        let s = c.data().config_params.clone();
        write_out(&mut c, s.as_bytes(), dst, cap, "config_params buffer")
    })?;
    linker.func_wrap(m, "input_info", |mut c: Caller<'_, GuestState>, i: i32, dst: i32| -> Res<i32> {
        let mut info = [0u8; abi::ARRAY_INFO_SIZE];
        let Some(frame) = c.data().input() else { return Ok(abi::ERR) };
        let Some((_, a)) = frame.arrays().get(i as u32 as usize) else { return Ok(abi::ERR) };
        let rank = a.shape().len();
        if rank > abi::MAX_RANK {
            return Err(fault(
                &mut c,
                format!("input array {i} has rank {rank} (wasm guests take at most {})", abi::MAX_RANK),
            ));
        }
        info[0..4].copy_from_slice(&(a.dtype() as u32).to_le_bytes());
        info[4..8].copy_from_slice(&(a.shape().len() as u32).to_le_bytes());
        info[8..16].copy_from_slice(&(a.as_bytes().len() as u64).to_le_bytes());
        for (d, n) in a.shape().iter().enumerate() {
            info[16 + 8 * d..24 + 8 * d].copy_from_slice(&(*n as u64).to_le_bytes());
        }
        write_out(&mut c, &info, dst, info.len() as i32, "array info record")?;
        Ok(abi::OK)
    })?;
    linker.func_wrap(m, "input_name", |mut c: Caller<'_, GuestState>, i: i32, dst: i32, cap: i32| -> Res<i32> {
        let s = input_string(&mut c, |f| f.arrays().get(i as u32 as usize).map(|a| a.0.clone()).unwrap_or_default());
        write_out(&mut c, s.as_bytes(), dst, cap, "input_name buffer")
    })?;
    linker.func_wrap(m, "input_axes", |mut c: Caller<'_, GuestState>, i: i32, dst: i32, cap: i32| -> Res<i32> {
        let s = input_string(&mut c, |f| {
            f.arrays().get(i as u32 as usize).map(|a| a.1.axes().to_string()).unwrap_or_default()
        });
        write_out(&mut c, s.as_bytes(), dst, cap, "input_axes buffer")
    })?;
    linker.func_wrap(m, "input_dataset", |mut c: Caller<'_, GuestState>, dst: i32, cap: i32| -> Res<i32> {
        let s = input_string(&mut c, |f| f.dataset().to_string());
        write_out(&mut c, s.as_bytes(), dst, cap, "input_dataset buffer")
    })?;
    linker.func_wrap(m, "input_meta", |mut c: Caller<'_, GuestState>, dst: i32, cap: i32| -> Res<i32> {
        let s = input_string(&mut c, |f| if f.meta().is_empty() { String::new() } else { f.meta_json().to_string() });
        write_out(&mut c, s.as_bytes(), dst, cap, "input_meta buffer")
    })?;
    linker.func_wrap(
        m,
        "input_read",
        |mut c: Caller<'_, GuestState>, i: i32, offset: i64, dst: i32, len: i32| -> Res<i32> {
            let r = range(&mut c, dst, len, "input_read destination")?;
            let (mem, state) = memory(&c).data_and_store_mut(&mut c);
            let Some(frame) = state.input() else { return Ok(abi::ERR) };
            let Some((_, a)) = frame.arrays().get(i as u32 as usize) else { return Ok(abi::ERR) };
            let src = a.as_bytes();
            let start = offset as u64 as usize;
            match start.checked_add(r.len()) {
                Some(end) if end <= src.len() => {
                    mem[r].copy_from_slice(&src[start..end]);
                    Ok(abi::OK)
                }
                _ => Ok(abi::ERR),
            }
        },
    )?;
    linker.func_wrap(
        m,
        "output_frame",
        |mut c: Caller<'_, GuestState>,
         dp: i32,
         dl: i32,
         axis: i32,
         offset: i64,
         length: i64,
         extent: i64,
         mp: i32,
         ml: i32|
         -> Res<i32> {
            let dataset = read_str(&mut c, dp, dl, "output frame dataset")?;
            let meta = read_str(&mut c, mp, ml, "output frame metadata")?;
            let key =
                ChunkKey { axis: axis as u32, offset: offset as u64, length: length as u64, extent: extent as u64 };
            let mut frame = Frame::new(dataset, key);
            if !meta.is_empty() {
                match serde_json::from_str::<Value>(&meta) {
                    Ok(Value::Object(m)) => *frame.meta_mut() = m,
                    _ => return Err(fault(&mut c, "output frame metadata is not a JSON object".to_string())),
                }
            }
            let frames = &mut c.data_mut().frames;
            frames.push(frame);
            Ok(frames.len() as i32 - 1)
        },
    )?;
    linker.func_wrap(
        m,
        "output_array",
        |mut c: Caller<'_, GuestState>,
         np: i32,
         nl: i32,
         dtype: i32,
         sp: i32,
         ndim: i32,
         ap: i32,
         al: i32,
         data: i32,
         len: i32|
         -> Res<i32> {
            let name = read_str(&mut c, np, nl, "output array name")?;
            let axes = read_str(&mut c, ap, al, "output array axes")?;
            let Some(dtype) = DType::from_code(dtype as u8).filter(|_| (0..=255).contains(&dtype)) else {
                return Err(fault(&mut c, format!("output array `{name}` has unknown dtype code {dtype}")));
            };
            if ndim as u32 as usize > abi::MAX_RANK {
                return Err(fault(
                    &mut c,
                    format!("output array `{name}` has rank {ndim} (at most {})", abi::MAX_RANK),
                ));
            }
            let shape_bytes = read_bytes(&mut c, sp, ndim * 8, "output array shape")?;
            let shape: Vec<usize> =
                shape_bytes.chunks_exact(8).map(|w| u64::from_le_bytes(w.try_into().unwrap()) as usize).collect();
            let claimed = shape.iter().try_fold(dtype.size(), |acc, &d| acc.checked_mul(d));
            let size = memory(&c).data_size(&c);
            let Some(claimed) = claimed.filter(|&n| n == len as u32 as usize) else {
                return Err(fault(
                    &mut c,
                    format!(
                        "output array `{name}`: shape {shape:?} of `{dtype}` does not match the {} bytes passed",
                        len as u32
                    ),
                ));
            };
            if claimed > size {
                return Err(fault(
                    &mut c,
                    format!(
                        "output array `{name}` claims {claimed} bytes, more than the guest's whole {size}-byte memory"
                    ),
                ));
            }
            let st = c.data();
            if st.output_bytes + claimed > st.output_cap {
                let cap = st.output_cap;
                return Err(fault(
                    &mut c,
                    format!("outputs of one call exceed the sandbox's output limit of {cap} bytes"),
                ));
            }
            let r = range(&mut c, data, len, &format!("output array `{name}`"))?;
            let array = Array::from_bytes(dtype, shape, &memory(&c).data(&c)[r])
                .and_then(|a| if axes.is_empty() { Ok(a) } else { a.with_axes(&axes) })
                .map_err(|e| fault(&mut c, format!("output array `{name}`: {e}")))?;
            let st = c.data_mut();
            st.output_bytes += claimed;
            let Some(frame) = st.frames.last_mut() else {
                return Err(fault(&mut c, format!("output array `{name}` before any output_frame")));
            };
            frame.insert(name, array);
            Ok(frame.arrays().len() as i32 - 1)
        },
    )?;
    linker.func_wrap(m, "output_result", |mut c: Caller<'_, GuestState>, p: i32, l: i32| -> Res<()> {
        let text = read_str(&mut c, p, l, "result JSON")?;
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(m)) => {
                for (k, v) in m {
                    c.data_mut().out.result(k, v);
                }
                Ok(())
            }
            _ => Err(fault(&mut c, "output_result: not a JSON object".to_string())),
        }
    })?;
    linker.func_wrap(m, "output_event", |mut c: Caller<'_, GuestState>, p: i32, l: i32| -> Res<()> {
        let text = read_str(&mut c, p, l, "event JSON")?;
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(mut m)) => {
                let kind = m.remove("kind").and_then(|k| k.as_str().map(str::to_string)).unwrap_or("event".into());
                c.data_mut().out.event(&kind, m);
                Ok(())
            }
            _ => Err(fault(&mut c, "output_event: not a JSON object".to_string())),
        }
    })?;
    linker.func_wrap(m, "output_forward", |mut c: Caller<'_, GuestState>| c.data_mut().out.forward())?;
    linker.func_wrap(m, "output_end_stream", |mut c: Caller<'_, GuestState>| c.data_mut().out.end_stream())?;
    linker.func_wrap(
        m,
        "error",
        |mut c: Caller<'_, GuestState>, code: i32, pp: i32, pl: i32, mp: i32, ml: i32| -> Res<()> {
            let param = read_str(&mut c, pp, pl, "error parameter")?;
            let message = read_str(&mut c, mp, ml, "error message")?;
            let e = match code {
                1 => PluginError::param(param, message),
                2 => PluginError::InvalidInput(message),
                3 => PluginError::UnknownOperator(message),
                4 => PluginError::Unsupported(message),
                5 => PluginError::Panicked(message),
                _ => PluginError::Failed(message),
            };
            c.data_mut().guest_error = Some(e);
            Ok(())
        },
    )?;
    linker.func_wrap(m, "state_write", |mut c: Caller<'_, GuestState>, p: i32, l: i32| -> Res<()> {
        let bytes = read_bytes(&mut c, p, l, "state")?;
        c.data_mut().state_out.extend_from_slice(&bytes);
        Ok(())
    })?;
    linker.func_wrap(
        m,
        "state_read",
        |mut c: Caller<'_, GuestState>, offset: i64, dst: i32, len: i32| -> Res<i32> {
            let r = range(&mut c, dst, len, "state_read destination")?;
            let (mem, state) = memory(&c).data_and_store_mut(&mut c);
            let start = offset as u64 as usize;
            match start.checked_add(r.len()) {
                Some(end) if end <= state.state_in.len() => {
                    mem[r].copy_from_slice(&state.state_in[start..end]);
                    Ok(abi::OK)
                }
                _ => Ok(abi::ERR),
            }
        },
    )?;
    Ok(())
}

const WASI: &str = "wasi_snapshot_preview1";
const ERRNO_SUCCESS: i32 = 0;
const ERRNO_BADF: i32 = 8;
const ERRNO_NOSYS: i32 = 52;
const ERRNO_NOTCAPABLE: i32 = 76;
/// WASI functions [`define_wasi`] implements itself.
const WASI_PROVIDED: &[&str] = &[
    "fd_write",
    "proc_exit",
    "args_get",
    "args_sizes_get",
    "environ_get",
    "environ_sizes_get",
    "random_get",
    "clock_time_get",
    "sched_yield",
    "fd_prestat_get",
    "fd_prestat_dir_name",
    "fd_fdstat_get",
    "path_open",
    "fd_read",
    "fd_seek",
    "fd_tell",
    "fd_close",
    "fd_filestat_get",
    "path_filestat_get",
];
/// Longest path a guest may pass.
const PATH_MAX: i32 = 4096;
const ERRNO_NAMETOOLONG: i32 = 37;
/// Bytes of stdout/stderr kept per call and stream; the rest is dropped.
const OUTPUT_KEEP: usize = 64 << 10;

/// The capability-free part of WASI preview 1 a Rust or C guest needs:
/// stdout/stderr (captured), empty args and environment, a pseudo-random
/// stream, and a clock only when granted. Every other WASI import answers
/// `EBADF`/`ENOSYS`.
fn define_wasi(linker: &mut Linker<GuestState>, module: &Module) -> Res<()> {
    linker.func_wrap(
        WASI,
        "fd_write",
        |mut c: Caller<'_, GuestState>, fd: i32, iovs: i32, n: i32, written: i32| -> Res<i32> {
            if fd != 1 && fd != 2 {
                return Ok(ERRNO_BADF);
            }
            let vecs = read_bytes(&mut c, iovs, n.saturating_mul(8), "fd_write iovecs")?;
            let mut total = 0usize;
            for v in vecs.chunks_exact(8) {
                let p = i32::from_le_bytes(v[0..4].try_into().unwrap());
                let l = i32::from_le_bytes(v[4..8].try_into().unwrap());
                let bytes = read_bytes(&mut c, p, l, "fd_write buffer")?;
                total += bytes.len();
                let buf = if fd == 1 { &mut c.data_mut().stdout } else { &mut c.data_mut().stderr };
                let room = OUTPUT_KEEP.saturating_sub(buf.len());
                buf.extend_from_slice(&bytes[..bytes.len().min(room)]);
            }
            write_out(&mut c, &(total as u32).to_le_bytes(), written, 4, "fd_write result")?;
            Ok(ERRNO_SUCCESS)
        },
    )?;
    linker.func_wrap(WASI, "proc_exit", |mut c: Caller<'_, GuestState>, code: i32| -> Res<()> {
        Err(fault(&mut c, format!("the guest called proc_exit({code})")))
    })?;
    for (get, sizes) in [("args_get", "args_sizes_get"), ("environ_get", "environ_sizes_get")] {
        linker.func_wrap(WASI, get, |_: Caller<'_, GuestState>, _: i32, _: i32| -> i32 { ERRNO_SUCCESS })?;
        linker.func_wrap(WASI, sizes, |mut c: Caller<'_, GuestState>, count: i32, size: i32| -> Res<i32> {
            write_out(&mut c, &0u32.to_le_bytes(), count, 4, "sizes result")?;
            write_out(&mut c, &0u32.to_le_bytes(), size, 4, "sizes result")?;
            Ok(ERRNO_SUCCESS)
        })?;
    }
    linker.func_wrap(WASI, "random_get", |mut c: Caller<'_, GuestState>, p: i32, l: i32| -> Res<i32> {
        let r = range(&mut c, p, l, "random_get buffer")?;
        let (mem, state) = memory(&c).data_and_store_mut(&mut c);
        for b in &mut mem[r] {
            // splitmix64: deterministic, not secret; no entropy is granted.
            state.rng = state.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state.rng;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            *b = (z ^ (z >> 31)) as u8;
        }
        Ok(ERRNO_SUCCESS)
    })?;
    linker.func_wrap(
        WASI,
        "clock_time_get",
        |mut c: Caller<'_, GuestState>, id: i32, _precision: i64, out: i32| -> Res<i32> {
            if !c.data().clock {
                return Ok(ERRNO_NOTCAPABLE);
            }
            let now = match id {
                0 => std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default(),
                _ => monotonic(),
            };
            write_out(&mut c, &(now.as_nanos() as u64).to_le_bytes(), out, 8, "clock result")?;
            Ok(ERRNO_SUCCESS)
        },
    )?;
    linker.func_wrap(WASI, "sched_yield", || -> i32 { ERRNO_SUCCESS })?;
    define_wasi_fs(linker)?;
    // Everything else the module imports from WASI: a refusal, never a capability.
    for import in module.imports() {
        if import.module() != WASI || WASI_PROVIDED.contains(&import.name()) {
            continue;
        }
        let ExternType::Func(ty) = import.ty() else { continue };
        let name = import.name().to_string();
        let errno = if name.starts_with("fd_") { ERRNO_BADF } else { ERRNO_NOSYS };
        let results: Vec<ValType> = ty.results().collect();
        let ty = FuncType::new(engine(), ty.params(), results.clone());
        let import_name = name.clone();
        linker.func_new(WASI, &import_name, ty, move |_c, _args, out: &mut [Val]| {
            if results.len() == 1 && matches!(results[0], ValType::I32) {
                out[0] = Val::I32(errno);
                Ok(())
            } else {
                Err(wasmtime::format_err!("the sandbox does not provide WASI `{name}`"))
            }
        })?;
    }
    Ok(())
}

/// Writes `rec` to `dst` and answers success, or answers `errno`.
fn answer<const N: usize>(c: &mut Caller<'_, GuestState>, r: Result<[u8; N], i32>, dst: i32, what: &str) -> Res<i32> {
    match r {
        Ok(rec) => {
            write_out(c, &rec, dst, N as i32, what)?;
            Ok(ERRNO_SUCCESS)
        }
        Err(errno) => Ok(errno),
    }
}

fn guest_path(c: &mut Caller<'_, GuestState>, p: i32, l: i32) -> Res<Result<Vec<u8>, i32>> {
    if l as u32 > PATH_MAX as u32 {
        return Ok(Err(ERRNO_NAMETOOLONG));
    }
    read_bytes(c, p, l, "path").map(Ok)
}

/// Read-only preopened folders (`read` capability, `crate::wasi_fs`). With
/// nothing granted the fd table is empty and every call answers `EBADF`.
fn define_wasi_fs(linker: &mut Linker<GuestState>) -> Res<()> {
    linker.func_wrap(WASI, "fd_prestat_get", |mut c: Caller<'_, GuestState>, fd: i32, buf: i32| -> Res<i32> {
        let r = c.data().fs.prestat(fd);
        answer(&mut c, r, buf, "fd_prestat_get result")
    })?;
    linker.func_wrap(
        WASI,
        "fd_prestat_dir_name",
        |mut c: Caller<'_, GuestState>, fd: i32, p: i32, l: i32| -> Res<i32> {
            match c.data().fs.prestat_name(fd, l as u32 as usize) {
                Ok(name) => {
                    write_out(&mut c, &name, p, l, "fd_prestat_dir_name buffer")?;
                    Ok(ERRNO_SUCCESS)
                }
                Err(errno) => Ok(errno),
            }
        },
    )?;
    linker.func_wrap(WASI, "fd_fdstat_get", |mut c: Caller<'_, GuestState>, fd: i32, buf: i32| -> Res<i32> {
        let r = c.data().fs.fdstat(fd);
        answer(&mut c, r, buf, "fd_fdstat_get result")
    })?;
    linker.func_wrap(WASI, "fd_filestat_get", |mut c: Caller<'_, GuestState>, fd: i32, buf: i32| -> Res<i32> {
        let r = c.data().fs.filestat(fd);
        answer(&mut c, r, buf, "fd_filestat_get result")
    })?;
    linker.func_wrap(
        WASI,
        "path_filestat_get",
        |mut c: Caller<'_, GuestState>, fd: i32, _flags: i32, p: i32, l: i32, buf: i32| -> Res<i32> {
            let path = match guest_path(&mut c, p, l)? {
                Ok(path) => path,
                Err(errno) => return Ok(errno),
            };
            let r = c.data().fs.path_filestat(fd, &path);
            answer(&mut c, r, buf, "path_filestat_get result")
        },
    )?;
    linker.func_wrap(
        WASI,
        "path_open",
        |mut c: Caller<'_, GuestState>,
         fd: i32,
         _lookup: i32,
         p: i32,
         l: i32,
         oflags: i32,
         rights: i64,
         _inheriting: i64,
         fdflags: i32,
         out: i32|
         -> Res<i32> {
            let path = match guest_path(&mut c, p, l)? {
                Ok(path) => path,
                Err(errno) => return Ok(errno),
            };
            match c.data_mut().fs.open(fd, &path, oflags, rights, fdflags) {
                Ok(new) => {
                    write_out(&mut c, &(new as u32).to_le_bytes(), out, 4, "path_open result")?;
                    Ok(ERRNO_SUCCESS)
                }
                Err(errno) => Ok(errno),
            }
        },
    )?;
    linker.func_wrap(
        WASI,
        "fd_read",
        |mut c: Caller<'_, GuestState>, fd: i32, iovs: i32, n: i32, nread: i32| -> Res<i32> {
            let vecs = read_bytes(&mut c, iovs, n.saturating_mul(8), "fd_read iovecs")?;
            let mut total = 0usize;
            for v in vecs.chunks_exact(8) {
                let p = i32::from_le_bytes(v[0..4].try_into().unwrap());
                let l = i32::from_le_bytes(v[4..8].try_into().unwrap());
                let r = range(&mut c, p, l, "fd_read buffer")?;
                let want = r.len();
                let (mem, state) = memory(&c).data_and_store_mut(&mut c);
                match state.fs.read(fd, &mut mem[r]) {
                    Ok(got) => {
                        total += got;
                        if got < want {
                            break;
                        }
                    }
                    Err(errno) if total == 0 => return Ok(errno),
                    Err(_) => break,
                }
            }
            write_out(&mut c, &(total as u32).to_le_bytes(), nread, 4, "fd_read result")?;
            Ok(ERRNO_SUCCESS)
        },
    )?;
    linker.func_wrap(
        WASI,
        "fd_seek",
        |mut c: Caller<'_, GuestState>, fd: i32, offset: i64, whence: i32, out: i32| -> Res<i32> {
            let r = c.data_mut().fs.seek(fd, offset, whence).map(u64::to_le_bytes);
            answer(&mut c, r, out, "fd_seek result")
        },
    )?;
    linker.func_wrap(WASI, "fd_tell", |mut c: Caller<'_, GuestState>, fd: i32, out: i32| -> Res<i32> {
        let r = c.data_mut().fs.seek(fd, 0, 1).map(u64::to_le_bytes);
        answer(&mut c, r, out, "fd_tell result")
    })?;
    linker
        .func_wrap(WASI, "fd_close", |mut c: Caller<'_, GuestState>, fd: i32| -> i32 { c.data_mut().fs.close(fd) })?;
    Ok(())
}

fn monotonic() -> Duration {
    static START: OnceLock<std::time::Instant> = OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed()
}

fn dummy_state() -> GuestState {
    GuestState {
        limiter: MemLimiter { cap: 0, hit: None },
        memory: None,
        config_name: String::new(),
        config_params: String::new(),
        input: InputPtr(std::ptr::null()),
        frames: Vec::new(),
        out: Emitter::new(),
        output_bytes: 0,
        output_cap: 0,
        fault: None,
        guest_error: None,
        operators: Vec::new(),
        state_out: Vec::new(),
        state_in: Vec::new(),
        stdout: Vec::new(),
        stderr: Vec::new(),
        clock: false,
        fs: FsTable::default(),
        rng: 0x5EED,
    }
}

fn cache_path(dir: &Path, sha256: &str) -> PathBuf {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine().precompile_compatibility_hash().hash(&mut h);
    dir.join(format!("{sha256}-wasmtime{WASMTIME_VERSION}-{:016x}.cwasm", h.finish()))
}

/// Compiles `bytes`, or deserializes the cached compilation of the same
/// sha256 for this wasmtime and engine configuration.
fn compile(bytes: &[u8], sha256: &str, cache_dir: Option<&Path>) -> Result<(Module, bool), String> {
    let cached = cache_dir.map(|d| cache_path(d, sha256));
    if let Some(path) = cached.as_ref().filter(|p| p.is_file()) {
        // SAFETY: the cache folder is created 0700 by this host and only
        // holds files it serialized itself; the name pins the artifact's
        // sha256, the wasmtime version and the engine configuration, and
        // wasmtime checks its own header before using the file.
        match unsafe { Module::deserialize_file(engine(), path) } {
            Ok(m) => return Ok((m, true)),
            Err(e) => tracing::warn!(path = %path.display(), "ignoring unusable cached module: {e}"),
        }
    }
    let module = Module::new(engine(), bytes).map_err(|e| format!("not a valid wasm module: {e}"))?;
    if let Some(path) = cached {
        if let Err(e) = store_cache(&module, &path) {
            tracing::warn!(path = %path.display(), "cannot cache the compiled module: {e}");
        }
    }
    Ok((module, false))
}

fn store_cache(module: &Module, path: &Path) -> Result<(), String> {
    let dir = path.parent().ok_or("no folder")?;
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    let bytes = module.serialize().map_err(|e| e.to_string())?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, path).map_err(|e| e.to_string())
}

/// Compiles (or takes from the cache), links and checks a wasm plugin:
/// exports present, API major, declared operators.
pub fn load(
    manifest: &Manifest,
    artifact: &Path,
    sha256: &str,
    policy: &WasmPolicy,
    sink: OutputSink,
) -> Result<WasmModule, RejectReason> {
    let load_failed = |message: String| RejectReason::LoadFailed { path: artifact.to_path_buf(), message };
    let bytes = std::fs::read(artifact).map_err(|e| load_failed(e.to_string()))?;
    let (module, from_cache) = compile(&bytes, sha256, policy.cache_dir.as_deref()).map_err(&load_failed)?;
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

fn deadline_ticks(ms: u64) -> u64 {
    (ms.max(1) * 1000 / TICK.as_micros() as u64).max(1) + 1
}

impl WasmModule {
    fn instantiate(
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

    fn flush_output(&self, store: &mut Store<GuestState>, operator: &str) {
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

/// One live wasm operator: its own store, instance and memory.
pub struct WasmInstance {
    module: Arc<WasmModule>,
    operator: String,
    params: String,
    threads: usize,
    grants: Grants,
    store: Store<GuestState>,
    funcs: Funcs,
    /// How many times the instance was replaced after a fault.
    pub replaced: u64,
}

struct Funcs {
    process: TypedFunc<(i32, i64, i32, i64, i64, i64), i32>,
    finish: Option<TypedFunc<(), i32>>,
    snapshot: Option<TypedFunc<(), i32>>,
    restore: Option<TypedFunc<i64, i32>>,
}

impl WasmInstance {
    /// Builds operator `operator` in a fresh instance.
    pub fn new(
        module: Arc<WasmModule>,
        operator: &str,
        params: &Map<String, Value>,
        threads: usize,
        grants: &Grants,
    ) -> Result<WasmInstance, PluginError> {
        let params = Value::Object(params.clone()).to_string();
        let (store, funcs) = spawn(&module, operator, &params, threads, grants)?;
        Ok(WasmInstance {
            module,
            operator: operator.to_string(),
            params,
            threads,
            grants: grants.clone(),
            store,
            funcs,
            replaced: 0,
        })
    }

    /// Processes `frame` as entry `seq` of its stream.
    pub fn process(&mut self, frame: &Frame, seq: u64) -> Result<Emitter, PluginError> {
        let key = frame.key();
        let args = (
            frame.arrays().len() as i32,
            seq as i64,
            key.axis as i32,
            key.offset as i64,
            key.length as i64,
            key.extent as i64,
        );
        self.store.data_mut().input = InputPtr(frame);
        // Called through a borrow: cloning a `TypedFunc` copies its
        // function-type record, which was a third of an empty call.
        let r = self.call(|store, funcs| funcs.process.call(store, args));
        self.store.data_mut().input = InputPtr(std::ptr::null());
        r.map(|_| self.take_output())
    }

    /// Ends the stream.
    pub fn finish(&mut self) -> Result<Emitter, PluginError> {
        if self.funcs.finish.is_none() {
            return Ok(Emitter::new());
        }
        self.call(|store, funcs| funcs.finish.as_ref().expect("checked").call(store, ()))?;
        Ok(self.take_output())
    }

    /// The operator's state, if it offers one.
    pub fn snapshot(&mut self) -> Result<Option<Vec<u8>>, PluginError> {
        if self.funcs.snapshot.is_none() {
            return Ok(None);
        }
        self.store.data_mut().state_out.clear();
        let status = self.call(|store, funcs| funcs.snapshot.as_ref().expect("checked").call(store, ()))?;
        Ok((status == 1).then(|| std::mem::take(&mut self.store.data_mut().state_out)))
    }

    /// Takes over another instance's state.
    pub fn restore(&mut self, state: &[u8]) -> Result<(), PluginError> {
        let Some(f) = self.funcs.restore.clone() else {
            return Err(PluginError::Unsupported("this operator does not restore state".into()));
        };
        self.store.data_mut().state_in = state.to_vec();
        let len = state.len() as i64;
        let r = self.call(|store, _| f.call(store, len));
        self.store.data_mut().state_in = Vec::new();
        r.map(|_| ())
    }

    fn take_output(&mut self) -> Emitter {
        let st = self.store.data_mut();
        let mut out = std::mem::take(&mut st.out);
        for f in st.frames.drain(..) {
            out.emit(f);
        }
        st.output_bytes = 0;
        out
    }

    /// Runs one guest call with its deadline; classifies failures, and
    /// replaces the instance after a fault.
    fn call(
        &mut self,
        f: impl FnOnce(&mut Store<GuestState>, &Funcs) -> wasmtime::Result<i32>,
    ) -> Result<i32, PluginError> {
        {
            let st = self.store.data_mut();
            st.fault = None;
            st.guest_error = None;
            st.frames.clear();
            st.out = Emitter::new();
            st.output_bytes = 0;
        }
        self.store.set_epoch_deadline(deadline_ticks(self.module.limits.deadline_ms));
        let r = f(&mut self.store, &self.funcs);
        self.module.flush_output(&mut self.store, &self.operator);
        match r {
            Ok(status) if status >= 0 => Ok(status),
            Ok(_) => Err(self.store.data_mut().guest_error.take().unwrap_or_else(|| {
                PluginError::failed("the guest returned an error status without reporting an error")
            })),
            Err(e) => {
                let message = self.describe_fault(&e);
                self.replace();
                Err(message)
            }
        }
    }

    fn describe_fault(&mut self, e: &wasmtime::Error) -> PluginError {
        let limits = &self.module.limits;
        let st = self.store.data_mut();
        let what = if let Some(desired) = st.limiter.hit.take() {
            format!(
                "hit the sandbox's memory cap of {} MiB (it asked for {} MiB)",
                limits.memory_mib,
                desired.div_ceil(1 << 20)
            )
        } else if e.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
            format!("exceeded its deadline of {} ms per call and was interrupted", limits.deadline_ms)
        } else if let Some(f) = st.fault.take() {
            f
        } else if let Some(PluginError::Panicked(m)) = st.guest_error.take() {
            return PluginError::Panicked(format!("{m} (wasm instance replaced)"));
        } else if let Some(t) = e.downcast_ref::<Trap>() {
            format!("trapped: {t}")
        } else {
            format!("failed: {e}")
        };
        PluginError::failed(format!(
            "wasm guest `{}.{}` {what}; the instance was replaced",
            self.module.name, self.operator
        ))
    }

    fn replace(&mut self) {
        match spawn(&self.module, &self.operator, &self.params, self.threads, &self.grants) {
            Ok((store, funcs)) => {
                self.store = store;
                self.funcs = funcs;
                self.replaced += 1;
            }
            Err(e) => tracing::warn!(plugin = %self.module.name, "cannot replace the faulted wasm instance: {e}"),
        }
    }
}

fn spawn(
    module: &WasmModule,
    operator: &str,
    params: &str,
    threads: usize,
    grants: &Grants,
) -> Result<(Store<GuestState>, Funcs), PluginError> {
    let (mut store, instance) = module.instantiate(operator, params, grants).map_err(PluginError::failed)?;
    let new: TypedFunc<i32, i32> = instance
        .get_typed_func(&mut store, abi::EXPORT_NEW)
        .map_err(|e| PluginError::failed(format!("`plexus_new`: {e}")))?;
    let process = instance
        .get_typed_func(&mut store, abi::EXPORT_PROCESS)
        .map_err(|e| PluginError::failed(format!("`plexus_process`: {e}")))?;
    let funcs = Funcs {
        process,
        finish: instance.get_typed_func(&mut store, abi::EXPORT_FINISH).ok(),
        snapshot: instance.get_typed_func(&mut store, abi::EXPORT_SNAPSHOT).ok(),
        restore: instance.get_typed_func(&mut store, abi::EXPORT_RESTORE).ok(),
    };
    // Threads: a wasm32-wasip1 guest has none; the budget is passed for the record.
    let _ = threads;
    let r = new.call(&mut store, 1);
    module.flush_output(&mut store, operator);
    match r {
        Ok(s) if s >= 0 => Ok((store, funcs)),
        Ok(_) => Err(store.data_mut().guest_error.take().unwrap_or_else(|| PluginError::failed("`plexus_new` failed"))),
        Err(e) => Err(PluginError::failed(format!("`plexus_new` trapped: {e}"))),
    }
}
