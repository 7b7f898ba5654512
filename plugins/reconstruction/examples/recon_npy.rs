//! Reconstructs a sinogram stored as `.npy` and writes the slices as
//! `.npy`: the whole-process half of `benches/peers.py` (the plugin
//! wrapping that will let `plexus run` do this comes after contract v2).
//!
//! ```text
//! cargo run --release -p plexus-reconstruction --example recon_npy -- \
//!     fbp|gridrec|sirt|cgls SINO.npy OUT.npy [ITERATIONS] [THREADS]
//! ```
//!
//! `SINO.npy`: little-endian f32, `(angles, cols)` or `(rows, angles,
//! cols)`, angles evenly over a half turn. Prints the compute time (without
//! reading and writing) on stderr.

use std::time::Instant;

use plexus_reconstruction::cgls::{cgls, CglsParams};
use plexus_reconstruction::fbp::{fbp, FbpParams};
use plexus_reconstruction::fourier_filter::Filter;
use plexus_reconstruction::geometry::half_turn_deg;
use plexus_reconstruction::gridrec::{gridrec, GridrecParams};
use plexus_reconstruction::sirt::{sirt, SirtParams};
use plexus_reconstruction::SinoShape;

fn read_npy(path: &str) -> Result<(Vec<usize>, Vec<f32>), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("`{path}`: {e}"))?;
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(format!("`{path}`: not an npy file"));
    }
    let (hlen, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        _ => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
    };
    let header = std::str::from_utf8(&bytes[start..start + hlen]).map_err(|e| format!("`{path}`: {e}"))?;
    if !header.contains("'descr': '<f4'") || !header.contains("'fortran_order': False") {
        return Err(format!("`{path}`: expected little-endian f32 in C order, got {header}"));
    }
    let shape: Vec<usize> = header
        .split("'shape': (")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .ok_or(format!("`{path}`: no shape in {header}"))?
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().map_err(|e| format!("`{path}`: shape: {e}")))
        .collect::<Result<_, _>>()?;
    let data: Vec<f32> =
        bytes[start + hlen..].chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    if data.len() != shape.iter().product::<usize>() {
        return Err(format!("`{path}`: {} values for shape {shape:?}", data.len()));
    }
    Ok((shape, data))
}

fn write_npy(path: &str, shape: &[usize], data: &[f32]) -> Result<(), String> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let tuple = if dims.len() == 1 { format!("({},)", dims[0]) } else { format!("({})", dims.join(", ")) };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {tuple}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in data {
        out.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(path, out).map_err(|e| format!("`{path}`: {e}"))
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        return Err("usage: recon_npy fbp|gridrec|sirt|cgls SINO.npy OUT.npy [ITERATIONS] [THREADS]".into());
    }
    let iterations: usize =
        args.get(4).map(|s| s.parse().map_err(|e| format!("`ITERATIONS`: {e}"))).transpose()?.unwrap_or(100);
    let threads: usize =
        args.get(5).map(|s| s.parse().map_err(|e| format!("`THREADS`: {e}"))).transpose()?.unwrap_or(0);
    let (shape, sino) = read_npy(&args[2])?;
    let shape = match shape[..] {
        [a, c] => SinoShape::slice(a, c),
        [r, a, c] => SinoShape { rows: r, angles: a, cols: c },
        _ => return Err(format!("`{}`: expected 2 or 3 axes, got {shape:?}", args[2])),
    };
    let angles = half_turn_deg(shape.angles);
    let t = Instant::now();
    let out = match args[1].as_str() {
        "fbp" => fbp(&sino, shape, &angles, &FbpParams { filter: Filter::Ramp, ..FbpParams::default() }, threads),
        "gridrec" => {
            gridrec(&sino, shape, &angles, &GridrecParams { filter: Filter::Ramp, ..GridrecParams::default() }, threads)
        }
        "sirt" => {
            sirt(&sino, shape, &angles, &SirtParams { iterations, ..SirtParams::default() }, threads).map(|r| r.0)
        }
        "cgls" => {
            cgls(&sino, shape, &angles, &CglsParams { iterations, ..CglsParams::default() }, threads).map(|r| r.0)
        }
        other => return Err(format!("unknown method `{other}`")),
    }
    .map_err(|e| e.to_string())?;
    eprintln!("compute_s {:.6}", t.elapsed().as_secs_f64());
    let n = shape.cols;
    write_npy(&args[3], &[shape.rows, n, n], &out)
}

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
