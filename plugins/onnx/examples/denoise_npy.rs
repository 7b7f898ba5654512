//! Streams a `(z, y, x)` f32 `.npy` volume through `denoise.onnx` slab by
//! slab — what a pipeline stage does with the host's chunks — and reports
//! voxels per second and peak RSS. The whole-process half of the ONNX bench
//! (`benches/compare.sh` runs it against Python onnxruntime).
//!
//!     cargo run --release -p plexus-onnx --example denoise_npy -- \
//!         MODEL IN.npy OUT.npy [--threads N] [--slab Z] [--tile T] [--batch B]
//!
//! Only one slab of input and output is in memory at a time.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::time::Instant;

use plexus_onnx::denoise::{denoise, OnnxDenoiseParams};

fn main() {
    if let Err(e) = run() {
        eprintln!("denoise_npy: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [model, input, output] = [0, 1, 2].map(|i| args.get(i).cloned());
    let (Some(model), Some(input), Some(output)) = (model, input, output) else {
        return Err("usage: denoise_npy MODEL IN.npy OUT.npy [--threads N] [--slab Z] [--tile T] [--batch B]".into());
    };
    let opt = |name: &str, default: usize| -> Result<usize, String> {
        match args.iter().position(|a| a == name) {
            Some(i) => args.get(i + 1).and_then(|v| v.parse().ok()).ok_or(format!("`{name}` needs a number")),
            None => Ok(default),
        }
    };
    let (threads, slab, tile, batch) =
        (opt("--threads", 1)?, opt("--slab", 8)?, opt("--tile", 512)?, opt("--batch", 4)?);
    let params = OnnxDenoiseParams { model: PathBuf::from(model), tile: vec![tile], batch, ..Default::default() };
    let mut net = params.load(threads)?;

    let mut src = File::open(&input)?;
    let (shape, offset) = read_header(&mut src)?;
    let [nz, ny, nx] = shape;
    let mut dst = File::create(&output)?;
    write_header(&mut dst, shape)?;
    let plane = ny * nx;
    let mut bytes = vec![0u8; slab * plane * 4];
    let (mut inp, mut out) = (vec![0.0f32; slab * plane], vec![0.0f32; slab * plane]);
    let start = Instant::now();
    for z0 in (0..nz).step_by(slab) {
        let n = slab.min(nz - z0);
        src.seek(SeekFrom::Start(offset + (z0 * plane * 4) as u64))?;
        src.read_exact(&mut bytes[..n * plane * 4])?;
        for (v, b) in inp.iter_mut().zip(bytes.chunks_exact(4)) {
            *v = f32::from_le_bytes(b.try_into().unwrap());
        }
        denoise(&mut net, &inp[..n * plane], [n, ny, nx], &params, &mut out[..n * plane])?;
        for (b, v) in bytes.chunks_exact_mut(4).zip(&out[..n * plane]) {
            b.copy_from_slice(&v.to_le_bytes());
        }
        dst.write_all(&bytes[..n * plane * 4])?;
    }
    let secs = start.elapsed().as_secs_f64();
    let voxels = (nz * plane) as f64;
    println!(
        "plexus threads={threads} slab={slab} tile={tile} batch={batch}: {secs:.3} s, {:.3} Mvoxel/s, peak RSS {} MiB",
        voxels / secs / 1e6,
        peak_rss_kib()? / 1024
    );
    Ok(())
}

/// Shape and data offset of a little-endian f32 C-order 3-D `.npy`.
fn read_header(f: &mut File) -> Result<([usize; 3], u64), Box<dyn std::error::Error>> {
    let mut head = [0u8; 10];
    f.read_exact(&mut head)?;
    if &head[..6] != b"\x93NUMPY" || head[6] != 1 {
        return Err("expected an npy version 1 file".into());
    }
    let len = u16::from_le_bytes([head[8], head[9]]) as usize;
    let mut text = vec![0u8; len];
    f.read_exact(&mut text)?;
    let text = String::from_utf8(text)?;
    if !text.contains("'<f4'") || text.contains("'fortran_order': True") {
        return Err(format!("expected little-endian f32 in C order, header {text}").into());
    }
    let dims: Vec<usize> = text[text.find('(').ok_or("no shape")? + 1..text.find(')').ok_or("no shape")?]
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let [z, y, x] = dims[..] else { return Err(format!("expected a 3-D array, got {dims:?}").into()) };
    Ok(([z, y, x], 10 + len as u64))
}

fn write_header(f: &mut File, [z, y, x]: [usize; 3]) -> std::io::Result<()> {
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({z}, {y}, {x}), }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    f.write_all(b"\x93NUMPY\x01\x00")?;
    f.write_all(&(header.len() as u16).to_le_bytes())?;
    f.write_all(header.as_bytes())
}

/// `VmHWM` of this process, in KiB.
fn peak_rss_kib() -> Result<u64, Box<dyn std::error::Error>> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).ok_or("no VmHWM")?;
    Ok(line.split_whitespace().nth(1).ok_or("bad VmHWM")?.parse()?)
}
