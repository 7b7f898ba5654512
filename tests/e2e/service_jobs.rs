//! Jobs over HTTP: a named pipeline on an uploaded dataset ends `done`
//! with the output a `plexus run` of the same pipeline writes; a pipeline
//! that does not check is a `422` with `plexus check`'s lines; a full
//! queue is a `429` with `Retry-After`; `DELETE` cancels; and a service
//! killed with SIGKILL mid-job, restarted, finishes the job from its
//! checkpoints, bit-identical to an uninterrupted run.

use std::time::{Duration, Instant};

use plexus_e2e::{show, Sandbox};
use plexus_plugin_api::Array;
use serde_json::{json, Value};

use super::service_client::Server;

const CHUNKS: usize = 30;

/// A pipeline that slows each chunk by `trace.sleep_ms` and smooths it;
/// `input` is where `plexus run` reads (the service reads the dataset).
fn pipeline(input: &str, out: &str) -> String {
    format!(
        "[pipeline]\nname = \"smooth\"\n\n[input]\npath = \"{input}\"\nchunk = 2\n\n[[stage]]\nid = \"trace\"\nuse = \"chunked.trace\"\nparams = {{ sleep_ms = 0 }}\n\n[[stage]]\nid = \"work\"\nuse = \"geometry.correlate\"\nparams = {{ filter = \"gaussian5\", mode = \"nearest\" }}\n\n[[output]]\nfrom = \"work\"\npath = \"{out}\"\n"
    )
}

fn setup() -> (Sandbox, Vec<u8>) {
    let sb = Sandbox::new();
    sb.pack("chunked", "libtest_chunked.so", &sb.plugins().join("chunked"));
    let vol = Array::from_fn(vec![CHUNKS * 2, 48, 48], |i| ((i * 7919) % 1009) as f32);
    plexus_io::write(&sb.path().join("vol.npy"), &vol).unwrap();
    sb.write("pipelines/smooth.toml", &pipeline("../vol.npy", "out.npy"));
    sb.write("ref.toml", &pipeline("vol.npy", "ref.npy"));
    let bytes = std::fs::read(sb.path().join("vol.npy")).unwrap();
    (sb, bytes)
}

/// The uninterrupted run's output.
fn reference(sb: &Sandbox) -> Array {
    let out = sb.run(&["run", "--quiet", "ref.toml"]);
    assert!(out.status.success(), "{}", show(&out));
    plexus_io::read(&sb.path().join("ref.npy")).unwrap()
}

fn submit(s: &Server, dataset: &str, set: &[&str]) -> Value {
    let r = s.post_json("/v1/jobs", &json!({ "pipeline": "smooth", "dataset": dataset, "set": set }));
    assert_eq!(r.status, 202, "{}", r.text());
    r.json()
}

fn download(s: &Server, job: &Value, sb: &Sandbox, name: &str) -> Array {
    let url = job["outputs"][0]["url"].as_str().unwrap_or_else(|| panic!("no output url: {job:#}"));
    let r = s.get(url);
    assert_eq!(r.status, 200, "{}", r.text());
    let p = sb.path().join(name);
    std::fs::write(&p, &r.body).unwrap();
    plexus_io::read(&p).unwrap()
}

#[test]
fn a_job_ends_done_with_the_output_plexus_run_writes() {
    let (sb, bytes) = setup();
    let s = Server::start(&sb, &[]);
    let ds = s.upload("vol.npy", &bytes);
    let id = submit(&s, &ds, &[])["id"].as_str().unwrap().to_string();
    let job = s.wait_job(&id, Duration::from_secs(120));
    assert_eq!(job["state"], "done", "{job:#}");
    assert_eq!(job["progress"]["chunks_done"], CHUNKS);
    assert_eq!(job["progress"]["chunks_total"], CHUNKS);
    assert_eq!(job["results"]["errors"], 0);
    let got = download(&s, &job, &sb, "got.npy");
    let want = reference(&sb);
    assert_eq!(got.shape(), want.shape());
    assert!(got.as_bytes() == want.as_bytes(), "the job's output differs from `plexus run`'s");
    let listed = s.get("/v1/jobs").json();
    assert_eq!(listed["jobs"][0]["id"], id.as_str());
    let r = s.get(&format!("/v1/jobs/{id}/outputs/..%2Fservice.sqlite"));
    assert_eq!(r.status, 404);
}

