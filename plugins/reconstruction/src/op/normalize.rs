//! `normalize`: raw projections to transmission with the scan's flat and
//! dark fields ([`crate::normalize`] has the formula and the averaging).
//!
//! # Where the flat and dark fields come from
//!
//! From arrays of the frame, next to the projections: `white` and `dark`
//! (what `generator.projections` attaches to its first frame) or
//! `data_white` and `data_dark` (the names of a dxchange scan's
//! `/exchange/data_white` and `/exchange/data_dark`), each
//! `[frames, rows, cols]` like the projections' `rows × cols`. The first
//! frame that carries flats builds the flat field (darks are optional:
//! none means a zero dark); later copies are ignored, so a host may attach
//! the same fields to every frame at no cost (arrays are shared, not
//! copied). A frame of projections before any flats is refused.
//!
//! The projections are the frame's first array that is not a field; the
//! output frame holds them alone, corrected, under their name, with the
//! input's key and metadata. The operator keeps the flat field across
//! frames, so it is not `parallel`; `snapshot` hands it to a reloaded
//! version.

use plexus_plugin_api::{ArrayView, Context, Emitter, FrameView, Operator, Param, Params, PluginError};

use crate::normalize::{FlatField, NormalizeParams};
use crate::op::frames::{to_f32, Layout, Stack};

/// Names of the flat-field arrays: generator's, then dxchange's.
const WHITE: [&str; 2] = ["white", "data_white"];
/// Names of the dark-field arrays.
const DARK: [&str; 2] = ["dark", "data_dark"];

impl Params for NormalizeParams {
    const TABLE: &'static [Param] = &[
        Param::new(
            "average",
            "how the flat frames and the dark frames are each reduced to one image (numpy mean or median)",
        ),
        Param::new("invalid", "output where flat - dark <= 0: one (0 after minus_log), zero or nan"),
        Param::new("cutoff", "values above it are set to it (TomoPy's cutoff); unset: no clip"),
    ];
}

/// The `normalize` operator.
pub struct Normalize {
    params: NormalizeParams,
    field: Option<FlatField>,
    threads: usize,
}

impl Normalize {
    /// Builds the operator; the flat field comes with the first frame.
    pub fn new(params: NormalizeParams, ctx: &Context) -> Result<Normalize, PluginError> {
        // The flat field checks `cutoff` again; refuse it before any frame.
        FlatField::from_parts(vec![0.0], vec![0.0], &params)?;
        Ok(Normalize { params, field: None, threads: ctx.threads() })
    }

    /// Builds the flat field from `input`'s arrays, checked against the
    /// detector `rows × cols`.
    fn field_from(&self, input: &FrameView<'_>, rows: usize, cols: usize) -> Result<FlatField, PluginError> {
        let find = |names: [&'static str; 2]| names.iter().find_map(|n| input.array(n).ok().map(|v| (*n, v)));
        let Some((white_name, white)) = find(WHITE) else {
            return Err(PluginError::bad_input(
                "white",
                "flat fields with the first frame: arrays `white` and `dark` (generator.projections) or `data_white` and `data_dark` (a dxchange scan)",
                "none",
            ));
        };
        let frames = |name: &str, v: &ArrayView<'_>| -> Result<(), PluginError> {
            match *v.shape() {
                [_, r, c] if (r, c) == (rows, cols) => Ok(()),
                _ => Err(PluginError::bad_input(
                    name,
                    format!("frames `[n, {rows}, {cols}]`, the projections' rows and columns"),
                    format!("shape {:?}", v.shape()),
                )),
            }
        };
        frames(white_name, &white)?;
        let darks = match find(DARK) {
            Some((name, v)) => {
                frames(name, &v)?;
                to_f32(&v)
            }
            None => Vec::new().into(),
        };
        Ok(FlatField::new(&to_f32(&white), &darks, rows * cols, &self.params)?)
    }
}

impl Operator for Normalize {
    fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
        let Some((name, view)) = input.arrays().find(|(n, _)| !WHITE.contains(n) && !DARK.contains(n)) else {
            return Err(PluginError::bad_input("", "projections besides the flat and dark fields", "none"));
        };
        let stack = Stack::of(name, view, Layout::Projections)?;
        let [_, rows, cols] = stack.dims;
        let field = match self.field.take() {
            Some(f) => f,
            None => self.field_from(input, rows, cols)?,
        };
        let field = self.field.insert(field);
        let (dark, _) = field.parts();
        if dark.len() != rows * cols {
            return Err(PluginError::bad_input(
                name,
                format!("projections of {} pixels, as the flat field's", dark.len()),
                format!("{rows} × {cols}"),
            ));
        }
        let mut data = vec![0.0; stack.data.len()];
        field.apply(&stack.data, &mut data, self.threads)?;
        out.emit(stack.output(input, stack.dims, None, data)?);
        Ok(())
    }

    /// The flat field: `plexus.normalize.v1`, the pixel count (u64 LE),
    /// then the dark and the gain as f32 LE; none before the first frame.
    fn snapshot(&self) -> Result<Option<Vec<u8>>, PluginError> {
        let Some(field) = &self.field else { return Ok(None) };
        let (dark, gain) = field.parts();
        let mut state = MAGIC.to_vec();
        state.extend_from_slice(&(dark.len() as u64).to_le_bytes());
        for v in dark.iter().chain(gain) {
            state.extend_from_slice(&v.to_le_bytes());
        }
        Ok(Some(state))
    }

    fn restore(&mut self, state: &[u8]) -> Result<(), PluginError> {
        let bad = |why: &str| PluginError::failed(format!("`normalize`: cannot restore snapshot: {why}"));
        let rest = state.strip_prefix(MAGIC).ok_or_else(|| bad("it is not a `normalize` flat field"))?;
        let (count, values) = rest.split_at_checked(8).ok_or_else(|| bad("it is truncated"))?;
        let n = u64::from_le_bytes(count.try_into().expect("8 bytes")) as usize;
        if values.len() != n.saturating_mul(8) {
            return Err(bad(&format!("{} bytes for {n} pixels", values.len())));
        }
        let floats: Vec<f32> =
            values.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))).collect();
        let (dark, gain) = floats.split_at(n);
        self.field = Some(FlatField::from_parts(dark.to_vec(), gain.to_vec(), &self.params)?);
        Ok(())
    }
}

const MAGIC: &[u8] = b"plexus.normalize.v1\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_refuses_foreign_or_truncated_state() {
        let mut op = Normalize::new(NormalizeParams::default(), &Context::new(1)).unwrap();
        assert_eq!(
            op.restore(b"{}").unwrap_err().to_string(),
            "`normalize`: cannot restore snapshot: it is not a `normalize` flat field"
        );
        let mut state = MAGIC.to_vec();
        state.extend_from_slice(&2u64.to_le_bytes());
        state.extend_from_slice(&[0; 12]);
        assert_eq!(
            op.restore(&state).unwrap_err().to_string(),
            "`normalize`: cannot restore snapshot: 12 bytes for 2 pixels"
        );
    }
}
