//! The native ABI: `#[repr(C)]` types checked by `abi_stable` when a plugin is
//! loaded, and the host's side of a call (lending a frame without copying,
//! collecting what the operator emits, taking output arrays over without
//! copying). Plugin authors never touch this module; [`export_plugin!`],
//! the host's loader and the compliance harness are its only users.
//!
//! # The call
//!
//! An operator call is one indirect call, `process(op, &input, &mut sink)`,
//! returning a status. The host lends the input frame as borrowed slices
//! (no copy, no allocation) and passes a [`FfiSink`] of its own: the plugin
//! sets `flags` bits for "forward the input" and "end of stream" directly
//! and calls the sink's functions for frames, results, events and an
//! error. A call that emits nothing therefore builds nothing on either side
//! — the earlier shape, which built an output record of `abi_stable`
//! containers in the plugin and decoded it on the host, spent most of its
//! ~80 ns doing exactly that (`BENCHMARKS.md`).
//!
//! # Evolution
//!
//! [`PluginMod`] is a prefix type: a later API minor may append fields after
//! the last prefix field, and a host reading an older plugin sees them as
//! absent. [`FfiOperatorVTable`] and [`FfiSink`] are plain structs: changing
//! them is a new API major, which the loader refuses with a message naming
//! both versions.
//!
//! [`export_plugin!`]: crate::export_plugin

#![allow(missing_docs)] // the fields are documented where the types are

use std::ffi::c_void;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};

use abi_stable::library::RootModule;
use abi_stable::sabi_types::VersionStrings;
use abi_stable::std_types::{ROption, RResult, RSlice, RStr, RString, RVec};
use abi_stable::{declare_root_module_statics, package_version_strings, StableAbi};
use serde_json::{Map, Value};

use crate::array::{Array, ArrayView, ExternalBytes};
use crate::dtype::DType;
use crate::error::{ArrayError, PluginError};
use crate::frame::{parse_meta, ChunkKey, Frame, FrameView};
use crate::operator::{Output, Sink};

pub use crate::API_MAJOR;

/// The symbol `abi_stable` looks up to find a library's root module.
///
/// [`export_plugin!`](crate::export_plugin) must spell it as a literal; a
/// unit test checks it against `abi_stable`'s own constant.
pub const ROOT_MODULE_SYMBOL: &str = "_1as_0lib_1header_0root_bmodule_bloader";

/// A call succeeded.
pub const STATUS_OK: u32 = 0;
/// A call failed; the error was passed to [`FfiSink::error`] first.
pub const STATUS_ERR: u32 = 1;

/// [`FfiSink::flags`] bit: pass the input frame downstream (before any
/// emitted frame).
pub const FLAG_FORWARD: u32 = 1;
/// [`FfiSink::flags`] bit: a source has nothing more to emit.
pub const FLAG_END_OF_STREAM: u32 = 2;

/// How many arrays a frame may have before lending it allocates.
const INLINE_ARRAYS: usize = 8;

/// Bytes owned by one side of the boundary and released by the allocator of
/// that side, whichever side drops them.
#[repr(C)]
#[derive(StableAbi)]
pub struct FfiBuffer {
    ptr: *const u8,
    len: usize,
    owner: *mut c_void,
    release: unsafe extern "C" fn(*mut c_void),
}

// SAFETY: the owner is an array's shared storage (see `FfiBuffer::share`),
// whose contents are immutable and `Send + Sync`; `release` only drops it.
unsafe impl Send for FfiBuffer {}
// SAFETY: as above; shared access only reads the immutable bytes.
unsafe impl Sync for FfiBuffer {}

unsafe extern "C" fn release_storage(owner: *mut c_void) {
    // SAFETY: `owner` came from `Array::share_raw` in `FfiBuffer::share`,
    // and `release` is called exactly once, from `Drop`.
    unsafe { Array::release_raw(owner as *const ()) }
}

impl FfiBuffer {
    /// Lends the bytes of `array` across the boundary without copying: the
    /// buffer holds a reference to the array's storage, released by this
    /// side's allocator when the other side drops the buffer.
    pub(crate) fn share(array: &Array) -> FfiBuffer {
        let (bytes, owner) = array.share_raw();
        FfiBuffer { ptr: bytes.as_ptr(), len: bytes.len(), owner: owner as *mut c_void, release: release_storage }
    }
}

