//! N-dimensional arrays: [`Array`] owns (shares) its elements, [`ArrayView`]
//! borrows them.
//!
//! Elements are contiguous and row-major; the last axis varies fastest. Axis
//! labels are a space-separated string such as `"z y x"` or `"angle row col"`
//! (see `docs/CONVENTIONS.md`). Storage is always aligned for its element type,
//! so a typed slice can be taken without copying.

use std::sync::Arc;

use crate::dtype::{DType, Element};
use crate::error::ArrayError;
use crate::pool::{PoolBuf, MIN_POOLED_BYTES};

/// Bytes owned by someone else — memory a transport received from the other
/// side of the plugin boundary — kept alive for as long as an [`Array`]
/// refers to them and released by their owner's rules when it drops.
pub(crate) trait ExternalBytes: Send + Sync {
    /// The bytes; their address must be stable for the value's lifetime.
    fn bytes(&self) -> &[u8];
}

/// Where the bytes of an [`Array`] live.
pub(crate) enum Storage {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    /// A large buffer from this copy of the crate's [`pool`](crate::pool),
    /// given back to it when the array drops (on the host's side too: the
    /// host releases an output through the plugin's own release function).
    Pooled(PoolBuf),
    /// Memory allocated on the other side of the plugin boundary, freed
    /// through the allocator that made it.
    External(Box<dyn ExternalBytes>),
}

impl Storage {
    fn bytes(&self) -> &[u8] {
        match self {
            Storage::U8(v) => v,
            Storage::U16(v) => bytemuck::cast_slice(v),
            Storage::U32(v) => bytemuck::cast_slice(v),
            Storage::I16(v) => bytemuck::cast_slice(v),
            Storage::I32(v) => bytemuck::cast_slice(v),
            Storage::F32(v) => bytemuck::cast_slice(v),
            Storage::F64(v) => bytemuck::cast_slice(v),
            Storage::Pooled(b) => b.bytes(),
            Storage::External(b) => b.bytes(),
        }
    }
}

/// Wraps a typed vector in the matching storage variant without copying.
trait IntoStorage: Element {
    fn into_storage(v: Vec<Self>) -> Storage;
    fn take(s: Storage) -> Result<Vec<Self>, Storage>;
}

macro_rules! storage_variant {
    ($t:ty, $variant:ident) => {
        impl IntoStorage for $t {
            fn into_storage(v: Vec<Self>) -> Storage {
                Storage::$variant(v)
            }
            fn take(s: Storage) -> Result<Vec<Self>, Storage> {
                match s {
                    Storage::$variant(v) => Ok(v),
                    other => Err(other),
                }
            }
        }
    };
}
storage_variant!(u8, U8);
storage_variant!(u16, U16);
storage_variant!(u32, U32);
storage_variant!(i16, I16);
storage_variant!(i32, I32);
storage_variant!(f32, F32);
storage_variant!(f64, F64);

fn into_storage<T: Element>(v: Vec<T>) -> Storage {
    // Element is sealed to the seven types below, all of which implement
    // IntoStorage; the dispatch goes through the dtype tag.
    macro_rules! cast {
        ($t:ty) => {{
            let v: Vec<$t> = bytemuck::allocation::cast_vec(v);
            <$t as IntoStorage>::into_storage(v)
        }};
    }
    match T::DTYPE {
        DType::U8 => cast!(u8),
        DType::U16 => cast!(u16),
        DType::U32 => cast!(u32),
        DType::I16 => cast!(i16),
        DType::I32 => cast!(i32),
        DType::F32 => cast!(f32),
        DType::F64 => cast!(f64),
    }
}

/// Labels that make the last axis a channel axis (`docs/CONVENTIONS.md`).
pub const CHANNEL_LABELS: [&str; 3] = ["band", "c", "channel"];

