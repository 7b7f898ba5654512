//! `GET /v1/datasets/{id}/slice?z=&t=&c=`: one 2-D plane of a dataset, as
//! a PNG through a contrast window (`lo`, `hi`; the plane's own minimum
//! and maximum when not given), as JSON, or as NPY in the dataset's own
//! element type, by `Accept`.
//!
//! The plane is the last two axes, or the two before a trailing channel
//! axis (`y x c`); every other axis takes an index from the query by its
//! label (`z`, `t`, `angle`…; `c` names whichever channel axis there is),
//! 0 when not given. Only the one slice of axis 0 that holds the plane is
//! read from the file (the whole file where axis 0 is part of the plane,
//! a 2-D image), never the whole volume.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use plexus_plugin_api::{Array, DType};
use serde_json::json;

use super::axes::{channel_axis, labels};
use super::errors::ApiError;
use super::AppState;

/// One plane, in the dataset's element type.
pub struct Plane {
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
    /// Element type.
    pub dtype: DType,
    /// `height * width` elements, row-major, native endianness.
    pub bytes: Vec<u8>,
    /// The index of every other axis, by label.
    pub index: BTreeMap<String, usize>,
}

impl Plane {
    /// The values as f64.
    pub fn values(&self) -> Vec<f64> {
        Array::from_bytes(self.dtype, vec![self.height, self.width], &self.bytes)
            .map(|a| a.to_f64_vec())
            .unwrap_or_default()
    }
}

/// Reads the plane `query` selects from the dataset at `path`.
pub fn read_plane(
    reader: &mut dyn plexus_io::ChunkReader,
    query: &BTreeMap<String, String>,
) -> Result<Plane, ApiError> {
    let info = reader.info().clone();
    let labels = labels(&info);
    let n = info.shape.len();
    if n == 0 {
        return Err(ApiError::BadRequest("a 0-dimensional dataset has no slice".into()));
    }
    let channel = channel_axis(&labels);
    let (y, x) = match n {
        1 => (None, 0),
        _ if n >= 3 && channel == Some(n - 1) => (Some(n - 3), n - 2),
        _ => (Some(n - 2), n - 1),
    };
    let free: Vec<usize> = (0..n).filter(|&k| Some(k) != y && k != x).collect();
    for key in query.keys() {
        let known =
            key == "lo" || key == "hi" || free.iter().any(|&k| &labels[k] == key || (key == "c" && Some(k) == channel));
        if !known {
            let names: Vec<&str> = free.iter().map(|&k| labels[k].as_str()).collect();
            return Err(ApiError::BadRequest(format!(
                "unknown parameter `{key}`: the axes are `{}`, so a slice takes {}`lo` and `hi`",
                labels.join(" "),
                if names.is_empty() { String::new() } else { format!("an index for `{}`, ", names.join("`, `")) }
            )));
        }
    }
    let mut index = vec![0usize; n];
    let mut chosen = BTreeMap::new();
    for &k in &free {
        let given = query.get(&labels[k]).or_else(|| if Some(k) == channel { query.get("c") } else { None });
        if let Some(text) = given {
            let i: usize = text.parse().map_err(|_| {
                ApiError::BadRequest(format!("`{}` = `{text}` is not an index (0, 1, 2, …)", labels[k]))
            })?;
            if i >= info.shape[k] {
                return Err(ApiError::BadRequest(format!(
                    "`{}` = {i} lies outside the axis, whose extent is {}",
                    labels[k], info.shape[k]
                )));
            }
            index[k] = i;
        }
        chosen.insert(labels[k].clone(), index[k]);
    }
    // One slice of axis 0 holds the plane, unless axis 0 is in the plane.
    let (start, len) = if free.first() == Some(&0) { (index[0], 1) } else { (0, info.len()) };
    let mut slab = vec![0u8; len * info.slice_bytes()];
    reader.read_into(start, len, &mut slab).map_err(|e| ApiError::internal(format!("reading the slice: {e}")))?;
    let mut strides = vec![1usize; n];
    for k in (0..n.saturating_sub(1)).rev() {
        strides[k] = strides[k + 1] * info.shape[k + 1];
    }
    let height = y.map(|y| info.shape[y]).unwrap_or(1);
    let width = info.shape[x];
    let size = info.dtype.size();
    let base: usize = free.iter().filter(|&&k| k != 0 || len == info.len()).map(|&k| index[k] * strides[k]).sum();
    let mut bytes = Vec::with_capacity(height * width * size);
    for r in 0..height {
        for c in 0..width {
            let e = base + y.map(|y| r * strides[y]).unwrap_or(0) + c * strides[x];
            bytes.extend_from_slice(&slab[e * size..(e + 1) * size]);
        }
    }
    Ok(Plane { height, width, dtype: info.dtype, bytes, index: chosen })
}

/// How the client wants the plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Png,
    Json,
    Npy,
}

fn encoding(headers: &HeaderMap) -> Result<Encoding, ApiError> {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("*/*");
    for part in accept.split(',').map(|p| p.split(';').next().unwrap_or("").trim()) {
        match part {
            "image/png" | "image/*" | "*/*" => return Ok(Encoding::Png),
            "application/json" => return Ok(Encoding::Json),
            "application/x-npy" | "application/octet-stream" => return Ok(Encoding::Npy),
            _ => {}
        }
    }
    Err(ApiError::NotAcceptable(format!(
        "`Accept: {accept}`: a slice comes as `image/png`, `application/json` or `application/x-npy`"
    )))
}