impl ExternalBytes for FfiBuffer {
    fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr`/`len` describe the bytes kept alive by `owner`,
        // which is only released when this buffer is dropped.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl Drop for FfiBuffer {
    fn drop(&mut self) {
        // SAFETY: `release` was supplied together with `owner` by `share`, on
        // whichever side allocated it, and this is the only call.
        unsafe { (self.release)(self.owner) }
    }
}

/// Where a frame lies in its dataset: [`ChunkKey`] as it crosses the boundary.
#[repr(C)]
#[derive(StableAbi, Clone, Copy, Debug, PartialEq, Eq)]
pub struct FfiChunkKey {
    pub axis: u32,
    pub offset: u64,
    pub length: u64,
    pub extent: u64,
}

impl From<ChunkKey> for FfiChunkKey {
    fn from(k: ChunkKey) -> Self {
        FfiChunkKey { axis: k.axis, offset: k.offset, length: k.length, extent: k.extent }
    }
}

impl From<FfiChunkKey> for ChunkKey {
    fn from(k: FfiChunkKey) -> Self {
        ChunkKey { axis: k.axis, offset: k.offset, length: k.length, extent: k.extent }
    }
}

/// A borrowed input array: points into host memory.
#[repr(C)]
#[derive(StableAbi, Clone, Copy)]
pub struct FfiArrayRef<'a> {
    pub name: RStr<'a>,
    pub dtype: u8,
    pub shape: RSlice<'a, usize>,
    pub axes: RStr<'a>,
    pub data: RSlice<'a, u8>,
}

/// A borrowed input frame.
#[repr(C)]
#[derive(StableAbi, Clone, Copy)]
pub struct FfiFrameRef<'a> {
    pub dataset: RStr<'a>,
    pub key: FfiChunkKey,
    pub seq: u64,
    pub arrays: RSlice<'a, FfiArrayRef<'a>>,
    /// A JSON object, or empty for no metadata.
    pub meta_json: RStr<'a>,
}

/// An output array handed to the host: borrowed descriptors, owned bytes.
/// The host takes `data` over whatever the call returns.
#[repr(C)]
#[derive(StableAbi)]
pub struct FfiArrayOut<'a> {
    pub name: RStr<'a>,
    pub dtype: u8,
    pub shape: RSlice<'a, usize>,
    pub axes: RStr<'a>,
    pub data: ManuallyDrop<FfiBuffer>,
}

/// An output frame handed to the host through [`FfiSink::frame`].
#[repr(C)]
#[derive(StableAbi)]
pub struct FfiFrameOut<'a> {
    pub dataset: RStr<'a>,
    pub key: FfiChunkKey,
    pub arrays: RSlice<'a, FfiArrayOut<'a>>,
    /// A JSON object, or empty for no metadata.
    pub meta_json: RStr<'a>,
}

/// The host's side of one call: flags the plugin sets, and the host's
/// functions it calls with what the operator emits. `ctx` is the host's
/// and opaque.
#[repr(C)]
#[derive(StableAbi)]
pub struct FfiSink {
    pub ctx: *mut c_void,
    /// [`FLAG_FORWARD`] | [`FLAG_END_OF_STREAM`], set by the plugin.
    pub flags: u32,
    /// The functions, one static table per host.
    pub fns: &'static FfiSinkFns,
}

/// What a plugin calls on the host's [`FfiSink`].
#[repr(C)]
#[derive(StableAbi)]
pub struct FfiSinkFns {
    /// A frame for downstream; takes over every array's `data`.
    pub frame: unsafe extern "C" fn(ctx: *mut c_void, frame: &FfiFrameOut<'_>),
    /// A side output: its key and its value as JSON.
    pub result: unsafe extern "C" fn(ctx: *mut c_void, key: RStr<'_>, json: RStr<'_>),
    /// An event: a JSON object with `kind`.
    pub event: unsafe extern "C" fn(ctx: *mut c_void, json: RStr<'_>),
    /// The call's error, as [`PluginError::to_json`], before it returns
    /// [`STATUS_ERR`].
    pub error: unsafe extern "C" fn(ctx: *mut c_void, json: RStr<'_>),
}

/// An error value in place of a panic: the JSON of a [`PluginError`]
/// ([`PluginError::to_json`]), so every variant's data crosses intact and
/// a variant this host does not know still arrives as a readable failure.
#[repr(C)]
#[derive(StableAbi)]
pub struct FfiError {
    pub json: RString,
}

impl From<PluginError> for FfiError {
    fn from(e: PluginError) -> Self {
        FfiError { json: e.to_json().into() }
    }
}

impl From<FfiError> for PluginError {
    fn from(e: FfiError) -> Self {
        PluginError::from_json(&e.json)
    }
}

/// The functions of a live operator instance, one table per plugin.
#[repr(C)]
#[derive(StableAbi)]
pub struct FfiOperatorVTable {
    /// One input frame.
    pub process: unsafe extern "C" fn(op: *mut c_void, input: &FfiFrameRef<'_>, sink: &mut FfiSink) -> u32,
    /// End of stream.
    pub finish: unsafe extern "C" fn(op: *mut c_void, sink: &mut FfiSink) -> u32,
    /// The state to hand to a new version.
    pub snapshot: unsafe extern "C" fn(op: *mut c_void) -> RResult<ROption<RVec<u8>>, FfiError>,
    /// Takes over a previous version's state.
    pub restore: unsafe extern "C" fn(op: *mut c_void, state: RSlice<'_, u8>) -> RResult<(), FfiError>,
    /// Drops the instance, on the plugin's side.
    pub drop: unsafe extern "C" fn(op: *mut c_void),
}

/// A live operator instance: its state (opaque, the plugin's) and its
/// functions.
#[repr(C)]
#[derive(StableAbi)]
pub struct FfiOperator {
    pub op: *mut c_void,
    pub vtable: &'static FfiOperatorVTable,
}

/// The root module every native plugin exports.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginModRef)))]
pub struct PluginMod {
    /// JSON: `{"api": 2, "operators": [{"name": ..., "params": [...]}, ...]}`.
    pub describe: extern "C" fn() -> RString,
    /// Builds operator `name` from JSON parameters and a thread budget.
    #[sabi(last_prefix_field)]
    pub new_operator:
        extern "C" fn(name: RStr<'_>, params_json: RStr<'_>, threads: u32) -> RResult<FfiOperator, FfiError>,
}

impl RootModule for PluginModRef {
    declare_root_module_statics! {PluginModRef}
    const BASE_NAME: &'static str = "plexus_plugin";
    const NAME: &'static str = "plexus_plugin";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}

// ---- views of a lent frame (both sides) --------------------------------

/// Calls `f` with `make` applied to every item of `src`, the results kept
/// on the stack when there are at most [`INLINE_ARRAYS`] of them: lending a
/// frame and viewing it are on every call's path, and an allocation (or
/// even initialising a whole fixed array) would be most of an empty call.
fn inline_map<'s, S, T: Copy, E, R>(
    src: &'s [S],
    mut make: impl FnMut(&'s S) -> Result<T, E>,
    f: impl FnOnce(&[T]) -> R,
) -> Result<R, E> {
    if src.is_empty() {
        return Ok(f(&[]));
    }
    if src.len() > INLINE_ARRAYS {
        let all = src.iter().map(make).collect::<Result<Vec<T>, E>>()?;
        return Ok(f(&all));
    }
    let mut slots = [std::mem::MaybeUninit::<T>::uninit(); INLINE_ARRAYS];
    for (slot, s) in slots.iter_mut().zip(src) {
        slot.write(make(s)?);
    }
    // SAFETY: the first `src.len()` slots were written just above (an error
    // returns before this line), `MaybeUninit<T>` has `T`'s layout, and `T:
    // Copy` means nothing is leaked or dropped twice.
    let done = unsafe { std::slice::from_raw_parts(slots.as_ptr() as *const T, src.len()) };
    Ok(f(done))
}