/// Number of interleaved channels of an array with `shape` and `axes`: the
/// extent of the last axis when it is labelled as a channel axis, else 1.
/// Element `i` of the row-major data belongs to channel `i % channels`.
pub fn channel_count(shape: &[usize], axes: &str) -> usize {
    match (axes.split_whitespace().last(), shape.last()) {
        (Some(label), Some(&n)) if CHANNEL_LABELS.contains(&label) => n.max(1),
        _ => 1,
    }
}

/// Default axis labels for a shape of `ndim` dimensions.
pub fn default_axes(ndim: usize) -> String {
    match ndim {
        1 => "x".into(),
        2 => "y x".into(),
        3 => "z y x".into(),
        _ => (0..ndim).map(|i| format!("d{i}")).collect::<Vec<_>>().join(" "),
    }
}

fn check_len(shape: &[usize], got: usize) -> Result<(), ArrayError> {
    let expected: usize = shape.iter().product();
    if expected != got {
        return Err(ArrayError::ShapeMismatch { shape: shape.to_vec(), expected, got });
    }
    Ok(())
}

fn check_axes(shape: &[usize], axes: &str) -> Result<(), ArrayError> {
    let n = axes.split_whitespace().count();
    if n != shape.len() {
        return Err(ArrayError::AxesMismatch { axes: axes.to_string(), ndim: shape.len() });
    }
    Ok(())
}

/// An owned n-dimensional array whose elements are shared by reference
/// counting: cloning an `Array` never copies pixels.
#[derive(Clone)]
pub struct Array {
    dtype: DType,
    shape: Vec<usize>,
    axes: String,
    data: Arc<Storage>,
}

impl std::fmt::Debug for Array {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Array")
            .field("dtype", &self.dtype)
            .field("shape", &self.shape)
            .field("axes", &self.axes)
            .finish_non_exhaustive()
    }
}

impl Array {
    /// Takes ownership of `data` (row-major) without copying.
    ///
    /// Fails when the number of elements does not match `shape`.
    pub fn from_vec<T: Element>(shape: impl Into<Vec<usize>>, data: Vec<T>) -> Result<Array, ArrayError> {
        let shape = shape.into();
        check_len(&shape, data.len())?;
        Ok(Array { dtype: T::DTYPE, axes: default_axes(shape.len()), shape, data: Arc::new(into_storage(data)) })
    }

    /// An array of zeros.
    pub fn zeros<T: Element>(shape: impl Into<Vec<usize>>) -> Array {
        let shape = shape.into();
        let n = shape.iter().product();
        Array::from_vec(shape, vec![T::zeroed(); n]).expect("length computed from shape")
    }

    /// An array whose element at flat (row-major) index `i` is `f(i)`.
    pub fn from_fn<T: Element>(shape: impl Into<Vec<usize>>, mut f: impl FnMut(usize) -> T) -> Array {
        let mut buf = ArrayBuf::<T>::new(shape);
        for (i, v) in buf.as_mut_slice().iter_mut().enumerate() {
            *v = f(i);
        }
        buf.into_array()
    }

    /// Copies raw little-endian bytes of `dtype` elements into a new array.
    pub fn from_bytes(dtype: DType, shape: impl Into<Vec<usize>>, bytes: &[u8]) -> Result<Array, ArrayError> {
        let shape = shape.into();
        let n: usize = shape.iter().product();
        if bytes.len() != n * dtype.size() {
            return Err(ArrayError::ByteLength { dtype, shape, expected: n * dtype.size(), got: bytes.len() });
        }
        if bytes.len() >= MIN_POOLED_BYTES {
            let mut buf = PoolBuf::take(bytes.len());
            buf.bytes_mut().copy_from_slice(bytes);
            return Ok(Array::from_storage(dtype, shape, Storage::Pooled(buf)));
        }
        macro_rules! copy {
            ($t:ty) => {{
                let mut v = vec![<$t>::default(); n];
                bytemuck::cast_slice_mut::<$t, u8>(&mut v).copy_from_slice(bytes);
                Array::from_vec(shape, v)
            }};
        }
        match dtype {
            DType::U8 => copy!(u8),
            DType::U16 => copy!(u16),
            DType::U32 => copy!(u32),
            DType::I16 => copy!(i16),
            DType::I32 => copy!(i32),
            DType::F32 => copy!(f32),
            DType::F64 => copy!(f64),
        }
    }

