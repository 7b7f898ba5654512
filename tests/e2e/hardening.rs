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