#[test]
fn a_pipeline_that_does_not_check_is_a_422_with_plexus_checks_lines() {
    let (sb, bytes) = setup();
    let bad = pipeline("../vol.npy", "out.npy")
        .replace("geometry.correlate", "geometry.nosuch")
        .replace("sleep_ms = 0", "sleep_ms = -3");
    sb.write("pipelines/bad.toml", &bad);
    let check = sb.run(&["check", "pipelines/bad.toml"]);
    assert!(!check.status.success());
    let said = String::from_utf8_lossy(&check.stderr).into_owned();
    let s = Server::start(&sb, &[]);
    let ds = s.upload("vol.npy", &bytes);
    let r = s.post_json("/v1/jobs", &json!({ "pipeline": "bad", "dataset": ds }));
    assert_eq!(r.status, 422, "{}", r.text());
    let body = r.json();
    let problems: Vec<&str> = body["problems"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    assert_eq!(problems.len(), 2, "{body:#}");
    for p in &problems {
        assert!(said.contains(&format!("\n  {p}")), "`{p}` is not among `plexus check`'s lines:\n{said}");
    }
    assert!(said.contains(body["error"].as_str().unwrap()), "{said}\nvs\n{body:#}");
    // The same inline.
    let r = s.post_json("/v1/jobs", &json!({ "toml": bad, "dataset": ds }));
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["problems"].as_array().unwrap().len(), 2);
    let r = s.post_json("/v1/jobs", &json!({ "pipeline": "smooth", "dataset": ds, "set": ["nosuch.x=1"] }));
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (422, json!("`set` `nosuch.x=1`: `nosuch.x=1`: no stage `nosuch` (stages: `trace`, `work`)"))
    );
    let r = s.post_json("/v1/jobs", &json!({ "pipeline": "nope", "dataset": ds }));
    assert_eq!((r.status, r.json()["error"].clone()), (422, json!("no pipeline `nope` in the pipelines folder")));
    let r = s.post_json("/v1/jobs", &json!({ "pipeline": "smooth", "dataset": "nope" }));
    assert_eq!((r.status, r.json()["error"].clone()), (404, json!("no dataset `nope`")));
    let r = s.post_json("/v1/jobs", &json!({ "pipeline": "../smooth", "dataset": ds }));
    assert_eq!(r.status, 400);
    assert!(s.get("/v1/jobs").json()["jobs"].as_array().unwrap().is_empty(), "nothing was queued");
}

#[test]
fn a_full_queue_is_a_429_and_delete_cancels() {
    let (sb, bytes) = setup();
    let s = Server::start(&sb, &["--queue", "1", "--threads", "1"]);
    let ds = s.upload("vol.npy", &bytes);
    let a = submit(&s, &ds, &["trace.sleep_ms=300"])["id"].as_str().unwrap().to_string();
    let started = Instant::now();
    while s.get(&format!("/v1/jobs/{a}")).json()["state"] != "running" {
        assert!(started.elapsed() < Duration::from_secs(60), "job a never ran");
        std::thread::sleep(Duration::from_millis(20));
    }
    let b = submit(&s, &ds, &[])["id"].as_str().unwrap().to_string();
    let r = s.post_json("/v1/jobs", &json!({ "pipeline": "smooth", "dataset": ds }));
    assert_eq!(r.status, 429, "{}", r.text());
    assert_eq!(r.header("retry-after"), Some("5"));
    assert_eq!(r.json()["error"], "the job queue is full (1 jobs wait, `--queue`): try again later");
    let metrics = s.get("/metrics").text();
    assert!(metrics.contains("\nplexus_queue_depth 1\n"), "{metrics}");
    assert_eq!(s.delete(&format!("/v1/jobs/{b}")).json()["state"], "cancelled");
    s.delete(&format!("/v1/jobs/{a}"));
    let ended = s.wait_job(&a, Duration::from_secs(60));
    assert_eq!(ended["state"], "cancelled", "{ended:#}");
    let done = ended["progress"]["chunks_done"].as_u64().unwrap();
    assert!(done < CHUNKS as u64, "cancelled before the end: {done} chunks");
    assert!(!sb.path().join(".plexus/jobs").join(&a).exists(), "a cancelled job's partial outputs go");
    assert_eq!(s.wait_job(&b, Duration::from_secs(5))["state"], "cancelled");
}

