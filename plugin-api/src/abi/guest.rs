//! The guest side of the wasm ABI (`plugin-api/WASM_ABI.md`), used by
//! [`export_plugin!`](crate::export_plugin) when a plugin is built for
//! `wasm32-wasip1`. One wasm instance holds one operator. Inputs are pulled
//! from the host into reusable, 8-byte-aligned buffers; outputs are handed to
//! the host as pointers into linear memory, which the host copies out once.

#![allow(unsafe_code)]

use std::cell::RefCell;

use serde_json::Value;

use crate::abi::wasm::{ARRAY_INFO_SIZE, ERR, ERROR_JSON, MAX_RANK, OK};
use crate::array::ArrayView;
use crate::dtype::DType;
use crate::error::PluginError;
use crate::frame::{ChunkKey, Frame, FrameView};
use crate::operator::{Operator, Output};
use crate::plugin::{Context, Plugin};

#[link(wasm_import_module = "plexus")]
extern "C" {
    fn describe_operator(ptr: *const u8, len: usize);
    fn describe_params(name: *const u8, name_len: usize, json: *const u8, json_len: usize);
    fn config_name(dst: *mut u8, cap: usize) -> usize;
    fn config_params(dst: *mut u8, cap: usize) -> usize;
    fn input_info(index: u32, info: *mut u8) -> i32;
    fn input_name(index: u32, dst: *mut u8, cap: usize) -> usize;
    fn input_axes(index: u32, dst: *mut u8, cap: usize) -> usize;
    fn input_dataset(dst: *mut u8, cap: usize) -> usize;
    fn input_meta(dst: *mut u8, cap: usize) -> usize;
    fn input_read(index: u32, offset: u64, dst: *mut u8, len: usize) -> i32;
    fn output_frame(
        dataset: *const u8,
        dataset_len: usize,
        axis: u32,
        offset: u64,
        length: u64,
        extent: u64,
        meta: *const u8,
        meta_len: usize,
    ) -> i32;
    fn output_array(
        name: *const u8,
        name_len: usize,
        dtype: u32,
        shape: *const u64,
        ndim: u32,
        axes: *const u8,
        axes_len: usize,
        data: *const u8,
        data_len: usize,
    ) -> i32;
    fn output_result(json: *const u8, len: usize);
    fn output_event(json: *const u8, len: usize);
    fn output_forward();
    fn output_end_stream();
    fn error(code: u32, a: *const u8, a_len: usize, b: *const u8, b_len: usize, c: *const u8, c_len: usize);
    fn state_write(ptr: *const u8, len: usize);
    fn state_read(offset: u64, dst: *mut u8, len: usize) -> i32;
}

/// Reusable input storage: one buffer per array slot, grown, never shrunk.
#[derive(Default)]
struct Slot {
    name: String,
    axes: String,
    shape: Vec<usize>,
    dtype: u8,
    len: usize,
    data: Vec<u64>,
}

#[derive(Default)]
struct Guest {
    op: Option<Box<dyn Operator>>,
    slots: Vec<Slot>,
    dataset: String,
    meta: String,
}

thread_local! {
    static GUEST: RefCell<Guest> = RefCell::new(Guest::default());
}

fn pull_string(buf: &mut String, f: impl Fn(*mut u8, usize) -> usize) {
    let mut bytes = std::mem::take(buf).into_bytes();
    bytes.clear();
    let cap = bytes.capacity();
    // SAFETY: the host writes at most `cap` bytes at the pointer.
    let n = f(bytes.as_mut_ptr(), cap);
    if n > cap {
        bytes.reserve(n);
        let n2 = f(bytes.as_mut_ptr(), bytes.capacity());
        debug_assert_eq!(n, n2);
    }
    // SAFETY: the host wrote `n` bytes of UTF-8 (it checks strings it hands out).
    unsafe { bytes.set_len(n) };
    *buf = String::from_utf8(bytes).unwrap_or_default();
}

fn report(e: &PluginError) {
    let json = e.to_json();
    // SAFETY: pointers and lengths describe live strings.
    unsafe { error(ERROR_JSON, json.as_ptr(), json.len(), "".as_ptr(), 0, "".as_ptr(), 0) }
}

fn status(r: Result<(), PluginError>) -> i32 {
    match r {
        Ok(()) => OK,
        Err(e) => {
            report(&e);
            ERR
        }
    }
}

fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // wasm32-wasip1 aborts on panic (no unwinding): report the message
        // first, so the host says "operator panicked: ..." instead of
        // naming the trap only.
        std::panic::set_hook(Box::new(|info| {
            let msg = if let Some(s) = info.payload().downcast_ref::<&str>() {
                (*s).to_string()
            } else if let Some(s) = info.payload().downcast_ref::<String>() {
                s.clone()
            } else {
                "a panic with a non-string payload".to_string()
            };
            report(&PluginError::Panic { message: msg, instance_replaced: false });
        }));
    });
}

/// Body of the exported `plexus_describe`: each operator's name, then its
/// parameter table (or why it cannot be read) as JSON.
pub fn describe(plugin: &Plugin) {
    for op in plugin.operators {
        let json = match (op.schema)() {
            Ok(params) => serde_json::json!({ "params": params }),
            Err(e) => serde_json::json!({ "params_error": e.to_string() }),
        }
        .to_string();
        // SAFETY: live strings.
        unsafe {
            describe_operator(op.name.as_ptr(), op.name.len());
            describe_params(op.name.as_ptr(), op.name.len(), json.as_ptr(), json.len());
        }
    }
}

/// Body of the exported `plexus_new`.
pub fn new_operator(plugin: &Plugin, threads: i32) -> i32 {
    install_panic_hook();
    let mut name = String::new();
    let mut params = String::new();
    // SAFETY: the host writes at most `cap` bytes at `dst`.
    pull_string(&mut name, |p, c| unsafe { config_name(p, c) });
    // SAFETY: as above.
    pull_string(&mut params, |p, c| unsafe { config_params(p, c) });
    status((|| {
        let op = plugin.build(&name, &params, &Context::new(threads.max(1) as usize))?;
        GUEST.with(|g| g.borrow_mut().op = Some(op));
        Ok(())
    })())
}

fn pull_inputs(g: &mut Guest, narrays: usize) -> Result<(), PluginError> {
    // SAFETY (for the host calls below): each pointer/capacity pair
    // describes memory this function owns for the duration of the call.
    pull_string(&mut g.dataset, |p, c| unsafe { input_dataset(p, c) });
    pull_string(&mut g.meta, |p, c| unsafe { input_meta(p, c) });
    if g.slots.len() < narrays {
        g.slots.resize_with(narrays, Slot::default);
    }
    for i in 0..narrays {
        let slot = &mut g.slots[i];
        let mut info = [0u8; ARRAY_INFO_SIZE];
        if unsafe { input_info(i as u32, info.as_mut_ptr()) } != OK {
            return Err(PluginError::bad_input(format!("#{i}"), "an input array the host lends", "none"));
        }
        let word = |at: usize| u64::from_le_bytes(info[at..at + 8].try_into().unwrap_or_default());
        let dtype = u32::from_le_bytes(info[0..4].try_into().unwrap_or_default());
        let ndim = (u32::from_le_bytes(info[4..8].try_into().unwrap_or_default()) as usize).min(MAX_RANK);
        let nbytes = word(8) as usize;
        slot.dtype = dtype as u8;
        slot.shape.clear();
        slot.shape.extend((0..ndim).map(|d| word(16 + 8 * d) as usize));
        pull_string(&mut slot.name, |p, c| unsafe { input_name(i as u32, p, c) });
        pull_string(&mut slot.axes, |p, c| unsafe { input_axes(i as u32, p, c) });
        let words = nbytes.div_ceil(8);
        if slot.data.len() < words {
            slot.data.resize(words, 0);
        }
        slot.len = nbytes;
        if nbytes > 0 && unsafe { input_read(i as u32, 0, slot.data.as_mut_ptr() as *mut u8, nbytes) } != OK {
            return Err(PluginError::bad_input(slot.name.clone(), "its bytes lent by the host", "a refusal"));
        }
    }
    Ok(())
}

fn send(out: Output) {
    if out.forward_input {
        // SAFETY: no arguments.
        unsafe { output_forward() }
    }
    for frame in &out.frames {
        send_frame(frame);
    }
    if !out.results().is_empty() {
        let json = Value::Object(out.results().clone()).to_string();
        // SAFETY: a live string.
        unsafe { output_result(json.as_ptr(), json.len()) }
    }
    for ev in out.events() {
        let json = ev.to_string();
        // SAFETY: a live string.
        unsafe { output_event(json.as_ptr(), json.len()) }
    }
    if out.end_of_stream {
        // SAFETY: no arguments.
        unsafe { output_end_stream() }
    }
}

