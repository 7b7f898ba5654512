//! The [`Operator`] trait a plugin implements, the [`Emitter`] it writes
//! its outputs to, and the [`Output`] a caller receives. An operator is
//! built from its parameter struct (see [`params`](crate::params)) by the
//! constructor `export_plugin!` names.
//!
//! An [`Emitter`] hands what the operator emits straight to a [`Sink`]: on
//! the native tier that is the host's own collector, reached through the
//! ABI's callbacks, so nothing is built up and torn down on the plugin side
//! of a call; in a wasm guest it is the host's import functions; in a test,
//! an [`Output`].

use std::sync::OnceLock;

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
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter<'_>) -> Result<(), PluginError>;

    /// Called once at end of stream; reductions emit their result here.
    fn finish(&mut self, _out: &mut Emitter<'_>) -> Result<(), PluginError> {
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

/// Where an [`Emitter`] delivers: the transport's side of a call. Plugin
/// authors use [`Emitter`]; this trait is for transports and tests.
pub trait Sink {
    /// A frame for downstream.
    fn frame(&mut self, frame: Frame) -> Result<(), PluginError>;
    /// A side output (`${stage.key}`, the result sidecar).
    fn result(&mut self, key: &str, value: Value);
    /// An event for the control bus; `fields` holds `kind`.
    fn event(&mut self, fields: Map<String, Value>);
    /// Pass the input frame downstream unchanged.
    fn forward(&mut self);
    /// A source has nothing more to emit.
    fn end_stream(&mut self);
}

/// What an operator call writes its outputs, side results and events to.
pub struct Emitter<'a> {
    sink: &'a mut dyn Sink,
}

impl<'a> Emitter<'a> {
    /// An emitter delivering to `sink`.
    #[inline]
    pub fn new(sink: &'a mut dyn Sink) -> Emitter<'a> {
        Emitter { sink }
    }

    /// Sends a frame downstream. Fails only when the transport refuses it
    /// (a malformed array, a wasm sandbox's output limit).
    #[inline]
    pub fn emit(&mut self, frame: Frame) {
        // A refusal is recorded by the transport and fails the call; the
        // operator's code need not thread it through.
        let _ = self.sink.frame(frame);
    }

    /// Sends a frame downstream, returning the transport's refusal.
    pub fn try_emit(&mut self, frame: Frame) -> Result<(), PluginError> {
        self.sink.frame(frame)
    }

    /// Passes the input frame downstream unchanged, without copying it,
    /// ahead of any frame emitted with [`Emitter::emit`]. Reductions that sit
    /// in the middle of a pipeline use this.
    #[inline]
    pub fn forward(&mut self) {
        self.sink.forward();
    }

    /// Publishes a side output other stages can reference as
    /// `${stage.key}`, and which is written to the result sidecar.
    #[inline]
    pub fn result(&mut self, key: impl AsRef<str>, value: impl Into<Value>) {
        self.sink.result(key.as_ref(), value.into());
    }

    /// Publishes an event (an anomaly, a measurement) on the control bus.
    pub fn event(&mut self, kind: &str, mut fields: Map<String, Value>) {
        fields.insert("kind".into(), kind.into());
        self.sink.event(fields);
    }

    /// A source operator has nothing more to emit.
    #[inline]
    pub fn end_stream(&mut self) {
        self.sink.end_stream();
    }
}

/// Everything one operator call produced: what the host receives, and what
/// a test inspects. It is itself a [`Sink`] that collects.
///
/// Built for the common call that produces nothing, a forward or a frame:
/// results, events and a refusal sit behind one `Box` made on the first of
/// them, so an empty output holds no allocation and costs next to nothing
/// to build, move and drop (an empty `BTreeMap` alone costs tens of
/// instructions to drop; this is on every call's path).
#[derive(Default, Debug)]
pub struct Output {
    pub(crate) frames: Vec<Frame>,
    pub(crate) rest: Option<Box<Rest>>,
    pub(crate) forward_input: bool,
    pub(crate) end_of_stream: bool,
}

/// The rarer parts of an [`Output`].
#[derive(Default, Debug)]
pub(crate) struct Rest {
    pub(crate) results: Map<String, Value>,
    pub(crate) events: Vec<Value>,
    /// The first frame a transport refused, which fails the call.
    pub(crate) refused: Option<PluginError>,
    /// The error the call itself reported (native transport).
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) error: Option<PluginError>,
}

fn no_results() -> &'static Map<String, Value> {
    static EMPTY: OnceLock<Map<String, Value>> = OnceLock::new();
    EMPTY.get_or_init(Map::new)
}

impl Output {
    /// Nothing produced yet.
    #[inline]
    pub fn new() -> Output {
        Output::default()
    }

    /// The frames emitted, in order.
    pub fn frames(&self) -> &[Frame] {
        &self.frames
    }

    /// Takes the frames emitted.
    pub fn take_frames(&mut self) -> Vec<Frame> {
        std::mem::take(&mut self.frames)
    }

    /// The side outputs published.
    pub fn results(&self) -> &Map<String, Value> {
        match &self.rest {
            Some(r) => &r.results,
            None => no_results(),
        }
    }

    /// The events published, each a JSON object with `kind`.
    pub fn events(&self) -> &[Value] {
        self.rest.as_ref().map_or(&[], |r| &r.events)
    }

    /// Whether the input frame is passed downstream (ahead of `frames`).
    pub fn forwards_input(&self) -> bool {
        self.forward_input
    }

    /// Whether a source operator said it is done.
    pub fn is_end_of_stream(&self) -> bool {
        self.end_of_stream
    }

    pub(crate) fn rest(&mut self) -> &mut Rest {
        self.rest.get_or_insert_with(Default::default)
    }

    /// Records a refused frame; the first one fails the call (only the
    /// native transport refuses frames after the call).
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) fn refuse(&mut self, e: PluginError) {
        self.rest().refused.get_or_insert(e);
    }

    /// The output, or the error of a frame the transport refused.
    #[inline]
    pub(crate) fn checked(mut self) -> Result<Output, PluginError> {
        if let Some(e) = self.rest.as_mut().and_then(|r| r.refused.take()) {
            return Err(e);
        }
        Ok(self)
    }

    /// Runs `f` with an emitter writing into a fresh output.
    pub fn collect(f: impl FnOnce(&mut Emitter<'_>) -> Result<(), PluginError>) -> Result<Output, PluginError> {
        let mut out = Output::new();
        f(&mut Emitter::new(&mut out))?;
        out.checked()
    }
}

impl Sink for Output {
    fn frame(&mut self, frame: Frame) -> Result<(), PluginError> {
        self.frames.push(frame);
        Ok(())
    }

    fn result(&mut self, key: &str, value: Value) {
        self.rest().results.insert(key.to_string(), value);
    }

    fn event(&mut self, fields: Map<String, Value>) {
        self.rest().events.push(Value::Object(fields));
    }

    fn forward(&mut self) {
        self.forward_input = true;
    }

    fn end_stream(&mut self) {
        self.end_of_stream = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::ChunkKey;

    #[test]
    fn an_emitter_delivers_to_its_sink_in_order() {
        let out = Output::collect(|e| {
            e.forward();
            e.emit(Frame::new("d", ChunkKey::stream(0)));
            e.result("mean", 1.5);
            e.event("anomaly", Map::new());
            Ok(())
        })
        .unwrap();
        assert!(out.forwards_input() && !out.is_end_of_stream());
        assert_eq!(out.frames().len(), 1);
        assert_eq!(out.results()["mean"], 1.5);
        assert_eq!(out.events()[0]["kind"], "anomaly");
    }
}
