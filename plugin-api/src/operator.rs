//! The [`Operator`] trait a plugin implements, the [`Emitter`] it writes its
//! outputs to, and the [`Params`] it is built from.

use serde_json::{Map, Value};

use crate::error::PluginError;
use crate::frame::{Frame, FrameView};

/// One stage's worth of work: built from parameters, fed frames in order,
/// told when the stream ends.
///
/// Lifecycle, as the host drives it: `new(params)` (the constructor named in
/// [`export_plugin!`](crate::export_plugin)) → `process` once per frame, in
/// stream order → `finish` once at end of stream. On hot reload the host
/// calls `snapshot` on the old instance and `restore` on the new one between
/// two frames.
pub trait Operator: Send + 'static {
    /// Handles one input frame, emitting zero or more output frames.
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError>;

    /// Called once at end of stream; reductions emit their result here.
    fn finish(&mut self, _out: &mut Emitter) -> Result<(), PluginError> {
        Ok(())
    }

    /// State to hand to a new version on hot reload; `None` if stateless.
    fn snapshot(&self) -> Result<Option<Vec<u8>>, PluginError> {
        Ok(None)
    }

    /// Takes over the state a previous version's `snapshot` returned.
    fn restore(&mut self, _state: &[u8]) -> Result<(), PluginError> {
        Err(PluginError::Unsupported("this operator does not restore state".into()))
    }
}

/// Collects what an operator call produces: frames, side outputs and events.
#[derive(Default, Debug)]
pub struct Emitter {
    pub(crate) frames: Vec<Frame>,
    pub(crate) results: Map<String, Value>,
    pub(crate) events: Vec<Value>,
    pub(crate) end_of_stream: bool,
    pub(crate) forward_input: bool,
}

impl Emitter {
    /// A new, empty emitter.
    pub fn new() -> Emitter {
        Emitter::default()
    }

    /// Sends a frame downstream.
    pub fn emit(&mut self, frame: Frame) {
        self.frames.push(frame);
    }

    /// Passes the input frame downstream unchanged, without copying it,
    /// ahead of any frame emitted with [`Emitter::emit`]. Reductions that sit
    /// in the middle of a pipeline use this.
    pub fn forward(&mut self) {
        self.forward_input = true;
    }

    /// Whether the input frame is passed downstream.
    pub fn forwards_input(&self) -> bool {
        self.forward_input
    }

    /// Publishes a side output other stages can reference as
    /// `${stage.key}`, and which is written to the result sidecar.
    pub fn result(&mut self, key: impl Into<String>, value: impl Into<Value>) {
        self.results.insert(key.into(), value.into());
    }

    /// Publishes an event (an anomaly, a measurement) on the control bus.
    pub fn event(&mut self, kind: &str, mut fields: Map<String, Value>) {
        fields.insert("kind".into(), kind.into());
        self.events.push(Value::Object(fields));
    }

    /// A source operator has nothing more to emit.
    pub fn end_stream(&mut self) {
        self.end_of_stream = true;
    }

    /// The frames emitted so far.
    pub fn frames(&self) -> &[Frame] {
        &self.frames
    }

    /// Takes the frames emitted so far.
    pub fn take_frames(&mut self) -> Vec<Frame> {
        std::mem::take(&mut self.frames)
    }

    /// The side outputs published so far.
    pub fn results(&self) -> &Map<String, Value> {
        &self.results
    }

    /// The events published so far.
    pub fn events(&self) -> &[Value] {
        &self.events
    }

    /// Whether a source operator said it is done.
    pub fn is_end_of_stream(&self) -> bool {
        self.end_of_stream
    }
}

/// Validated parameters of one operator instance.
///
/// The host checks types, ranges and choices against the plugin's manifest
/// and fills in defaults before the constructor runs, so the getters only
/// fail when the manifest and the code disagree.
#[derive(Debug, Clone, Default)]
pub struct Params {
    values: Map<String, Value>,
    threads: usize,
}

