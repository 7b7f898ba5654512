//! The daemon: every dataset dropped into the input folder runs through
//! every pipeline; one pipeline's failing frames do not stop another; and
//! SIGTERM loses no finished result.

use std::time::Duration;

use plexus_e2e::{show, Sandbox};
use plexus_plugin_api::Array;

use super::watch::{start_serve, terminate};

const GOOD: &str = r#"
[pipeline]
name = "stats"

[input]
path = "unused"
chunk = 1

[[stage]]
id = "stats"
use = "trend.running_stats"

[[output]]
from = "stats"
path = "copy.npy"
"#;

const FLAKY: &str = r#"
[pipeline]
name = "flaky"

[input]
path = "unused"
chunk = 1

[[stage]]
id = "flaky"
use = "faulty.panicky"
params = { every = 2 }

[[output]]
from = "flaky"
path = "kept.npy"
"#;

fn drop_dataset(sb: &Sandbox, name: &str, depth: usize) -> Vec<f64> {
    let a = Array::from_fn(vec![depth, 64, 64], |i| (i % 997) as f32);
    let staging = sb.path().join(format!(".{name}"));
    plexus_io::write(&staging, &a).unwrap();
    std::fs::rename(&staging, sb.path().join("incoming").join(name)).unwrap();
    a.to_f64_vec()
}

#[test]
fn datasets_run_through_every_pipeline_and_sigterm_loses_nothing() {
    let sb = Sandbox::new();
    sb.pack("faulty", "libtest_faulty.so", &sb.plugins().join("faulty"));
    sb.write("pipelines/stats.toml", GOOD);
    sb.write("pipelines/flaky.toml", FLAKY);
    let mut daemon = start_serve(&sb);

    let a = drop_dataset(&sb, "a.npy", 8);
    let done = sb.wait_for_event(Duration::from_secs(30), |e| e["kind"] == "dataset.finished" && e["dataset"] == "a");
    assert!(done.is_some(), "dataset `a` never finished: {:#?}", sb.events());

    // The good pipeline is untouched by the other one's panics.
    let copy = plexus_io::read(&sb.path().join("results/a/stats/copy.npy")).unwrap();
    assert_eq!(copy.shape(), &[8, 64, 64]);
    assert_eq!(copy.to_f64_vec(), a);
    let side: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sb.path().join("results/a/stats/copy.npy.json")).unwrap())
            .unwrap();
    assert_eq!(side["results"]["stats"]["count"], 8 * 64 * 64);
    let kept = plexus_io::read(&sb.path().join("results/a/flaky/kept.npy")).unwrap();
    assert_eq!(kept.shape(), &[4, 64, 64], "every other slice panicked");
    assert_eq!(sb.events_of("frame.error").len(), 4);

    // A second, larger dataset; SIGTERM as soon as it starts.
    let b = drop_dataset(&sb, "b.npy", 256);
    sb.wait_for_event(Duration::from_secs(30), |e| e["kind"] == "dataset.started" && e["dataset"] == "b")
        .expect("dataset `b` started");
    let status = terminate(&mut daemon);
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");

    // Nothing finished was lost: `a` is intact, and `b`, in flight at the
    // signal, was finished and written completely with its sidecar.
    assert_eq!(plexus_io::read(&sb.path().join("results/a/stats/copy.npy")).unwrap().to_f64_vec(), a);
    let b_out = plexus_io::read(&sb.path().join("results/b/stats/copy.npy"))
        .unwrap_or_else(|e| panic!("{e}: {:#?}", sb.events()));
    assert_eq!(b_out.to_f64_vec(), b);
    assert!(sb.path().join("results/b/stats/copy.npy.json").exists());
    assert_eq!(sb.events_of("serve.stopped").len(), 1, "{}", show_events(&sb));
}

fn show_events(sb: &Sandbox) -> String {
    let _ = show;
    format!("{:#?}", sb.events())
}
