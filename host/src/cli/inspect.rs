//! `plexus inspect FILE`: what a file holds, from its headers.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

/// Arguments of `plexus inspect`.
#[derive(Args, Debug)]
pub struct InspectArgs {
    /// TIFF, PNG, NPY or HDF5 file, or Zarr store (`.zarr` folder).
    pub file: PathBuf,
}

pub(super) fn inspect(args: InspectArgs) -> anyhow::Result<ExitCode> {
    let info = plexus_io::inspect(&args.file).with_context(|| format!("cannot inspect `{}`", args.file.display()))?;
    println!("{info}");
    Ok(ExitCode::SUCCESS)
}
