//! Checkpoint and resume: a run killed with SIGKILL mid-way and restarted
//! with `--resume` ends bit-identical to an uninterrupted run, computing
//! again at most the chunks that were in flight; without `--resume` the
//! stale partial output is cleaned and the run starts over; a pipeline
//! that keeps state across chunks refuses to resume, saying why.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use plexus_e2e::{show, Sandbox};
use plexus_plugin_api::Array;

const CHUNKS: usize = 30;

fn pipeline(out: &str, log: &str, sleep_ms: u64, next: &str) -> String {
    format!(
        "[pipeline]\nname = \"resume\"\n\n[input]\npath = \"vol.npy\"\nchunk = 2\n\n[[stage]]\nid = \"trace\"\nuse = \"chunked.trace\"\nparams = {{ log = \"{log}\", sleep_ms = {sleep_ms} }}\n\n{next}\n[[output]]\nfrom = \"work\"\npath = \"{out}\"\n"
    )
}

const SMOOTH: &str =
    "[[stage]]\nid = \"work\"\nuse = \"geometry.correlate\"\nparams = { filter = \"gaussian5\", mode = \"nearest\" }\n";
const MEDIAN: &str = "[[stage]]\nid = \"work\"\nuse = \"chunked.median3\"\n";

fn setup(next: &str) -> Sandbox {
    let sb = Sandbox::new();
    sb.pack("chunked", "libtest_chunked.so", &sb.plugins().join("chunked"));
    let vol = Array::from_fn(vec![CHUNKS * 2, 48, 48], |i| ((i * 7919) % 1009) as f32);
    plexus_io::write(&sb.path().join("vol.npy"), &vol).unwrap();
    sb.write("p.toml", &pipeline("out.zarr", "trace.log", 80, next));
    sb.write("ref.toml", &pipeline("ref.zarr", "ref.log", 0, next));
    sb
}

/// Chunk offsets logged by `chunked.trace`.
fn traced(path: &Path) -> Vec<u64> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().next().and_then(|o| o.parse().ok()))
        .collect()
}

