//! `plexus inspect FILE`: what a file holds, from its headers; non-zero
//! when it cannot be read.

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

/// Prints what the file holds; exits 1 when `read` would refuse it (the
/// description still printed, with the reason last), as when it cannot be
/// examined at all.
pub(super) fn inspect(args: InspectArgs) -> anyhow::Result<ExitCode> {
    let info = plexus_io::inspect(&args.file).with_context(|| format!("cannot inspect `{}`", args.file.display()))?;
    println!("{info}");
    if let Some(problem) = &info.problem {
        eprintln!("error: `{}` cannot be read: {problem}", args.file.display());
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
