//! How a volume operator sees its input frame: an array read as a chunk of
//! a `(z, y, x)` volume, with its place in the volume and the halo the host
//! added, and the output frame that goes back (same shape, axis labels,
//! chunk key and metadata).
//!
//! # Conventions (`docs/CONVENTIONS.md`)
//! - `[y, x]` is a 2-D image (one slice); `[z, y, x]` a chunk of `z`
//!   slices. A last axis labelled `band`, `c` or `channel` is refused
//!   (volume operators are grey-level).
//! - The chunk key places the array: slices `offset .. offset + length` of a
//!   volume of `extent` slices, cut along axis 0.
//! - A frame whose metadata says `"halo": {"before": b, "after": a}` carries
//!   `b` slices before and `a` after the chunk it stands for (the key then
//!   covers the padded range); the host trims outputs of the padded length
//!   back to the chunk.
//! - A frame is **independent** — a whole image or volume on its own — when
//!   it is a 2-D image, an entry of a batch or image set (first axis `n`),
//!   or an entry of an unbounded stream (`extent = 0`).

use std::borrow::Cow;
use std::ops::Range;

use plexus_plugin_api::{Array, ArrayView, DType, Element, Frame, FrameView, PluginError};

use crate::volume::Shape;

/// An input array as a chunk of a `(z, y, x)` volume.
#[derive(Debug, Clone, Copy)]
pub struct VolumeChunk<'a> {
    /// The array's name in the frame.
    pub name: &'a str,
    /// The array.
    pub view: ArrayView<'a>,
    /// The array's `(z, y, x)` extent, halo included.
    pub shape: Shape,
    /// Volume slice of the array's first slice.
    pub z_first: usize,
    /// Halo slices before and after the chunk the frame stands for.
    pub halo: (usize, usize),
    /// Slices in the whole volume.
    pub volume_z: usize,
    /// The frame is a whole image or volume on its own (see the module docs).
    pub independent: bool,
}

impl<'a> VolumeChunk<'a> {
    /// The first array of `input`.
    pub fn of(input: &FrameView<'a>) -> Result<VolumeChunk<'a>, PluginError> {
        let (name, view) = input.first()?;
        VolumeChunk::from_view(input, name, view)
    }

    /// The array `name` of `input`.
    pub fn named(input: &FrameView<'a>, name: &'a str) -> Result<VolumeChunk<'a>, PluginError> {
        let view = input.array(name)?;
        VolumeChunk::from_view(input, name, view)
    }