    fn from_storage(dtype: DType, shape: Vec<usize>, storage: Storage) -> Array {
        Array { dtype, axes: default_axes(shape.len()), shape, data: Arc::new(storage) }
    }

    /// Wraps memory owned by the other side of the plugin boundary, without
    /// copying it.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) fn from_external(
        dtype: DType,
        shape: Vec<usize>,
        axes: String,
        bytes: Box<dyn ExternalBytes>,
    ) -> Result<Array, ArrayError> {
        let (len, ptr) = (bytes.bytes().len(), bytes.bytes().as_ptr());
        if len != shape.iter().product::<usize>() * dtype.size() {
            return Err(ArrayError::ByteLength {
                dtype,
                expected: shape.iter().product::<usize>() * dtype.size(),
                shape,
                got: len,
            });
        }
        if !(ptr as usize).is_multiple_of(dtype.size()) {
            return Err(ArrayError::Misaligned { dtype });
        }
        check_axes(&shape, &axes)?;
        Ok(Array { dtype, shape, axes, data: Arc::new(Storage::External(bytes)) })
    }

    /// Replaces the axis labels (`"z y x"`); their count must equal the rank.
    pub fn with_axes(mut self, axes: &str) -> Result<Array, ArrayError> {
        let axes = axes.split_whitespace().collect::<Vec<_>>().join(" ");
        check_axes(&self.shape, &axes)?;
        self.axes = axes;
        Ok(self)
    }

    /// Same elements, new shape of equal size; no copy.
    pub fn reshape(&self, shape: impl Into<Vec<usize>>) -> Result<Array, ArrayError> {
        let shape = shape.into();
        check_len(&shape, self.len())?;
        Ok(Array { dtype: self.dtype, axes: default_axes(shape.len()), shape, data: self.data.clone() })
    }

    /// Element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Extent of each axis, slowest first.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Axis labels, space separated.
    pub fn axes(&self) -> &str {
        &self.axes
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The raw bytes, native endianness.
    pub fn as_bytes(&self) -> &[u8] {
        self.data.bytes()
    }

    /// The elements as a typed slice; fails if `T` is not the array's type.
    pub fn as_slice<T: Element>(&self) -> Result<&[T], ArrayError> {
        cast_elements(self.dtype, self.as_bytes())
    }

    /// The elements as a vector, without copying when this is the only
    /// reference to typed storage of `T`, copying otherwise.
    pub fn into_vec<T: Element>(self) -> Result<Vec<T>, ArrayError> {
        if T::DTYPE != self.dtype {
            return Err(ArrayError::DTypeMismatch { expected: T::DTYPE, found: self.dtype });
        }
        match Arc::try_unwrap(self.data) {
            Ok(storage) => match take_vec::<T>(storage) {
                Ok(v) => Ok(v),
                Err(storage) => Ok(cast_elements::<T>(self.dtype, storage.bytes())?.to_vec()),
            },
            Err(shared) => Ok(cast_elements::<T>(self.dtype, shared.bytes())?.to_vec()),
        }
    }

    /// Every element converted to `f64`, whatever the element type.
    pub fn to_f64_vec(&self) -> Vec<f64> {
        self.view().to_f64_vec()
    }

    /// A borrowed view of the whole array.
    pub fn view(&self) -> ArrayView<'_> {
        ArrayView { dtype: self.dtype, shape: &self.shape, axes: &self.axes, data: self.as_bytes() }
    }

    /// Whether both arrays share the same element memory.
    pub fn shares_memory(&self, other: &Array) -> bool {
        Arc::ptr_eq(&self.data, &other.data)
    }

    /// The bytes and an owning handle on them (a reference to the shared
    /// storage) that keeps them alive until [`Array::release_raw`]: how a
    /// transport lends an array to the other side without copying.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) fn share_raw(&self) -> (&[u8], *const ()) {
        (self.as_bytes(), Arc::into_raw(self.data.clone()) as *const ())
    }

    /// Releases a handle [`Array::share_raw`] gave out.
    ///
    /// # Safety
    ///
    /// `owner` must come from `share_raw` and be released exactly once.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) unsafe fn release_raw(owner: *const ()) {
        // SAFETY: per the contract, `owner` is a strong reference that
        // `share_raw` made with `Arc::into_raw`, released once.
        drop(unsafe { Arc::from_raw(owner as *const Storage) });
    }
}