fn unknown_dtype(array: &str, code: u8) -> PluginError {
    PluginError::bad_input(array, "a `dtype` code from 0 to 6", format!("code {code}"))
}

fn malformed(array: &str, e: ArrayError) -> PluginError {
    PluginError::bad_input(array, "an array whose bytes match its shape and dtype", e.to_string())
}

#[inline]
fn view_of<'a>(a: &FfiArrayRef<'a>) -> Result<(&'a str, ArrayView<'a>), PluginError> {
    let name = a.name.as_str();
    if let Some(dtype) = DType::from_code(a.dtype) {
        if let Ok(view) = ArrayView::from_parts(dtype, a.shape.as_slice(), a.axes.as_str(), a.data.as_slice()) {
            return Ok((name, view));
        }
    }
    Err(view_refused(a))
}

/// Why a lent array cannot be viewed (the cold path of [`view_of`]).
#[cold]
#[inline(never)]
fn view_refused(a: &FfiArrayRef<'_>) -> PluginError {
    let name = a.name.as_str();
    match DType::from_code(a.dtype) {
        None => unknown_dtype(name, a.dtype),
        Some(dtype) => match ArrayView::from_parts(dtype, a.shape.as_slice(), a.axes.as_str(), a.data.as_slice()) {
            Err(e) => malformed(name, e),
            Ok(_) => PluginError::failed("a lent array was refused and then accepted"),
        },
    }
}

