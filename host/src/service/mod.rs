//! The HTTP API of `plexus serve --http`: datasets (uploaded or registered
//! by path), slices, statistics, jobs kept in a SQLite store that survives
//! `kill -9`, live events, Prometheus metrics, the OpenAPI document and a
//! web page to look at it all.
//!
//! It runs beside the folder watching of [`crate::daemon`], on the same
//! [`Host`](crate::host::Host) (one registry, one event bus), on a tokio
//! runtime of its own threads; jobs run one at a time on a runner thread
//! through the same [`Job`](crate::runtime::Job) handle as `plexus run`,
//! with the same `--threads` and `--memory`, each taking one of the
//! `--datasets` places the folder watching takes its datasets from
//! ([`crate::slots`]).
//!
//! One concept per module: [`routes`] (the route table the router and the
//! OpenAPI document are both made from), [`router`], [`auth`] (the bearer
//! token), [`roots`] (paths a client may name), [`datasets`], [`axes`] (a
//! dataset's axis labels), [`slice`], [`stats`], [`pca`], [`jobs`] (the
//! runner and its routes), [`store`] (SQLite), [`sse`] (event streams),
//! [`metrics`], [`openapi`], [`limits`], [`errors`], [`plugins`] (what is
//! loaded), [`web`] (the page at `/`).

pub mod auth;
pub mod axes;
pub mod datasets;
pub mod errors;
pub mod jobs;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod pca;
pub mod plugins;
pub mod roots;
pub mod router;
pub mod routes;
pub mod slice;
pub mod sse;
pub mod stats;
pub mod store;
pub mod web;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use plexus_registry::Registry;

use crate::error::HostError;
use crate::events::ControlBus;
use crate::runtime::deadline::Abandon;

/// How the service is set up (from `plexus serve`'s arguments).
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Where to listen.
    pub addr: SocketAddr,
    /// `--token-file`, else `$PLEXUS_HOME/token`.
    pub token_file: Option<PathBuf>,
    /// `--allow-root` folders.
    pub allow_roots: Vec<PathBuf>,
    /// The pipelines folder (named pipelines).
    pub pipelines: PathBuf,
    /// `$PLEXUS_HOME`: the store, uploads, job outputs, the token.
    pub home: PathBuf,
    /// Limits on uploads and the queue.
    pub limits: limits::Limits,
    /// Threads of a job.
    pub threads: usize,
    /// Memory budget of a job.
    pub memory: usize,
    /// Deadline of one native call.
    pub call_timeout: Option<Duration>,
    /// The places for runs, shared with the folder watching.
    pub slots: Arc<crate::slots::Slots>,
}

/// What every request handler shares.
pub struct AppState {
    /// The setup.
    pub config: ServiceConfig,
    /// Paths clients may name.
    pub roots: roots::Roots,
    /// The database.
    pub store: store::Store,
    /// The job runner.
    pub runner: jobs::Runner,
    /// The host's event bus.
    pub bus: ControlBus,
    /// The host's plugins.
    pub registry: Arc<Registry>,
    /// Slots of concurrent uploads.
    pub uploads: Arc<tokio::sync::Semaphore>,
    /// Counters for `/metrics`.
    pub metrics: metrics::Metrics,
    /// Set when the process is stopping.
    pub stop: Arc<AtomicBool>,
}

/// The running service.
pub struct Service {
    server: Option<JoinHandle<()>>,
    runner: Option<JoinHandle<()>>,
    /// The address it listens on (the port is known even when `:0` was
    /// asked).
    pub addr: SocketAddr,
}

/// Binds `config.addr`, opens the store, requeues the jobs a previous
/// process left unfinished, and serves until `stop` is set. Fails at once
/// (before serving) when the address cannot be bound or the store opened.
pub fn start(
    config: ServiceConfig,
    bus: ControlBus,
    registry: Arc<Registry>,
    abandon: Arc<Abandon>,
    stop: Arc<AtomicBool>,
) -> Result<Service, HostError> {
    std::fs::create_dir_all(&config.home).map_err(|e| HostError::system("create", &config.home, e))?;
    let token = auth::load_or_create(&config.home, config.token_file.as_deref())?;
    if token.created {
        // Printed this once: it is in the file from now on.
        println!("plexus: API token (also in {}): {}", config.home.join("token").display(), token.secret);
    }
    let listener = std::net::TcpListener::bind(config.addr)
        .map_err(|e| HostError::system("listen on", config.addr.to_string(), e))?;
    listener.set_nonblocking(true).map_err(|e| HostError::system("listen on", config.addr.to_string(), e))?;
    let addr = listener.local_addr().map_err(|e| HostError::system("listen on", config.addr.to_string(), e))?;
    let db = config.home.join("service.sqlite");
    let store = store::Store::open(&db).map_err(|e| HostError::Config(e.to_string()))?;
    let roots = roots::Roots::new(&config.allow_roots)?;
    let (runner, queue) = jobs::Runner::new(config.limits.queue);
    let state = Arc::new(AppState {
        uploads: Arc::new(tokio::sync::Semaphore::new(config.limits.uploads.max(1))),
        config,
        roots,
        store,
        runner,
        bus,
        registry,
        metrics: metrics::Metrics::default(),
        stop: stop.clone(),
    });
    jobs::requeue_unfinished(&state)?;
    let runner = {
        let state = state.clone();
        std::thread::Builder::new()
            .name("plexus-service-jobs".into())
            .spawn(move || jobs::run_queue(&state, queue, &abandon))
            .map_err(|e| HostError::system("start the thread", "plexus-service-jobs", e))?
    };
    let app = router::router(state.clone(), token.secret);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("plexus-http")
        .enable_all()
        .build()
        .map_err(|e| HostError::system("start the HTTP runtime on", addr.to_string(), e))?;
    let server = std::thread::Builder::new()
        .name("plexus-http-serve".into())
        .spawn(move || {
            runtime.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => return tracing::error!("http: the listener on {addr}: {e}"),
                };
                let stopping = async move {
                    while !stop.load(Ordering::Relaxed) {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                };
                if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(stopping).await {
                    tracing::error!("http: {e}");
                }
            });
            // Connections still open (a slow download) do not hold the
            // process: the runtime goes with this thread.
            runtime.shutdown_timeout(Duration::from_secs(1));
        })
        .map_err(|e| HostError::system("start the thread", "plexus-http-serve", e))?;
    // Clients and tests find the port here when `:0` was asked.
    let _ = std::fs::write(state.config.home.join("http.addr"), format!("{addr}\n"));
    tracing::info!("http: listening on http://{addr}");
    println!("plexus: listening on http://{addr}");
    Ok(Service { server: Some(server), runner: Some(runner), addr })
}

impl Service {
    /// Waits, up to `within`, for the server and the runner to end (the
    /// stop flag is set): a job in flight is stopped and left to resume.
    pub fn join(mut self, within: Duration) {
        let until = std::time::Instant::now() + within;
        for handle in [self.server.take(), self.runner.take()].into_iter().flatten() {
            while !handle.is_finished() && std::time::Instant::now() < until {
                std::thread::sleep(Duration::from_millis(20));
            }
            if handle.is_finished() {
                let _ = handle.join();
            }
        }
    }
}

/// A fresh random id: 12 hex digits.
pub fn new_id() -> String {
    use std::io::Read;
    let mut bytes = [0u8; 6];
    let ok = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes)).is_ok();
    if !ok {
        // Unique within this process at least.
        let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        bytes.copy_from_slice(&n.to_le_bytes()[..6]);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Now, RFC 3339 with milliseconds.
pub fn now() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}