fn take_vec<T: Element>(storage: Storage) -> Result<Vec<T>, Storage> {
    macro_rules! take {
        ($t:ty) => {
            <$t as IntoStorage>::take(storage).map(bytemuck::allocation::cast_vec::<$t, T>)
        };
    }
    match T::DTYPE {
        DType::U8 => take!(u8),
        DType::U16 => take!(u16),
        DType::U32 => take!(u32),
        DType::I16 => take!(i16),
        DType::I32 => take!(i32),
        DType::F32 => take!(f32),
        DType::F64 => take!(f64),
    }
}

fn cast_elements<T: Element>(dtype: DType, bytes: &[u8]) -> Result<&[T], ArrayError> {
    if T::DTYPE != dtype {
        return Err(ArrayError::DTypeMismatch { expected: T::DTYPE, found: dtype });
    }
    bytemuck::try_cast_slice(bytes).map_err(|_| ArrayError::Misaligned { dtype })
}

/// An output array being written in place: the way to make a large output
/// without faulting in fresh pages for every frame.
///
/// Buffers of at least [`MIN_POOLED_BYTES`] come from the [`pool`](crate::pool)
/// and go back to it when the finished [`Array`] drops, so a stream of
/// same-shaped frames reuses a few buffers; smaller ones are plain vectors.
/// The elements start **unspecified** (zeros, or a previous frame's values):
/// write every one before [`into_array`](ArrayBuf::into_array).
///
/// ```
/// use plexus_plugin_api::{Array, ArrayBuf};
/// let input = Array::from_fn(vec![512, 1024], |i| i as f32);
/// let mut out = ArrayBuf::<f32>::new(input.shape());
/// for (o, x) in out.as_mut_slice().iter_mut().zip(input.as_slice::<f32>().unwrap()) {
///     *o = 2.0 * x;
/// }
/// let out = out.into_array().with_axes(input.axes()).unwrap();
/// assert_eq!(out.as_slice::<f32>().unwrap()[3], 6.0);
/// ```
pub struct ArrayBuf<T: Element> {
    shape: Vec<usize>,
    storage: BufStorage<T>,
}

enum BufStorage<T> {
    Small(Vec<T>),
    Pooled(PoolBuf),
}

impl<T: Element> ArrayBuf<T> {
    /// A buffer for an array of `shape`.
    pub fn new(shape: impl Into<Vec<usize>>) -> ArrayBuf<T> {
        let shape = shape.into();
        let n: usize = shape.iter().product();
        let bytes = n * std::mem::size_of::<T>();
        let storage = if bytes >= MIN_POOLED_BYTES {
            BufStorage::Pooled(PoolBuf::take(bytes))
        } else {
            BufStorage::Small(vec![T::zeroed(); n])
        };
        ArrayBuf { shape, storage }
    }

    /// The elements, row-major, to write.
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        match &mut self.storage {
            BufStorage::Small(v) => v,
            // Pooled buffers are 64-byte aligned and hold a whole number of
            // elements, so the cast cannot fail.
            BufStorage::Pooled(b) => bytemuck::cast_slice_mut(b.bytes_mut()),
        }
    }

    /// The finished array (default axis labels; see [`Array::with_axes`]).
    pub fn into_array(self) -> Array {
        match self.storage {
            BufStorage::Small(v) => Array::from_vec(self.shape, v).expect("length computed from shape"),
            BufStorage::Pooled(b) => Array::from_storage(T::DTYPE, self.shape, Storage::Pooled(b)),
        }
    }
}

