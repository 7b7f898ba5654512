//! Writing a stream of projection chunks as a tomography scan in the
//! dxchange HDF5 layout: the output of a pipeline whose path ends `.h5` or
//! `.hdf5`.
//!
//! Frames must carry an array `data` (or the output's `array`) with axes
//! `angle row col`, in stream order; they are stacked along `angle` into
//! `/exchange/data`. Arrays `white` and `dark` (`frame row col`, or one
//! `row col` image), taken from the frame that carries them (a source such
//! as `generator.projections` sends them once, on its first frame), become
//! `/exchange/data_white` and `/exchange/data_dark`. Each frame's metadata
//! `theta_deg` (or `theta_rad`), one angle per projection of the chunk,
//! becomes `/exchange/theta` (f64) with the attribute `units = "degrees"`
//! (or `"rad"`), the unit stated as `docs/CONVENTIONS.md` asks; frames
//! without angles give a file without `/exchange/theta`.
//!
//! **Memory limit**: HDF5 files are written whole, never streamed
//! (`plexus_io::write_dxchange`), so the sink holds every projection in
//! host memory until the end of the stream, outside the run's memory
//! budget, and copies it once more when it builds the array it writes: a
//! scan needs about twice `angles × rows × cols × element size` of memory
//! at the end of the run (2 × 720 MB for 720 f32 projections of
//! 512 × 512).
//!
//! Without the host's `hdf5` feature the pipeline compiler refuses `.h5`
//! outputs; should one reach this sink anyway, it fails with the same
//! advice after draining the stream.

use std::path::Path;
use std::sync::Arc;

use plexus_plugin_api::{Array, DType, Frame};
use serde_json::Value;

use super::written::Written;
use crate::bus::Inlet;
use crate::error::OutputError;
use crate::pipeline::compile::NO_HDF5;

/// What is written: projections, fields, angles with their unit.
#[cfg_attr(not(feature = "hdf5"), allow(dead_code))]
struct Parts {
    data: Array,
    white: Option<Array>,
    dark: Option<Array>,
    theta: Option<(Array, String)>,
}

/// The scan gathered so far.
#[derive(Default)]
struct Scan {
    bytes: Vec<u8>,
    dtype: Option<DType>,
    rows_cols: Option<(usize, usize)>,
    angles: usize,
    theta: Vec<f64>,
    /// `Some("degrees" | "rad")` while every frame so far had angles.
    theta_units: Option<&'static str>,
    any_without_theta: bool,
    white: Option<Array>,
    dark: Option<Array>,
}

impl Scan {
    fn add(&mut self, frame: &Frame, name: &str) -> Result<(), String> {
        let a = frame.array(name).map_err(|e| {
            format!("{e}; an .h5 output is written as a dxchange scan and needs projections `{name}` (angle row col)")
        })?;
        let [n, rows, cols] = *a.shape() else {
            return Err(format!(
                "array `{name}` has shape {:?} (axes `{}`): a dxchange scan needs projections with axes `angle row col`",
                a.shape(),
                a.axes()
            ));
        };
        if a.axes() != "angle row col" {
            return Err(format!(
                "array `{name}` has axes `{}`: a dxchange scan needs projections with axes `angle row col`",
                a.axes()
            ));
        }
        match (self.dtype, self.rows_cols) {
            (Some(d), _) if d != a.dtype() => {
                return Err(format!("array `{name}` is {} after frames of {d}", a.dtype()));
            }
            (_, Some(rc)) if rc != (rows, cols) => {
                return Err(format!("projections of {rows} × {cols} after projections of {} × {}", rc.0, rc.1));
            }
            _ => {}
        }
        let key = frame.key();
        if key.length == n as u64 && key.offset != self.angles as u64 {
            return Err(format!(
                "the chunk at angle {} arrived after {} projections: frames are out of order",
                key.offset, self.angles
            ));
        }
        self.dtype = Some(a.dtype());
        self.rows_cols = Some((rows, cols));
        self.take_theta(frame, n)?;
        for (field, slot) in [("white", &mut self.white), ("dark", &mut self.dark)] {
            if let Ok(f) = frame.array(field) {
                if slot.is_some() {
                    return Err(format!("a second frame carries `{field}`: flat and dark fields are sent once"));
                }
                *slot = Some(as_frames(f.clone(), field)?);
            }
        }
        self.bytes.extend_from_slice(a.as_bytes());
        self.angles += n;
        Ok(())
    }