    /// `view` (called `name`) of `input` as a volume chunk.
    pub fn from_view(
        input: &FrameView<'a>,
        name: &'a str,
        view: ArrayView<'a>,
    ) -> Result<VolumeChunk<'a>, PluginError> {
        let shape = volume_shape(name, view.shape(), view.axes())?;
        let key = input.key();
        let first_axis = view.axes().split_whitespace().next().unwrap_or("");
        let independent = view.shape().len() == 2 || first_axis == "n" || key.extent == 0;
        if independent {
            return Ok(VolumeChunk { name, view, shape, z_first: 0, halo: (0, 0), volume_z: shape.z, independent });
        }
        // Slices reconstructed from resliced sinograms (`row y x`) keep the
        // key of the projection stack's `row` axis (1); their rows are this
        // array's axis 0 (docs/CONVENTIONS.md, "Chunking").
        let along_rows = key.axis == 1 && first_axis == "row";
        if key.axis != 0 && !along_rows {
            return Err(PluginError::bad_input(
                name,
                "chunks cut along axis 0 (z)",
                format!("a frame cut along axis {}", key.axis),
            ));
        }
        if key.length as usize != shape.z || key.offset + key.length > key.extent {
            return Err(PluginError::bad_input(
                name,
                format!(
                    "{} slice(s), as the chunk key says (offset {}, extent {})",
                    key.length, key.offset, key.extent
                ),
                format!("shape {:?}", view.shape()),
            ));
        }
        let halo = halo_of(input)?;
        if halo.0 + halo.1 > shape.z {
            return Err(PluginError::bad_input(
                name,
                format!("at least {} slice(s) for a halo of {} before and {} after", halo.0 + halo.1, halo.0, halo.1),
                format!("{} slice(s)", shape.z),
            ));
        }
        Ok(VolumeChunk {
            name,
            view,
            shape,
            z_first: key.offset as usize,
            halo,
            volume_z: key.extent as usize,
            independent,
        })
    }

    /// The slices the frame stands for, in volume coordinates (its own
    /// slices without the halo).
    pub fn owned(&self) -> Range<usize> {
        self.z_first + self.halo.0..self.z_first + self.shape.z - self.halo.1
    }

    /// Whether the array holds the whole volume.
    pub fn is_whole(&self) -> bool {
        self.independent || (self.z_first == 0 && self.shape.z == self.volume_z)
    }

    /// Refuses a frame that is not the whole volume: `operator` needs it
    /// whole (`why`).
    pub fn require_whole(&self, why: &str) -> Result<(), PluginError> {
        if self.is_whole() {
            return Ok(());
        }
        Err(PluginError::bad_input(
            self.name,
            format!("the whole volume in one frame ({why})"),
            format!(
                "slices {}..{} of {} (give the input `chunk = {}` or more until the host assembles whole volumes)",
                self.z_first,
                self.z_first + self.shape.z,
                self.volume_z,
                self.volume_z
            ),
        ))
    }

    /// Refuses a frame cut inside the volume with fewer than `need` halo
    /// slices on a cut side: the operator's support reaches `need` slices
    /// (`why` names the parameters that say so), so its output next to the
    /// cut would differ from the whole volume's.
    pub fn require_halo(&self, need: usize, why: &str) -> Result<(), PluginError> {
        if self.independent || need == 0 {
            return Ok(());
        }
        let cut_before = self.z_first > 0 && self.halo.0 < need;
        let cut_after = self.z_first + self.shape.z < self.volume_z && self.halo.1 < need;
        if !cut_before && !cut_after {
            return Ok(());
        }
        let (side, got) = if cut_before { ("before", self.halo.0) } else { ("after", self.halo.1) };
        Err(PluginError::bad_input(
            self.name,
            format!("{need} halo slice(s) on each side of a chunk cut inside the volume ({why})"),
            format!("{got} {side} the chunk at z {}", self.owned().start),
        ))
    }

    /// Elements as `T` when the array holds `T`.
    pub fn slice<T: Element>(&self) -> Option<&'a [T]> {
        self.view.as_slice::<T>().ok()
    }

    /// The array as a 0/1-or-nonzero u8 mask: borrowed when it is u8,
    /// nonzero → 1 otherwise.
    pub fn mask(&self) -> Cow<'a, [u8]> {
        match self.view.as_slice::<u8>() {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => Cow::Owned(self.view.to_f64_vec().iter().map(|&v| (v != 0.0) as u8).collect()),
        }
    }

    /// The array as f32: borrowed when it is f32, converted otherwise (exact
    /// for 8- and 16-bit integers; u32, i32 and f64 are rounded to f32).
    pub fn f32s(&self) -> Cow<'a, [f32]> {
        match self.view.as_slice::<f32>() {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => Cow::Owned(self.view.to_f64_vec().iter().map(|&v| v as f32).collect()),
        }
    }

    /// A u32 label image (borrowed when u32; other integer types widened).
    pub fn labels(&self) -> Result<Cow<'a, [u32]>, PluginError> {
        match self.view.dtype() {
            DType::U32 => Ok(Cow::Borrowed(self.view.as_slice::<u32>()?)),
            DType::U8 | DType::U16 => Ok(Cow::Owned(self.view.to_f64_vec().iter().map(|&v| v as u32).collect())),
            other => Err(PluginError::bad_input(self.name, "labels of `u32` (or `u8`, `u16`)", format!("`{other}`"))),
        }
    }
}

/// The `(z, y, x)` extent of an array of `shape` labelled `axes`.
fn volume_shape(name: &str, shape: &[usize], axes: &str) -> Result<Shape, PluginError> {
    let last = axes.split_whitespace().last().unwrap_or("");
    let channels = shape.len() == 3 && matches!(last, "band" | "c" | "channel");
    match shape {
        [y, x] => Ok(Shape::plane(*y, *x)),
        [z, y, x] if !channels => Ok(Shape::new(*z, *y, *x)),
        _ => Err(PluginError::bad_input(
            name,
            "a grey-level volume `[z, y, x]` or image `[y, x]`",
            format!("shape {shape:?} (axes `{axes}`)"),
        )),
    }
}

