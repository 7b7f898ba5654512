//! The plugin side of the native boundary: adapts a safe [`Operator`] to the
//! ABI-checked [`FfiOperator`] vtable and catches every panic before it can
//! reach `extern "C"` (where it would abort the host).
//!
//! [`export_plugin!`](crate::export_plugin) expands to calls into this module.

use std::panic::{catch_unwind, AssertUnwindSafe};

#[cfg(not(target_arch = "wasm32"))]
pub use native::*;

use crate::error::PluginError;

/// Runs `f`, turning a panic into [`PluginError::Panic`].
#[inline(always)]
pub fn guard<T>(f: impl FnOnce() -> Result<T, PluginError>) -> Result<T, PluginError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => Err(PluginError::Panic { message: panic_message(&*payload), instance_replaced: false }),
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_string()
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::ffi::c_void;

    use abi_stable::std_types::{RErr, ROk, ROption, RResult, RSlice, RStr, RString, RVec};

    use super::guard;
    use crate::abi::native::{
        report, with_view, FfiError, FfiFrameRef, FfiOperator, FfiOperatorVTable, FfiSink, NativeSink, STATUS_ERR,
        STATUS_OK,
    };
    use crate::error::PluginError;
    use crate::operator::{Emitter, Operator};
    use crate::plugin::{Context, Plugin};

    fn to_ffi<T>(r: Result<T, PluginError>) -> RResult<T, FfiError> {
        match r {
            Ok(v) => ROk(v),
            Err(e) => RErr(e.into()),
        }
    }

    /// The instance behind an `op` pointer: the boxed trait object (boxed
    /// again so that the pointer crossing the boundary is thin) and its hold
    /// on this plugin's output buffer pool, which keeps idle buffers only
    /// while some instance lives.
    struct Instance {
        op: Box<dyn Operator>,
        _pool: crate::pool::Retain,
    }

    /// # Safety
    ///
    /// `op` must come from [`into_ffi_operator`] and not have been dropped,
    /// and no other reference to it may be live (the host calls one
    /// instance from one thread at a time).
    unsafe fn instance<'a>(op: *mut c_void) -> &'a mut Instance {
        // SAFETY: per the contract above.
        unsafe { &mut *(op as *mut Instance) }
    }

    /// The status of a call, after reporting its error to the host.
    fn status(sink: &mut FfiSink, r: Result<(), PluginError>) -> u32 {
        match r {
            Ok(()) => STATUS_OK,
            Err(e) => {
                report(sink, &e);
                STATUS_ERR
            }
        }
    }

    /// Runs one call with panics caught. The closure reports its own error
    /// and returns only the status, so what crosses `catch_unwind` is a
    /// word, not a whole `Result<_, PluginError>`: on an empty call that
    /// copy was a tenth of the instructions.
    #[inline(always)]
    fn call(sink: &mut FfiSink, f: impl FnOnce(&mut FfiSink) -> Result<(), PluginError>) -> u32 {
        let sink_ptr: *mut FfiSink = sink;
        // SAFETY (both derefs): `sink` is the host's sink of this call,
        // exclusively ours for its duration; the closure and the panic
        // handler use it one after the other, never at once.
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let sink = unsafe { &mut *sink_ptr };
            let r = f(&mut *sink);
            status(sink, r)
        })) {
            Ok(status) => status,
            Err(payload) => {
                let e = PluginError::Panic { message: super::panic_message(&*payload), instance_replaced: false };
                report(unsafe { &mut *sink_ptr }, &e);
                STATUS_ERR
            }
        }
    }

    unsafe extern "C" fn process(op: *mut c_void, input: &FfiFrameRef<'_>, sink: &mut FfiSink) -> u32 {
        // SAFETY: the host passes the instance this vtable was made for.
        let op = unsafe { instance(op) };
        call(sink, |sink| {
            with_view(input, |view| {
                let mut s = NativeSink { ffi: sink };
                op.op.process(view, &mut Emitter::new(&mut s))
            })
        })
    }

    unsafe extern "C" fn finish(op: *mut c_void, sink: &mut FfiSink) -> u32 {
        // SAFETY: as for `process`.
        let op = unsafe { instance(op) };
        call(sink, |sink| {
            let mut s = NativeSink { ffi: sink };
            op.op.finish(&mut Emitter::new(&mut s))
        })
    }

    unsafe extern "C" fn snapshot(op: *mut c_void) -> RResult<ROption<RVec<u8>>, FfiError> {
        // SAFETY: as for `process`.
        let op = unsafe { instance(op) };
        to_ffi(guard(|| Ok(op.op.snapshot()?.map(RVec::from).into())))
    }

    unsafe extern "C" fn restore(op: *mut c_void, state: RSlice<'_, u8>) -> RResult<(), FfiError> {
        // SAFETY: as for `process`.
        let op = unsafe { instance(op) };
        to_ffi(guard(|| op.op.restore(state.as_slice())))
    }

    unsafe extern "C" fn drop_instance(op: *mut c_void) {
        // SAFETY: `op` came from `Box::into_raw` in `into_ffi_operator` and
        // the host drops each instance once. A panicking `Drop` must not
        // unwind into the host.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            drop(unsafe { Box::from_raw(op as *mut Instance) })
        }));
    }

    /// The one vtable of this plugin's instances.
    static VTABLE: FfiOperatorVTable = FfiOperatorVTable { process, finish, snapshot, restore, drop: drop_instance };

    /// Puts an operator behind the ABI vtable (what the host receives).
    pub fn into_ffi_operator(op: Box<dyn Operator>) -> FfiOperator {
        let instance = Instance { op, _pool: crate::pool::retain() };
        FfiOperator { op: Box::into_raw(Box::new(instance)) as *mut c_void, vtable: &VTABLE }
    }

    /// Body of the exported `describe` function: the operators and their
    /// parameter tables, as JSON ([`Plugin::describe`]).
    pub fn describe(plugin: &Plugin) -> RString {
        guard(|| Ok(plugin.describe().to_string()))
            .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }).to_string())
            .into()
    }

    /// Body of the exported `new_operator` function.
    pub fn new_operator(
        plugin: &Plugin,
        name: RStr<'_>,
        params_json: RStr<'_>,
        threads: u32,
    ) -> RResult<FfiOperator, FfiError> {
        to_ffi(guard(|| {
            let op = plugin.build(name.as_str(), params_json.as_str(), &Context::new(threads as usize))?;
            Ok(into_ffi_operator(op))
        }))
    }

    /// Items the [`export_plugin!`](crate::export_plugin) expansion needs; not API.
    #[doc(hidden)]
    pub mod __private {
        pub use abi_stable;
        pub use abi_stable::library::{__call_root_module_loader, CheckTypeLayout, LibHeader, RootModuleResult};
        pub use abi_stable::prefix_type::PrefixTypeTrait;
        pub use abi_stable::std_types::{RResult, RStr, RString};
    }
}