/// Calls `f` with the [`FrameView`] of a lent frame, without allocating
/// for frames of up to eight arrays. An unknown dtype code or an array
/// whose bytes do not match its shape is an error naming the array.
#[inline(always)]
pub fn with_view<R>(
    raw: &FfiFrameRef<'_>,
    f: impl FnOnce(&FrameView<'_>) -> Result<R, PluginError>,
) -> Result<R, PluginError> {
    let (dataset, key, seq, meta) = (raw.dataset.as_str(), raw.key.into(), raw.seq, raw.meta_json.as_str());
    match raw.arrays.as_slice() {
        // A source's tick, or the empty-call benchmark: nothing to view.
        [] => f(&FrameView::from_parts(dataset, key, seq, &[], meta)),
        // The common case of a single-array operator, without the loop.
        [one] => f(&FrameView::from_parts(dataset, key, seq, &[view_of(one)?], meta)),
        refs => inline_map(refs, view_of, |views| f(&FrameView::from_parts(dataset, key, seq, views, meta)))?,
    }
}

#[inline]
fn lent((name, a): &(String, Array)) -> FfiArrayRef<'_> {
    FfiArrayRef {
        name: name.as_str().into(),
        dtype: a.dtype() as u8,
        shape: a.shape().into(),
        axes: a.axes().into(),
        data: a.as_bytes().into(),
    }
}

fn handed_over((name, a): &(String, Array)) -> FfiArrayOut<'_> {
    FfiArrayOut {
        name: name.as_str().into(),
        dtype: a.dtype() as u8,
        shape: a.shape().into(),
        axes: a.axes().into(),
        data: ManuallyDrop::new(FfiBuffer::share(a)),
    }
}

