//! Per-pipeline sandbox grants (issue 3): a wasm guest gets no WASI
//! capability unless its manifest asks for it and the pipeline stage grants
//! it — the clock, and read-only preopened folders (`cfiles`, a C guest).

use std::process::Command;

use plexus_e2e::{plexus_bin, repo, show, Sandbox};
use serde_json::Value;

use crate::wasm::c_guests;

/// A sandbox with `cfiles` and `cexample` packed, and a pipeline folder
/// `pipe/` holding `data/calib/dark.txt`, `data/secret.txt` and a symlink
/// `data/calib/link -> ../secret.txt`.
fn setup() -> Sandbox {
    let sb = Sandbox::new();
    for name in ["files", "example"] {
        let manifest = repo().join("tests/plugins/wasm-c").join(format!("{name}.toml"));
        let out = Command::new(plexus_bin())
            .args(["plugins", "pack"])
            .arg(&manifest)
            .arg("--artifact")
            .arg(c_guests().join(format!("{name}.wasm")))
            .arg("--out")
            .arg(sb.plugins().join(name))
            .current_dir(sb.path())
            .output()
            .expect("spawn plexus");
        assert!(out.status.success(), "pack failed: {}", show(&out));
    }
    sb.write("pipe/data/calib/dark.txt", "dark 42\n");
    sb.write("pipe/data/secret.txt", "top secret\n");
    std::os::unix::fs::symlink("../secret.txt", sb.path().join("pipe/data/calib/link")).unwrap();
    sb
}

const SRC: &str = r#"
[pipeline]
name = "grants"

[[stage]]
id = "src"
use = "generator.stream"
params = { count = 1, shape = [2] }
"#;

