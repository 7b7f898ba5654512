//! Hardening (issue 9, items 5-11): outputs that never destroy data, paths
//! that stay where they are put, and failures reported as what they are.
//! Each test drives the real binary the way a careless or hostile user
//! would and fails on the code before its fix.

use std::time::Duration;

use plexus_e2e::{show, Sandbox};
use plexus_plugin_api::Array;

use super::watch::{start_serve, terminate};

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
    sb.write(
        "p.toml",
        &format!("[pipeline]\nname = \"p\"\n\n{SMOOTH}[[output]]\nfrom = \"smooth\"\npath = \"raw.npy\"\n"),
    );
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
    assert_line(
        &e,
        "key `plot[0].path`: `h.png` is also written by `output[2].path`: two outputs of one run cannot share a file",
    );

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

// Item 11: inspect says when a file cannot be read; error lines point to
// the event kind that holds the failure.

/// The chunks of a PNG: (offset, type, data length).
fn png_chunks(bytes: &[u8]) -> Vec<(usize, String, usize)> {
    let mut out = Vec::new();
    let mut at = 8;
    while at + 12 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        out.push((at, String::from_utf8_lossy(&bytes[at + 4..at + 8]).into_owned(), len));
        at += 12 + len;
    }
    out
}

#[test]
fn inspect_exits_non_zero_on_a_file_it_cannot_read() {
    let sb = Sandbox::new();
    let a = Array::from_fn(vec![32, 32], |i| (i % 256) as u8);
    plexus_io::write(&sb.path().join("good.png"), &a).unwrap();
    let good = std::fs::read(sb.path().join("good.png")).unwrap();
    let out = sb.run(&["inspect", "good.png"]);
    assert!(out.status.success(), "{}", show(&out));
    let (idat, _, len) = png_chunks(&good).into_iter().find(|c| c.1 == "IDAT").unwrap();

    // One flipped bit inside the image data: the header is intact, the CRC
    // is not.
    let mut flipped = good.clone();
    flipped[idat + 8 + len / 2] ^= 0x10;
    std::fs::write(sb.path().join("flipped.png"), &flipped).unwrap();
    let stored = u32::from_be_bytes(good[idat + 8 + len..idat + 12 + len].try_into().unwrap());
    let out = sb.run(&["inspect", "flipped.png"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let problem = format!(
        "chunk `IDAT` at byte {idat}: the stored CRC 0x{stored:08x} does not match its data; the file is damaged"
    );
    assert!(String::from_utf8_lossy(&out.stdout).ends_with(&format!("  cannot read: {problem}\n")), "{}", show(&out));
    assert_eq!(stderr_of(&out), format!("error: `flipped.png` cannot be read: {problem}\n"));

    // Cut inside the image data, and cut before IEND.
    std::fs::write(sb.path().join("cut.png"), &good[..idat + 8 + len / 2]).unwrap();
    let out = sb.run(&["inspect", "cut.png"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert_eq!(
        stderr_of(&out),
        format!(
            "error: `cut.png` cannot be read: truncated: chunk `IDAT` at byte {idat} ends at byte {}, the file has {}\n",
            idat + 12 + len,
            idat + 8 + len / 2
        )
    );
    let iend = png_chunks(&good).into_iter().find(|c| c.1 == "IEND").unwrap().0;
    std::fs::write(sb.path().join("noend.png"), &good[..iend]).unwrap();
    let out = sb.run(&["inspect", "noend.png"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert_eq!(
        stderr_of(&out),
        format!("error: `noend.png` cannot be read: truncated: the file ends at byte {iend} without the IEND chunk\n")
    );

    // A truncated NPY was described with "cannot read" and exit 0.
    plexus_io::write(&sb.path().join("full.npy"), &a).unwrap();
    let npy = std::fs::read(sb.path().join("full.npy")).unwrap();
    std::fs::write(sb.path().join("short.npy"), &npy[..npy.len() - 100]).unwrap();
    let out = sb.run(&["inspect", "short.npy"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("  cannot read: truncated: the data needs 1024 bytes"),
        "{}",
        show(&out)
    );
}

#[test]
fn a_missing_file_is_said_once() {
    let sb = Sandbox::new();
    let out = sb.run(&["inspect", "nothing.tif"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert_eq!(
        stderr_of(&out),
        "error: cannot inspect `nothing.tif`\n  caused by: `nothing.tif`: cannot open: No such file or directory (os error 2)\n"
    );
}

#[test]
fn error_lines_point_to_the_event_kind_of_the_failure() {
    let sb = Sandbox::new();
    raw_input(&sb, "in.npy");
    std::fs::create_dir_all(sb.path().join("out.npy.json/taken")).unwrap();
    sb.write("p.toml", &format!("[pipeline]\nname = \"p\"\n\n[input]\npath = \"in.npy\"\n\n{SMOOTH}[[output]]\nfrom = \"smooth\"\npath = \"out.npy\"\n"));
    let out = sb.run(&["run", "p.toml"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_line(&text, "1 output(s) could not be written; see `plexus events --kind output.failed`");
    assert_line(&text, "1 error(s) in all");
    assert!(!text.contains("frame.error"), "no frame failed: {text}");

    std::fs::create_dir_all(sb.path().join("shots")).unwrap();
    raw_input(&sb, "shots/a.npy");
    std::fs::write(sb.path().join("shots/b.npy"), b"not an npy").unwrap();
    sb.write(
        "b.toml",
        "[pipeline]\nname = \"b\"\n\n[input]\npath = \"shots\"\n\n[[stage]]\nid = \"set\"\nuse = \"trend.set_stats\"\n\n[[output]]\nfrom = \"set\"\npath = \"set.npy\"\n",
    );
    let out = sb.run(&["run", "b.toml"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_line(&text, "1 input file(s) could not be read; see `plexus events --kind input.error`");
    assert!(!text.contains("frame.error"), "no frame failed: {text}");
}

// Item 6: pipeline names, serve output folders, outputs inside the root.

/// A serve pipeline named `name` whose stage `use`s `op`, writing `file`.
fn serve_pipeline(name: &str, op: &str, file: &str) -> String {
    format!(
        "[pipeline]\nname = \"{name}\"\n\n[input]\npath = \"unused\"\n\n[[stage]]\nid = \"s\"\nuse = \"{op}\"\n\n[[output]]\nfrom = \"s\"\npath = \"{file}\"\n"
    )
}

fn drop_npy(sb: &Sandbox, name: &str, a: &Array) {
    let staging = sb.path().join(format!(".staging-{name}"));
    plexus_io::write(&staging, a).unwrap();
    std::fs::rename(&staging, sb.path().join("incoming").join(name)).unwrap();
}

#[test]
fn a_pipeline_name_with_separators_is_refused() {
    let sb = Sandbox::new();
    sb.write(
        "p.toml",
        &serve_pipeline("../../escaped", "trend.running_stats", "o.npy").replace("[input]\npath = \"unused\"\n", ""),
    );
    let out = sb.run(&["check", "p.toml"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert_line(
        &stderr_of(&out),
        "key `pipeline.name`: `../../escaped` is not a plain name: it names a folder, so it may hold no `/`, `\\` or control character and may not be `.` or `..`",
    );
}

#[test]
fn serve_keeps_two_pipelines_of_one_name_apart_and_writes_nothing_outside_its_output() {
    let sb = Sandbox::new();
    for d in ["pipelines", "incoming", "results", "elsewhere"] {
        std::fs::create_dir_all(sb.path().join(d)).unwrap();
    }
    sb.write("pipelines/copy.toml", &serve_pipeline("same", "trend.running_stats", "out.npy"));
    sb.write("pipelines/grad.toml", &serve_pipeline("same", "geometry.gradient", "out.npy"));
    sb.write("pipelines/escape.toml", &serve_pipeline("../../escaped", "trend.running_stats", "out.npy"));
    // A link planted where dataset `b`'s results would go.
    std::os::unix::fs::symlink(sb.path().join("elsewhere"), sb.path().join("results/b")).unwrap();
    let mut daemon = start_serve(&sb);
    let a = Array::from_fn(vec![16, 16], |i| ((i % 16) * (i / 16)) as f32);
    drop_npy(&sb, "a.npy", &a);
    let done = sb.wait_for_event(Duration::from_secs(30), |e| e["kind"] == "dataset.finished" && e["dataset"] == "a");
    let done = done.unwrap_or_else(|| panic!("dataset `a` never finished: {:#?}", sb.events()));
    drop_npy(&sb, "b.npy", &a);
    let done_b = sb.wait_for_event(Duration::from_secs(30), |e| e["kind"] == "dataset.finished" && e["dataset"] == "b");
    let done_b = done_b.unwrap_or_else(|| panic!("dataset `b` never finished: {:#?}", sb.events()));
    assert!(terminate(&mut daemon).success());

    // Each pipeline file has its own folder.
    let copy = plexus_io::read(&sb.path().join("results/a/copy/out.npy")).unwrap();
    assert_eq!(copy.to_f64_vec(), a.to_f64_vec());
    let grad = plexus_io::read(&sb.path().join("results/a/grad/out.npy")).unwrap();
    assert_ne!(grad.to_f64_vec(), a.to_f64_vec(), "the gradient is its own result");
    assert_eq!(done["pipelines"]["copy"]["errors"], 0, "{done}");
    assert_eq!(done["pipelines"]["grad"]["errors"], 0, "{done}");
    // The escaping name never loaded, and nothing was written above results.
    let failed = sb.events_of("pipeline.reload_failed");
    assert!(failed.iter().any(|e| e["file"].as_str().unwrap().ends_with("escape.toml")), "{failed:?}");
    assert!(!sb.path().join("escaped").exists() && !sb.path().parent().unwrap().join("escaped").exists());
    // Through the planted link: refused, nothing written there.
    let why = done_b["pipelines"]["copy"]["failed"].as_str().unwrap_or_else(|| panic!("{done_b}"));
    assert!(why.contains(", outside the output folder `"), "{why}");
    assert_eq!(std::fs::read_dir(sb.path().join("elsewhere")).unwrap().count(), 0, "nothing went through the link");
}

// Item 8: one image of another size in a batch folder.

#[test]
fn a_batch_image_of_another_size_is_reported_and_the_rest_written() {
    let sb = Sandbox::new();
    let dir = sb.path().join("shots");
    std::fs::create_dir_all(&dir).unwrap();
    let mut kept = Vec::new();
    // The odd one comes first: the batch's shape is the one most images share.
    plexus_io::write(&dir.join("img1.png"), &Array::from_fn(vec![8, 4], |i| i as u8)).unwrap();
    for k in 2..5u8 {
        let a = Array::from_fn(vec![8, 8], |i| (i as u8).wrapping_mul(k));
        kept.extend(a.to_f64_vec());
        plexus_io::write(&dir.join(format!("img{k}.png")), &a).unwrap();
    }
    sb.write(
        "p.toml",
        "[pipeline]\nname = \"batch\"\n\n[input]\npath = \"shots\"\n\n[[stage]]\nid = \"set\"\nuse = \"trend.set_stats\"\n\n[[output]]\nfrom = \"set\"\npath = \"stack.npy\"\n",
    );
    let out = sb.run(&["run", "--json", "p.toml"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["input_errors"], 1, "{report}");
    assert_eq!(report["errors"], 1, "only the odd image failed: {report}");
    assert!(report["outputs"][0]["error"].is_null(), "{report}");
    let errors = sb.events_of("input.error");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["file"], "img1.png");
    assert_eq!(
        errors[0]["error"],
        "shape [8, 4] u8 differs from the batch's [8, 8] u8 (3 of its 4 readable images): a batch stacks images of one shape and type"
    );
    let stack = plexus_io::read(&sb.path().join("stack.npy")).unwrap();
    assert_eq!(stack.shape(), &[3, 8, 8]);
    assert_eq!(stack.to_f64_vec(), kept);
}

// Item 9: batch inputs follow no link out of the folder; no event quotes a
// file's contents.

#[test]
fn a_batch_follows_no_link_out_of_its_folder_and_events_quote_no_contents() {
    let sb = Sandbox::new();
    let dir = sb.path().join("shots");
    std::fs::create_dir_all(&dir).unwrap();
    let a = Array::from_fn(vec![8, 8], |i| i as u8);
    plexus_io::write(&dir.join("a.png"), &a).unwrap();
    std::fs::write(sb.path().join("secret.txt"), "SECRET-token-1234\n").unwrap();
    plexus_io::write(&sb.path().join("outside.npy"), &Array::from_fn(vec![8, 8], |i| i as u8)).unwrap();
    std::os::unix::fs::symlink(sb.path().join("secret.txt"), dir.join("b.png")).unwrap();
    std::os::unix::fs::symlink("../outside.npy", dir.join("c.npy")).unwrap();
    std::os::unix::fs::symlink("a.png", dir.join("d.png")).unwrap(); // inside: followed
    std::fs::write(dir.join("f.png"), "SECRET-in-the-folder\n").unwrap(); // a text file named .png
    sb.write(
        "p.toml",
        "[pipeline]\nname = \"batch\"\n\n[input]\npath = \"shots\"\n\n[[stage]]\nid = \"set\"\nuse = \"trend.set_stats\"\n\n[[output]]\nfrom = \"set\"\npath = \"stack.npy\"\n",
    );
    let out = sb.run(&["run", "--json", "p.toml"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["input_errors"], 3, "{report}");
    let errors: Vec<(String, String)> = sb
        .events_of("input.error")
        .iter()
        .map(|e| (e["file"].as_str().unwrap().to_string(), e["error"].as_str().unwrap().to_string()))
        .collect();
    let out_of = "is a symbolic link that leads out of the batch folder: not followed".to_string();
    assert_eq!(errors[0], ("b.png".to_string(), out_of.clone()));
    assert_eq!(errors[1], ("c.npy".to_string(), out_of));
    assert_eq!(errors[2].0, "f.png");
    assert!(
        errors[2].1.ends_with("not a PNG file: expected the signature `89 50 4e 47 0d 0a 1a 0a`, found text"),
        "{}",
        errors[2].1
    );
    let log = std::fs::read_to_string(sb.path().join(".plexus/events.jsonl")).unwrap();
    assert!(!log.contains("SECRET") && !log.contains("53 45 43 52"), "an event quotes file contents:\n{log}");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("SECRET"));
    let stack = plexus_io::read(&sb.path().join("stack.npy")).unwrap();
    assert_eq!(stack.shape(), &[2, 8, 8], "a.png and the link to it inside the folder");
}

// Item 7: datasets wait for a valid pipeline; a failed reload is said once.

#[test]
fn serve_keeps_datasets_pending_until_a_pipeline_loads_and_reports_a_broken_file_once() {
    let sb = Sandbox::new();
    for d in ["pipelines", "incoming", "results"] {
        std::fs::create_dir_all(sb.path().join(d)).unwrap();
    }
    sb.write("pipelines/copy.toml", "[pipeline\nname = \"copy\"\n");
    let mut daemon = start_serve(&sb);
    sb.wait_for_event(Duration::from_secs(20), |e| e["kind"] == "serve.started").expect("the daemon started");
    let a = Array::from_fn(vec![16, 16], |i| i as f32);
    drop_npy(&sb, "a.npy", &a);
    sb.wait_for_event(Duration::from_secs(20), |e| e["kind"] == "dataset.pending" && e["dataset"] == "a")
        .unwrap_or_else(|| panic!("no dataset.pending: {:#?}", sb.events()));
    // Twenty polls with the broken file unchanged.
    std::thread::sleep(Duration::from_millis(2000));
    assert_eq!(sb.events_of("pipeline.reload_failed").len(), 1, "{:#?}", sb.events());
    assert_eq!(sb.events_of("dataset.pending").len(), 1);
    assert!(sb.events_of("dataset.finished").is_empty(), "nothing ran it: {:#?}", sb.events());

    sb.write("pipelines/copy.toml", &serve_pipeline("copy", "trend.running_stats", "out.npy"));
    let done = sb.wait_for_event(Duration::from_secs(20), |e| e["kind"] == "dataset.finished" && e["dataset"] == "a");
    let done = done.unwrap_or_else(|| panic!("dataset `a` never ran: {:#?}", sb.events()));
    assert!(terminate(&mut daemon).success());
    assert_eq!(done["pipelines"]["copy"]["errors"], 0, "{done}");
    assert_eq!(plexus_io::read(&sb.path().join("results/a/copy/out.npy")).unwrap().to_f64_vec(), a.to_f64_vec());
    assert_eq!(sb.events_of("pipeline.reload_failed").len(), 1);
}

/// `plexus plugins list | head -1` when `head` has already gone: every
/// write to stdout fails with a closed pipe. plexus ends as any Unix tool
/// does (by SIGPIPE, nothing on stderr), not with a panic about a failed
/// `println!`.
#[test]
fn a_closed_stdout_ends_the_command_without_a_panic() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;

    let sb = Sandbox::new();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = sb.cmd().args(["plugins", "list"]).stdout(Stdio::from(writer)).stderr(Stdio::piped()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{:?}: {stderr}", out.status);
}
