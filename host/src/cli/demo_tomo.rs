//! The tomography part of `plexus demo`: simulates a scan with
//! `examples/tomo-scan.toml` (a dxchange HDF5 file with flats, darks,
//! noise, zingers, stripes and an off-centre axis), reconstructs it with
//! `examples/tomo.toml` into an OME-Zarr volume, renders the phantom with
//! `examples/tomo-phantom.toml`, and prints the centre `find_center` found
//! against the true one and the PSNR of the volume against the phantom; the
//! central slice is written as a PNG beside the volume.
//!
//! Everything runs through the same host and the same jobs as `plexus
//! run`; only the scoring (PSNR, the PNG's grey levels) is done here, since
//! it needs the phantom, which a real scan does not have.

use std::path::Path;

use anyhow::Context;
use plexus_plugin_api::Array;
use serde_json::Value;

use crate::host::Host;
use crate::pipeline::{compile, PipelineSpec};
use crate::runtime::{Job, RunReport};

const SCAN: &str = include_str!("../../../examples/tomo-scan.toml");
const TOMO: &str = include_str!("../../../examples/tomo.toml");
const PHANTOM: &str = include_str!("../../../examples/tomo-phantom.toml");

/// Grey levels 0..255 of the PNG span attenuation 0..`WINDOW` in phantom
/// units: the soft tissue of the Shepp–Logan phantom (0.1–0.4) is visible,
/// the skull (1.0) saturates.
const WINDOW: f64 = 0.5;

/// What the tomography demo found.
pub(super) struct TomoSummary {
    /// Failed frames, stages and outputs over the three runs.
    pub errors: u64,
}

/// Runs the three pipelines in `out` and prints what they found.
pub(super) fn tomo(out: &Path, host: &Host, exec: &super::ExecArgs) -> anyhow::Result<TomoSummary> {
    println!();
    if !cfg!(feature = "hdf5") {
        println!(
            "tomography: skipped: this plexus was built without HDF5 (the simulated scan is a dxchange .h5 file); build with `--features plexus-host/hdf5` (./plexus.sh does when libhdf5 is installed)"
        );
        return Ok(TomoSummary { errors: 0 });
    }
    let scan = run(out, "tomo-scan.toml", SCAN, host, exec)?;
    let recon = run(out, "tomo.toml", TOMO, host, exec)?;
    let phantom = run(out, "tomo-phantom.toml", PHANTOM, host, exec)?;
    let errors = scan.errors() + recon.errors() + phantom.errors();
    if errors > 0 {
        for r in [&scan, &recon, &phantom] {
            super::run::print_report(r);
        }
        return Ok(TomoSummary { errors });
    }

    let number = |r: &RunReport, stage: &str, key: &str| {
        r.results
            .get(stage)
            .and_then(|s| s.get(key))
            .and_then(Value::as_f64)
            .with_context(|| format!("`{}` published no `{stage}.{key}`", r.pipeline))
    };
    let truth = number(&scan, "scan", "center_col")?;
    let found = number(&recon, "center", "center_col")?;
    let pixel_size_cm = number(&scan, "scan", "pixel_size_cm")?;
    let volume_path = out.join("out/volume.zarr");
    let volume = plexus_io::read(&volume_path)?;
    let reference = plexus_io::read(&out.join("out/phantom.npy"))?;
    anyhow::ensure!(
        volume.shape() == reference.shape() && volume.shape().len() == 3,
        "the volume {:?} and the phantom {:?} differ in shape",
        volume.shape(),
        reference.shape()
    );
    // The volume is attenuation per pixel; the phantom is μ per cm with a
    // pixel of pixel_size_cm.
    let mu: Vec<f64> = volume.to_f64_vec().iter().map(|v| v / pixel_size_cm).collect();
    let reference = reference.to_f64_vec();
    let (depth, n) = (volume.shape()[0], volume.shape()[1] * volume.shape()[2]);
    let middle = depth / 2;
    let central = middle * n..(middle + 1) * n;
    println!(
        "tomography: {} slices of {}×{} from {} (dxchange scan, simulated)",
        depth,
        volume.shape()[1],
        volume.shape()[2],
        out.join("out/scan.h5").display()
    );
    println!("  rotation centre: find_center {found:.2} (true {truth:.2}, off by {:+.2} px)", found - truth);
    println!(
        "  PSNR against the phantom (peak 1): {:.2} dB over the volume, {:.2} dB on the central slice",
        psnr(&mu, &reference),
        psnr(&mu[central.clone()], &reference[central.clone()])
    );
    let png = out.join("out/central_slice.png");
    let grey: Vec<u8> = mu[central].iter().map(|&v| (v / WINDOW * 255.0).round().clamp(0.0, 255.0) as u8).collect();
    let slice = Array::from_vec(vec![volume.shape()[1], volume.shape()[2]], grey)?.with_axes("y x")?;
    plexus_io::write(&png, &slice)?;
    println!(
        "  volume: {}; central slice (z = {middle}, 0..{WINDOW} as 0..255): {}",
        volume_path.display(),
        png.display()
    );
    Ok(TomoSummary { errors: 0 })
}

/// Writes `text` to `out/name` and runs it to the end.
fn run(out: &Path, name: &str, text: &str, host: &Host, exec: &super::ExecArgs) -> anyhow::Result<RunReport> {
    let file = out.join(name);
    std::fs::write(&file, text).with_context(|| format!("cannot write `{}`", file.display()))?;
    let spec = PipelineSpec::parse(&file, text)?;
    let plan = compile(&spec, &file, &host.registry).map_err(crate::error::HostError::from)?;
    Ok(Job::start(plan, host.registry.clone(), host.bus.clone(), exec.options())?.wait()?)
}

/// `10 log10(1 / MSE)`: scikit-image's `peak_signal_noise_ratio` with
/// `data_range = 1` (the phantom spans [0, 1]).
fn psnr(got: &[f64], want: &[f64]) -> f64 {
    let se: f64 = got.iter().zip(want).map(|(g, w)| (g - w).powi(2)).sum();
    10.0 * (got.len() as f64 / se).log10()
}
