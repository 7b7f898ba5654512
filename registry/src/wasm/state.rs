//! What a wasm instance's store holds between and during calls
//! ([`GuestState`]): the memory cap, the input frame of the call in
//! progress, what the guest has emitted so far, its captured output and its
//! open files; and the checked accessors every host function uses to touch
//! guest memory.

use std::ops::Range;

use plexus_plugin_api::{Frame, Output, PluginError};
use wasmtime::{Caller, Memory, ResourceLimiter};

use crate::described::DescribedOperator;
use crate::wasm::open_array::OpenArray;
use crate::wasm::wasi_fs::FsTable;

pub(crate) struct MemLimiter {
    pub(crate) cap: usize,
    pub(crate) hit: Option<usize>,
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
pub(crate) struct InputPtr(pub(crate) *const Frame);
// SAFETY: only dereferenced during a call, on the calling thread, while the
// frame it points to is borrowed by that call.
unsafe impl Send for InputPtr {}

pub(crate) struct GuestState {
    pub(crate) limiter: MemLimiter,
    pub(crate) memory: Option<Memory>,
    pub(crate) config_name: String,
    pub(crate) config_params: String,
    pub(crate) input: InputPtr,
    pub(crate) frames: Vec<Frame>,
    /// The output array being written in slabs, if any.
    pub(crate) open: Option<OpenArray>,
    pub(crate) out: Output,
    pub(crate) output_bytes: usize,
    pub(crate) output_cap: usize,
    pub(crate) fault: Option<String>,
    pub(crate) guest_error: Option<PluginError>,
    pub(crate) operators: Vec<DescribedOperator>,
    pub(crate) state_out: Vec<u8>,
    pub(crate) state_in: Vec<u8>,
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: Vec<u8>,
    pub(crate) clock: bool,
    pub(crate) fs: FsTable,
    pub(crate) rng: u64,
}

impl GuestState {
    pub(crate) fn input(&self) -> Option<&Frame> {
        // SAFETY: see `InputPtr`.
        unsafe { self.input.0.as_ref() }
    }
}

pub(crate) type Res<T> = wasmtime::Result<T>;

pub(crate) fn fault(caller: &mut Caller<'_, GuestState>, message: String) -> wasmtime::Error {
    caller.data_mut().fault = Some(message.clone());
    wasmtime::Error::msg(message)
}

pub(crate) fn memory(caller: &Caller<'_, GuestState>) -> Memory {
    caller.data().memory.expect("memory is recorded right after instantiation")
}

/// Checks that `[ptr, ptr + len)` lies in guest memory.
pub(crate) fn range(caller: &mut Caller<'_, GuestState>, ptr: i32, len: i32, what: &str) -> Res<Range<usize>> {
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

pub(crate) fn read_bytes(caller: &mut Caller<'_, GuestState>, ptr: i32, len: i32, what: &str) -> Res<Vec<u8>> {
    let r = range(caller, ptr, len, what)?;
    Ok(memory(caller).data(&*caller)[r].to_vec())
}

pub(crate) fn read_str(caller: &mut Caller<'_, GuestState>, ptr: i32, len: i32, what: &str) -> Res<String> {
    let bytes = read_bytes(caller, ptr, len, what)?;
    String::from_utf8(bytes).map_err(|_| fault(caller, format!("{what} is not UTF-8")))
}

/// Copies `src` (up to `cap` bytes) to guest memory at `dst`; returns the full length.
pub(crate) fn write_out(caller: &mut Caller<'_, GuestState>, src: &[u8], dst: i32, cap: i32, what: &str) -> Res<i32> {
    let n = src.len().min(cap as u32 as usize);
    let r = range(caller, dst, n as i32, what)?;
    memory(caller).data_mut(&mut *caller)[r].copy_from_slice(&src[..n]);
    Ok(src.len() as i32)
}

pub(crate) fn input_string(caller: &mut Caller<'_, GuestState>, f: impl Fn(&Frame) -> String) -> String {
    caller.data().input().map(f).unwrap_or_default()
}

/// A state with nothing in it yet; [`WasmModule::instantiate`](crate::wasm::WasmModule) fills it.
pub(crate) fn dummy_state() -> GuestState {
    GuestState {
        limiter: MemLimiter { cap: 0, hit: None },
        memory: None,
        config_name: String::new(),
        config_params: String::new(),
        input: InputPtr(std::ptr::null()),
        frames: Vec::new(),
        open: None,
        out: Output::new(),
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