#[test]
fn a_service_killed_mid_job_resumes_it_and_ends_bit_identical() {
    let (sb, bytes) = setup();
    let args = ["--memory", "256KiB", "--threads", "2"];
    let s = Server::start(&sb, &args);
    let ds = s.upload("vol.npy", &bytes);
    let id = submit(&s, &ds, &["trace.sleep_ms=80"])["id"].as_str().unwrap().to_string();
    let started = Instant::now();
    let before = loop {
        let j = s.get(&format!("/v1/jobs/{id}")).json();
        let done = j["progress"]["chunks_done"].as_u64().unwrap_or(0);
        if done >= 10 {
            break done;
        }
        assert!(j["state"] != "done", "the job ended before it could be killed");
        assert!(started.elapsed() < Duration::from_secs(120), "the job never got 10 chunks in: {j:#}");
        std::thread::sleep(Duration::from_millis(10));
    };
    s.kill(); // SIGKILL
    let s = Server::start(&sb, &args);
    let job = s.wait_job(&id, Duration::from_secs(120));
    assert_eq!(job["state"], "done", "{job:#}");
    let resumed = sb.events_of("job.resumed");
    assert_eq!(resumed.len(), 1, "the restarted job resumed from its checkpoints: {:#?}", sb.events_of("job.resumed"));
    let skipped = resumed[0]["done"].as_u64().unwrap();
    assert!(skipped > 0 && skipped <= CHUNKS as u64, "{skipped} chunks skipped");
    eprintln!("killed with {before} chunks done; the restart skipped {skipped} of {CHUNKS}");
    let got = download(&s, &job, &sb, "got.npy");
    let want = reference(&sb);
    assert!(got.as_bytes() == want.as_bytes(), "the resumed output differs from an uninterrupted run");
}

#[test]
fn sigterm_mid_job_ends_the_service_in_bounded_time_and_the_restart_finishes_the_job() {
    let (sb, bytes) = setup();
    let args = ["--memory", "256KiB", "--threads", "2", "--grace", "2s"];
    let s = Server::start(&sb, &args);
    let ds = s.upload("vol.npy", &bytes);
    let id = submit(&s, &ds, &["trace.sleep_ms=80"])["id"].as_str().unwrap().to_string();
    let started = Instant::now();
    while s.get(&format!("/v1/jobs/{id}")).json()["progress"]["chunks_done"].as_u64().unwrap_or(0) < 5 {
        assert!(started.elapsed() < Duration::from_secs(120), "the job never got 5 chunks in");
        std::thread::sleep(Duration::from_millis(10));
    }
    // Grace 2 s, plus the exit: a liveness bound, not a timing figure.
    let status = s.terminate(Duration::from_secs(20));
    assert!(status.success(), "{status:?}");
    let s = Server::start(&sb, &args);
    let job = s.wait_job(&id, Duration::from_secs(120));
    assert_eq!(job["state"], "done", "{job:#}");
    assert_eq!(sb.events_of("job.resumed").len(), 1, "the stopped job resumed from its checkpoints");
    let got = download(&s, &job, &sb, "got.npy");
    assert!(got.as_bytes() == reference(&sb).as_bytes(), "the resumed output differs from an uninterrupted run");
}

#[test]
fn a_dataset_from_the_folder_waits_for_the_http_job_holding_the_only_place() {
    let (sb, bytes) = setup();
    let s = Server::start(&sb, &["--datasets", "1", "--threads", "2"]);
    let ds = s.upload("vol.npy", &bytes);
    let id = submit(&s, &ds, &["trace.sleep_ms=60"])["id"].as_str().unwrap().to_string();
    let started = Instant::now();
    while s.get(&format!("/v1/jobs/{id}")).json()["state"] != "running" {
        assert!(started.elapsed() < Duration::from_secs(60), "the job never ran");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::fs::copy(sb.path().join("vol.npy"), sb.path().join(".drop.npy")).unwrap();
    std::fs::rename(sb.path().join(".drop.npy"), sb.path().join("incoming/drop.npy")).unwrap();
    assert_eq!(s.wait_job(&id, Duration::from_secs(120))["state"], "done");
    let finished = sb
        .wait_for_event(Duration::from_secs(120), |e| e["kind"] == "dataset.finished" && e["dataset"] == "drop")
        .expect("the dropped dataset was processed");
    let job_end = sb.events_of("pipeline.finished").into_iter().find(|e| e["dataset"] == id.as_str()).unwrap();
    let dataset_start = sb.events_of("dataset.started").into_iter().find(|e| e["dataset"] == "drop").unwrap();
    let time = |e: &Value| humantime::parse_rfc3339_weak(e["time"].as_str().unwrap()).unwrap();
    assert!(
        time(&dataset_start) >= time(&job_end),
        "the dataset started at {} while the job held the only place until {}",
        dataset_start["time"],
        job_end["time"]
    );
    assert!(finished["pipelines"]["smooth"]["errors"] == 0, "{finished:#}");
}
