//! Test helpers shared by the built-in plugins' tests (a dev-dependency
//! only): a minimal `.npy` reader for fixtures numpy writes (little-endian,
//! C order, including `int64`, which plexus arrays do not hold), fixture
//! paths relative to the calling crate, and frame builders for chunked
//! streams, padded with halos and trimmed as the host does them; and a
//! bounded mutation fuzzer for the parsers' tests ([`fuzz`]).

pub mod fuzz;
mod stream;

use std::path::PathBuf;

use plexus_plugin_api::{Array, ChunkKey, DType, Frame};

pub use stream::{padded_chunks, rows, stacked};

/// A decoded `.npy` file.
pub struct Npy {
    /// numpy's type string, e.g. `<u2`.
    pub descr: String,
    /// Shape, C order.
    pub shape: Vec<usize>,
    /// Raw little-endian element bytes.
    pub data: Vec<u8>,
}

impl Npy {
    /// The elements as a plexus array (for the types an array can hold).
    pub fn array(&self) -> Array {
        let dtype = match self.descr.as_str() {
            "|u1" | "<u1" => DType::U8,
            "<u2" => DType::U16,
            "<i2" => DType::I16,
            "<u4" => DType::U32,
            "<i4" => DType::I32,
            "<f4" => DType::F32,
            "<f8" => DType::F64,
            other => panic!("no array type for npy `{other}`"),
        };
        Array::from_bytes(dtype, self.shape.clone(), &self.data).expect("consistent npy")
    }

    /// i8-byte integers (`<i8`) as i64.
    pub fn i64s(&self) -> Vec<i64> {
        assert_eq!(self.descr, "<i8", "expected int64 elements");
        self.data.chunks_exact(8).map(|b| i64::from_le_bytes(b.try_into().unwrap())).collect()
    }

    /// Float elements (`<f8`, or `<f4` widened exactly) as f64.
    pub fn f64s(&self) -> Vec<f64> {
        match self.descr.as_str() {
            "<f8" => self.data.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().unwrap())).collect(),
            "<f4" => self.data.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap()) as f64).collect(),
            other => panic!("expected float elements, got `{other}`"),
        }
    }
}

/// Path of fixture `name` (without `.npy`) in `<crate>/tests/fixtures`.
pub fn fixture_path(crate_dir: &str, name: &str) -> PathBuf {
    PathBuf::from(crate_dir).join("tests/fixtures").join(format!("{name}.npy"))
}

/// Reads fixture `name` (without `.npy`) of the crate at `crate_dir`.
pub fn load_from(crate_dir: &str, name: &str) -> Npy {
    let path = fixture_path(crate_dir, name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Parses `.npy` bytes (format versions 1 to 3).
pub fn parse(bytes: &[u8]) -> Result<Npy, String> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err("not an npy file".into());
    }
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => (u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize, 12),
        v => return Err(format!("npy version {v} not supported")),
    };
    let header = std::str::from_utf8(&bytes[start..start + header_len]).map_err(|e| e.to_string())?;
    let field = |key: &str| -> Result<&str, String> {
        let at = header.find(&format!("'{key}':")).ok_or(format!("no `{key}` in header"))?;
        Ok(header[at + key.len() + 3..].trim_start())
    };
    let descr = field("descr")?;
    let descr = descr[1..].split('\'').next().unwrap_or("").to_string();
    if field("fortran_order")?.starts_with("True") {
        return Err("Fortran order not supported".into());
    }
    let shape_text = field("shape")?;
    let inner = &shape_text[1..shape_text.find(')').ok_or("bad shape")?];
    let shape: Vec<usize> =
        inner.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect();
    Ok(Npy { descr, shape, data: bytes[start + header_len..].to_vec() })
}

/// Cuts `array` into `n` frames along axis 0 (as even as possible), each
/// with its `ChunkKey` offset, length and the full extent.
pub fn chunks(array: &Array, n: usize) -> Vec<Frame> {
    let extent = array.shape()[0];
    let row: usize = array.shape()[1..].iter().product::<usize>() * array.dtype().size();
    let bytes = array.as_bytes();
    (0..n)
        .map(|i| {
            let (a, b) = (extent * i / n, extent * (i + 1) / n);
            let mut shape = array.shape().to_vec();
            shape[0] = b - a;
            let chunk = Array::from_bytes(array.dtype(), shape, &bytes[a * row..b * row])
                .unwrap()
                .with_axes(array.axes())
                .unwrap();
            let key = ChunkKey { axis: 0, offset: a as u64, length: (b - a) as u64, extent: extent as u64 };
            Frame::new("fixture", key).with_array("image", chunk)
        })
        .collect()
}

/// The expected values `make_fixtures.py` wrote for the crate at `crate_dir`.
pub fn expected_from(crate_dir: &str) -> serde_json::Value {
    let path = PathBuf::from(crate_dir).join("tests/fixtures/expected.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// A JSON list of numbers as f64.
pub fn f64s(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().unwrap_or_else(|| panic!("not a list: {v}")).iter().map(|x| x.as_f64().unwrap()).collect()
}

/// A JSON list of integers as u64.
pub fn u64s(v: &serde_json::Value) -> Vec<u64> {
    v.as_array().unwrap_or_else(|| panic!("not a list: {v}")).iter().map(|x| x.as_u64().unwrap()).collect()
}

/// Asserts `|a - b| <= tol * max(1, |b|)` element-wise, with a label.
pub fn close(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol * y.abs().max(1.0), "{what}[{i}]: {x} vs expected {y} (tol {tol})");
    }
}
