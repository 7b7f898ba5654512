//! `plexus serve`: arguments, signals, and the daemon ([`crate::daemon`]).
//!
//! The first SIGTERM or SIGINT stops taking new datasets; datasets in flight
//! finish within the grace (`--grace`; calls still running near its end are
//! abandoned), their outputs and sidecars are written, `serve.stopped` says
//! what was abandoned, and the daemon exits 0. A second signal exits at once.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use crate::daemon::{self, ServeConfig};
use crate::error::HostError;
use crate::host::Host;

/// Arguments of `plexus serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Folder of pipeline files (`*.toml`), watched.
    #[arg(long)]
    pub pipelines: PathBuf,
    /// Folder where datasets arrive.
    #[arg(long)]
    pub input: PathBuf,
    /// Folder where results are written.
    #[arg(long)]
    pub output: PathBuf,
    /// How often to look for new datasets and changed pipelines, in ms.
    #[arg(long, default_value_t = 300)]
    pub poll_ms: u64,
    /// Datasets processed at once, each with the whole `--threads` and
    /// `--memory`: a dataset stuck in a plugin holds one place until its
    /// call's deadline (`--call-timeout`) fails it.
    #[arg(long, default_value_t = 2)]
    pub datasets: usize,
    #[command(flatten)]
    pub exec: super::ExecArgs,
}

pub(super) fn serve(args: ServeArgs, extra: &[PathBuf], events: &Path) -> anyhow::Result<ExitCode> {
    let stop = Arc::new(AtomicBool::new(false));
    // A second signal while stopping exits at once.
    let _signals = super::signals::Signals::register(stop.clone(), true)
        .map_err(|e| HostError::system("handle the signals of", "plexus serve", e))?;
    let options = args.exec.options();
    let grace = args.exec.grace();
    let config = ServeConfig {
        pipelines: args.pipelines,
        input: args.input,
        output: args.output,
        poll: Duration::from_millis(args.poll_ms),
        threads: options.threads,
        memory: options.memory,
        datasets: args.datasets,
        call_timeout: options.call_timeout,
        grace,
        abandon_after: super::signals::abandon_after(grace),
    };
    let host = Host::start(extra, events, true)?;
    let result = daemon::serve(&config, &host, &stop);
    host.shutdown();
    result?;
    Ok(ExitCode::SUCCESS)
}
