//! A live operator instance of a loaded plugin, and the host-side calls into
//! it. Arrays are lent to the plugin without copying and its outputs are
//! taken over without copying.

use std::sync::Arc;

use abi_stable::std_types::{ROption, RStr};
use plexus_plugin_api::ffi::FfiOperatorBox;
use plexus_plugin_api::{Emitter, Frame, PluginError};
use serde_json::{Map, Value};

use crate::error::RegistryError;
use crate::registry::LoadedPlugin;

/// One operator instance; calls are made from one thread at a time.
pub struct OperatorInstance {
    op: FfiOperatorBox,
    plugin: Arc<LoadedPlugin>,
    operator: String,
}

impl OperatorInstance {
    pub(crate) fn new(
        plugin: Arc<LoadedPlugin>,
        operator: &str,
        params: &Map<String, Value>,
        threads: usize,
    ) -> Result<OperatorInstance, RegistryError> {
        let json = Value::Object(params.clone()).to_string();
        let new = plugin.native.module.new_operator();
        let made = new(RStr::from(operator), RStr::from(json.as_str()), threads.min(u32::MAX as usize) as u32);
        match made.into_result() {
            Ok(op) => Ok(OperatorInstance { op, plugin, operator: operator.to_string() }),
            Err(e) => Err(RegistryError::Construct {
                plugin: plugin.manifest.plugin.name.clone(),
                operator: operator.to_string(),
                source: e.into(),
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
    pub fn process(&mut self, frame: &Frame, seq: u64) -> Result<Emitter, PluginError> {
        let out = frame.with_ffi(seq, |raw| self.op.process(raw));
        Emitter::from_ffi(out.into_result()?)
    }

    /// Ends the stream.
    pub fn finish(&mut self) -> Result<Emitter, PluginError> {
        Emitter::from_ffi(self.op.finish().into_result()?)
    }

    /// The instance's state, if it offers one.
    pub fn snapshot(&self) -> Result<Option<Vec<u8>>, PluginError> {
        Ok(match self.op.snapshot().into_result()? {
            ROption::RSome(v) => Some(v.into_vec()),
            ROption::RNone => None,
        })
    }

    /// Takes over state from another instance's snapshot.
    pub fn restore(&mut self, state: &[u8]) -> Result<(), PluginError> {
        Ok(self.op.restore(state.into()).into_result()?)
    }
}