/// Lends `frame` across the boundary as `seq` of its stream, without
/// copying any array (nor allocating, up to eight arrays), for the duration
/// of `f`.
#[inline(always)]
pub fn lend<R>(frame: &Frame, seq: u64, f: impl FnOnce(&FfiFrameRef<'_>) -> R) -> R {
    let arrays = frame.arrays();
    let meta = if frame.meta().is_empty() { "" } else { frame.meta_json() };
    let call = |refs: &[FfiArrayRef<'_>]| {
        f(&FfiFrameRef {
            dataset: frame.dataset().into(),
            key: frame.key().into(),
            seq,
            arrays: refs.into(),
            meta_json: meta.into(),
        })
    };
    match arrays {
        [] => call(&[]),
        [one] => call(&[lent(one)]),
        many => match inline_map(many, |a: &(String, Array)| Ok::<_, std::convert::Infallible>(lent(a)), call) {
            Ok(r) => r,
            Err(never) => match never {},
        },
    }
}

// ---- the host's side of a call -------------------------------------------

/// Runs a host callback body; a panic in it (a bug of ours) must not unwind
/// into plugin frames, so it becomes the call's error.
fn host_side(ctx: *mut c_void, f: impl FnOnce(&mut Output) -> Result<(), PluginError>) {
    // SAFETY: `ctx` is the `Output` this call's `FfiSink` was built around
    // (see `NativeOperator::call`), alive and exclusively ours for the
    // duration of the call, and callbacks are not reentrant.
    let out = unsafe { &mut *(ctx as *mut Output) };
    let r = catch_unwind(AssertUnwindSafe(|| f(&mut *out)))
        .unwrap_or_else(|_| Err(PluginError::failed("the host panicked while taking an operator's output")));
    if let Err(e) = r {
        out.refuse(e);
    }
}

unsafe extern "C" fn sink_frame(ctx: *mut c_void, frame: &FfiFrameOut<'_>) {
    // Take every buffer over first, so that whatever fails below, each is
    // released exactly once.
    let buffers: Vec<FfiBuffer> = frame.arrays.as_slice().iter().map(|a| unsafe { std::ptr::read(&*a.data) }).collect();
    host_side(ctx, |c| {
        let mut f = Frame::new(frame.dataset.as_str(), frame.key.into());
        *f.meta_mut() = parse_meta(frame.meta_json.as_str())?;
        for (a, buf) in frame.arrays.as_slice().iter().zip(buffers) {
            let name = a.name.as_str();
            let dtype = DType::from_code(a.dtype).ok_or_else(|| unknown_dtype(name, a.dtype))?;
            let array = Array::from_external(dtype, a.shape.to_vec(), a.axes.as_str().to_string(), Box::new(buf))
                .map_err(|e| malformed(name, e))?;
            f.insert(name, array);
        }
        c.frames.push(f);
        Ok(())
    })
}

unsafe extern "C" fn sink_result(ctx: *mut c_void, key: RStr<'_>, json: RStr<'_>) {
    host_side(ctx, |c| {
        let v: Value = serde_json::from_str(json.as_str())
            .map_err(|e| PluginError::failed(format!("result `{}` is not valid JSON: {e}", key.as_str())))?;
        c.rest().results.insert(key.as_str().to_string(), v);
        Ok(())
    })
}

unsafe extern "C" fn sink_event(ctx: *mut c_void, json: RStr<'_>) {
    host_side(ctx, |c| {
        match serde_json::from_str(json.as_str()) {
            Ok(Value::Object(m)) => c.rest().events.push(Value::Object(m)),
            _ => return Err(PluginError::failed("an event is not a JSON object")),
        }
        Ok(())
    })
}

unsafe extern "C" fn sink_error(ctx: *mut c_void, json: RStr<'_>) {
    host_side(ctx, |c| {
        c.rest().error = Some(PluginError::from_json(json.as_str()));
        Ok(())
    })
}

/// The error of a call that returned [`STATUS_ERR`].
#[cold]
fn failed_call(mut out: Output) -> PluginError {
    out.rest
        .as_mut()
        .and_then(|r| r.error.take())
        .unwrap_or_else(|| PluginError::failed("the operator returned an error status without reporting an error"))
}

/// A live native operator, as the host holds it: calls go straight through
/// its vtable; dropping it drops the instance on the plugin's side.
pub struct NativeOperator {
    raw: FfiOperator,
}

// SAFETY: an operator instance is `Send` on the plugin side (`Operator:
// Send`), and it is only ever called from one thread at a time (`&mut`).
unsafe impl Send for NativeOperator {}

impl NativeOperator {
    /// Takes over an instance a plugin's `new_operator` returned.
    pub fn from_raw(raw: FfiOperator) -> NativeOperator {
        NativeOperator { raw }
    }

    #[inline(always)]
    fn call(
        &mut self,
        f: impl FnOnce(*mut c_void, &FfiOperatorVTable, &mut FfiSink) -> u32,
    ) -> Result<Output, PluginError> {
        static FNS: FfiSinkFns =
            FfiSinkFns { frame: sink_frame, result: sink_result, event: sink_event, error: sink_error };
        let mut out = Output::new();
        let mut sink = FfiSink { ctx: &mut out as *mut Output as *mut c_void, flags: 0, fns: &FNS };
        let status = f(self.raw.op, self.raw.vtable, &mut sink);
        let flags = sink.flags;
        if status != STATUS_OK {
            return Err(failed_call(out));
        }
        out.forward_input = flags & FLAG_FORWARD != 0;
        out.end_of_stream = flags & FLAG_END_OF_STREAM != 0;
        out.checked()
    }

    /// Processes `frame` as entry `seq` of the stream.
    #[inline]
    pub fn process(&mut self, frame: &Frame, seq: u64) -> Result<Output, PluginError> {
        self.call(|op, vt, sink| {
            // SAFETY: `op` is the live instance this vtable belongs to, and
            // the lent frame and the sink outlive the call.
            lend(frame, seq, |raw| unsafe { (vt.process)(op, raw, sink) })
        })
    }

    /// Ends the stream.
    pub fn finish(&mut self) -> Result<Output, PluginError> {
        // SAFETY: as for `process`.
        self.call(|op, vt, sink| unsafe { (vt.finish)(op, sink) })
    }

    /// The instance's state, if it offers one.
    pub fn snapshot(&mut self) -> Result<Option<Vec<u8>>, PluginError> {
        // SAFETY: `op` is the live instance this vtable belongs to.
        let r = unsafe { (self.raw.vtable.snapshot)(self.raw.op) };
        Ok(match r.into_result().map_err(PluginError::from)? {
            ROption::RSome(v) => Some(v.into_vec()),
            ROption::RNone => None,
        })
    }

    /// Takes over state from another instance's snapshot.
    pub fn restore(&mut self, state: &[u8]) -> Result<(), PluginError> {
        // SAFETY: as for `snapshot`; `state` outlives the call.
        unsafe { (self.raw.vtable.restore)(self.raw.op, state.into()) }.into_result().map_err(PluginError::from)
    }
}

impl Drop for NativeOperator {
    fn drop(&mut self) {
        // SAFETY: the instance is dropped once, here, by its own plugin.
        unsafe { (self.raw.vtable.drop)(self.raw.op) }
    }
}

// ---- the plugin's side of a call ----------------------------------------

/// The [`Sink`] a native operator's [`Emitter`](crate::Emitter) writes to:
/// the host's sink, through the ABI.
pub(crate) struct NativeSink<'s> {
    pub(crate) ffi: &'s mut FfiSink,
}