    /// Appends the chunk's `n` angles from `theta_deg` or `theta_rad`.
    fn take_theta(&mut self, frame: &Frame, n: usize) -> Result<(), String> {
        let found = [("theta_deg", "degrees"), ("theta_rad", "rad")]
            .into_iter()
            .find_map(|(key, units)| frame.meta().get(key).map(|v| (key, units, v)));
        let Some((key, units, v)) = found else {
            self.any_without_theta = true;
            return Ok(());
        };
        let list: Option<Vec<f64>> = match v {
            Value::Array(items) => items.iter().map(Value::as_f64).collect(),
            Value::Number(x) if n == 1 => x.as_f64().map(|x| vec![x]),
            _ => None,
        };
        let list = list.ok_or_else(|| format!("metadata `{key}` is not a list of numbers: {v}"))?;
        if list.len() != n {
            return Err(format!("metadata `{key}` has {} angles for {n} projections", list.len()));
        }
        match self.theta_units {
            Some(u) if u != units => return Err(format!("metadata `{key}` after frames with angles in {u}")),
            _ => self.theta_units = Some(units),
        }
        self.theta.extend(list);
        Ok(())
    }

    fn into_parts(self) -> Result<Parts, OutputError> {
        let (Some((rows, cols)), Some(dtype)) = (self.rows_cols, self.dtype) else { return Err(OutputError::Empty) };
        let refused = |e: plexus_plugin_api::ArrayError| OutputError::Refused(e.to_string());
        let data = Array::from_bytes(dtype, vec![self.angles, rows, cols], &self.bytes)
            .and_then(|a| a.with_axes("angle row col"))
            .map_err(refused)?;
        let theta = match (self.any_without_theta, self.theta_units) {
            (false, Some(units)) => {
                let a = Array::from_vec(vec![self.angles], self.theta)
                    .and_then(|a| a.with_axes("angle"))
                    .map_err(refused)?;
                Some((a, units.to_string()))
            }
            (true, Some(_)) => {
                return Err(OutputError::Refused(
                    "some frames carry angles (`theta_deg`/`theta_rad`) and some do not".into(),
                ))
            }
            _ => None,
        };
        Ok(Parts { data, white: self.white, dark: self.dark, theta })
    }
}

/// A flat or dark field as `frame row col`: a single `row col` image gets a
/// leading axis of 1.
fn as_frames(a: Array, field: &str) -> Result<Array, String> {
    match a.shape().len() {
        3 => Ok(a),
        2 => {
            let shape = vec![1, a.shape()[0], a.shape()[1]];
            a.reshape(shape).and_then(|r| r.with_axes("frame row col")).map_err(|e| e.to_string())
        }
        _ => Err(format!("array `{field}` has shape {:?}: expected frame row col", a.shape())),
    }
}

/// Receives the frames of one stage and writes them to `path` as a
/// dxchange scan (see the module docs).
pub fn write_scan(rx: Inlet, path: &Path, array: Option<&str>) -> Written {
    let name = array.unwrap_or("data");
    let mut written = Written::new(path);
    if !cfg!(feature = "hdf5") {
        written.fail(OutputError::Unavailable(NO_HDF5));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Err(e) = std::fs::create_dir_all(dir) {
            written.fail(OutputError::CreateDir { dir: dir.to_path_buf(), source: e });
        }
    }
    let mut scan = Scan::default();
    for env in rx.iter() {
        if written.error.is_some() {
            continue; // keep draining so upstream is never blocked
        }
        match scan.add(&env.frame, name) {
            Ok(()) => written.frames += 1,
            Err(e) => written.fail(OutputError::Layout { seq: env.seq, message: e }),
        }
        // The envelope (and its share of the memory budget) goes here; the
        // projections live on in `scan`.
    }
    if written.error.is_some() {
        return written;
    }
    let parts = match scan.into_parts() {
        Ok(parts) => parts,
        Err(e) => {
            written.error = Some(Arc::new(e));
            return written;
        }
    };
    written.shape = parts.data.shape().to_vec();
    written.dtype = parts.data.dtype().to_string();
    if let Err(e) = write_file(path, parts) {
        written.error = Some(Arc::new(e));
    }
    written
}