impl Params {
    /// Parameters from a JSON object and a thread budget.
    pub fn new(values: Map<String, Value>, threads: usize) -> Params {
        Params { values, threads: threads.max(1) }
    }

    /// Parses a JSON object.
    pub fn from_json(json: &str, threads: usize) -> Result<Params, PluginError> {
        let values = if json.trim().is_empty() {
            Map::new()
        } else {
            match serde_json::from_str(json) {
                Ok(Value::Object(m)) => m,
                _ => return Err(PluginError::failed("parameters are not a JSON object")),
            }
        };
        Ok(Params::new(values, threads))
    }

    /// How many threads the operator may use.
    pub fn threads(&self) -> usize {
        self.threads.max(1)
    }

    /// The raw value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name).filter(|v| !v.is_null())
    }

    /// All values.
    pub fn values(&self) -> &Map<String, Value> {
        &self.values
    }

    fn required(&self, name: &str) -> Result<&Value, PluginError> {
        self.get(name).ok_or_else(|| PluginError::param(name, "is required"))
    }

    /// A number.
    pub fn f64(&self, name: &str) -> Result<f64, PluginError> {
        self.required(name)?.as_f64().ok_or_else(|| PluginError::param(name, "expected a number"))
    }

    /// A non-negative integer.
    pub fn u64(&self, name: &str) -> Result<u64, PluginError> {
        self.required(name)?.as_u64().ok_or_else(|| PluginError::param(name, "expected a non-negative integer"))
    }

    /// An integer.
    pub fn i64(&self, name: &str) -> Result<i64, PluginError> {
        self.required(name)?.as_i64().ok_or_else(|| PluginError::param(name, "expected an integer"))
    }

    /// A boolean.
    pub fn bool(&self, name: &str) -> Result<bool, PluginError> {
        self.required(name)?.as_bool().ok_or_else(|| PluginError::param(name, "expected true or false"))
    }

    /// A string.
    pub fn str(&self, name: &str) -> Result<&str, PluginError> {
        self.required(name)?.as_str().ok_or_else(|| PluginError::param(name, "expected a string"))
    }

    /// A list of numbers.
    pub fn f64_list(&self, name: &str) -> Result<Vec<f64>, PluginError> {
        let list =
            self.required(name)?.as_array().ok_or_else(|| PluginError::param(name, "expected a list of numbers"))?;
        list.iter().map(|v| v.as_f64().ok_or_else(|| PluginError::param(name, "expected a list of numbers"))).collect()
    }

    /// A non-negative integer, or `default` when unset.
    pub fn u64_or(&self, name: &str, default: u64) -> Result<u64, PluginError> {
        if self.get(name).is_none() {
            return Ok(default);
        }
        self.u64(name)
    }

    /// A number, or `default` when unset.
    pub fn f64_or(&self, name: &str, default: f64) -> Result<f64, PluginError> {
        if self.get(name).is_none() {
            return Ok(default);
        }
        self.f64(name)
    }

    /// A string, or `default` when unset.
    pub fn str_or<'a>(&'a self, name: &str, default: &'a str) -> Result<&'a str, PluginError> {
        if self.get(name).is_none() {
            return Ok(default);
        }
        self.str(name)
    }

    /// A boolean, or `default` when unset.
    pub fn bool_or(&self, name: &str, default: bool) -> Result<bool, PluginError> {
        if self.get(name).is_none() {
            return Ok(default);
        }
        self.bool(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_getters_name_the_parameter() {
        let p = Params::from_json(r#"{"sigma": 1.5, "mode": 3}"#, 2).unwrap();
        assert_eq!(p.f64("sigma").unwrap(), 1.5);
        assert_eq!(p.str("mode").unwrap_err().to_string(), "parameter `mode`: expected a string");
        assert_eq!(p.u64("size").unwrap_err().to_string(), "parameter `size`: is required");
        assert_eq!(p.u64_or("size", 7).unwrap(), 7);
        assert_eq!(p.threads(), 2);
    }
}
