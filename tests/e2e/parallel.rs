//! Stateless operators (`parallel = true`) run as several instances; their
//! outputs still come out in input order, and chunking does not change them.

use plexus_e2e::{show, Sandbox};
use plexus_plugin_api::Array;

#[test]
fn parallel_instances_keep_stream_order_for_any_chunking() {
    let sb = Sandbox::new();
    // 40 slices, each a distinct constant plus a gradient, so a reordering
    // or a mixed-up chunk shows.
    let volume = Array::from_fn(vec![40, 16, 16], |i| (i / 256) as f32 * 1000.0 + (i % 256) as f32);
    plexus_io::write(&sb.path().join("stack.npy"), &volume).unwrap();
    let mut outputs = Vec::new();
    for chunk in [1, 3, 7] {
        sb.write(
            "p.toml",
            &format!(
                "[pipeline]\nname = \"par\"\n\n[input]\npath = \"stack.npy\"\nchunk = {chunk}\n\n[[stage]]\nid = \"smooth\"\nuse = \"geometry.correlate\"\nparams = {{ filter = \"gaussian5\", mode = \"nearest\" }}\n\n[[output]]\nfrom = \"smooth\"\npath = \"out{chunk}.npy\"\n"
            ),
        );
        let out = sb.run(&["run", "--json", "--threads", "2", "p.toml"]);
        assert!(out.status.success(), "{}", show(&out));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["chunks"], (40 + chunk - 1) / chunk);
        let started = sb.events_of("stage.started");
        assert_eq!(started.last().unwrap()["instances"], 2, "the stage ran as two instances");
        outputs.push(plexus_io::read(&sb.path().join(format!("out{chunk}.npy"))).unwrap());
    }
    assert_eq!(outputs[0].shape(), &[40, 16, 16]);
    let first = outputs[0].to_f64_vec();
    for o in &outputs[1..] {
        assert_eq!(o.to_f64_vec(), first, "chunking changed the result");
    }
    // Each slice is smoothed on its own: its mean stays near its constant.
    for z in 0..40 {
        let mean: f64 = first[z * 256..(z + 1) * 256].iter().sum::<f64>() / 256.0;
        assert!((mean - (z as f64 * 1000.0 + 127.5)).abs() < 1.0, "slice {z} has mean {mean}");
    }
}
