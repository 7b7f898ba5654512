//! One live wasm operator ([`WasmInstance`]): its own store, instance and
//! memory; calls with a deadline; faults classified into typed errors
//! (trap, timeout, memory cap, guest fault, panic), after which the
//! instance is replaced by a fresh one.

use std::sync::Arc;

use plexus_plugin_api::abi::wasm as abi;
use plexus_plugin_api::{Frame, Output, PluginError, Sink};
use serde_json::{Map, Value};
use wasmtime::{Store, Trap, TypedFunc};

use crate::wasm::engine::deadline_ticks;
use crate::wasm::module::WasmModule;
use crate::wasm::policy::Grants;
use crate::wasm::state::{GuestState, InputPtr};

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
    /// Outputs are copied out of guest memory into host arrays; this keeps
    /// the host's buffer pool while the instance lives, so a stream of
    /// same-shaped outputs reuses those buffers (`plexus_plugin_api::pool`).
    _pool: plexus_plugin_api::pool::Retain,
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
            _pool: plexus_plugin_api::pool::retain(),
        })
    }

    /// Processes `frame` as entry `seq` of its stream.
    pub fn process(&mut self, frame: &Frame, seq: u64) -> Result<Output, PluginError> {
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
    pub fn finish(&mut self) -> Result<Output, PluginError> {
        if self.funcs.finish.is_none() {
            return Ok(Output::new());
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
            return Err(PluginError::unsupported("this operator does not restore state"));
        };
        self.store.data_mut().state_in = state.to_vec();
        let len = state.len() as i64;
        let r = self.call(|store, _| f.call(store, len));
        self.store.data_mut().state_in = Vec::new();
        r.map(|_| ())
    }

    fn take_output(&mut self) -> Output {
        let st = self.store.data_mut();
        let mut out = std::mem::take(&mut st.out);
        for f in st.frames.drain(..) {
            let _ = out.frame(f);
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
            st.open = None;
            st.out = Output::new();
            st.output_bytes = 0;
        }
        self.store.set_epoch_deadline(deadline_ticks(self.module.limits.deadline_ms));
        let r = f(&mut self.store, &self.funcs);
        self.module.flush_output(&mut self.store, &self.operator);
        if let (Ok(_), Some(open)) = (&r, self.store.data_mut().open.take()) {
            // The guest returned with an output array half written: a
            // broken rule like any other guest fault, so the call fails
            // (its frames are dropped) and the instance is replaced.
            let guest = format!("{}.{}", self.module.name, self.operator);
            self.replace();
            return Err(PluginError::GuestFault { guest, fault: open.unfinished() });
        }
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

    /// The typed error for a call that ended in a wasmtime error: the
    /// memory cap, the deadline, a rule the guest broke, a panic it
    /// reported before aborting, or a trap — checked in that order, since a
    /// cap or a deadline also surfaces as a trap.
    fn describe_fault(&mut self, e: &wasmtime::Error) -> PluginError {
        let limits = &self.module.limits;
        let guest = format!("{}.{}", self.module.name, self.operator);
        let st = self.store.data_mut();
        if let Some(desired) = st.limiter.hit.take() {
            return PluginError::MemoryCap {
                guest,
                cap_mib: limits.memory_mib,
                asked_mib: desired.div_ceil(1 << 20) as u64,
            };
        }
        if e.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
            return PluginError::Timeout { guest, deadline_ms: limits.deadline_ms };
        }
        if let Some(fault) = st.fault.take() {
            return PluginError::GuestFault { guest, fault };
        }
        if let Some(PluginError::Panic { message, .. }) = st.guest_error.take() {
            return PluginError::Panic { message, instance_replaced: true };
        }
        let trap = match e.downcast_ref::<Trap>() {
            Some(t) => t.to_string(),
            None => e.to_string(),
        };
        PluginError::Trap { guest, trap }
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
