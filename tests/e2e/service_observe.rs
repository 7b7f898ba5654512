//! Watching the service: a job's server-sent events (its state, its
//! progress, its control events, its final state, then the end of the
//! stream); `/metrics` with the job's stages per plugin version; and
//! `/openapi.json`, every route of which the server serves.

use std::time::Duration;

use plexus_e2e::Sandbox;
use plexus_plugin_api::Array;
use serde_json::{json, Value};

use super::service_client::{request, Send, Server};

const PIPELINE: &str = "[pipeline]\nname = \"slow\"\n\n[input]\npath = \"unused\"\nchunk = 1\n\n[[stage]]\nid = \"trace\"\nuse = \"chunked.trace\"\nparams = { sleep_ms = 40 }\n\n[[output]]\nfrom = \"trace\"\npath = \"copy.npy\"\n";

fn setup() -> (Sandbox, Server, String) {
    let sb = Sandbox::new();
    sb.pack("chunked", "libtest_chunked.so", &sb.plugins().join("chunked"));
    sb.write("pipelines/slow.toml", PIPELINE);
    let s = Server::start(&sb, &["--threads", "1"]);
    let vol = Array::from_fn(vec![12, 16, 16], |i| i as u16);
    let p = sb.path().join("v.npy");
    plexus_io::write(&p, &vol).unwrap();
    let ds = s.upload("v.npy", &std::fs::read(p).unwrap());
    (sb, s, ds)
}

/// `(event, data)` of a whole event stream.
fn events(text: &str) -> Vec<(String, Value)> {
    text.split("\n\n")
        .filter_map(|block| {
            let field = |name: &str| block.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim().to_string());
            Some((field("event:")?, serde_json::from_str(&field("data:")?).ok()?))
        })
        .collect()
}

#[test]
fn a_jobs_event_stream_says_its_state_progress_and_end() {
    let (_sb, s, ds) = setup();
    // A first job holds the runner, so the second one is still queued
    // when its stream opens, and the stream sees it start.
    s.post_json("/v1/jobs", &json!({ "pipeline": "slow", "dataset": ds }));
    let r = s.post_json("/v1/jobs", &json!({ "pipeline": "slow", "dataset": ds }));
    let id = r.json()["id"].as_str().unwrap().to_string();
    // The stream ends by itself once the job is done.
    let stream = s.call("GET", &format!("/v1/jobs/{id}/events"), &[("Accept", "text/event-stream")], Send::None);
    assert_eq!((stream.status, stream.header("content-type")), (200, Some("text/event-stream")));
    let ev = events(&stream.text());
    assert_eq!(ev.first().map(|e| e.0.as_str()), Some("state"), "{ev:#?}");
    let (last, job) = ev.last().unwrap();
    assert_eq!((last.as_str(), job["state"].clone(), job["id"].clone()), ("state", json!("done"), json!(id)));
    let progress: Vec<u64> =
        ev.iter().filter(|e| e.0 == "progress").map(|e| e.1["chunks_done"].as_u64().unwrap()).collect();
    assert!(!progress.is_empty(), "{ev:#?}");
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "progress only grows: {progress:?}");
    assert!(
        ev.iter().any(|e| e.0 == "pipeline.started" && e.1["dataset"] == id.as_str()),
        "the job's own control events come through: {ev:#?}"
    );
    assert_eq!(s.get("/v1/jobs/nope/events").status, 404);
}

#[test]
fn metrics_count_the_stages_of_finished_jobs_per_plugin_version() {
    let (_sb, s, ds) = setup();
    let id = s.post_json("/v1/jobs", &json!({ "pipeline": "slow", "dataset": ds })).json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let job = s.wait_job(&id, Duration::from_secs(60));
    assert_eq!(job["state"], "done", "{job:#}");
    let stage = &job["results"]["stages"][0];
    let m = s.get("/metrics");
    assert_eq!(m.header("content-type"), Some("text/plain; version=0.0.4"));
    let text = m.text();
    let line = format!(
        "plexus_stage_calls_total{{pipeline=\"slow\",stage=\"trace\",operator=\"chunked.trace\",plugin=\"chunked\",version=\"1.0.0\"}} {}\n",
        stage["calls"]
    );
    assert!(text.contains(&line), "{line} not in\n{text}");
    assert!(stage["calls"].as_u64().unwrap() >= 12, "{stage}");
    assert!(text.contains("\nplexus_jobs{state=\"done\"} 1\n"), "{text}");
    assert!(text.contains("\nplexus_queue_depth 0\n"), "{text}");
    assert!(text.contains("plexus_plugin_mapped{plugin=\"chunked\",version=\"1.0.0\"} 1"), "{text}");
}

#[test]
fn every_route_in_the_openapi_document_is_served_and_no_other() {
    let (_sb, s, _ds) = setup();
    let doc = s.get("/openapi.json").json();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    let mut seen = 0;
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            seen += 1;
            let concrete = path.replace("{id}", "nope").replace("{name}", "x");
            let r =
                s.call(&method.to_uppercase(), &concrete, &[("Content-Type", "application/json")], Send::Bytes(b"{}"));
            let said = if r.header("content-type") == Some("application/json") {
                r.json()["error"].clone()
            } else {
                Value::Null
            };
            assert!(
                r.status != 405 && !said.as_str().unwrap_or("").starts_with("no route"),
                "{method} {path}: {} {said}",
                r.status
            );
            let open = op.get("security") == Some(&json!([]));
            let bare = request(&s.addr, &method.to_uppercase(), &concrete, &[], Send::None);
            assert_eq!(bare.status == 401, !open, "{method} {path} without the token: {}", bare.status);
        }
    }
    assert_eq!(seen, 18, "{doc:#}");
    let r = s.get("/v1/undocumented");
    assert_eq!(r.status, 404);
}
