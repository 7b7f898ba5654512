//! Hardening (issue 9, items 5-11): outputs that never destroy data, paths
//! that stay where they are put, and failures reported as what they are.
//! Each test drives the real binary the way a careless or hostile user
//! would and fails on the code before its fix.

use plexus_e2e::{show, Sandbox};
use plexus_plugin_api::Array;

const SMOOTH: &str = "[[stage]]\nid = \"smooth\"\nuse = \"geometry.correlate\"\nparams = { filter = \"gaussian5\", mode = \"nearest\" }\n\n";

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_line(text: &str, line: &str) {
    assert!(text.lines().any(|l| l.trim() == line), "expected the line\n  {line}\nin\n{text}");
}

/// A u8 image whose bytes the tests compare before and after.
fn raw_input(sb: &Sandbox, name: &str) -> Vec<u8> {
    let a = Array::from_fn(vec![16, 16], |i| (i * 7 % 251) as u8);
    let p = sb.path().join(name);
    plexus_io::write(&p, &a).unwrap();
    std::fs::read(p).unwrap()
}

// Item 5: an output resolving to the input, or to another output.

#[test]
fn an_output_onto_its_input_is_refused_by_check_and_run() {
    let sb = Sandbox::new();
    let before = raw_input(&sb, "in.npy");
    std::os::unix::fs::symlink("in.npy", sb.path().join("link.npy")).unwrap();
    sb.write(
        "p.toml",
        &format!(
            "[pipeline]\nname = \"p\"\n\n[input]\npath = \"in.npy\"\n\n{SMOOTH}[[output]]\nfrom = \"smooth\"\npath = \"new/../in.npy\"\n\n[[output]]\nfrom = \"smooth\"\npath = \"link.npy\"\n\n[[output]]\nfrom = \"smooth\"\npath = \"ok.npy\"\n"
        ),
    );
    for cmd in ["check", "run"] {
        let out = sb.run(&[cmd, "p.toml"]);
        assert_eq!(out.status.code(), Some(1), "{cmd}: {}", show(&out));
        let e = stderr_of(&out);
        assert!(e.starts_with("error: `p.toml`: 2 problems"), "{cmd}: {e}");
        assert_line(
            &e,
            "key `output[0].path`: `new/../in.npy` is the input `in.npy`: an output never replaces its input; write it elsewhere",
        );
        assert_line(
            &e,
            "key `output[1].path`: `link.npy` is the input `in.npy`: an output never replaces its input; write it elsewhere",
        );
    }
    assert_eq!(std::fs::read(sb.path().join("in.npy")).unwrap(), before, "the input is untouched");
    assert!(!sb.path().join("ok.npy").exists(), "nothing ran");
    assert!(!sb.path().join("new").exists());
}

#[test]
fn an_input_given_by_flag_is_protected_too() {
    let sb = Sandbox::new();
    let before = raw_input(&sb, "raw.npy");
    sb.write("p.toml", &format!("[pipeline]\nname = \"p\"\n\n{SMOOTH}[[output]]\nfrom = \"smooth\"\npath = \"raw.npy\"\n"));
    let out = sb.run(&["run", "--input", "./raw.npy", "p.toml"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let input = sb.path().canonicalize().unwrap().join("raw.npy");
    assert_line(
        &stderr_of(&out),
        &format!(
            "key `output[0].path`: `raw.npy` is the input `{}`: an output never replaces its input; write it elsewhere",
            input.display()
        ),
    );
    assert_eq!(std::fs::read(sb.path().join("raw.npy")).unwrap(), before);
}

#[test]
fn two_outputs_onto_one_file_or_inside_the_input_folder_are_refused() {
    let sb = Sandbox::new();
    raw_input(&sb, "in.npy");
    std::fs::create_dir_all(sb.path().join("shots")).unwrap();
    let shot = raw_input(&sb, "shots/a.npy");
    sb.write(
        "p.toml",
        &format!(
            "[pipeline]\nname = \"p\"\n\n[input]\npath = \"in.npy\"\n\n{SMOOTH}[[output]]\nfrom = \"smooth\"\npath = \"out.tif\"\n\n[[output]]\nfrom = \"smooth\"\npath = \"./out.tif\"\n\n[[output]]\nfrom = \"smooth\"\npath = \"h.png\"\n\n[[plot]]\nfrom = \"smooth\"\nkind = \"histogram\"\npath = \"h.png\"\n"
        ),
    );
    let out = sb.run(&["check", "p.toml"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let e = stderr_of(&out);
    assert!(e.starts_with("error: `p.toml`: 2 problems"), "{e}");
    assert_line(&e, "key `output[1].path`: `./out.tif` is also written by `output[0].path`: two outputs of one run cannot share a file");
    assert_line(&e, "key `plot[0].path`: `h.png` is also written by `output[2].path`: two outputs of one run cannot share a file");

    // A batch folder is the input: an output inside it would replace or
    // join its images.
    sb.write(
        "b.toml",
        "[pipeline]\nname = \"b\"\n\n[input]\npath = \"shots\"\n\n[[stage]]\nid = \"set\"\nuse = \"trend.set_stats\"\n\n[[output]]\nfrom = \"set\"\npath = \"shots/a.npy\"\n",
    );
    let out = sb.run(&["run", "b.toml"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert_line(
        &stderr_of(&out),
        "key `output[0].path`: `shots/a.npy` lies inside the input folder `shots`: an output never goes into its input; write it elsewhere",
    );
    assert_eq!(std::fs::read(sb.path().join("shots/a.npy")).unwrap(), shot);
}

// Item 10: a sidecar that cannot be written fails its output.

#[test]
fn a_failed_sidecar_write_fails_the_run_and_leaves_no_partial() {
    let sb = Sandbox::new();
    raw_input(&sb, "in.npy");
    // Something already holds the sidecar's name: the rename onto it fails
    // after the partial was written, as a full disk fails the write.
    std::fs::create_dir_all(sb.path().join("out.npy.json/taken")).unwrap();
    sb.write("p.toml", &format!("[pipeline]\nname = \"p\"\n\n[input]\npath = \"in.npy\"\n\n{SMOOTH}[[output]]\nfrom = \"smooth\"\npath = \"out.npy\"\n\n[[output]]\nfrom = \"smooth\"\npath = \"fine.npy\"\n"));
    let out = sb.run(&["run", "--json", "p.toml"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let error = report["outputs"][0]["error"].as_str().unwrap();
    assert_eq!(
        error,
        "cannot write the sidecar `out.npy.json`: Is a directory (os error 21); the output is there, its results and provenance are not"
    );
    assert!(report["outputs"][0]["sidecar"].is_null());
    assert_eq!(report["errors"], 1);
    assert!(report["outputs"][1]["error"].is_null(), "the other output is unaffected");
    assert!(sb.path().join("fine.npy.json").is_file());
    let failed = sb.events_of("output.failed");
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["error"], error);
    assert!(plexus_io::read(&sb.path().join("out.npy")).is_ok(), "the output itself is kept");
    let left: Vec<_> = std::fs::read_dir(sb.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".partial"))
        .collect();
    assert!(left.is_empty(), "partials left: {left:?}");
}
