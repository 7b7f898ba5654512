//! A live operator instance of a loaded plugin, and the host-side calls into
//! it. Native plugins: arrays are lent without copying and outputs taken over
//! without copying. Wasm plugins: the guest pulls inputs into its memory and
//! the host copies outputs out (see `plugin-api/WASM_ABI.md`).

use std::sync::Arc;

use abi_stable::std_types::RStr;
use plexus_plugin_api::abi::native::NativeOperator;
use plexus_plugin_api::{Frame, Output, PluginError};
use serde_json::{Map, Value};

use crate::error::RegistryError;
use crate::loaded::{Artifact, LoadedPlugin};
use crate::wasm::{Grants, WasmInstance};

enum Op {
    Native(NativeOperator),
    Wasm(Box<WasmInstance>),
}

/// Instances are made here rather than in `loaded`, so that the plugin
/// module does not import the instance module that refers back to it.
impl LoadedPlugin {
    /// Builds an instance of `operator` from validated parameters.
    pub fn instantiate(
        self: &Arc<Self>,
        operator: &str,
        params: &Map<String, Value>,
        threads: usize,
    ) -> Result<OperatorInstance, RegistryError> {
        self.instantiate_granted(operator, params, threads, &Grants::default())
    }

    /// Builds an instance of `operator` with the capabilities a pipeline
    /// stage grants (wasm plugins; only those the manifest asks for and the
    /// host's ceiling allows take effect; native plugins ignore them).
    pub fn instantiate_granted(
        self: &Arc<Self>,
        operator: &str,
        params: &Map<String, Value>,
        threads: usize,
        grants: &Grants,
    ) -> Result<OperatorInstance, RegistryError> {
        self.operator(operator)?;
        OperatorInstance::new(self.clone(), operator, params, threads, grants)
    }
}

/// One operator instance; calls are made from one thread at a time.
pub struct OperatorInstance {
    op: Op,
    plugin: Arc<LoadedPlugin>,
    operator: String,
}

impl OperatorInstance {
    pub(crate) fn new(
        plugin: Arc<LoadedPlugin>,
        operator: &str,
        params: &Map<String, Value>,
        threads: usize,
        grants: &Grants,
    ) -> Result<OperatorInstance, RegistryError> {
        let made = match &plugin.artifact {
            Artifact::Native(native) => {
                let json = Value::Object(params.clone()).to_string();
                let new = native.module.new_operator();
                let made = new(RStr::from(operator), RStr::from(json.as_str()), threads.min(u32::MAX as usize) as u32);
                made.into_result().map(|raw| Op::Native(NativeOperator::from_raw(raw))).map_err(PluginError::from)
            }
            Artifact::Wasm(module) => {
                WasmInstance::new(module.clone(), operator, params, threads, grants).map(|w| Op::Wasm(Box::new(w)))
            }
        };
        match made {
            Ok(op) => Ok(OperatorInstance { op, plugin, operator: operator.to_string() }),
            Err(source) => Err(RegistryError::Construct {
                plugin: plugin.manifest.plugin.name.clone(),
                operator: operator.to_string(),
                source: Box::new(source),
            }),
        }
    }

    /// The plugin version this instance runs.
    pub fn plugin(&self) -> &Arc<LoadedPlugin> {
        &self.plugin
    }

    /// The operator name.
    pub fn operator(&self) -> &str {
        &self.operator
    }

    /// Processes `frame` as entry `seq` of the stream.
    pub fn process(&mut self, frame: &Frame, seq: u64) -> Result<Output, PluginError> {
        match &mut self.op {
            Op::Native(op) => op.process(frame, seq),
            Op::Wasm(w) => w.process(frame, seq),
        }
    }

    /// Ends the stream.
    pub fn finish(&mut self) -> Result<Output, PluginError> {
        match &mut self.op {
            Op::Native(op) => op.finish(),
            Op::Wasm(w) => w.finish(),
        }
    }

    /// The instance's state, if it offers one.
    pub fn snapshot(&mut self) -> Result<Option<Vec<u8>>, PluginError> {
        match &mut self.op {
            Op::Native(op) => op.snapshot(),
            Op::Wasm(w) => w.snapshot(),
        }
    }

    /// Takes over state from another instance's snapshot.
    pub fn restore(&mut self, state: &[u8]) -> Result<(), PluginError> {
        match &mut self.op {
            Op::Native(op) => op.restore(state),
            Op::Wasm(w) => w.restore(state),
        }
    }

    /// For a wasm instance: how many times it was replaced after a fault.
    pub fn replacements(&self) -> u64 {
        match &self.op {
            Op::Native(_) => 0,
            Op::Wasm(w) => w.replaced,
        }
    }
}