/// The halo a frame says it carries (`{"before": b, "after": a}`), or none.
fn halo_of(input: &FrameView<'_>) -> Result<(usize, usize), PluginError> {
    let Some(h) = input.meta()?.get("halo") else { return Ok((0, 0)) };
    let side = |k: &str| h.get(k).and_then(|v| v.as_u64()).map(|v| v as usize);
    match (side("before"), side("after")) {
        (Some(b), Some(a)) => Ok((b, a)),
        _ => Err(PluginError::bad_input("", "frame metadata `halo` as {\"before\": n, \"after\": n}", h.to_string())),
    }
}

/// The output frame for `input`: `data` as array `name` with the input
/// chunk's shape and axis labels, the input's key and metadata.
pub fn output<T: Element>(
    input: &FrameView<'_>,
    chunk: &VolumeChunk<'_>,
    name: &str,
    data: Vec<T>,
) -> Result<Frame, PluginError> {
    let array = Array::from_vec(chunk.view.shape().to_vec(), data)
        .and_then(|a| a.with_axes(chunk.view.axes()))
        .map_err(|e| PluginError::failed(format!("building the output array `{name}`: {e}")))?;
    Ok(frame_like(input)?.with_array(name, array))
}

/// A frame with `input`'s dataset, key and metadata, and no array.
pub fn frame_like(input: &FrameView<'_>) -> Result<Frame, PluginError> {
    let mut frame = Frame::like(input);
    let meta = input.meta()?;
    if !meta.is_empty() {
        frame.meta_mut().extend(meta.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    Ok(frame)
}

/// Checks that a chunk continues the stream an order-dependent operator
/// has seen: its first owned slice must be `next` (the end of the last
/// chunk), or 0 for a new volume. Returns whether it starts a new volume.
pub fn check_order(chunk: &VolumeChunk<'_>, next: usize) -> Result<bool, PluginError> {
    let start = chunk.owned().start;
    if chunk.independent || start == 0 {
        return Ok(true);
    }
    if start != next {
        return Err(PluginError::bad_input(
            chunk.name,
            format!("the chunk starting at z {next} (chunks in z order)"),
            format!("the chunk starting at z {start}"),
        ));
    }
    Ok(false)
}

/// Runs `$body` with `$s` bound to the elements of `$chunk` as their own
/// type (`u8`, `u16`, `u32`, `i16`, `i32`, `f32`, `f64`).
#[macro_export]
macro_rules! with_elements {
    ($chunk:expr, |$s:ident| $body:expr) => {{
        let view = $chunk.view;
        match view.dtype() {
            plexus_plugin_api::DType::U8 => {
                let $s = view.as_slice::<u8>()?;
                $body
            }
            plexus_plugin_api::DType::U16 => {
                let $s = view.as_slice::<u16>()?;
                $body
            }
            plexus_plugin_api::DType::U32 => {
                let $s = view.as_slice::<u32>()?;
                $body
            }
            plexus_plugin_api::DType::I16 => {
                let $s = view.as_slice::<i16>()?;
                $body
            }
            plexus_plugin_api::DType::I32 => {
                let $s = view.as_slice::<i32>()?;
                $body
            }
            plexus_plugin_api::DType::F32 => {
                let $s = view.as_slice::<f32>()?;
                $body
            }
            plexus_plugin_api::DType::F64 => {
                let $s = view.as_slice::<f64>()?;
                $body
            }
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;
    use plexus_plugin_api::abi::native::{lend, with_view};
    use plexus_plugin_api::ChunkKey;

    fn on<R>(frame: &Frame, f: impl FnOnce(&FrameView<'_>) -> Result<R, PluginError>) -> Result<R, PluginError> {
        lend(frame, 0, |raw| with_view(raw, f))
    }

    fn chunk(offset: u64, length: u64, extent: u64) -> Frame {
        let key = ChunkKey { axis: 0, offset, length, extent };
        Frame::new("d", key).with_array("mask", Array::zeros::<u8>(vec![length as usize, 3, 4]))
    }

    #[test]
    fn places_a_chunk_and_its_halo() {
        let f = chunk(8, 6, 20).with_meta("halo", serde_json::json!({"before": 2, "after": 2}));
        on(&f, |v| {
            let c = VolumeChunk::of(v)?;
            assert_eq!((c.shape, c.z_first, c.volume_z, c.owned()), (Shape::new(6, 3, 4), 8, 20, 10..12));
            assert!(!c.is_whole() && !c.independent);
            assert_eq!(c.require_halo(2, "`radius`"), Ok(()));
            assert_eq!(
                c.require_halo(3, "`radius`").unwrap_err().to_string(),
                "invalid input `mask`: expected 3 halo slice(s) on each side of a chunk cut inside the volume (`radius`), got 2 before the chunk at z 10"
            );
            assert_eq!(
                c.require_whole("the watershed floods it").unwrap_err().to_string(),
                "invalid input `mask`: expected the whole volume in one frame (the watershed floods it), got slices 8..14 of 20 (give the input `chunk = 20` or more until the host assembles whole volumes)"
            );
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn images_batches_and_whole_volumes() {
        let image = Frame::new("d", ChunkKey::whole(1)).with_array("i", Array::zeros::<f32>(vec![5, 7]));
        on(&image, |v| {
            let c = VolumeChunk::of(v)?;
            assert_eq!((c.shape, c.independent, c.is_whole()), (Shape::plane(5, 7), true, true));
            Ok(())
        })
        .unwrap();
        let item = Frame::new("d", ChunkKey { axis: 0, offset: 3, length: 1, extent: 9 })
            .with_array("i", Array::zeros::<u8>(vec![1, 5, 7]).with_axes("n y x").unwrap());
        on(&item, |v| Ok(assert!(VolumeChunk::of(v)?.is_whole()))).unwrap();
        on(&chunk(0, 20, 20), |v| Ok(assert!(VolumeChunk::of(v)?.is_whole()))).unwrap();
    }

    #[test]
    fn reconstructed_rows_are_chunks_along_their_first_axis() {
        let key = ChunkKey { axis: 1, offset: 4, length: 2, extent: 10 };
        let rows =
            Frame::new("d", key).with_array("i", Array::zeros::<f32>(vec![2, 5, 5]).with_axes("row y x").unwrap());
        on(&rows, |v| {
            let c = VolumeChunk::of(v)?;
            assert_eq!((c.z_first, c.volume_z, c.independent), (4, 10, false));
            Ok(())
        })
        .unwrap();
        let other =
            Frame::new("d", key).with_array("i", Array::zeros::<f32>(vec![2, 5, 5]).with_axes("z y x").unwrap());
        assert_eq!(
            on(&other, |v| VolumeChunk::of(v).map(|_| ())).unwrap_err().to_string(),
            "invalid input `i`: expected chunks cut along axis 0 (z), got a frame cut along axis 1"
        );
    }

    #[test]
    fn refuses_colour_and_inconsistent_keys() {
        let rgb = Frame::new("d", ChunkKey::whole(1))
            .with_array("i", Array::zeros::<u8>(vec![4, 4, 3]).with_axes("y x band").unwrap());
        assert_eq!(
            on(&rgb, |v| VolumeChunk::of(v).map(|_| ())).unwrap_err().to_string(),
            "invalid input `i`: expected a grey-level volume `[z, y, x]` or image `[y, x]`, got shape [4, 4, 3] (axes `y x band`)"
        );
        let mut bad = chunk(0, 6, 20);
        bad.set_key(ChunkKey { axis: 0, offset: 0, length: 5, extent: 20 });
        assert_eq!(
            on(&bad, |v| VolumeChunk::of(v).map(|_| ())).unwrap_err().to_string(),
            "invalid input `mask`: expected 5 slice(s), as the chunk key says (offset 0, extent 20), got shape [6, 3, 4]"
        );
    }

    #[test]
    fn order_is_checked() {
        on(&chunk(6, 6, 20), |v| {
            let c = VolumeChunk::of(v)?;
            assert_eq!(check_order(&c, 6), Ok(false));
            assert_eq!(
                check_order(&c, 4).unwrap_err().to_string(),
                "invalid input `mask`: expected the chunk starting at z 4 (chunks in z order), got the chunk starting at z 6"
            );
            Ok(())
        })
        .unwrap();
        on(&chunk(0, 6, 20), |v| Ok(assert_eq!(check_order(&VolumeChunk::of(v)?, 14), Ok(true)))).unwrap();
    }
}