impl Sink for NativeSink<'_> {
    fn frame(&mut self, frame: Frame) -> Result<(), PluginError> {
        let meta = if frame.meta().is_empty() { String::new() } else { frame.meta_json().to_string() };
        let key = frame.key().into();
        let (dataset, arrays) = frame.into_parts();
        let send = |outs: &[FfiArrayOut<'_>]| {
            let f = FfiFrameOut {
                dataset: dataset.as_str().into(),
                key,
                arrays: outs.into(),
                meta_json: meta.as_str().into(),
            };
            // SAFETY: the host's sink of this call; it takes every buffer over.
            unsafe { (self.ffi.fns.frame)(self.ffi.ctx, &f) }
        };
        // The buffers are the host's now; `arrays` drops its own references.
        send(&arrays.iter().map(handed_over).collect::<Vec<_>>());
        Ok(())
    }

    fn result(&mut self, key: &str, value: Value) {
        let json = value.to_string();
        // SAFETY: the host's sink of this call; the strings outlive the call.
        unsafe { (self.ffi.fns.result)(self.ffi.ctx, key.into(), json.as_str().into()) }
    }

    fn event(&mut self, fields: Map<String, Value>) {
        let json = Value::Object(fields).to_string();
        // SAFETY: as above.
        unsafe { (self.ffi.fns.event)(self.ffi.ctx, json.as_str().into()) }
    }

    #[inline]
    fn forward(&mut self) {
        self.ffi.flags |= FLAG_FORWARD;
    }

    fn end_stream(&mut self) {
        self.ffi.flags |= FLAG_END_OF_STREAM;
    }
}

/// Reports `e` to the host's sink as the call's error.
pub(crate) fn report(sink: &mut FfiSink, e: &PluginError) {
    let json = e.to_json();
    // SAFETY: the host's sink of this call; the string outlives the call.
    unsafe { (sink.fns.error)(sink.ctx, json.as_str().into()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_module_symbol_matches_abi_stable() {
        assert_eq!(ROOT_MODULE_SYMBOL, abi_stable::library::ROOT_MODULE_LOADER_NAME);
    }

    #[test]
    fn api_major_matches_crate_version() {
        assert_eq!(env!("CARGO_PKG_VERSION_MAJOR"), API_MAJOR.to_string());
    }

    #[test]
    fn lending_does_not_copy() {
        let a = Array::zeros::<f32>(vec![8, 8]);
        let host_ptr = a.as_bytes().as_ptr();
        let f = Frame::new("d", ChunkKey::whole(8)).with_array("image", a);
        let seen = lend(&f, 0, |raw| with_view(raw, |v| Ok(v.array("image")?.as_bytes().as_ptr())).unwrap());
        assert_eq!(seen, host_ptr);
    }

    #[test]
    fn unknown_dtype_codes_are_errors_naming_the_array() {
        let bytes = [0u8; 4];
        let shape = [4usize];
        let arrays = [FfiArrayRef {
            name: "x".into(),
            dtype: 9,
            shape: shape[..].into(),
            axes: "x".into(),
            data: bytes[..].into(),
        }];
        let raw = FfiFrameRef {
            dataset: "d".into(),
            key: ChunkKey::whole(1).into(),
            seq: 0,
            arrays: arrays[..].into(),
            meta_json: "".into(),
        };
        let err = with_view(&raw, |_| Ok(())).unwrap_err();
        assert_eq!(err.to_string(), "invalid input `x`: expected a `dtype` code from 0 to 6, got code 9");
    }
}