/// Starts `plexus run p.toml` and kills it (SIGKILL) once `n` chunks went
/// through `trace`; returns the offsets traced by then.
fn kill_after(sb: &Sandbox, n: usize) -> Vec<u64> {
    let mut child = sb
        .cmd()
        .args(["run", "--quiet", "--memory", "256KiB", "--threads", "2", "p.toml"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while traced(&sb.path().join("trace.log")).len() < n {
        assert!(started.elapsed() < Duration::from_secs(60), "the run never got {n} chunks in");
        assert!(child.try_wait().unwrap().is_none(), "the run ended before it could be killed");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    traced(&sb.path().join("trace.log"))
}

/// Files left in the sandbox whose names end with one of `suffixes`.
fn leftovers(sb: &Sandbox, suffixes: &[&str]) -> Vec<String> {
    std::fs::read_dir(sb.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| suffixes.iter().any(|s| n.ends_with(s)))
        .collect()
}

/// Chunks in flight at most, from `plexus check`.
fn in_flight(sb: &Sandbox) -> usize {
    let out = sb.run(&["check", "--memory", "256KiB", "--threads", "2", "p.toml"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.split(" chunk(s) in flight")
        .next()
        .and_then(|t| t.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{text}"))
}

fn same_output(sb: &Sandbox) {
    let out = sb.run(&["run", "--quiet", "ref.toml"]);
    assert!(out.status.success(), "{}", show(&out));
    let got = plexus_io::read(&sb.path().join("out.zarr")).unwrap();
    let want = plexus_io::read(&sb.path().join("ref.zarr")).unwrap();
    assert_eq!(got.shape(), want.shape());
    assert!(got.as_bytes() == want.as_bytes(), "the resumed output differs from an uninterrupted run");
}

#[test]
fn a_killed_run_resumed_is_bit_identical_and_redoes_only_chunks_in_flight() {
    let sb = setup(SMOOTH);
    let first = kill_after(&sb, 10);
    assert!(!sb.path().join("out.zarr").exists(), "nothing under the final name before the end");
    assert_eq!(leftovers(&sb, &[".partial", ".journal"]).len(), 2, "the partial store and its journal stay");

    let out = sb.run(&["run", "--json", "--resume", "--memory", "256KiB", "--threads", "2", "p.toml"]);
    assert!(out.status.success(), "{}", show(&out));
    let resumed = sb.events_of("job.resumed");
    assert_eq!(resumed.len(), 1, "{:#?}", sb.events());
    let done = resumed[0]["done"].as_u64().unwrap() as usize;
    assert_eq!(resumed[0]["total"], CHUNKS);
    let all = traced(&sb.path().join("trace.log"));
    let second = &all[first.len()..];
    assert_eq!(second.len(), CHUNKS - done, "the resumed run computed only the unfinished chunks");
    let twice = second.iter().filter(|o| first.contains(o)).count();
    let bound = in_flight(&sb);
    eprintln!(
        "killed after {} chunks: {done} finished, {twice} computed twice (at most {bound} in flight)",
        first.len()
    );
    assert!(twice <= bound, "{twice} chunks computed twice, more than the {bound} in flight");
    let mut every: Vec<u64> = all.clone();
    every.sort();
    every.dedup();
    assert_eq!(every.len(), CHUNKS, "every chunk was computed at least once");
    assert!(
        leftovers(&sb, &[".partial", ".journal"]).is_empty(),
        "no orphan: {:?}",
        leftovers(&sb, &[".partial", ".journal"])
    );
    same_output(&sb);
}

#[test]
fn a_halo_stage_resumed_gets_its_neighbours() {
    let sb = setup(MEDIAN);
    kill_after(&sb, 12);
    let out = sb.run(&["run", "--quiet", "--resume", "--memory", "256KiB", "--threads", "2", "p.toml"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(leftovers(&sb, &[".partial", ".journal"]).is_empty());
    same_output(&sb);
}

#[test]
fn without_resume_the_stale_partial_is_cleaned_and_the_run_starts_over() {
    let sb = setup(SMOOTH);
    let first = kill_after(&sb, 8);
    let out = sb.run(&["run", "--quiet", "--memory", "256KiB", "p.toml"]);
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(traced(&sb.path().join("trace.log")).len(), first.len() + CHUNKS, "every chunk again");
    assert!(leftovers(&sb, &[".partial", ".journal"]).is_empty());
    same_output(&sb);
}

#[test]
fn a_pipeline_with_state_across_chunks_refuses_to_resume() {
    let sb = setup(SMOOTH);
    sb.write(
        "stats.toml",
        "[pipeline]\nname = \"stats\"\n\n[input]\npath = \"vol.npy\"\n\n[[stage]]\nid = \"stats\"\nuse = \"trend.running_stats\"\n\n[[output]]\nfrom = \"stats\"\npath = \"s.zarr\"\n",
    );
    let out = sb.run(&["run", "--resume", "stats.toml"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "error: cannot resume\n  caused by: stage `stats` (`trend.running_stats`) keeps state across chunks, so skipping finished chunks would change its result; run without `--resume`"
    );
}

#[test]
fn serve_killed_mid_dataset_resumes_after_a_restart() {
    let sb = setup(SMOOTH);
    std::fs::create_dir_all(sb.path().join("pipelines")).unwrap();
    std::fs::create_dir_all(sb.path().join("incoming")).unwrap();
    std::fs::copy(sb.path().join("p.toml"), sb.path().join("pipelines/p.toml")).unwrap();
    let serve = |sb: &Sandbox| {
        sb.cmd()
            .args(["serve", "--pipelines", "pipelines", "--input", "incoming", "--output", "results"])
            .args(["--poll-ms", "100", "--memory", "256KiB", "--threads", "2"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut daemon = serve(&sb);
    std::fs::copy(sb.path().join("vol.npy"), sb.path().join(".vol.npy")).unwrap();
    std::fs::rename(sb.path().join(".vol.npy"), sb.path().join("incoming/vol.npy")).unwrap();
    let started = Instant::now();
    while traced(&sb.path().join("trace.log")).len() < 10 {
        assert!(started.elapsed() < Duration::from_secs(60), "the dataset never got going: {:#?}", sb.events());
        std::thread::sleep(Duration::from_millis(10));
    }
    daemon.kill().unwrap(); // SIGKILL
    daemon.wait().unwrap();
    let first = traced(&sb.path().join("trace.log"));

    let mut daemon = serve(&sb);
    let done = sb.wait_for_event(Duration::from_secs(60), |e| e["kind"] == "dataset.finished");
    super::watch::terminate(&mut daemon);
    assert!(done.is_some(), "the dataset never finished after the restart: {:#?}", sb.events());
    let all = traced(&sb.path().join("trace.log"));
    let twice = all[first.len()..].iter().filter(|o| first.contains(o)).count();
    assert!(twice <= in_flight(&sb), "{twice} chunks computed twice");
    assert!(all.len() < first.len() + CHUNKS, "the restart skipped the finished chunks");
    let out = sb.run(&["run", "--quiet", "ref.toml"]);
    assert!(out.status.success(), "{}", show(&out));
    let got = plexus_io::read(&sb.path().join("results/vol/p/out.zarr")).unwrap();
    let want = plexus_io::read(&sb.path().join("ref.zarr")).unwrap();
    assert!(got.as_bytes() == want.as_bytes(), "the resumed output differs from an uninterrupted run");
}
