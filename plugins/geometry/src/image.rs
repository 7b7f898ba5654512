//! How operators see a frame's array: a stack of 2-D planes.
//!
//! Arrays include the chunk axis: a chunk of a volume is `[length, y, x]`, a
//! 2-D image comes as `[y, x]` or `[1, y, x]`. When the last axis is labelled
//! `band`, `c` or `channel` (docs/CONVENTIONS.md) each channel is its own
//! plane. Every operator here works plane by plane.

use plexus_plugin_api::{Array, ArrayView, DType, Element, PluginError};

/// Layout of an array as `outer × (h × w) × channels`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planes {
    /// Number of 2-D images along the leading axes.
    pub outer: usize,
    /// Rows.
    pub h: usize,
    /// Columns.
    pub w: usize,
    /// Interleaved channels (1 when the array has no channel axis).
    pub channels: usize,
}

fn is_channel_label(l: &str) -> bool {
    matches!(l, "band" | "c" | "channel")
}

impl Planes {
    /// The layout of `shape` with axis labels `axes`.
    pub fn of(shape: &[usize], axes: &str) -> Result<Planes, PluginError> {
        let labels: Vec<&str> = axes.split_whitespace().collect();
        let channel = labels.last().is_some_and(|l| is_channel_label(l)) && shape.len() >= 3;
        let spatial = if channel { &shape[..shape.len() - 1] } else { shape };
        if spatial.len() < 2 {
            return Err(PluginError::bad_input(
                "",
                "a 2-D image `[y, x]` or a stack `[n, y, x]`",
                format!("shape {shape:?} (axes `{axes}`)"),
            ));
        }
        let n = spatial.len();
        Ok(Planes {
            outer: spatial[..n - 2].iter().product(),
            h: spatial[n - 2],
            w: spatial[n - 1],
            channels: if channel { shape[shape.len() - 1] } else { 1 },
        })
    }

    /// Number of 2-D planes.
    pub fn count(&self) -> usize {
        self.outer * self.channels
    }

    /// Pixels per plane.
    pub fn area(&self) -> usize {
        self.h * self.w
    }
}

/// Plane `p` (outer index `p / channels`, channel `p % channels`) of `data`,
/// borrowed when there is one channel and copied otherwise.
pub fn plane<'a, T: Copy>(data: &'a [T], layout: Planes, p: usize) -> std::borrow::Cow<'a, [T]>
where
    [T]: ToOwned<Owned = Vec<T>>,
{
    let area = layout.area();
    if layout.channels == 1 {
        return std::borrow::Cow::Borrowed(&data[p * area..(p + 1) * area]);
    }
    let (o, c) = (p / layout.channels, p % layout.channels);
    let base = o * area * layout.channels;
    std::borrow::Cow::Owned((0..area).map(|i| data[base + i * layout.channels + c]).collect())
}

/// Writes plane `p` of an output with layout `layout` from `src`.
pub fn put_plane<T: Copy>(dst: &mut [T], layout: Planes, p: usize, src: &[T]) {
    let area = layout.area();
    if layout.channels == 1 {
        dst[p * area..(p + 1) * area].copy_from_slice(src);
        return;
    }
    let (o, c) = (p / layout.channels, p % layout.channels);
    let base = o * area * layout.channels;
    for (i, &v) in src.iter().enumerate() {
        dst[base + i * layout.channels + c] = v;
    }
}

/// Elements of `view` as `T`, converting from whatever integer or float type
/// it holds (exact for every integer type into f64, and for 8/16-bit into f32).
pub fn to_vec<T: Element>(view: &ArrayView<'_>) -> Vec<T> {
    if view.dtype() == T::DTYPE {
        return view.as_slice::<T>().expect("dtype checked").to_vec();
    }
    view.to_f64_vec().into_iter().map(T::from_f64).collect()
}

/// Borrows `view` as `T` when it holds `T`, converts otherwise.
pub fn as_cow<'a, T: Element>(view: &ArrayView<'a>) -> std::borrow::Cow<'a, [T]>
where
    [T]: ToOwned<Owned = Vec<T>>,
{
    match view.as_slice::<T>() {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => std::borrow::Cow::Owned(to_vec::<T>(view)),
    }
}

/// An array of `shape` holding `data`, with the labels `axes`.
pub fn array_like<T: Element>(shape: &[usize], axes: &str, data: Vec<T>) -> Result<Array, PluginError> {
    Array::from_vec(shape.to_vec(), data)
        .and_then(|a| a.with_axes(axes))
        .map_err(|e| PluginError::failed(format!("building the output array: {e}")))
}

/// Largest magnitude an element of `dtype` can have.
pub fn dtype_max_abs(dtype: DType) -> f64 {
    match dtype {
        DType::U8 => u8::MAX as f64,
        DType::U16 => u16::MAX as f64,
        DType::U32 => u32::MAX as f64,
        DType::I16 => 32768.0,
        DType::I32 => 2147483648.0,
        DType::F32 => f32::MAX as f64,
        DType::F64 => f64::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts() {
        assert_eq!(Planes::of(&[4, 5], "y x").unwrap(), Planes { outer: 1, h: 4, w: 5, channels: 1 });
        assert_eq!(Planes::of(&[3, 4, 5], "z y x").unwrap(), Planes { outer: 3, h: 4, w: 5, channels: 1 });
        assert_eq!(Planes::of(&[4, 5, 3], "y x band").unwrap(), Planes { outer: 1, h: 4, w: 5, channels: 3 });
        assert!(Planes::of(&[5], "x").is_err());
    }

    #[test]
    fn channel_planes_round_trip() {
        let layout = Planes::of(&[2, 2, 3], "y x c").unwrap();
        let data: Vec<u8> = (0..12).collect();
        let mut back = vec![0u8; 12];
        for p in 0..layout.count() {
            let pl = plane(&data, layout, p);
            assert_eq!(pl.len(), 4);
            put_plane(&mut back, layout, p, &pl);
        }
        assert_eq!(plane(&data, layout, 1).as_ref(), &[1, 4, 7, 10]);
        assert_eq!(back, data);
    }
}
