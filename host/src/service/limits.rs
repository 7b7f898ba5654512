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
/// may take: 60 s (`408` beyond).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
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
}

impl Default for Limits {
    fn default() -> Self {
        Limits { upload_bytes: DEFAULT_UPLOAD_BYTES, uploads: DEFAULT_UPLOADS, queue: DEFAULT_QUEUE }
    }
}
