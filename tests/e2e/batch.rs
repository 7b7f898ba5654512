//! A folder of images as a batch: each image is a frame in natural file
//! order; one unreadable image is reported and counted, the rest go on, and
//! the exit code says so.

use plexus_e2e::{show, Sandbox};
use plexus_plugin_api::Array;

#[test]
fn a_batch_folder_runs_image_by_image_and_reports_a_bad_file() {
    let sb = Sandbox::new();
    let dir = sb.path().join("shots");
    std::fs::create_dir_all(&dir).unwrap();
    // img2 must come before img10 (natural order), whatever the listing says.
    let mut all = Vec::new();
    for (name, k) in [("img10.png", 3u8), ("img2.png", 1), ("img3.png", 2)] {
        let a = Array::from_fn(vec![8, 8], |i| (i as u8).wrapping_mul(k));
        all.push((name, a.to_f64_vec()));
        plexus_io::write(&dir.join(name), &a).unwrap();
    }
    std::fs::write(dir.join("img4.png"), b"not a png at all").unwrap();
    sb.write(
        "p.toml",
        "[pipeline]\nname = \"batch\"\n\n[input]\npath = \"shots\"\n\n[[stage]]\nid = \"set\"\nuse = \"trend.set_stats\"\nparams = { batch = 2 }\n\n[[output]]\nfrom = \"set\"\npath = \"stack.npy\"\n",
    );
    let out = sb.run(&["run", "--json", "p.toml"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["chunks"], 3);
    assert_eq!(report["input_errors"], 1);
    assert_eq!(report["results"]["set"]["images"], 3);
    let errors = sb.events_of("input.error");
    assert_eq!(errors.len(), 1);
    assert!(errors[0]["file"].as_str().unwrap().ends_with("img4.png"), "{}", errors[0]);
    // Written in natural order: img2, img3, img10.
    let stack = plexus_io::read(&sb.path().join("stack.npy")).unwrap();
    assert_eq!(stack.shape(), &[3, 8, 8]);
    let v = stack.to_f64_vec();
    let expect: Vec<f64> = ["img2.png", "img3.png", "img10.png"]
        .iter()
        .flat_map(|n| all.iter().find(|(m, _)| m == n).unwrap().1.clone())
        .collect();
    assert_eq!(v, expect);
}