/// A buffer for an array of any element type, filled as raw little-endian
/// bytes: what a transport writes slab by slab (the wasm host's
/// `output_array_write`, so an output larger than the guest's memory never
/// has to exist in it). Pooled like [`ArrayBuf`].
///
/// ```
/// use plexus_plugin_api::{DType, RawArrayBuf};
/// let mut buf = RawArrayBuf::new(DType::F32, vec![2, 2]).unwrap();
/// for (i, slab) in buf.bytes_mut().chunks_mut(8).enumerate() {
///     slab.copy_from_slice(&[(2 * i) as f32, (2 * i + 1) as f32].map(f32::to_le_bytes).concat());
/// }
/// assert_eq!(buf.into_array().as_slice::<f32>().unwrap(), &[0.0, 1.0, 2.0, 3.0]);
/// ```
pub struct RawArrayBuf {
    dtype: DType,
    shape: Vec<usize>,
    storage: BufStorage<u8>,
}

impl RawArrayBuf {
    /// A zeroed buffer for an array of `dtype` and `shape`; an error if its
    /// byte size overflows `usize`.
    pub fn new(dtype: DType, shape: Vec<usize>) -> Result<RawArrayBuf, ArrayError> {
        let bytes = shape
            .iter()
            .try_fold(dtype.size(), |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| ArrayError::TooLarge { dtype, shape: shape.clone() })?;
        let storage = if bytes >= MIN_POOLED_BYTES {
            BufStorage::Pooled(PoolBuf::take(bytes))
        } else {
            BufStorage::Small(vec![0u8; bytes])
        };
        Ok(RawArrayBuf { dtype, shape, storage })
    }

    /// The bytes, row-major little-endian elements, to write.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        match &mut self.storage {
            BufStorage::Small(v) => v,
            BufStorage::Pooled(b) => b.bytes_mut(),
        }
    }

    /// The finished array (default axis labels; see [`Array::with_axes`]).
    pub fn into_array(self) -> Array {
        match self.storage {
            // Small: one more copy into a typed, aligned vector.
            BufStorage::Small(v) => Array::from_bytes(self.dtype, self.shape, &v).expect("length computed from shape"),
            // Pooled buffers are 64-byte aligned: usable as any element type.
            BufStorage::Pooled(b) => Array::from_storage(self.dtype, self.shape, Storage::Pooled(b)),
        }
    }
}

/// A borrowed array: what a plugin receives for each input, pointing straight
/// into host memory.
#[derive(Debug, Clone, Copy)]
pub struct ArrayView<'a> {
    pub(crate) dtype: DType,
    pub(crate) shape: &'a [usize],
    pub(crate) axes: &'a str,
    pub(crate) data: &'a [u8],
}

#[cold]
#[inline(never)]
fn view_error(dtype: DType, shape: &[usize], data: &[u8]) -> ArrayError {
    let expected = shape.iter().try_fold(dtype.size(), |acc, &d| acc.checked_mul(d)).unwrap_or(usize::MAX);
    if data.len() != expected {
        return ArrayError::ByteLength { dtype, shape: shape.to_vec(), expected, got: data.len() };
    }
    ArrayError::Misaligned { dtype }
}

