//! Test plugin `faulty`: panics on some frames, to show a panic becomes a
//! frame error and the host keeps going; also pass-through operators with
//! tomography patterns, to test pattern checks.

use plexus_plugin_api::{
    export_plugin, Array, Context, Emitter, Frame, FrameView, NoParams, Operator, Param, Params, PluginError,
};
use serde::{Deserialize, Serialize};

/// Parameters of `panicky`.
#[derive(Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PanickyParams {
    /// Every `every`-th frame panics.
    pub every: u64,
}

impl Default for PanickyParams {
    fn default() -> Self {
        PanickyParams { every: 3 }
    }
}

impl Params for PanickyParams {
    const TABLE: &'static [Param] = &[Param::new("every", "").min(1.0)];
}

pub struct Panicky {
    every: u64,
}

impl Panicky {
    pub fn new(p: PanickyParams, _ctx: &Context) -> Result<Panicky, PluginError> {
        Ok(Panicky { every: p.every })
    }
}

impl Operator for Panicky {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        if input.seq() % self.every == self.every - 1 {
            panic!("frame {} is cursed", input.seq());
        }
        out.forward();
        Ok(())
    }
}

/// Passes frames through unchanged.
pub struct Pass;

impl Pass {
    pub fn new(_p: NoParams, _ctx: &Context) -> Result<Pass, PluginError> {
        Ok(Pass)
    }
}

impl Operator for Pass {
    fn process(&mut self, _input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        out.forward();
        Ok(())
    }
}

export_plugin! {
    "panicky" => Panicky::new,
    "projections" => Pass::new,
    "sinograms" => Pass::new,
    "pass" => Pass::new,
    "address" => Address::new,
    "copy" => Copy::new,
    "copy_fresh" => CopyFresh::new,
}

/// Copies every input array into a new output array the way plugins make
/// outputs: `ArrayView::to_owned`, pooled (the output-reuse benchmark).
pub struct Copy;

impl Copy {
    pub fn new(_p: NoParams, _ctx: &Context) -> Result<Copy, PluginError> {
        Ok(Copy)
    }
}

impl Operator for Copy {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let mut frame = Frame::like(input);
        for (name, a) in input.arrays() {
            frame.insert(name, a.to_owned());
        }
        out.emit(frame);
        Ok(())
    }
}

/// The same copy into a fresh vector for every output: what `copy` cost
/// before the pool (the output-reuse benchmark's comparison).
pub struct CopyFresh;

impl CopyFresh {
    pub fn new(_p: NoParams, _ctx: &Context) -> Result<CopyFresh, PluginError> {
        Ok(CopyFresh)
    }
}

impl Operator for CopyFresh {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let mut frame = Frame::like(input);
        for (name, a) in input.arrays() {
            let fresh = Array::from_vec(a.shape().to_vec(), a.as_slice::<f32>()?.to_vec())?.with_axes(a.axes())?;
            frame.insert(name, fresh);
        }
        out.emit(frame);
        Ok(())
    }
}

/// Publishes the address of the first input array's bytes, so a test can
/// check the plugin sees host memory without a copy.
pub struct Address;

impl Address {
    pub fn new(_p: NoParams, _ctx: &Context) -> Result<Address, PluginError> {
        Ok(Address)
    }
}

impl Operator for Address {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let (_, a) = input.first()?;
        out.result("address", a.as_bytes().as_ptr() as u64);
        Ok(())
    }
}