/// `GET /v1/datasets/{id}/slice`.
pub async fn get(
    State(st): State<Arc<AppState>>,
    UrlPath(id): UrlPath<String>,
    query: Result<Query<BTreeMap<String, String>>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let enc = encoding(&headers)?;
    let row = super::datasets::find(&st, &id)?;
    let window = |key: &str| -> Result<Option<f64>, ApiError> {
        query
            .get(key)
            .map(|v| v.parse::<f64>().map_err(|_| ApiError::BadRequest(format!("`{key}` = `{v}` is not a number"))))
            .transpose()
    };
    let (lo, hi) = (window("lo")?, window("hi")?);
    let plane = tokio::task::spawn_blocking(move || {
        let mut reader = plexus_io::open(&row.path).map_err(|e| {
            ApiError::internal(format!(
                "dataset `{}`: {}",
                row.name,
                super::datasets::shown_error(&row, &e.to_string())
            ))
        })?;
        read_plane(reader.as_mut(), &query)
    })
    .await
    .map_err(ApiError::internal)??;
    let index = serde_json::to_string(&plane.index).unwrap_or_default();
    let mut response = match enc {
        Encoding::Png => {
            let values = plane.values();
            let (lo, hi) = contrast(&values, lo, hi);
            let png = encode_png(&plane, &values, lo, hi).map_err(ApiError::internal)?;
            let mut r = ([(header::CONTENT_TYPE, "image/png")], png).into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("{lo} {hi}")) {
                r.headers_mut().insert("x-plexus-window", v);
            }
            r
        }
        Encoding::Json => {
            let values = plane.values();
            let rows: Vec<&[f64]> = values.chunks(plane.width.max(1)).collect();
            axum::Json(json!({
                "shape": [plane.height, plane.width],
                "dtype": plane.dtype.name(),
                "index": plane.index,
                "data": rows,
            }))
            .into_response()
        }
        Encoding::Npy => ([(header::CONTENT_TYPE, "application/x-npy")], encode_npy(&plane)).into_response(),
    };
    if let Ok(v) = HeaderValue::from_str(&index) {
        response.headers_mut().insert("x-plexus-index", v);
    }
    Ok(response)
}

/// The contrast window: what was asked, else the finite minimum and
/// maximum of the plane.
pub fn contrast(values: &[f64], lo: Option<f64>, hi: Option<f64>) -> (f64, f64) {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let min = finite.clone().fold(f64::INFINITY, f64::min);
    let max = finite.fold(f64::NEG_INFINITY, f64::max);
    let (min, max) = if min.is_finite() { (min, max) } else { (0.0, 0.0) };
    (lo.unwrap_or(min), hi.unwrap_or(max))
}

/// One value through the window `lo..hi` to 0..=255 (`lo` and below 0,
/// `hi` and above 255, rounded; NaN 0; an empty window all 0).
pub fn gray(v: f64, lo: f64, hi: f64) -> u8 {
    if hi <= lo || v.is_nan() {
        return 0;
    }
    ((v - lo) / (hi - lo) * 255.0).round().clamp(0.0, 255.0) as u8
}

fn encode_png(plane: &Plane, values: &[f64], lo: f64, hi: f64) -> Result<Vec<u8>, png::EncodingError> {
    let pixels: Vec<u8> = values.iter().map(|&v| gray(v, lo, hi)).collect();
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, plane.width as u32, plane.height as u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&pixels)?;
    writer.finish()?;
    Ok(out)
}

/// NPY of the plane: little-endian, which the elements are on every
/// target plexus builds for.
fn encode_npy(plane: &Plane) -> Vec<u8> {
    let mut out = plexus_io::npy_header(plane.dtype, &[plane.height, plane.width]);
    out.extend_from_slice(&plane.bytes);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_maps_lo_to_0_and_hi_to_255() {
        assert_eq!((gray(10.0, 10.0, 20.0), gray(20.0, 10.0, 20.0), gray(15.0, 10.0, 20.0)), (0, 255, 128));
        assert_eq!((gray(-5.0, 10.0, 20.0), gray(99.0, 10.0, 20.0), gray(f64::NAN, 0.0, 1.0)), (0, 255, 0));
        assert_eq!(gray(3.0, 5.0, 5.0), 0);
        assert_eq!(contrast(&[3.0, f64::NAN, -1.0, 7.0], None, Some(5.0)), (-1.0, 5.0));
    }

    #[test]
    fn a_plane_of_a_volume_is_the_one_asked_for_and_reads_back_as_npy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.npy");
        let vol = Array::from_fn(vec![4, 3, 5], |i| i as f32).with_axes("z y x").unwrap();
        plexus_io::write(&path, &vol).unwrap();
        let mut reader = plexus_io::open(&path).unwrap();
        let q: BTreeMap<String, String> = [("z".to_string(), "2".to_string())].into();
        let plane = read_plane(reader.as_mut(), &q).unwrap();
        let want: Vec<f64> = (30..45).map(|v| v as f64).collect();
        assert_eq!((plane.height, plane.width, plane.values()), (3, 5, want.clone()));
        let npy = dir.path().join("p.npy");
        std::fs::write(&npy, encode_npy(&plane)).unwrap();
        let back = plexus_io::read(&npy).unwrap();
        assert_eq!((back.shape().to_vec(), back.to_f64_vec()), (vec![3, 5], want));
        let bad: BTreeMap<String, String> = [("t".to_string(), "0".to_string())].into();
        let e = read_plane(reader.as_mut(), &bad).err().unwrap();
        assert_eq!(
            e.to_string(),
            "unknown parameter `t`: the axes are `z y x`, so a slice takes an index for `z`, `lo` and `hi`"
        );
    }
}
