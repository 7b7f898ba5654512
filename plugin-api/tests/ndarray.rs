//! The `ndarray` feature: inputs as views of the same memory, outputs taken
//! without a copy in standard layout and copied into row-major order
//! otherwise. Run with `cargo test -p plexus-plugin-api --features ndarray`
//! (`./plexus.sh test` does).

use ndarray::{s, Array3, ArrayD, Axis, IxDyn};
use plexus_plugin_api::{Array, ChunkKey, Frame};

#[test]
fn an_input_view_is_the_same_memory_with_the_same_indexing() {
    let a = Array::from_fn(vec![3, 4, 5], |i| i as f32).with_axes("z y x").unwrap();
    let frame = Frame::new("d", ChunkKey::whole(3)).with_array("vol", a);
    let view = frame.array("vol").unwrap().view();
    let nd = view.as_ndarray::<f32>().unwrap();
    assert_eq!(nd.as_ptr() as *const u8, view.as_bytes().as_ptr(), "no copy");
    assert_eq!(nd.shape(), &[3, 4, 5]);
    // Row-major in the order of the axis labels: [z, y, x].
    let at = |z: usize, y: usize, x: usize| (z * 20 + y * 5 + x) as f32;
    assert_eq!(nd[[2, 1, 3]], at(2, 1, 3));
    assert_eq!(nd.sum_axis(Axis(0))[[1, 2]], at(0, 1, 2) + at(1, 1, 2) + at(2, 1, 2));
    assert_eq!(view.as_ndarray::<f64>().unwrap_err().to_string(), "expected elements of `f64`, found `f32`");
}

#[test]
fn a_standard_layout_output_is_taken_without_a_copy() {
    let nd = ArrayD::from_shape_fn(IxDyn(&[4, 6]), |ix| (ix[0] * 10 + ix[1]) as f64) * 2.0;
    let ptr = nd.as_ptr() as *const u8;
    let a = Array::from_ndarray(nd);
    assert_eq!(a.as_bytes().as_ptr(), ptr, "the buffer was moved, not copied");
    assert_eq!(a.shape(), &[4, 6]);
    assert_eq!(a.as_slice::<f64>().unwrap()[6 + 5], 30.0);
}

#[test]
fn transposed_and_sliced_outputs_are_copied_in_row_major_order() {
    let base = Array3::from_shape_fn((2, 3, 4), |(z, y, x)| (z * 100 + y * 10 + x) as i32);
    let t = base.clone().reversed_axes(); // [x, y, z], not standard layout
    let a = Array::from_ndarray(t);
    assert_eq!(a.shape(), &[4, 3, 2]);
    assert_eq!(a.as_slice::<i32>().unwrap()[..3], [0, 100, 10]);
    // Standard layout but starting inside its buffer.
    let tail = base.slice_move(s![1.., .., ..]);
    assert!(tail.is_standard_layout());
    let a = Array::from_ndarray(tail);
    assert_eq!(a.shape(), &[1, 3, 4]);
    assert_eq!(a.as_slice::<i32>().unwrap()[0], 100);
    assert_eq!(a.as_slice::<i32>().unwrap()[11], 123);
}
