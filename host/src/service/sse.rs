//! `GET /v1/jobs/{id}/events`: server-sent events of one job. First a
//! `state` event (the job as `GET /v1/jobs/{id}` gives it), then `progress`
//! events as its chunks finish, the job's own control events from the bus
//! (`pipeline.started`, `stage.error`, … whose `dataset` is the job), and a
//! last `state` event when it is done, failed or cancelled, after which
//! the stream ends.
//!
//! The bus subscriber is bounded ([`SSE_BUFFER`](super::limits::SSE_BUFFER)
//! events): a client that falls behind misses bus events, which the event
//! log counts (`events.dropped`); progress and the final state are read
//! from the store and are never missed.

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path as UrlPath, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::IntoResponse;
use serde_json::Value;

use super::errors::ApiError;
use super::AppState;

/// `GET /v1/jobs/{id}/events`.
pub async fn get(State(st): State<Arc<AppState>>, UrlPath(id): UrlPath<String>) -> Result<impl IntoResponse, ApiError> {
    super::jobs::find(&st, &id)?;
    let subscription = st.bus.subscribe(&format!("sse-{id}"), super::limits::SSE_BUFFER);
    let (tx, rx) = tokio::sync::mpsc::channel::<Event>(64);
    let name = format!("plexus-sse-{id}");
    std::thread::Builder::new()
        .name(name.clone())
        .spawn(move || {
            let mut last: Option<[u64; 4]> = None;
            let mut first = true;
            loop {
                let job = match st.store.job(&id) {
                    Ok(Some(j)) => j,
                    _ => return,
                };
                if first || job.state.is_final() {
                    let data = super::jobs::to_json(&job).to_string();
                    if tx.blocking_send(Event::default().event("state").data(data)).is_err() || !first {
                        return;
                    }
                    first = false;
                    last = Some(job.progress);
                }
                if last != Some(job.progress) {
                    last = Some(job.progress);
                    let p = super::jobs::to_json(&job)["progress"].to_string();
                    if tx.blocking_send(Event::default().event("progress").data(p)).is_err() {
                        return;
                    }
                }
                if st.stop.load(Ordering::Relaxed) {
                    return;
                }
                while let Ok(e) = subscription.rx.recv_timeout(Duration::from_millis(100)) {
                    let v = e.to_json();
                    if v["dataset"] != Value::String(id.clone()) {
                        continue;
                    }
                    let kind = v["kind"].as_str().unwrap_or("event").to_string();
                    if tx.blocking_send(Event::default().event(kind).data(v.to_string())).is_err() {
                        return;
                    }
                }
            }
        })
        .map_err(|e| ApiError::internal(format!("starting {name}: {e}")))?;
    let stream =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (Ok::<_, Infallible>(e), rx)) });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
