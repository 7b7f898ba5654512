//! `plexus serve`: arguments, signals, and the daemon ([`crate::daemon`]).
//!
//! The first SIGTERM or SIGINT stops taking new datasets; datasets in flight
//! finish, their outputs and sidecars are written, and the daemon exits 0.
//! A second signal exits at once.

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
    #[command(flatten)]
    pub exec: super::ExecArgs,
}

pub(super) fn serve(args: ServeArgs, extra: &[PathBuf], events: &Path) -> anyhow::Result<ExitCode> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        // A second signal while stopping exits at once.
        signal_hook::flag::register_conditional_shutdown(sig, 1, stop.clone())
            .and_then(|_| signal_hook::flag::register(sig, stop.clone()))
            .map_err(|e| HostError::system("handle the signals of", "plexus serve", e))?;
    }
    let options = args.exec.options();
    let config = ServeConfig {
        pipelines: args.pipelines,
        input: args.input,
        output: args.output,
        poll: Duration::from_millis(args.poll_ms),
        threads: options.threads,
        memory: options.memory,
    };
    let host = Host::start(extra, events, true)?;
    let result = daemon::serve(&config, &host, &stop);
    host.shutdown();
    result?;
    Ok(ExitCode::SUCCESS)
}