fn send_frame(frame: &Frame) {
    let key = frame.key();
    let dataset = frame.dataset();
    let meta = if frame.meta().is_empty() { "" } else { frame.meta_json() };
    // SAFETY: pointers and lengths describe live strings and arrays; the
    // host copies what it needs before returning.
    unsafe {
        output_frame(
            dataset.as_ptr(),
            dataset.len(),
            key.axis,
            key.offset,
            key.length,
            key.extent,
            meta.as_ptr(),
            meta.len(),
        );
        for (name, a) in frame.arrays() {
            let shape: Vec<u64> = a.shape().iter().map(|&d| d as u64).collect();
            let bytes = a.as_bytes();
            output_array(
                name.as_ptr(),
                name.len(),
                a.dtype() as u32,
                shape.as_ptr(),
                shape.len() as u32,
                a.axes().as_ptr(),
                a.axes().len(),
                bytes.as_ptr(),
                bytes.len(),
            );
        }
    }
}

fn with_op<R>(f: impl FnOnce(&mut Guest) -> Result<R, PluginError>) -> Result<R, PluginError> {
    GUEST.with(|g| {
        let mut g = g.borrow_mut();
        if g.op.is_none() {
            return Err(PluginError::failed("plexus_new was not called, or failed"));
        }
        f(&mut g)
    })
}

/// Body of the exported `plexus_process`.
pub fn process(narrays: i32, seq: i64, axis: i32, offset: i64, length: i64, extent: i64) -> i32 {
    status(with_op(|g| {
        pull_inputs(g, narrays.max(0) as usize)?;
        let Guest { op, slots, dataset, meta } = g;
        let arrays = slots[..narrays.max(0) as usize]
            .iter()
            .map(|s| {
                let dtype = DType::from_code(s.dtype).ok_or_else(|| {
                    PluginError::bad_input(&s.name, "a `dtype` code from 0 to 6", format!("code {}", s.dtype))
                })?;
                // SAFETY: `data` holds at least `len` initialised bytes.
                let bytes = unsafe { std::slice::from_raw_parts(s.data.as_ptr() as *const u8, s.len) };
                let view = ArrayView::from_parts(dtype, &s.shape, &s.axes, bytes).map_err(|e| {
                    PluginError::bad_input(&s.name, "an array whose bytes match its shape and dtype", e.to_string())
                })?;
                Ok((s.name.as_str(), view))
            })
            .collect::<Result<Vec<_>, PluginError>>()?;
        let key = ChunkKey { axis: axis as u32, offset: offset as u64, length: length as u64, extent: extent as u64 };
        let view = FrameView::from_parts(dataset, key, seq as u64, &arrays, meta);
        let out = Output::collect(|e| op.as_mut().expect("checked by with_op").process(&view, e))?;
        send(out);
        Ok(())
    }))
}

/// Body of the exported `plexus_finish`.
pub fn finish() -> i32 {
    status(with_op(|g| {
        let out = Output::collect(|e| g.op.as_mut().expect("checked by with_op").finish(e))?;
        send(out);
        Ok(())
    }))
}

/// Body of the exported `plexus_snapshot`.
pub fn snapshot() -> i32 {
    match with_op(|g| g.op.as_ref().expect("checked by with_op").snapshot()) {
        Ok(None) => 0,
        Ok(Some(state)) => {
            // SAFETY: a live buffer.
            unsafe { state_write(state.as_ptr(), state.len()) };
            1
        }
        Err(e) => {
            report(&e);
            ERR
        }
    }
}

/// Body of the exported `plexus_restore`.
pub fn restore(len: i64) -> i32 {
    let mut state = vec![0u8; len.max(0) as usize];
    // SAFETY: a live buffer of `len` bytes.
    if !state.is_empty() && unsafe { state_read(0, state.as_mut_ptr(), state.len()) } != OK {
        report(&PluginError::failed("the host refused to lend the state"));
        return ERR;
    }
    status(with_op(|g| g.op.as_mut().expect("checked by with_op").restore(&state)))
}