/// Exports a plugin: its operators' names and constructors.
///
/// Each constructor is a `fn(P, &Context) -> Result<T, PluginError>` where
/// `P` is the operator's parameter struct ([`Params`](crate::Params)) and
/// `T` implements [`Operator`](crate::Operator). The macro defines the
/// plugin's [`Plugin`](crate::Plugin) table as `PLUGIN` (the compliance
/// harness takes it), and the entry points of the target it is built for:
/// the ABI-checked root module of a native `cdylib`, or the exports of the
/// wasm guest ABI on wasm32. Every call into the plugin is wrapped so that
/// a panic becomes an error value on the plugin side.
///
/// ```ignore
/// plexus_plugin_api::export_plugin! {
///     "double" => Double::new,
///     "running_stats" => RunningStats::new,
/// }
/// ```
#[macro_export]
macro_rules! export_plugin {
    ( $( $name:literal => $ctor:path ),+ $(,)? ) => {
        /// The operators of this plugin (the host's loader and the
        /// compliance harness read them).
        pub static PLUGIN: $crate::Plugin = $crate::Plugin {
            manifest_dir: env!("CARGO_MANIFEST_DIR"),
            operators: &[ $( $crate::OperatorEntry {
                name: $name,
                build: |params, ctx| $crate::plugin::build_with(params, ctx, $ctor),
                schema: || $crate::plugin::schema_of_ctor(&$ctor),
            } ),+ ],
        };

        #[cfg(not(target_arch = "wasm32"))]
        const _: () = {
            use $crate::abi::export::__private as __p;

            extern "C" fn describe() -> __p::RString {
                $crate::abi::export::describe(&PLUGIN)
            }

            extern "C" fn new_operator(
                name: __p::RStr<'_>,
                params: __p::RStr<'_>,
                threads: u32,
            ) -> __p::RResult<$crate::abi::native::FfiOperator, $crate::abi::native::FfiError> {
                $crate::abi::export::new_operator(&PLUGIN, name, params, threads)
            }

            fn root_module() -> $crate::abi::native::PluginModRef {
                use __p::PrefixTypeTrait;
                $crate::abi::native::PluginMod { describe, new_operator }.leak_into_prefix()
            }

            extern "C" fn erased_root_module() -> __p::RootModuleResult {
                __p::__call_root_module_loader(root_module)
            }

            // The literal must equal `abi::native::ROOT_MODULE_SYMBOL`; a test checks it.
            #[export_name = "_1as_0lib_1header_0root_bmodule_bloader"]
            pub static PLEXUS_ROOT_MODULE: __p::LibHeader = unsafe {
                // SAFETY: `erased_root_module` builds a `PluginModRef`, the
                // type this header is declared for; the layout is checked by
                // the loader (`CheckTypeLayout::Yes`).
                __p::LibHeader::from_constructor::<$crate::abi::native::PluginModRef>(
                    erased_root_module,
                    __p::CheckTypeLayout::Yes,
                )
            };
        };

        // On wasm32 the same operators are exported through the guest ABI
        // (`plugin-api/WASM_ABI.md`).
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            #[no_mangle]
            pub extern "C" fn plexus_api_version() -> i32 {
                $crate::API_MAJOR as i32
            }

            #[no_mangle]
            pub extern "C" fn plexus_describe() {
                $crate::abi::guest::describe(&PLUGIN)
            }

            #[no_mangle]
            pub extern "C" fn plexus_new(threads: i32) -> i32 {
                $crate::abi::guest::new_operator(&PLUGIN, threads)
            }

            #[no_mangle]
            pub extern "C" fn plexus_process(narrays: i32, seq: i64, axis: i32, offset: i64, length: i64, extent: i64) -> i32 {
                $crate::abi::guest::process(narrays, seq, axis, offset, length, extent)
            }

            #[no_mangle]
            pub extern "C" fn plexus_finish() -> i32 {
                $crate::abi::guest::finish()
            }

            #[no_mangle]
            pub extern "C" fn plexus_snapshot() -> i32 {
                $crate::abi::guest::snapshot()
            }

            #[no_mangle]
            pub extern "C" fn plexus_restore(len: i64) -> i32 {
                $crate::abi::guest::restore(len)
            }
        };
    };
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::abi::native::NativeOperator;
    use crate::{Array, ChunkKey, Emitter, Frame, FrameView, Operator};

    struct Panics;
    impl Operator for Panics {
        fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter<'_>) -> Result<(), PluginError> {
            if input.seq() == 1 {
                panic!("frame {} is cursed", input.seq());
            }
            out.emit(input.to_frame()?);
            Ok(())
        }
    }

    #[test]
    fn panic_becomes_error_value() {
        let mut op = NativeOperator::from_raw(into_ffi_operator(Box::new(Panics)));
        let f = Frame::new("d", ChunkKey::stream(0)).with_array("x", Array::zeros::<u8>(vec![2]));
        let ok = op.process(&f, 0).unwrap();
        assert_eq!(ok.frames()[0].array("x").unwrap().as_bytes(), &[0, 0]);
        let err = op.process(&f, 1).unwrap_err();
        assert_eq!(err.to_string(), "operator panicked: frame 1 is cursed");
        // The instance is still usable afterwards.
        assert!(op.process(&f, 2).is_ok());
    }

    #[test]
    fn outputs_cross_without_copying_and_errors_keep_their_data() {
        struct Echo;
        impl Operator for Echo {
            fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter<'_>) -> Result<(), PluginError> {
                if input.is_empty() {
                    return Err(PluginError::bad_input("", "an array", "none"));
                }
                out.forward();
                out.result("n", input.len());
                out.event("seen", serde_json::Map::new());
                out.emit(Frame::like(input).with_array("y", Array::zeros::<f32>(vec![4, 4])).with_meta("unit", "mm"));
                Ok(())
            }
        }
        let mut op = NativeOperator::from_raw(into_ffi_operator(Box::new(Echo)));
        let f = Frame::new("d", ChunkKey::stream(3)).with_array("x", Array::zeros::<u8>(vec![1]));
        let out = op.process(&f, 0).unwrap();
        assert!(out.forwards_input());
        assert_eq!(out.results()["n"], 1);
        assert_eq!(out.events()[0]["kind"], "seen");
        let y = &out.frames()[0];
        assert_eq!((y.key(), y.meta()["unit"].as_str()), (ChunkKey::stream(3), Some("mm")));
        assert_eq!(y.array("y").unwrap().shape(), &[4, 4]);
        let err = op.process(&Frame::new("d", ChunkKey::stream(0)), 1).unwrap_err();
        assert_eq!(err, PluginError::bad_input("", "an array", "none"));
    }
}
