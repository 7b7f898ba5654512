//! A plugin that panics on some frames: those frames become errors in the
//! event log, the rest go on, and the exit code says so.

use plexus_e2e::{show, Sandbox};

#[test]
fn panicking_frames_are_recorded_and_the_rest_go_on() {
    let sb = Sandbox::new();
    sb.pack("faulty", "libtest_faulty.so", &sb.plugins().join("faulty"));
    sb.write(
        "p.toml",
        r#"
[pipeline]
name = "faults"

[[stage]]
id = "src"
use = "generator.stream"
params = { count = 30, content = "counter" }

[[stage]]
id = "flaky"
use = "faulty.panicky"
params = { every = 3 }

[[output]]
from = "flaky"
path = "kept.npy"
"#,
    );
    let out = sb.run(&["run", "--json", "p.toml"]);
    assert_eq!(out.status.code(), Some(2), "partial success exits 2: {}", show(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["stages"][1]["frames_in"], 30);
    assert_eq!(report["stages"][1]["errors"], 10);
    let kept = plexus_io::read(&sb.path().join("kept.npy")).unwrap().to_f64_vec();
    let want: Vec<f64> = (0..30).filter(|i| i % 3 != 2).map(|i| i as f64).collect();
    assert_eq!(kept, want, "every frame but the cursed ones, in order");
    let errors = sb.events_of("frame.error");
    assert_eq!(errors.len(), 10);
    assert_eq!(errors[0]["stage"], "flaky");
    assert_eq!(errors[0]["seq"], 2);
    assert_eq!(errors[0]["error"], "operator panicked: frame 2 is cursed");
}
