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
    use abi_stable::sabi_trait::TD_Opaque;
    use abi_stable::std_types::{RErr, ROk, ROption, RResult, RSlice, RStr, RString, RVec};

    use super::guard;
    use crate::abi::native::{
        output_into_ffi, with_view, FfiError, FfiFrameRef, FfiOperator, FfiOperatorBox, FfiOperator_TO, FfiOutput,
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

    /// Wraps a safe operator behind the ABI vtable.
    struct Adapter(Box<dyn Operator>);

    impl FfiOperator for Adapter {
        fn process(&mut self, input: FfiFrameRef<'_>) -> RResult<FfiOutput, FfiError> {
            to_ffi(guard(|| {
                let mut out = Emitter::new();
                with_view(input, |view| self.0.process(view, &mut out))?;
                Ok(output_into_ffi(out))
            }))
        }

        fn finish(&mut self) -> RResult<FfiOutput, FfiError> {
            to_ffi(guard(|| {
                let mut out = Emitter::new();
                self.0.finish(&mut out)?;
                Ok(output_into_ffi(out))
            }))
        }

        fn snapshot(&self) -> RResult<ROption<RVec<u8>>, FfiError> {
            to_ffi(guard(|| Ok(self.0.snapshot()?.map(RVec::from).into())))
        }

        fn restore(&mut self, state: RSlice<'_, u8>) -> RResult<(), FfiError> {
            to_ffi(guard(|| self.0.restore(state.as_slice())))
        }
    }

    /// Boxes an operator behind its ABI vtable (what the host receives).
    pub fn into_ffi_operator(op: Box<dyn Operator>) -> FfiOperatorBox {
        FfiOperator_TO::from_value(Adapter(op), TD_Opaque)
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
    ) -> RResult<FfiOperatorBox, FfiError> {
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
            ) -> __p::RResult<$crate::abi::native::FfiOperatorBox, $crate::abi::native::FfiError> {
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
    use crate::abi::native::lend;
    use crate::{Array, ChunkKey};
    use crate::{Emitter, Frame, FrameView, Operator};
    use abi_stable::std_types::ROk;

    struct Panics;
    impl Operator for Panics {
        fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
            if input.seq() == 1 {
                panic!("frame {} is cursed", input.seq());
            }
            out.emit(input.to_frame()?);
            Ok(())
        }
    }

    #[test]
    fn panic_becomes_error_value() {
        let mut op = into_ffi_operator(Box::new(Panics));
        let f = Frame::new("d", ChunkKey::stream(0)).with_array("x", Array::zeros::<u8>(vec![2]));
        let ok = lend(&f, 0, |raw| op.process(raw));
        assert!(matches!(ok, ROk(_)));
        let err = lend(&f, 1, |raw| op.process(raw)).into_result().err().expect("an error");
        assert_eq!(PluginError::from(err).to_string(), "operator panicked: frame 1 is cursed");
        // The instance is still usable afterwards.
        assert!(matches!(lend(&f, 2, |raw| op.process(raw)), ROk(_)));
    }
}