impl<'a> ArrayView<'a> {
    /// A view of `data` as `dtype` elements of `shape` labelled `axes`:
    /// what a transport builds from memory lent across the boundary. The
    /// byte count must match and the memory be aligned for the type.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    #[inline]
    pub(crate) fn from_parts(
        dtype: DType,
        shape: &'a [usize],
        axes: &'a str,
        data: &'a [u8],
    ) -> Result<ArrayView<'a>, ArrayError> {
        let mut n = dtype.size();
        for &d in shape {
            n = n.wrapping_mul(d);
        }
        // One test on the path every lent array takes; the reason is
        // worked out only when it fails.
        if data.len() != n || !(data.as_ptr() as usize).is_multiple_of(dtype.size()) {
            return Err(view_error(dtype, shape, data));
        }
        Ok(ArrayView { dtype, shape, axes, data })
    }

    /// Element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Extent of each axis, slowest first.
    pub fn shape(&self) -> &'a [usize] {
        self.shape
    }

    /// Axis labels, space separated.
    pub fn axes(&self) -> &'a str {
        self.axes
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the view has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The raw bytes, native endianness.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.data
    }

    /// The elements as a typed slice; fails if `T` is not the view's type.
    pub fn as_slice<T: Element>(&self) -> Result<&'a [T], ArrayError> {
        cast_elements(self.dtype, self.data)
    }

    /// Every element converted to `f64`.
    pub fn to_f64_vec(&self) -> Vec<f64> {
        macro_rules! conv {
            ($t:ty) => {
                bytemuck::cast_slice::<u8, $t>(self.data).iter().map(|&v| v.to_f64()).collect()
            };
        }
        match self.dtype {
            DType::U8 => self.data.iter().map(|&v| v as f64).collect(),
            DType::U16 => conv!(u16),
            DType::U32 => conv!(u32),
            DType::I16 => conv!(i16),
            DType::I32 => conv!(i32),
            DType::F32 => conv!(f32),
            DType::F64 => conv!(f64),
        }
    }

    /// Copies the elements into an owned [`Array`].
    pub fn to_owned(&self) -> Array {
        let a = Array::from_bytes(self.dtype, self.shape.to_vec(), self.data).expect("view is consistent");
        Array { axes: self.axes.to_string(), ..a }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_vec_checks_length() {
        let err = Array::from_vec(vec![2, 3], vec![0f32; 5]).unwrap_err();
        assert_eq!(err.to_string(), "shape [2, 3] holds 6 elements, got 5");
    }

    #[test]
    fn typed_access_checks_dtype() {
        let a = Array::from_vec(vec![2], vec![1u16, 2]).unwrap();
        assert_eq!(a.as_slice::<u16>().unwrap(), &[1, 2]);
        assert_eq!(a.as_slice::<f32>().unwrap_err().to_string(), "expected elements of `f32`, found `u16`");
    }

    #[test]
    fn into_vec_does_not_copy_unique_storage() {
        let v = vec![1.0f64, 2.0, 3.0];
        let ptr = v.as_ptr();
        let a = Array::from_vec(vec![3], v).unwrap();
        let back = a.into_vec::<f64>().unwrap();
        assert_eq!(back.as_ptr(), ptr);
    }

    #[test]
    fn clone_shares_memory() {
        let a = Array::zeros::<u8>(vec![4, 4]);
        let b = a.clone();
        assert!(a.shares_memory(&b));
        assert_eq!(a.as_bytes().as_ptr(), b.as_bytes().as_ptr());
    }

    #[test]
    fn axes_must_match_rank() {
        let a = Array::zeros::<u8>(vec![4, 4]);
        assert_eq!(a.clone().with_axes("row  col").unwrap().axes(), "row col");
        assert_eq!(a.with_axes("z y x").unwrap_err().to_string(), "axis labels `z y x` name 3 axes, the array has 2");
    }

    #[test]
    fn only_a_labelled_last_axis_holds_channels() {
        assert_eq!(channel_count(&[4, 5, 3], "y x band"), 3);
        assert_eq!(channel_count(&[4, 5, 3], "y x c"), 3);
        assert_eq!(channel_count(&[4, 5, 3], "z y x"), 1);
        assert_eq!(channel_count(&[4, 3], "y channel"), 3);
        assert_eq!(channel_count(&[], ""), 1);
    }

    #[test]
    fn view_round_trip() {
        let a = Array::from_fn(vec![2, 2], |i| i as i32 - 1).with_axes("row col").unwrap();
        let b = a.view().to_owned();
        assert_eq!(b.as_slice::<i32>().unwrap(), &[-1, 0, 1, 2]);
        assert_eq!(b.axes(), "row col");
        assert_eq!(a.to_f64_vec(), vec![-1.0, 0.0, 1.0, 2.0]);
    }
}
