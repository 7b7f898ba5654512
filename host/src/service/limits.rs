//! The service's limits, each with its default stated once here (and in
//! `plexus serve --help` and `docs/API.md`): what a client can make the
//! server hold or do at once.

use std::time::Duration;

/// Largest upload accepted: 4 GiB (`--max-upload`); `413` beyond.
pub const DEFAULT_UPLOAD_BYTES: u64 = 4 << 30;
/// Uploads streaming at once: 4 (`--max-uploads`); `429` beyond.
pub const DEFAULT_UPLOADS: usize = 4;
/// Jobs waiting for the runner: 16 (`--queue`); `429` beyond.
pub const DEFAULT_QUEUE: usize = 16;
/// Largest JSON request body: 1 MiB (a pipeline's TOML travels in one).
pub const JSON_BODY_BYTES: usize = 1 << 20;
/// Longest a request other than an upload, a download or an event stream
/// may take: 60 s (`--request-timeout`; `408` beyond).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Events an event-stream client may fall behind by before it misses
/// some (the misses are counted in the log).
pub const SSE_BUFFER: usize = 256;
/// Seconds a client is told to wait when the queue is full.
pub const RETRY_AFTER_S: u64 = 5;

/// The limits in force.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest upload in bytes.
    pub upload_bytes: u64,
    /// Uploads at once.
    pub uploads: usize,
    /// Jobs queued at most.
    pub queue: usize,
    /// Longest a request may take, uploads, downloads and event streams
    /// aside (they last as long as their data).
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            upload_bytes: DEFAULT_UPLOAD_BYTES,
            uploads: DEFAULT_UPLOADS,
            queue: DEFAULT_QUEUE,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

/// Whether a request streams (an upload, a download, an event stream), and
/// so has no deadline.
fn streams(method: &axum::http::Method, path: &str) -> bool {
    (method == axum::http::Method::POST && path == "/v1/datasets")
        || path.ends_with("/events")
        || path.contains("/outputs/")
}

/// Middleware: a request that is not answered within `timeout` gets `408`
/// (work already handed to a blocking thread finishes there, its answer
/// dropped; a statistics pass still fills the cache).
pub async fn deadline(
    axum::extract::State(timeout): axum::extract::State<Duration>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if streams(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    let what = format!("`{} {}`", request.method(), request.uri().path());
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => super::errors::ApiError::Timeout(format!(
            "{what} took longer than {} (`--request-timeout`)",
            humantime::format_duration(timeout)
        ))
        .into_response(),
    }
}