#[cfg(feature = "hdf5")]
fn write_file(path: &Path, parts: Parts) -> Result<(), OutputError> {
    let Parts { data, white, dark, theta } = parts;
    let (theta, theta_units) = match theta {
        Some((a, u)) => (Some(a), Some(u)),
        None => (None, None),
    };
    let scan = plexus_io::Dxchange { data, white, dark, theta, theta_units };
    Ok(plexus_io::write_dxchange(path, &scan)?)
}

#[cfg(not(feature = "hdf5"))]
fn write_file(_path: &Path, _parts: Parts) -> Result<(), OutputError> {
    Err(OutputError::Unavailable(NO_HDF5))
}

#[cfg(test)]
mod tests {
    use super::*;
    use plexus_plugin_api::ChunkKey;
    use serde_json::json;

    fn chunk(offset: u64, n: usize, first: bool) -> Frame {
        let data =
            Array::from_fn(vec![n, 2, 3], |i| (offset as usize * 6 + i) as f32).with_axes("angle row col").unwrap();
        let theta: Vec<f64> = (0..n).map(|k| (offset as usize + k) as f64 * 10.0).collect();
        let mut f = Frame::new("d", ChunkKey { axis: 0, offset, length: n as u64, extent: 5 })
            .with_array("data", data)
            .with_meta("theta_deg", json!(theta));
        if first {
            f.insert("white", Array::from_fn(vec![2, 3], |_| 9.0f32));
            f.insert("dark", Array::from_fn(vec![1, 2, 3], |_| 1.0f32).with_axes("frame row col").unwrap());
        }
        f
    }

    #[test]
    fn chunks_are_stacked_with_angles_and_fields() {
        let mut s = Scan::default();
        s.add(&chunk(0, 2, true), "data").unwrap();
        s.add(&chunk(2, 3, false), "data").unwrap();
        let Parts { data, white, dark, theta } = s.into_parts().unwrap();
        assert_eq!(data.shape(), &[5, 2, 3]);
        assert_eq!(data.to_f64_vec(), (0..30).map(|i| i as f64).collect::<Vec<_>>());
        assert_eq!(white.unwrap().shape(), &[1, 2, 3]);
        assert_eq!(dark.unwrap().shape(), &[1, 2, 3]);
        let (t, units) = theta.unwrap();
        assert_eq!(t.to_f64_vec(), vec![0.0, 10.0, 20.0, 30.0, 40.0]);
        assert_eq!(units, "degrees");
    }

    #[test]
    fn frames_without_projections_are_refused_with_the_reason() {
        let mut s = Scan::default();
        let image = Frame::new("d", ChunkKey::whole(1)).with_array("image", Array::zeros::<f32>(vec![4, 4]));
        let e = s.add(&image, "data").unwrap_err();
        assert!(e.contains("needs projections `data` (angle row col)"), "{e}");
        let wrong = Frame::new("d", ChunkKey::whole(2))
            .with_array("data", Array::zeros::<f32>(vec![2, 4, 4]).with_axes("z y x").unwrap());
        let e = s.add(&wrong, "data").unwrap_err();
        assert!(e.contains("axes `z y x`"), "{e}");
        let mut s = Scan::default();
        s.add(&chunk(0, 2, true), "data").unwrap();
        assert!(s.add(&chunk(3, 2, false), "data").unwrap_err().contains("out of order"));
        let mut bad = chunk(2, 2, false);
        bad.meta_mut().insert("theta_deg".into(), json!([1.0]));
        assert!(s.add(&bad, "data").unwrap_err().contains("has 1 angles for 2 projections"));
    }
}
