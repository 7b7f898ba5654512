//! Typed events on the real binary: a log written by plexus before typed
//! events reads back through `plexus events` unchanged, and a burst of
//! 50,000 plugin events reaches the log without a loss.

use plexus_e2e::{repo, show, Sandbox};

#[test]
fn a_log_written_before_typed_events_reads_back_unchanged() {
    let sb = Sandbox::new();
    let fixture = repo().join("tests/fixtures/events/v1.jsonl");
    let original = std::fs::read_to_string(&fixture).unwrap();
    let out = sb.run(&["events", "--json", "--file", fixture.to_str().unwrap()]);
    assert!(out.status.success(), "{}", show(&out));
    let read: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let want: Vec<serde_json::Value> = original.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(read, want, "every v1 line reads back as it was written");

    let out = sb.run(&["events", "--kind", "stage.switched", "--file", fixture.to_str().unwrap()]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert_eq!(table.lines().count(), 1, "{table}");
    assert!(table.contains("stage.switched") && table.contains("from=\"1.0.0\"") && table.contains("to=\"2.0.0\""));
}

#[test]
fn the_log_loses_no_event_of_a_burst() {
    let sb = Sandbox::new();
    // k = 0 flags every element but the exact mean: 65,536 findings, the
    // first 50,000 published as events within one call.
    sb.write(
        "p.toml",
        "[pipeline]\nname = \"burst\"\n\n[[stage]]\nid = \"src\"\nuse = \"generator.uniform\"\nparams = { shape = [256, 256] }\n\n[[stage]]\nid = \"z\"\nuse = \"anomaly.zscore\"\nparams = { k = 0.0, output = \"events\", max_events = 50000 }\n",
    );
    let out = sb.run(&["run", "--json", "p.toml"]);
    assert!(out.status.success(), "{}", show(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = report["results"]["z"]["anomalies"].as_u64().unwrap();
    let dropped = report["results"]["z"]["events_dropped"].as_u64().unwrap();
    assert_eq!(found - dropped, 50_000, "{report}");
    let logged = sb.events_of("anomaly");
    assert_eq!(logged.len(), 50_000);
    assert!(logged.iter().all(|e| e["stage"] == "z" && e["plugin"] == "anomaly" && e["pipeline"] == "burst"));
}
