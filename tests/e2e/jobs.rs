//! Runs as jobs: `plexus run` drives a job handle whose progress counts
//! chunks and bytes done of total, and whose cancel (SIGTERM) stops the
//! reading while the frames in flight finish and the outputs are written.

use std::process::Stdio;
use std::time::Duration;

use plexus_e2e::{show, Sandbox};
use plexus_plugin_api::Array;

#[test]
fn progress_counts_every_chunk_and_byte_of_the_input() {
    let sb = Sandbox::new();
    let volume = Array::from_fn(vec![40, 16, 16], |i| i as f32);
    plexus_io::write(&sb.path().join("stack.npy"), &volume).unwrap();
    sb.write(
        "p.toml",
        "[pipeline]\nname = \"jobs\"\n\n[input]\npath = \"stack.npy\"\nchunk = 3\n\n[[stage]]\nid = \"stats\"\nuse = \"trend.running_stats\"\n\n[[output]]\nfrom = \"stats\"\npath = \"out.npy\"\n",
    );
    let out = sb.run(&["run", "--json", "p.toml"]);
    assert!(out.status.success(), "{}", show(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &report["progress"];
    assert_eq!(p["chunks_total"], 14, "{report}");
    assert_eq!(p["chunks_done"], 14, "{report}");
    assert_eq!(p["bytes_total"], 40 * 16 * 16 * 4);
    assert_eq!(p["bytes_done"], 40 * 16 * 16 * 4);
}

#[test]
fn sigterm_cancels_the_job_and_what_was_read_is_written() {
    let sb = Sandbox::new();
    sb.write(
        "p.toml",
        "[pipeline]\nname = \"endless\"\n\n[[stage]]\nid = \"src\"\nuse = \"generator.stream\"\nparams = { count = 1000000, rate_hz = 1000.0, content = \"counter\" }\n\n[[output]]\nfrom = \"src\"\npath = \"out.npy\"\n",
    );
    let child =
        sb.cmd().args(["run", "--json", "p.toml"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    sb.wait_for_event(Duration::from_secs(20), |e| e["kind"] == "stage.started").expect("the job started");
    std::thread::sleep(Duration::from_millis(500));
    let _ = std::process::Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stopped by signal"), "{}", show(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let frames = report["stages"][0]["frames_out"].as_u64().unwrap();
    assert!(frames > 0 && frames < 1_000_000, "{report}");
    // Every frame sent was written, in order: frame i holds i.
    let written = plexus_io::read(&sb.path().join("out.npy")).unwrap();
    assert_eq!(written.shape()[0] as u64, frames);
    let v = written.to_f64_vec();
    assert!(v.iter().enumerate().all(|(i, &x)| x == i as f64));
    assert_eq!(sb.events_of("pipeline.finished").len(), 1);
}
