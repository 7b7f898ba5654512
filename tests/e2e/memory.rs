//! A memory budget that holds: whatever the input size, a run's peak RSS
//! stays within `--memory` plus the fixed overhead `plexus check` states;
//! `plexus check` prints the plan; `plexus serve` reads a dataset once for
//! all its pipelines within one budget.

use std::path::Path;
use std::time::Duration;

use plexus_e2e::{run_with_peak_rss, show, Measured, Sandbox};
use plexus_plugin_api::Array;

const MIB: u64 = 1 << 20;

/// Writes a `[depth, 1024, 1024]` u16 NPY whose element `i` (flat) is
/// `i % 65521`, 16 slices at a time, so the test itself stays small.
fn write_stack(path: &Path, depth: usize) {
    let mut w = plexus_io::StackWriter::open(path, plexus_io::Format::Npy).unwrap();
    let slab = 16 * 1024 * 1024;
    for z in (0..depth).step_by(16) {
        let base = z * 1024 * 1024;
        w.append(&Array::from_fn(vec![16, 1024, 1024], |i| ((base + i) % 65521) as u16)).unwrap();
        assert!(base + slab <= depth * 1024 * 1024);
    }
    w.finish().unwrap();
}

/// Mean of `i % 65521` over `i < n`, exactly (in f64: the sums are below 2^53).
fn mean_of_pattern(n: u64) -> f64 {
    let (q, r) = (n / 65521, n % 65521);
    let full = 65520 * 65521 / 2;
    (q * full + r * (r - 1) / 2) as f64 / n as f64
}

