//! How the reconstruction operators read a frame and write one back: the
//! stack a frame holds (projections or sinograms, any numeric dtype, as
//! `f32`), the projection angles from its metadata, and output frames that
//! keep the input's chunk key, metadata and the label of its chunk axis.
//!
//! Layouts are those of `docs/CONVENTIONS.md` ("Tomography"): projections
//! `[angles, rows, cols]` (axes `angle row col`), sinograms
//! `[rows, angles, cols]` (axes `row angle col`); a 2-D array is one
//! projection or one sinogram. Axis labels are not required (an NPY stack
//! arrives as `z y x`), but a stack labelled the other way round is
//! refused: that is a pipeline missing its reslice, not data to guess at.
//!
//! **Angles** come from the frame's metadata, one per index of its angle
//! axis: `theta_deg` (what `generator.projections` sends and the dxchange
//! sink writes), else `theta_rad`, else, for data that carries none (an
//! NPY file), `n` angles evenly over `[0°, 180°)`, the half turn FBP's
//! weighting assumes anyway.

use std::borrow::Cow;

use plexus_plugin_api::{Array, ArrayView, Frame, FrameView, PluginError};
use serde_json::Value;

use crate::geometry::half_turn_deg;

/// The arrangement of a stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `[angles, rows, cols]`, cut along `angle`.
    Projections,
    /// `[rows, angles, cols]`, cut along `row`.
    Sinograms,
}

impl Layout {
    fn describe(self) -> &'static str {
        match self {
            Layout::Projections => "projections `[angles, rows, cols]` (axes `angle row col`)",
            Layout::Sinograms => "sinograms `[rows, angles, cols]` (axes `row angle col`)",
        }
    }

    /// Whether `axes` say the stack is arranged the other way.
    fn is_other(self, axes: &str) -> bool {
        let labels: Vec<&str> = axes.split_whitespace().collect();
        match self {
            Layout::Projections => labels.get(1) == Some(&"angle"),
            Layout::Sinograms => labels.first() == Some(&"angle"),
        }
    }
}

/// One array of a frame as an `f32` stack `[items, h, w]`: projections
/// `(angles, rows, cols)` or sinograms `(rows, angles, cols)`.
pub struct Stack<'a> {
    /// The array's name in the frame.
    pub name: &'a str,
    /// Its values, borrowed when the array is `f32`.
    pub data: Cow<'a, [f32]>,
    /// `[items, h, w]` (a 2-D array is one item).
    pub dims: [usize; 3],
    rank: usize,
    axes: &'a str,
}

/// `view` as `f32`: borrowed when it is, converted otherwise (exact for
/// every integer type up to 24 bits, rounded for wider and for f64).
pub fn to_f32<'a>(view: &ArrayView<'a>) -> Cow<'a, [f32]> {
    match view.as_slice::<f32>() {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(view.to_f64_vec().into_iter().map(|v| v as f32).collect()),
    }
}

impl<'a> Stack<'a> {
    /// The array `name` of `view`, arranged as `layout`.
    pub fn of(name: &'a str, view: ArrayView<'a>, layout: Layout) -> Result<Stack<'a>, PluginError> {
        let (shape, axes) = (view.shape(), view.axes());
        let dims = match *shape {
            [h, w] => [1, h, w],
            [k, h, w] => [k, h, w],
            _ => {
                return Err(PluginError::bad_input(name, layout.describe(), format!("shape {shape:?} (axes `{axes}`)")))
            }
        };
        if layout.is_other(axes) {
            let hint = match layout {
                Layout::Sinograms => "; sinogram operators need the stack resliced along `row`",
                Layout::Projections => "; projection operators come before the reslice to sinograms",
            };
            return Err(PluginError::bad_input(name, layout.describe(), format!("axes `{axes}`{hint}")));
        }
        Ok(Stack { name, data: to_f32(&view), dims, rank: shape.len(), axes })
    }

    /// The frame's first array (the one single-array operators take).
    pub fn first(input: &FrameView<'a>, layout: Layout) -> Result<Stack<'a>, PluginError> {
        let (name, view) = input.first()?;
        Stack::of(name, view, layout)
    }

    /// Values in one item (`h · w`).
    pub fn item_len(&self) -> usize {
        self.dims[1] * self.dims[2]
    }

    /// An output frame like `input` holding `data` in place of this stack:
    /// the same name, chunk key and metadata, shape `[items, h, w]` of
    /// `dims` (2-D when the input was), and axis labels `axes` for the two
    /// inner axes (`None`: the input's own), after the input's chunk-axis
    /// label.
    pub fn output(
        &self,
        input: &FrameView<'_>,
        dims: [usize; 3],
        inner_axes: Option<&str>,
        data: Vec<f32>,
    ) -> Result<Frame, PluginError> {
        let labels: Vec<&str> = self.axes.split_whitespace().collect();
        let inner = inner_axes.map(str::to_string).unwrap_or_else(|| labels[labels.len() - 2..].join(" "));
        let (shape, axes) = if self.rank == 2 {
            (vec![dims[1], dims[2]], inner)
        } else {
            (dims.to_vec(), format!("{} {inner}", labels[0]))
        };
        let array = Array::from_vec(shape, data)
            .and_then(|a| a.with_axes(&axes))
            .map_err(|e| PluginError::failed(format!("building the output array `{}`: {e}", self.name)))?;
        with_meta(Frame::like(input).with_array(self.name, array), input)
    }
}

/// An output frame like `input` holding `data` in place of its array
/// `name` of the same shape and axes (`view`), with the input's metadata.
pub fn same_shape(
    input: &FrameView<'_>,
    name: &str,
    view: &ArrayView<'_>,
    data: Vec<f32>,
) -> Result<Frame, PluginError> {
    let array = Array::from_vec(view.shape().to_vec(), data)
        .and_then(|a| a.with_axes(view.axes()))
        .map_err(|e| PluginError::failed(format!("building the output array `{name}`: {e}")))?;
    with_meta(Frame::like(input).with_array(name, array), input)
}

/// `frame` with every metadata entry of `input` (angles, pixel size…).
fn with_meta(mut frame: Frame, input: &FrameView<'_>) -> Result<Frame, PluginError> {
    for (k, v) in input.meta()? {
        frame.meta_mut().insert(k.clone(), v.clone());
    }
    Ok(frame)
}

/// The projection angles of a frame whose angle axis has `count` entries,
/// in degrees: metadata `theta_deg`, else `theta_rad`, else a half turn.
pub fn angles_deg(input: &FrameView<'_>, count: usize) -> Result<Vec<f64>, PluginError> {
    let meta = input.meta()?;
    for (key, to_deg) in [("theta_deg", 1.0), ("theta_rad", 180.0 / std::f64::consts::PI)] {
        let Some(v) = meta.get(key) else { continue };
        let list = v.as_array().and_then(|l| l.iter().map(Value::as_f64).collect::<Option<Vec<f64>>>());
        let Some(list) = list else {
            return Err(PluginError::bad_input(
                "",
                format!("metadata `{key}` as a list of angles"),
                truncated(&v.to_string()),
            ));
        };
        if list.len() != count {
            return Err(PluginError::bad_input(
                "",
                format!("metadata `{key}` with one angle per index of the angle axis ({count})"),
                format!("{} angles", list.len()),
            ));
        }
        return Ok(list.into_iter().map(|a| a * to_deg).collect());
    }
    Ok(half_turn_deg(count))
}

fn truncated(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((at, _)) => format!("`{}…`", &s[..at]),
        None => format!("`{s}`"),
    }
}
