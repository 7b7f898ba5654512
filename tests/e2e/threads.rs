//! Every core, none oversubscribed: a stateless stage runs as several
//! instances over the chunks of a stream, a stage alone on one frame gets
//! every thread, and the calls running at once never hold more threads
//! than `--threads`, whatever the number of stages.

use plexus_e2e::{show, Sandbox};
use plexus_plugin_api::Array;

fn started(sb: &Sandbox, stage: &str) -> serde_json::Value {
    sb.events_of("stage.started").into_iter().rev().find(|e| e["stage"] == stage).unwrap()
}

#[test]
fn instances_and_threads_follow_the_chunks_and_never_exceed_the_budget() {
    let sb = Sandbox::new();
    sb.pack("chunked", "libtest_chunked.so", &sb.plugins().join("chunked"));
    plexus_io::write(&sb.path().join("stack.npy"), &Array::from_fn(vec![30, 8, 8], |i| i as f32)).unwrap();
    // Two stateless stages over a stream share three threads: two instances
    // and one; the calls at once never exceed three.
    sb.write(
        "p.toml",
        "[pipeline]\nname = \"t\"\n\n[input]\npath = \"stack.npy\"\nchunk = 1\n\n[[stage]]\nid = \"a\"\nuse = \"chunked.trace\"\nparams = { sleep_ms = 20 }\n\n[[stage]]\nid = \"b\"\nuse = \"chunked.trace\"\nparams = { sleep_ms = 20 }\n\n[[output]]\nfrom = \"b\"\npath = \"out.npy\"\n",
    );
    let out = sb.run(&["run", "--json", "--threads", "3", "p.toml"]);
    assert!(out.status.success(), "{}", show(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let peak = report["results"]["b"]["peak_concurrent"].as_u64().unwrap();
    assert!((2..=3).contains(&peak), "calls at once: {peak} (three instances in all share three threads)");
    let (a, b) = (started(&sb, "a"), started(&sb, "b"));
    assert_eq!((a["instances"].as_u64(), a["threads"].as_u64()), (Some(2), Some(1)), "{a}");
    assert_eq!((b["instances"].as_u64(), b["threads"].as_u64()), (None, Some(1)), "{b}");
    assert_eq!(
        plexus_io::read(&sb.path().join("out.npy")).unwrap().to_f64_vec(),
        (0..30 * 64).map(|i| i as f64).collect::<Vec<_>>()
    );

    // One frame: one instance with every thread.
    plexus_io::write(&sb.path().join("image.npy"), &Array::from_fn(vec![64, 64], |i| i as f32)).unwrap();
    sb.write("one.toml", &std::fs::read_to_string(sb.path().join("p.toml")).unwrap().replace("stack.npy", "image.npy"));
    let out = sb.run(&["run", "--json", "--threads", "3", "one.toml"]);
    assert!(out.status.success(), "{}", show(&out));
    let e = started(&sb, "a");
    assert_eq!((e["instances"].as_u64(), e["threads"].as_u64()), (None, Some(3)), "{e}");
}
