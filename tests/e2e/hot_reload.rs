//! Hot reload under load: 10,000 frames stream through `scale` while its
//! artifact is replaced (v1 doubles, v2 triples).

use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};

use plexus_e2e::{show, Sandbox};

const PIPELINE: &str = r#"
[pipeline]
name = "reload"

[[stage]]
id = "source"
use = "generator.stream"
params = { count = 10000, rate_hz = 2500.0, content = "counter" }

[[stage]]
id = "scale"
use = "scale.scale"

[[output]]
from = "scale"
path = "values.npy"
"#;

/// Replaces the plugin in `plugins/scale` the way an operator would: the new
/// files are packed elsewhere on the same filesystem and renamed in, the
/// artifact first and the manifest last.
fn replace(sb: &Sandbox, crate_dir: &str, artifact: &str) -> SystemTime {
    let staging = sb.path().join(format!("staging-{crate_dir}"));
    sb.pack(crate_dir, artifact, &staging);
    let dest = sb.plugins().join("scale");
    std::fs::rename(staging.join(artifact), dest.join(artifact)).unwrap();
    let at = SystemTime::now();
    std::fs::rename(staging.join("plugin.toml"), dest.join("plugin.toml")).unwrap();
    at
}

fn run_with_replacement(sb: &Sandbox, crate_dir: &str, artifact: &str) -> (Vec<f64>, serde_json::Value, SystemTime) {
    sb.pack("scale-v1", "libtest_scale_v1.so", &sb.plugins().join("scale"));
    sb.write("reload.toml", PIPELINE);
    let child = sb
        .cmd()
        .args(["run", "--watch-plugins", "--json", "reload.toml"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Let a good part of the stream go through v1 first.
    let started = Instant::now();
    sb.wait_for_event(Duration::from_secs(30), |e| e["kind"] == "stage.started" && e["stage"] == "scale")
        .expect("the pipeline started");
    std::thread::sleep(Duration::from_millis(1200).saturating_sub(started.elapsed()));
    let at = replace(sb, crate_dir, artifact);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let values = plexus_io::read(&sb.path().join("values.npy")).unwrap();
    assert_eq!(values.shape(), &[10000, 1]);
    (values.to_f64_vec(), report, at)
}

#[test]
fn every_frame_once_in_order_then_all_by_the_new_version() {
    let sb = Sandbox::new();
    let (values, report, renamed_at) = run_with_replacement(&sb, "scale-v2", "libtest_scale_v2.so");
    // Frame i carries i; v1 gives 2i, v2 gives 3i. Find the first frame v2 did.
    let first_v2 = (1..values.len()).find(|&i| values[i] == 3.0 * i as f64).expect("v2 processed frames");
    for (i, &v) in values.iter().enumerate() {
        let want = if i < first_v2 { 2.0 * i as f64 } else { 3.0 * i as f64 };
        assert_eq!(v, want, "frame {i}: the switch happened at frame {first_v2}");
    }
    assert!(first_v2 > 100 && first_v2 < 9900, "the switch should fall mid-stream, was at {first_v2}");
    let scale = &report["stages"][1];
    assert_eq!(scale["frames_in"], 10000);
    assert_eq!(scale["errors"], 0);
    assert_eq!(scale["versions"], serde_json::json!(["1.0.0", "2.0.0"]));
    // State moved with snapshot/restore: v2 counted v1's frames too.
    assert_eq!(report["results"]["scale"]["frames_seen"], 10000);
    assert_eq!(report["results"]["scale"]["last_version"], "2.0.0");

    let reloaded = sb.events_of("plugin.reloaded");
    assert_eq!(reloaded.len(), 1, "{reloaded:?}");
    let switched = sb.events_of("stage.switched");
    assert_eq!(switched.len(), 1);
    let t = humantime::parse_rfc3339(switched[0]["time"].as_str().unwrap()).unwrap();
    let latency = t.duration_since(renamed_at).unwrap_or_default();
    // Reported, not asserted: timing belongs in BENCHMARKS.md.
    eprintln!("hot reload: rename → first frame on v2: {:.1} ms", latency.as_secs_f64() * 1e3);
}

#[test]
fn a_version_that_fails_its_first_call_is_rolled_back() {
    let sb = Sandbox::new();
    let (values, report, _) = run_with_replacement(&sb, "scale-broken", "libtest_scale_broken.so");
    for (i, &v) in values.iter().enumerate() {
        assert_eq!(v, 2.0 * i as f64, "frame {i} must be processed by v1");
    }
    assert_eq!(report["errors"], 0, "no frame is lost to the failed version");
    let failed = sb.events_of("plugin.reload_failed");
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["reason"], "first_call_failed");
    assert_eq!(failed[0]["message"], "version 3.0.0 failed its first call: scale 3.0.0 is broken on purpose");
}
