//! `plexus serve`: arguments, signals, and the daemon ([`crate::daemon`]).
//!
//! The first SIGTERM or SIGINT stops taking new datasets; datasets in flight
//! finish within the grace (`--grace`; calls still running near its end are
//! abandoned), their outputs and sidecars are written, `serve.stopped` says
//! what was abandoned, and the daemon exits 0. A second signal exits at once.
//!
//! With `--http`, the HTTP API ([`crate::service`]) serves beside the folder
//! watching, on the same host; on the signal it stops taking requests, and
//! a job in flight is stopped and left queued, to resume after a restart.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use crate::daemon::{self, ServeConfig};
use crate::error::HostError;
use crate::host::Host;
use crate::runtime::deadline::Abandon;
use crate::service::limits::{self, Limits};
use crate::service::{self, ServiceConfig};

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
    /// Runs at once (datasets from the folder and, with `--http`, jobs),
    /// each with the whole `--threads` and `--memory`: a run stuck in a
    /// plugin holds one place until its call's deadline (`--call-timeout`)
    /// fails it.
    #[arg(long, default_value_t = 2)]
    pub datasets: usize,
    /// Serve the HTTP API too, on this address [default when given
    /// without a value: 127.0.0.1:8750].
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "127.0.0.1:8750")]
    pub http: Option<std::net::SocketAddr>,
    /// File holding the API's bearer token [default: $PLEXUS_HOME/token,
    /// made at the first start].
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// A folder whose files clients may register by path (repeatable);
    /// none: only uploads.
    #[arg(long = "allow-root", value_name = "DIR")]
    pub allow_roots: Vec<PathBuf>,
    /// Largest upload, e.g. `512MiB` [default: 4GiB].
    #[arg(long, value_parser = super::parse_bytes)]
    pub max_upload: Option<usize>,
    /// Uploads streaming at once [default: 4].
    #[arg(long)]
    pub max_uploads: Option<usize>,
    /// Jobs waiting at most; more are answered 429 [default: 16].
    #[arg(long)]
    pub queue: Option<usize>,
    /// Longest a request may take (uploads, downloads and event streams
    /// aside), e.g. `30s`; 408 beyond [default: 60s].
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub request_timeout: Option<Duration>,
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
    // Datasets from the folder and HTTP jobs take their places here.
    let slots = crate::slots::Slots::new(args.datasets);
    let config = ServeConfig {
        pipelines: args.pipelines,
        input: args.input,
        output: args.output,
        poll: Duration::from_millis(args.poll_ms),
        threads: options.threads,
        memory: options.memory,
        datasets: args.datasets,
        slots: slots.clone(),
        call_timeout: options.call_timeout,
        grace,
        abandon_after: super::signals::abandon_after(grace),
    };
    let host = Host::start(extra, events, true)?;
    let service = match args.http {
        Some(addr) => Some(service::start(
            ServiceConfig {
                addr,
                token_file: args.token_file,
                allow_roots: args.allow_roots,
                pipelines: config.pipelines.clone(),
                home: crate::paths::home(),
                limits: Limits {
                    upload_bytes: args.max_upload.map(|b| b as u64).unwrap_or(limits::DEFAULT_UPLOAD_BYTES),
                    uploads: args.max_uploads.unwrap_or(limits::DEFAULT_UPLOADS),
                    queue: args.queue.unwrap_or(limits::DEFAULT_QUEUE),
                    request_timeout: args.request_timeout.unwrap_or(limits::DEFAULT_REQUEST_TIMEOUT),
                },
                threads: options.threads,
                memory: options.memory,
                call_timeout: options.call_timeout,
                slots,
            },
            host.bus.clone(),
            host.registry.clone(),
            Arc::new(Abandon::default()),
            stop.clone(),
        )?),
        None => None,
    };
    let result = daemon::serve(&config, &host, &stop);
    if let Some(service) = service {
        service.join(grace);
    }
    host.shutdown();
    result?;
    Ok(ExitCode::SUCCESS)
}
