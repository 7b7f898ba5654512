//! `ndarray` views of arrays (cargo feature `ndarray`): an input handed to
//! an operator as an [`ndarray::ArrayViewD`] over the host's memory (zero
//! copy), and an owned [`ndarray::Array`] taken as an output without copying
//! its buffer when the layout allows.
//!
//! ```
//! use plexus_plugin_api::{Array, Context, Emitter, Frame, FrameView, NoParams, Operator, PluginError};
//!
//! /// Subtracts each row's mean, with ndarray's axis reductions.
//! struct CentreRows;
//!
//! impl Operator for CentreRows {
//!     fn process(&mut self, input: &FrameView<'_>, out: &mut Emitter) -> Result<(), PluginError> {
//!         let (name, view) = input.first()?;
//!         let image = view.as_ndarray::<f64>()?; // [y, x], borrowed, no copy
//!         let means = image.mean_axis(ndarray::Axis(1)).expect("rows are not empty");
//!         let centred = &image - &means.insert_axis(ndarray::Axis(1));
//!         // Standard layout: the buffer becomes the output's as it is.
//!         let centred = Array::from_ndarray(centred).with_axes(view.axes())?;
//!         out.emit(Frame::like(input).with_array(name, centred));
//!         Ok(())
//!     }
//! }
//! # let _ = (CentreRows, NoParams {}, Context::new(1));
//! ```
//!
//! Axes: an array's shape is row-major in the order of its axis labels
//! (`docs/CONVENTIONS.md`), and so is the view's (`view[[y, x]]` for
//! `"y x"`).

use ndarray::{ArrayViewD, Dimension, IxDyn};

use crate::array::{Array, ArrayView};
use crate::dtype::Element;
use crate::error::ArrayError;

impl<'a> ArrayView<'a> {
    /// This input as an `ndarray` view of the same memory: shape as
    /// [`shape`](ArrayView::shape), row-major. An error if `T` is not the
    /// array's element type.
    pub fn as_ndarray<T: Element>(&self) -> Result<ArrayViewD<'a, T>, ArrayError> {
        let data = self.as_slice::<T>()?;
        Ok(ArrayViewD::from_shape(IxDyn(self.shape()), data).expect("the slice's length is the shape's product"))
    }
}

impl Array {
    /// The array as an `ndarray` view (no copy); see [`ArrayView::as_ndarray`].
    pub fn as_ndarray<T: Element>(&self) -> Result<ArrayViewD<'_, T>, ArrayError> {
        let data = self.as_slice::<T>()?;
        Ok(ArrayViewD::from_shape(IxDyn(self.shape()), data).expect("the slice's length is the shape's product"))
    }

    /// Takes an owned `ndarray` array as a plugin array, default axis
    /// labels (see [`Array::with_axes`]).
    ///
    /// Its buffer becomes the array's without a copy when it is in standard
    /// layout (row-major, contiguous) and starts at the beginning of its
    /// allocation, as the result of arithmetic, `Array::zeros` or
    /// `from_shape_vec` is. Otherwise (transposed, sliced, strided) the
    /// elements are copied once into row-major order.
    pub fn from_ndarray<T: Element, D: Dimension>(a: ndarray::Array<T, D>) -> Array {
        let shape = a.shape().to_vec();
        let n = a.len();
        if !a.is_standard_layout() {
            return Array::from_vec(shape, a.iter().copied().collect()).expect("one element per index");
        }
        let (vec, offset) = a.into_raw_vec_and_offset();
        let start = offset.unwrap_or(0);
        let vec = if start == 0 && vec.len() == n { vec } else { vec[start..start + n].to_vec() };
        Array::from_vec(shape, vec).expect("one element per index")
    }
}
