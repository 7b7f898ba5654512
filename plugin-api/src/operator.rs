//! The [`Operator`] trait a plugin implements and the [`Emitter`] it writes
//! its outputs to. An operator is built from its parameter struct (see
//! [`params`](crate::params)) by the constructor `export_plugin!` names.

use serde_json::{Map, Value};

use crate::error::PluginError;
use crate::frame::{Frame, FrameView};

/// One stage's worth of work: built from parameters, fed frames in order,
/// told when the stream ends.
///
/// Lifecycle, as the host drives it: `new(params, ctx)` (the constructor named in
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
        Err(PluginError::unsupported("this operator does not restore state"))
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