/// The fixed overhead `plexus check` states, in bytes.
fn fixed_overhead(sb: &Sandbox, pipeline: &str) -> u64 {
    let out = sb.run(&["check", "--memory", "64MiB", pipeline]);
    assert!(out.status.success(), "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mib: f64 = text
        .split("fixed overhead ")
        .nth(1)
        .and_then(|t| t.split(" MiB").next())
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no fixed overhead in\n{text}"));
    (mib * MIB as f64) as u64
}

const STATS: &str = "[pipeline]\nname = \"stats\"\n\n[input]\npath = \"stack.npy\"\n\n[[stage]]\nid = \"stats\"\nuse = \"trend.running_stats\"\n\n[[stage]]\nid = \"hist\"\nuse = \"pattern.histogram\"\ninputs = []\n";

#[test]
fn a_1_gib_input_runs_within_a_64_mib_budget() {
    let sb = Sandbox::new();
    write_stack(&sb.path().join("stack.npy"), 512);
    sb.write("p.toml", STATS);
    let overhead = fixed_overhead(&sb, "p.toml");
    let (out, peak) = run_with_peak_rss(sb.cmd().args(["run", "--json", "--memory", "64MiB", "p.toml"]));
    assert!(out.status.success(), "{}", show(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let n = 512u64 * 1024 * 1024;
    let stats = &report["results"]["stats"];
    assert_eq!(stats["count"], n);
    // f64 sums of 2^29 integers below 2^16: exact in any order.
    assert_eq!(stats["mean"].as_f64().unwrap(), mean_of_pattern(n));
    assert_eq!(stats["min"].as_f64(), Some(0.0));
    assert_eq!(stats["max"].as_f64(), Some(65520.0));
    let counts: u64 = report["results"]["hist"]["counts"].as_array().unwrap().iter().map(|c| c.as_u64().unwrap()).sum();
    assert_eq!(counts, n);
    assert_eq!(report["progress"]["bytes_done"], 2 * n);
    eprintln!(
        "1 GiB input, --memory 64MiB: peak RSS {:.1} MiB (budget 64 MiB + overhead {} MiB)",
        peak as f64 / MIB as f64,
        overhead / MIB
    );
    assert!(peak <= 64 * MIB + overhead, "peak RSS {peak} bytes exceeds 64 MiB + {overhead}");
}

#[test]
fn check_prints_the_plan() {
    let sb = Sandbox::new();
    plexus_io::write(&sb.path().join("stack.npy"), &Array::zeros::<u16>(vec![64, 256, 256])).unwrap();
    sb.write("p.toml", STATS);
    let out = sb.run(&["check", "--memory", "4MiB", "--threads", "2", "p.toml"]);
    assert!(out.status.success(), "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let expect = [
        "plan:",
        // 256 × 256 u16 slices of 128 KiB; factor 1 + 0.1 + 0.1; two chunks fit.
        "chunks: 5 of 13 slice(s) along `z` (1.6 MiB each)",
        "memory: budget 4.0 MiB; a chunk weighs 2.0 MiB (memory factor 1.2); 2 chunk(s) in flight; estimated peak 3.9 MiB + fixed overhead 48.0 MiB",
        "spill: nothing goes to disk",
    ];
    for line in expect {
        assert!(lines.contains(&line), "expected the line\n  {line}\nin\n{text}");
    }
    assert!(
        lines.iter().any(
            |l| l.starts_with("input ") && l.ends_with("[64, 256, 256] u16 `z y x` (8.0 MiB): read chunk by chunk")
        ),
        "{text}"
    );

    // A format read whole says so, and that the estimate cannot hold.
    plexus_io::write(&sb.path().join("big.png"), &Array::zeros::<u16>(vec![2048, 2048])).unwrap();
    sb.write("png.toml", &STATS.replace("stack.npy", "big.png"));
    let out = sb.run(&["check", "--memory", "4MiB", "png.toml"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("(8.0 MiB): read whole (this format has no slab reads)"), "{text}");
    assert!(text.contains("chunks: one image, sent whole (8.0 MiB)"), "{text}");
    assert!(text.contains("warning: the estimate exceeds the budget: the input is read whole; one chunk weighs 9.6 MiB, more than the budget, and runs alone"), "{text}");
}

#[test]
fn serve_reads_a_dataset_once_for_four_pipelines_within_one_budget() {
    let sb = Sandbox::new();
    for d in ["pipelines", "incoming", "results"] {
        std::fs::create_dir_all(sb.path().join(d)).unwrap();
    }
    for i in 0..4 {
        sb.write(
            &format!("pipelines/p{i}.toml"),
            &format!("[pipeline]\nname = \"p{i}\"\n\n[input]\npath = \"unused\"\n\n[[stage]]\nid = \"stats\"\nuse = \"trend.running_stats\"\n"),
        );
    }
    sb.write("p.toml", STATS);
    plexus_io::write(&sb.path().join("stack.npy"), &Array::zeros::<u16>(vec![4, 4, 4])).unwrap();
    let overhead = fixed_overhead(&sb, "p.toml");
    let mut daemon = Measured::spawn(sb.cmd().args([
        "serve",
        "--pipelines",
        "pipelines",
        "--input",
        "incoming",
        "--output",
        "results",
        "--poll-ms",
        "100",
        "--memory",
        "64MiB",
    ]));
    let staging = sb.path().join(".stack.npy");
    write_stack(&staging, 256);
    std::fs::rename(&staging, sb.path().join("incoming/stack.npy")).unwrap();
    let mut finished = None;
    for _ in 0..3000 {
        daemon.sample();
        finished = sb.events_of("dataset.finished").into_iter().next();
        if finished.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    daemon.terminate();
    let (out, peak) = daemon.finish();
    assert!(out.status.success(), "{}", show(&out));
    let finished = finished.unwrap_or_else(|| panic!("the dataset never finished: {:#?}", sb.events()));
    let n = 256u64 * 1024 * 1024;
    assert_eq!(finished["bytes_read"], 2 * n, "read once for the four pipelines: {finished}");
    for i in 0..4 {
        assert_eq!(finished["pipelines"][format!("p{i}")]["errors"], 0, "{finished}");
    }
    let starts = sb.events_of("pipeline.started");
    assert_eq!(starts.len(), 4);
    eprintln!("serve, 4 pipelines on 512 MiB, --memory 64MiB: peak RSS {:.1} MiB", peak as f64 / MIB as f64);
    assert!(peak <= 64 * MIB + overhead, "peak RSS {peak} bytes exceeds 64 MiB + {overhead}");
}

#[test]
fn the_fixed_overhead_covers_a_run_on_a_tiny_input() {
    let sb = Sandbox::new();
    plexus_io::write(&sb.path().join("stack.npy"), &Array::zeros::<u16>(vec![1, 64, 64])).unwrap();
    sb.write("p.toml", STATS);
    let overhead = fixed_overhead(&sb, "p.toml");
    let (out, peak) = run_with_peak_rss(sb.cmd().args(["run", "--json", "p.toml"]));
    assert!(out.status.success(), "{}", show(&out));
    eprintln!(
        "a run on a 64 × 64 input: peak RSS {:.1} MiB (fixed overhead {} MiB)",
        peak as f64 / MIB as f64,
        overhead / MIB
    );
    assert!(peak <= overhead, "the binary, plugins and threads alone take {peak} bytes, more than {overhead}");
}
