//! HDF5 image sets (datasets "0", "1", … with attributes) as pipeline input,
//! split at N and odd/even.

use plexus_e2e::{show, Sandbox};
use plexus_plugin_api::Array;

#[test]
fn image_set_splits_feed_the_pipeline() {
    let sb = Sandbox::new();
    let images: Vec<Array> = (0..5).map(|k| Array::from_fn(vec![4, 6], move |i| (i + 100 * k) as u16)).collect();
    let attrs: Vec<plexus_io::Attributes> =
        (0..5).map(|k| serde_json::json!({ "label": format!("img{k}") }).as_object().unwrap().clone()).collect();
    plexus_io::write_image_set(&sb.path().join("set.h5"), &images, &attrs).unwrap();
    for (select, want) in
        [("odd", vec![1usize, 3]), ("even", vec![0, 2, 4]), ("first:2", vec![0, 1]), ("rest:2", vec![2, 3, 4])]
    {
        sb.write(
            "p.toml",
            &format!(
                "[pipeline]\nname = \"set\"\n\n[input]\npath = \"set.h5\"\nselect = \"{select}\"\n\n[[stage]]\nid = \"stats\"\nuse = \"trend.set_stats\"\n\n[[output]]\nfrom = \"stats\"\npath = \"picked.npy\"\n"
            ),
        );
        let out = sb.run(&["run", "--json", "p.toml"]);
        assert!(out.status.success(), "{select}: {}", show(&out));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["results"]["stats"]["images"], want.len(), "{select}");
        let picked = plexus_io::read(&sb.path().join("picked.npy")).unwrap();
        assert_eq!(picked.shape(), &[want.len(), 4, 6], "{select}");
        let expect: Vec<f64> = want.iter().flat_map(|&k| images[k].to_f64_vec()).collect();
        assert_eq!(picked.to_f64_vec(), expect, "{select}: the selected images, in order");
    }
    sb.write("bad.toml", "[pipeline]\nname = \"set\"\n\n[input]\npath = \"set.h5\"\nselect = \"half\"\n\n[[stage]]\nid = \"s\"\nuse = \"trend.set_stats\"\n");
    let out = sb.run(&["check", "bad.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("key `input.select`: expected all, odd, even, first:N or rest:N, got `half`"), "{e}");
}
