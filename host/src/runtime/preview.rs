//! A preview of an input: a [`ChunkReader`] that serves the subset an
//! `[input] preview` selects (see [`preview`](crate::pipeline::preview)) of
//! another reader, so everything downstream — chunking, the budget,
//! reslicing, outputs — sees a smaller dataset.
//!
//! Each selected slice of the first axis is read alone from the inner
//! reader into a scratch buffer of one source slice, and the selected
//! elements of the other axes are gathered from it in runs (consecutive
//! elements of the last axis are one copy). Auxiliary arrays follow: one
//! indexed by the first axis (a scan's `theta`) keeps the selected entries;
//! one shaped like the dataset's slices (flat and dark fields) keeps the
//! selected elements of the other axes.

use plexus_io::{check_slab, ChunkReader, IoError, SourceInfo};
use plexus_plugin_api::Array;

use crate::pipeline::preview::Preview;

/// The subset of a dataset a preview keeps.
pub struct PreviewReader {
    inner: Box<dyn ChunkReader>,
    info: SourceInfo,
    /// Source indices of the first axis, in order.
    first: Vec<usize>,
    /// `(source byte offset, bytes)` runs gathered from one source slice,
    /// in output order.
    runs: Vec<(usize, usize)>,
    scratch: Vec<u8>,
    aux: Vec<(String, Array)>,
}

impl PreviewReader {
    /// Wraps `inner`; the error says which axis or slice does not fit.
    pub fn new(inner: Box<dyn ChunkReader>, preview: &Preview) -> Result<PreviewReader, String> {
        let source = inner.info().clone();
        let keep = preview.resolve(&source.shape, &source.axes)?;
        let elem = source.dtype.size();
        let trailing: Vec<usize> = source.shape.iter().skip(1).copied().collect();
        let runs = runs(&trailing, &keep[1.min(keep.len())..], elem);
        let mut info = source.clone();
        info.shape = keep.iter().map(Vec::len).collect();
        // Per-slice lists in the metadata (angles) keep the selected entries.
        for v in info.meta.values_mut() {
            if let serde_json::Value::Array(list) = v {
                if list.len() == source.len() && !keep.is_empty() {
                    *list = keep[0].iter().map(|&i| list[i].clone()).collect();
                }
            }
        }
        let aux = inner.aux().iter().map(|(n, a)| (n.clone(), cut_aux(a, &source.shape, &keep))).collect();
        Ok(PreviewReader {
            first: keep.first().cloned().unwrap_or_default(),
            runs,
            scratch: Vec::new(),
            aux,
            info,
            inner,
        })
    }
}

/// The runs to copy from a row-major block of shape `dims` (element size
/// `elem`) to gather the indices `keep[k]` of each of its axes.
fn runs(dims: &[usize], keep: &[Vec<usize>], elem: usize) -> Vec<(usize, usize)> {
    if dims.is_empty() {
        return vec![(0, elem)];
    }
    let inner: usize = dims[1..].iter().product::<usize>() * elem;
    let below = runs(&dims[1..], &keep[1..], elem);
    let mut out: Vec<(usize, usize)> = Vec::new();
    for &i in &keep[0] {
        for &(o, l) in &below {
            let at = i * inner + o;
            match out.last_mut() {
                Some((po, pl)) if *po + *pl == at => *pl += l,
                _ => out.push((at, l)),
            }
        }
    }
    out
}

