//! The plugin side of the native boundary: adapts a safe [`Operator`] to the
//! ABI-checked [`FfiOperator`] vtable and catches every panic before it can
//! reach `extern "C"` (where it would abort the host).
//!
//! [`export_plugin!`](crate::export_plugin) expands to calls into this module.

use std::panic::{catch_unwind, AssertUnwindSafe};

#[cfg(not(target_arch = "wasm32"))]
pub use native::*;

use crate::error::PluginError;
use crate::operator::{Operator, Params};

/// The constructor table a plugin exports: operator name → builder.
pub type NewOperator = fn(name: &str, params: &Params) -> Result<Box<dyn Operator>, PluginError>;

/// Runs `f`, turning a panic into [`PluginError::Panicked`].
pub fn guard<T>(f: impl FnOnce() -> Result<T, PluginError>) -> Result<T, PluginError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => Err(PluginError::Panicked(panic_message(&*payload))),
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

    use super::{guard, NewOperator};
    use crate::abi::native::{
        output_into_ffi, with_view, FfiError, FfiFrameRef, FfiOperator, FfiOperatorBox, FfiOperator_TO, FfiOutput,
        API_MAJOR,
    };
    use crate::error::PluginError;
    use crate::operator::{Emitter, Operator, Params};

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

    /// Body of the exported `describe` function.
    pub fn describe(operators: &[&str]) -> RString {
        let json = serde_json::json!({ "api": API_MAJOR, "operators": operators });
        json.to_string().into()
    }

    /// Body of the exported `new_operator` function.
    pub fn new_operator(
        new: NewOperator,
        name: RStr<'_>,
        params_json: RStr<'_>,
        threads: u32,
    ) -> RResult<FfiOperatorBox, FfiError> {
        to_ffi(guard(|| {
            let params = Params::from_json(params_json.as_str(), threads as usize)?;
            let op = new(name.as_str(), &params)?;
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

/// Exports a native plugin: a list of operator names and their constructors.
///
/// Each constructor is a `fn(&Params) -> Result<T, PluginError>` where `T`
/// implements [`Operator`]. The macro generates the ABI-checked root module
/// that the host looks up; every call into the plugin is wrapped so that a
/// panic becomes an error value on the plugin side.
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
        #[doc(hidden)]
        pub const PLEXUS_OPERATORS: &[&str] = &[ $( $name ),+ ];

        #[doc(hidden)]
        pub fn plexus_new_operator(
            name: &str,
            params: &$crate::Params,
        ) -> ::std::result::Result<::std::boxed::Box<dyn $crate::Operator>, $crate::PluginError> {
            match name {
                $( $name => {
                    let op = $ctor(params)?;
                    Ok(::std::boxed::Box::new(op) as ::std::boxed::Box<dyn $crate::Operator>)
                } )+
                other => Err($crate::PluginError::UnknownOperator(other.to_string())),
            }
        }

        #[cfg(not(target_arch = "wasm32"))]
        const _: () = {
            use $crate::abi::export::__private as __p;

            extern "C" fn describe() -> __p::RString {
                $crate::abi::export::describe(PLEXUS_OPERATORS)
            }

            extern "C" fn new_operator(
                name: __p::RStr<'_>,
                params: __p::RStr<'_>,
                threads: u32,
            ) -> __p::RResult<$crate::abi::native::FfiOperatorBox, $crate::abi::native::FfiError> {
                $crate::abi::export::new_operator(plexus_new_operator, name, params, threads)
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
                $crate::abi::guest::describe(PLEXUS_OPERATORS)
            }

            #[no_mangle]
            pub extern "C" fn plexus_new(threads: i32) -> i32 {
                $crate::abi::guest::new_operator(plexus_new_operator, threads)
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
    use crate::{Emitter, Frame, FrameView};
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