/// Runs `pipe/p.toml` (SRC + `stages`) from the sandbox root.
fn run(sb: &Sandbox, stages: &str) -> (std::process::Output, Value) {
    sb.write("pipe/p.toml", &format!("{SRC}{stages}"));
    let out = sb.run(&["run", "--json", "pipe/p.toml"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out, report)
}

fn stage(id: &str, uses: &str, params: &str, grants: &str) -> String {
    let grants = if grants.is_empty() { String::new() } else { format!("grants = {grants}\n") };
    format!("\n[[stage]]\nid = \"{id}\"\nuse = \"{uses}\"\ninputs = [\"src\"]\nparams = {params}\n{grants}")
}

#[test]
fn a_granted_folder_is_readable_relative_to_the_pipeline_file() {
    let sb = setup();
    let (out, report) =
        run(&sb, &stage("calib", "cfiles.read", r#"{ path = "data/calib/dark.txt" }"#, r#"{ read = ["data/calib"] }"#));
    assert!(out.status.success(), "{}", show(&out));
    let r = &report["results"]["calib"];
    assert_eq!(r["text"], "dark 42", "{report}");
    assert_eq!(r["size"], 8, "fseek/ftell to the end: {report}");
    assert_eq!(r["third"], b'r' as i64, "fseek back to byte 2 and fgetc: {report}");
    assert_eq!(r["stat_size"], 8, "stat through path_filestat_get: {report}");
    let started = sb.events_of("stage.started");
    let calib = started.iter().find(|e| e["stage"] == "calib").expect("calib started");
    assert_eq!(calib["grants"], serde_json::json!({ "clock": false, "read": ["data/calib"] }), "{calib}");
    assert!(started.iter().find(|e| e["stage"] == "src").unwrap().get("grants").is_none());

    let list = sb.run(&["plugins", "list", "--json"]);
    let doc: Value = serde_json::from_slice(&list.stdout).unwrap();
    let p = doc["plugins"].as_array().unwrap().iter().find(|p| p["name"] == "cfiles").unwrap().clone();
    assert_eq!(p["sandbox"]["requested"], serde_json::json!(["clock", "read"]));
    assert_eq!(p["sandbox"]["granted"], serde_json::json!(["clock", "read"]), "grantable by pipelines: {p}");
}

#[test]
fn without_the_grant_the_guest_gets_an_error_code_not_a_trap() {
    let sb = setup();
    let (out, report) = run(&sb, &stage("calib", "cfiles.read", r#"{ path = "data/calib/dark.txt" }"#, ""));
    assert_eq!(out.status.code(), Some(2), "the frame failed, the run went on: {}", show(&out));
    assert_eq!(report["stages"][1]["errors"], 1, "{report}");
    let errors = sb.events_of("frame.error");
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = errors[0]["error"].as_str().unwrap();
    assert!(e.starts_with("cannot open data/calib/dark.txt: "), "the guest's own error: {e}");
    assert!(!e.contains("trapped") && !e.contains("replaced"), "no trap, the instance was kept: {e}");

    // The raw call on the would-be preopen fd: EBADF (8), nothing is open.
    let (out, report) = run(&sb, &stage("raw", "cfiles.open", r#"{ path = "dark.txt" }"#, ""));
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(report["results"]["raw"]["errno"], 8, "{report}");
}

#[test]
fn escapes_and_writes_are_refused() {
    let sb = setup();
    let g = r#"{ read = ["data/calib"] }"#;
    let mut stages = String::new();
    for (id, params) in [
        ("inside", r#"{ path = "dark.txt" }"#),
        ("dotdot", r#"{ path = "../secret.txt" }"#),
        ("dotdot_deep", r#"{ path = "sub/../../secret.txt" }"#),
        ("absolute", r#"{ path = "/etc/passwd" }"#),
        ("symlink", r#"{ path = "link" }"#),
        ("write", r#"{ path = "new.txt", write = true }"#),
        ("other_fd", r#"{ path = "dark.txt", fd = 4 }"#),
    ] {
        stages.push_str(&stage(id, "cfiles.open", params, g));
    }
    stages.push_str(&stage("fopen_dotdot", "cfiles.read", r#"{ path = "data/calib/../secret.txt" }"#, g));
    stages.push_str(&stage("fopen_link", "cfiles.read", r#"{ path = "data/calib/link" }"#, g));
    stages.push_str(&stage("fopen_abs", "cfiles.read", r#"{ path = "/etc/passwd" }"#, g));
    let (out, report) = run(&sb, &stages);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let errno = |id: &str| report["results"][id]["errno"].as_i64();
    assert_eq!(errno("inside"), Some(0), "{report}");
    for id in ["dotdot", "dotdot_deep", "absolute", "symlink", "write"] {
        assert_eq!(errno(id), Some(76), "`{id}` must be ENOTCAPABLE: {report}");
    }
    assert_eq!(errno("other_fd"), Some(8), "only one folder was granted: {report}");
    assert!(!sb.path().join("pipe/data/calib/new.txt").exists(), "nothing was created");
    let errors = sb.events_of("frame.error");
    assert_eq!(errors.len(), 3, "the three fopen escapes fail their frame: {errors:?}");
    for e in &errors {
        let e = e["error"].as_str().unwrap();
        assert!(e.starts_with("cannot open "), "{e}");
        assert!(!e.contains("trapped"), "{e}");
        assert!(!e.contains("top secret"), "{e}");
    }
    for id in ["fopen_dotdot", "fopen_link", "fopen_abs"] {
        assert!(report["results"][id]["text"].is_null(), "`{id}` read nothing: {report}");
    }
}

#[test]
fn the_clock_is_denied_unless_granted() {
    let sb = setup();
    let mut stages = stage("granted", "cfiles.clock", "{}", "{ clock = true }");
    stages.push_str(&stage("asked_not_granted", "cfiles.clock", "{}", ""));
    stages.push_str(&stage("read_only", "cfiles.clock", "{}", r#"{ read = ["data"] }"#));
    let (out, report) = run(&sb, &stages);
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(report["results"]["granted"]["clock_errno"], 0, "{report}");
    assert_eq!(report["results"]["granted"]["after_2020"], true, "{report}");
    assert_eq!(report["results"]["asked_not_granted"]["clock_errno"], 76, "{report}");
    assert_eq!(report["results"]["read_only"]["clock_errno"], 76, "{report}");
}

fn check(sb: &Sandbox, stages: &str, env: &[(&str, &str)]) -> String {
    sb.write("pipe/p.toml", &format!("{SRC}{stages}"));
    let mut c = sb.cmd();
    c.args(["check", "pipe/p.toml"]);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("spawn plexus");
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_line(stderr: &str, line: &str) {
    assert!(stderr.lines().any(|l| l.trim() == line), "expected the line\n  {line}\nin\n{stderr}");
}

#[test]
fn check_refuses_grants_not_asked_for_missing_folders_and_native_plugins() {
    let sb = setup();
    let mut stages = stage("c", "cexample.scale", "{}", "{ clock = true }");
    stages.push_str(&stage(
        "f",
        "cfiles.read",
        r#"{ path = "x" }"#,
        r#"{ read = ["data/calib", "data/nope", "data/secret.txt"] }"#,
    ));
    stages.push_str(&stage("n", "trend.running_stats", "{}", "{ clock = true }"));
    let e = check(&sb, &stages, &[]);
    assert_line(&e, "stage `c`, key `grants.clock`: plugin `cexample` does not ask for the `clock` capability (its manifest's `[sandbox] capabilities` asks for nothing); a pipeline can grant only what the manifest asks for");
    assert_line(&e, "stage `f`, key `grants.read[1]`: folder `pipe/data/nope` does not exist");
    assert_line(&e, "stage `f`, key `grants.read[2]`: `pipe/data/secret.txt` is not a folder");
    assert_line(&e, "stage `n`, key `grants`: `trend` is a native plugin: it runs inside the host process with the host's rights, so sandbox grants mean nothing for it; remove `grants` (or use a wasm build of the plugin)");
    assert!(e.starts_with("error: `pipe/p.toml`: 4 problems"), "{e}");

    // Unknown keys in `grants` are refused by the parser.
    let e = check(&sb, &stage("f", "cfiles.read", r#"{ path = "x" }"#, r#"{ write = ["data"] }"#), &[]);
    assert!(e.contains("unknown field `write`, expected `clock` or `read`"), "{e}");

    // `PLEXUS_WASM_GRANT` is the host-wide ceiling on what pipelines may grant.
    let e = check(
        &sb,
        &stage("f", "cfiles.read", r#"{ path = "x" }"#, r#"{ clock = true, read = ["data"] }"#),
        &[("PLEXUS_WASM_GRANT", "clock")],
    );
    assert_line(&e, "stage `f`, key `grants.read`: the host does not allow `read` to be granted (`PLEXUS_WASM_GRANT` allows `clock`)");
    assert!(e.starts_with("error: `pipe/p.toml`: 1 problem"), "clock stays allowed: {e}");
}