/// An auxiliary array cut like the dataset: along its first axis when it is
/// indexed by the dataset's first axis, along its other axes when its
/// slices are shaped like the dataset's.
fn cut_aux(a: &Array, shape: &[usize], keep: &[Vec<usize>]) -> Array {
    let elem = a.dtype().size();
    let (ashape, bytes) = (a.shape(), a.as_bytes());
    let gather = |runs: &[(usize, usize)], count: usize, stride: usize, new_shape: Vec<usize>| {
        let mut out = Vec::new();
        for k in 0..count {
            for &(o, l) in runs {
                out.extend_from_slice(&bytes[k * stride + o..k * stride + o + l]);
            }
        }
        Array::from_bytes(a.dtype(), new_shape, &out).and_then(|r| r.with_axes(a.axes())).unwrap_or_else(|_| a.clone())
    };
    if !ashape.is_empty() && ashape[0] == shape[0] && !keep.is_empty() && keep[0].len() != shape[0] {
        let slice: usize = ashape[1..].iter().product::<usize>() * elem;
        let runs: Vec<(usize, usize)> = keep[0].iter().map(|&i| (i * slice, slice)).collect();
        let mut new_shape = ashape.to_vec();
        new_shape[0] = keep[0].len();
        return gather(&runs, 1, 0, new_shape);
    }
    if ashape.len() == shape.len() && ashape[1..] == shape[1..] && shape.len() > 1 {
        let r = runs(&shape[1..], &keep[1..], elem);
        let stride: usize = shape[1..].iter().product::<usize>() * elem;
        let mut new_shape = vec![ashape[0]];
        new_shape.extend(keep[1..].iter().map(Vec::len));
        return gather(&r, ashape[0], stride, new_shape);
    }
    a.clone()
}

impl ChunkReader for PreviewReader {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn read_into(&mut self, start: usize, len: usize, out: &mut [u8]) -> Result<(), IoError> {
        check_slab(&self.info, start, len, out.len())?;
        let slice = self.inner.info().slice_bytes();
        self.scratch.resize(slice, 0);
        let mut at = 0;
        for &i in &self.first[start..start + len] {
            self.inner.read_into(i, 1, &mut self.scratch)?;
            for &(o, l) in &self.runs {
                out[at..at + l].copy_from_slice(&self.scratch[o..o + l]);
                at += l;
            }
        }
        Ok(())
    }

    fn streams(&self) -> bool {
        self.inner.streams()
    }

    fn aux(&self) -> &[(String, Array)] {
        &self.aux
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::preview::{Preview, PreviewSpec};

    fn reader() -> Box<dyn ChunkReader> {
        let a = Array::from_fn(vec![6, 4, 5], |i| i as u16).with_axes("angle row col").unwrap();
        Box::new(plexus_io::WholeFile::from_array(std::path::Path::new("scan.npy"), a))
    }

    #[test]
    fn serves_the_selected_subset() {
        let spec = PreviewSpec::Table(
            [("angle", "1:6:2"), ("row", "2:"), ("col", "::2")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        let mut r = PreviewReader::new(reader(), &Preview::from_spec(&spec).unwrap()).unwrap();
        assert_eq!(r.info().shape, vec![3, 2, 3]);
        let a = r.read(1, 2).unwrap();
        let want: Vec<u16> = [3usize, 5]
            .iter()
            .flat_map(|&ang| {
                [2usize, 3]
                    .into_iter()
                    .flat_map(move |row| [0usize, 2, 4].into_iter().map(move |c| (ang * 20 + row * 5 + c) as u16))
            })
            .collect();
        assert_eq!(a.as_slice::<u16>().unwrap(), &want[..]);
    }

    #[test]
    fn auxiliary_arrays_follow_their_axes() {
        let keep = vec![vec![1, 3], vec![0, 1], vec![1]];
        let theta = Array::from_fn(vec![4], |i| i as f64 * 10.0);
        assert_eq!(cut_aux(&theta, &[4, 2, 2], &keep).to_f64_vec(), vec![10.0, 30.0]);
        let flat = Array::from_fn(vec![1, 2, 2], |i| i as f32);
        let cut = cut_aux(&flat, &[4, 2, 2], &keep);
        assert_eq!(cut.shape(), &[1, 2, 1]);
        assert_eq!(cut.to_f64_vec(), vec![1.0, 3.0]);
    }
}
