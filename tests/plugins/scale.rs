// Shared source of the `scale` test plugin; each crate sets `FACTOR` and
// `VERSION` and includes this file. A NaN factor makes every call fail.

use plexus_plugin_api::{export_plugin, Array, Context, Emitter, Frame, FrameView, NoParams, Operator, PluginError};

/// Multiplies the first array by `FACTOR` (as f64) and counts frames.
pub struct Scale {
    seen: u64,
}

impl Scale {
    pub fn new(_p: NoParams, _ctx: &Context) -> Result<Scale, PluginError> {
        Ok(Scale { seen: 0 })
    }
}

impl Operator for Scale {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        if FACTOR.is_nan() {
            return Err(PluginError::failed(format!("scale {VERSION} is broken on purpose")));
        }
        let (name, a) = input.first()?;
        let values: Vec<f64> = a.to_f64_vec().into_iter().map(|v| v * FACTOR).collect();
        self.seen += 1;
        let array = Array::from_vec(a.shape().to_vec(), values)?.with_axes(a.axes())?;
        out.emit(Frame::like(input).with_array(name, array).with_meta("scaled_by", VERSION));
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter) -> Result<(), PluginError> {
        out.result("frames_seen", self.seen);
        out.result("last_version", VERSION);
        Ok(())
    }

    fn snapshot(&self) -> Result<Option<Vec<u8>>, PluginError> {
        Ok(Some(self.seen.to_le_bytes().to_vec()))
    }

    fn restore(&mut self, state: &[u8]) -> Result<(), PluginError> {
        let bytes: [u8; 8] = state.try_into().map_err(|_| PluginError::failed("snapshot is not 8 bytes"))?;
        self.seen = u64::from_le_bytes(bytes);
        Ok(())
    }
}

export_plugin! { "scale" => Scale::new }
