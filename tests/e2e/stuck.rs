//! Stuck plugins and signals (issue 9, item 4): a native call past its
//! deadline fails its stage with a `timeout` error naming stage, plugin and
//! frame; SIGTERM and SIGINT end `plexus run` within the grace even while a
//! plugin busy-loops or sleeps, writing what finished (a resumable output
//! stays resumable) and a `stopped` event naming what was abandoned; under
//! `plexus serve` a stuck dataset does not hold the others, and SIGTERM
//! ends the daemon within the grace with `serve.stopped`. Every child runs
//! under a watchdog and is killed (and the test failed) if it outlives it;
//! before the fix each of these hit the watchdog.

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use plexus_e2e::{show, Sandbox};
use plexus_plugin_api::Array;

/// How long any child may run before the test calls it hung.
const WATCHDOG: Duration = Duration::from_secs(60);

fn setup() -> Sandbox {
    let sb = Sandbox::new();
    sb.pack("stuck", "libtest_stuck.so", &sb.plugins().join("stuck"));
    sb
}

/// Runs the command to its end under the watchdog.
fn run_bounded(cmd: &mut Command) -> Output {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn plexus");
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > WATCHDOG {
            let _ = child.kill();
            panic!("`plexus` still running after {WATCHDOG:?}: {:?}", child.wait_with_output());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Waits (under the watchdog) until `path` exists: the plugin is stuck.
fn wait_for_file(child: &mut Child, path: &Path) {
    let started = Instant::now();
    while !path.exists() {
        assert!(child.try_wait().unwrap().is_none(), "the run ended before its plugin got stuck");
        if started.elapsed() > WATCHDOG {
            let _ = child.kill();
            panic!("the plugin never got stuck (no `{}`)", path.display());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sends `signal` and waits for the exit; returns it and how long it took.
fn signal_and_wait(child: &mut Child, signal: &str) -> (ExitStatus, Duration) {
    let sent = Instant::now();
    let ok = Command::new("kill").arg(format!("-{signal}")).arg(child.id().to_string()).status().unwrap();
    assert!(ok.success());
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return (s, sent.elapsed());
        }
        if sent.elapsed() > WATCHDOG {
            let _ = child.kill();
            panic!("still running {WATCHDOG:?} after SIG{signal}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn stream_pipeline(stage: &str) -> String {
    format!(
        "[pipeline]\nname = \"stuck\"\n\n[[stage]]\nid = \"src\"\nuse = \"generator.stream\"\nparams = {{ count = 10, content = \"counter\" }}\n\n{stage}\n[[output]]\nfrom = \"slow\"\npath = \"kept.npy\"\n"
    )
}

#[test]
fn a_call_past_its_deadline_fails_the_stage_with_a_timeout_naming_stage_plugin_and_frame() {
    let sb = setup();
    // The host-wide default (`--call-timeout`), a busy loop with the
    // stage's `timeout_s`, the manifest's `timeout_s` (0.5 s).
    let cases = [
        ("[[stage]]\nid = \"slow\"\nuse = \"stuck.sleep\"\nparams = { at = 3 }\n", "stuck.sleep", "1s", "1s"),
        (
            "[[stage]]\nid = \"slow\"\nuse = \"stuck.spin\"\nparams = { at = 3 }\ntimeout_s = 0.5\n",
            "stuck.spin",
            "10m",
            "500ms",
        ),
        ("[[stage]]\nid = \"slow\"\nuse = \"stuck.sleepy\"\nparams = { at = 3 }\n", "stuck.sleepy", "10m", "500ms"),
    ];
    for (n, (stage, uses, flag, after)) in cases.into_iter().enumerate() {
        let file = format!("p{n}.toml");
        sb.write(&file, &stream_pipeline(stage));
        let out = run_bounded(sb.cmd().args(["run", "--json", "--threads", "1", "--call-timeout", flag, &file]));
        assert_eq!(out.status.code(), Some(2), "{uses}: {}", show(&out));
        let errors: Vec<_> = sb.events_of("stage.error").into_iter().filter(|e| e["stage"] == "slow").collect();
        let last = errors.last().expect("a stage error");
        assert_eq!(last["code"], "timeout", "{last}");
        assert_eq!(
            last["error"],
            format!(
                "timeout: stage `slow` (`{uses}`) did not return from frame 3 within {after}; the call was abandoned and the stage stopped"
            )
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["stages"][1]["errors"], 1, "{uses}: one stage error, no frame errors");
        // The frames before the stuck one were written, in order.
        let kept = plexus_io::read(&sb.path().join("kept.npy")).unwrap().to_f64_vec();
        assert_eq!(kept, vec![0.0, 1.0, 2.0], "{uses}");
        std::fs::remove_file(sb.path().join("kept.npy")).unwrap();
    }
    // A deadline that is no duration is refused before anything runs.
    sb.write("bad.toml", &stream_pipeline("[[stage]]\nid = \"slow\"\nuse = \"stuck.sleep\"\ntimeout_s = -1\n"));
    let out = sb.run(&["check", "bad.toml"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("stage `slow`, key `timeout_s`: expected a positive number of seconds, got -1"),
        "{}",
        show(&out)
    );
}

/// A chunked volume through a busy-looping stage: resumable output.
fn chunked(sb: &Sandbox) -> Array {
    let vol = Array::from_fn(vec![40, 16, 16], |i| ((i * 7919) % 1009) as f32);
    plexus_io::write(&sb.path().join("vol.npy"), &vol).unwrap();
    let marker = sb.path().join("stuck.marker");
    sb.write(
        "p.toml",
        &format!(
            "[pipeline]\nname = \"stuck\"\n\n[input]\npath = \"vol.npy\"\nchunk = 2\n\n[[stage]]\nid = \"busy\"\nuse = \"stuck.spin\"\nparams = {{ at = 5, marker = \"{}\" }}\n\n[[output]]\nfrom = \"busy\"\npath = \"out.npy\"\n",
            marker.display()
        ),
    );
    vol
}

#[test]
fn sigterm_ends_a_run_stuck_in_a_busy_loop_within_the_grace_and_what_finished_resumes() {
    let sb = setup();
    let vol = chunked(&sb);
    let mut child = sb
        .cmd()
        .args(["run", "--quiet", "--threads", "2", "--grace", "2s", "p.toml"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_file(&mut child, &sb.path().join("stuck.marker"));
    let (status, took) = signal_and_wait(&mut child, "TERM");
    let out = child.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(2), "{}", show(&out));
    // 2 s of grace; the margin is for a loaded machine, not a speed claim.
    assert!(took < Duration::from_secs(12), "SIGTERM took {took:?} to end the run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("abandoned: stage `busy` (`stuck.spin`) in frame 5 after "), "{stderr}");

    let stopped = sb.events_of("stopped");
    assert_eq!(stopped.len(), 1, "{:#?}", sb.events());
    let s = &stopped[0];
    assert_eq!(s["signal"], "SIGTERM");
    assert_eq!(s["pipeline"], "stuck");
    assert_eq!(s["grace_s"], 2.0);
    assert_eq!(s["outputs_closed"], true);
    assert_eq!(s["chunks_total"], 20);
    let abandoned = s["abandoned"].as_array().unwrap();
    assert_eq!(abandoned.len(), 1, "{s}");
    assert_eq!(abandoned[0]["stage"], "busy");
    assert_eq!(abandoned[0]["uses"], "stuck.spin");
    assert_eq!(abandoned[0]["seq"], 5);
    let errors = sb.events_of("stage.error");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["code"], "abandoned");
    assert_eq!(
        errors[0]["error"],
        "abandoned: stage `busy` (`stuck.spin`) was still in frame 5 when the signal's grace ran out"
    );

    // What finished stays as a partial output with its journal, and a
    // resumed run (the plugin no longer gets stuck: its marker exists)
    // computes the rest: the output is the input, passed through.
    assert!(!sb.path().join("out.npy").exists(), "an unfinished output never takes the final name");
    assert!(sb.path().join("out.npy.journal").exists());
    let out = run_bounded(sb.cmd().args(["run", "--json", "--resume", "--threads", "2", "p.toml"]));
    assert!(out.status.success(), "{}", show(&out));
    let resumed = sb.events_of("job.resumed");
    assert_eq!(resumed.len(), 1, "{:#?}", sb.events());
    assert!(resumed[0]["done"].as_u64().unwrap() >= 5, "frames 0-4 were finished before the signal: {}", resumed[0]);
    let got = plexus_io::read(&sb.path().join("out.npy")).unwrap();
    assert_eq!(got.shape(), vol.shape());
    assert!(got.as_bytes() == vol.as_bytes(), "the resumed output is the input");
}

#[test]
fn sigint_ends_a_run_stuck_in_a_sleep_and_keeps_the_finished_frames() {
    let sb = setup();
    let marker = sb.path().join("asleep");
    sb.write(
        "p.toml",
        &stream_pipeline(&format!(
            "[[stage]]\nid = \"slow\"\nuse = \"stuck.sleep\"\nparams = {{ at = 3, marker = \"{}\" }}\n",
            marker.display()
        ))
        .replace("count = 10", "count = 0"),
    );
    let mut child = sb
        .cmd()
        .args(["run", "--quiet", "--threads", "1", "--grace", "2s", "p.toml"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_file(&mut child, &marker);
    let (status, took) = signal_and_wait(&mut child, "INT");
    let out = child.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(2), "{}", show(&out));
    assert!(took < Duration::from_secs(12), "SIGINT took {took:?} to end the run");
    let s = &sb.events_of("stopped")[0];
    assert_eq!(s["signal"], "SIGINT");
    assert_eq!(s["outputs_closed"], true);
    assert_eq!(s["abandoned"][0]["stage"], "slow");
    assert_eq!(s["abandoned"][0]["seq"], 3);
    // The frames that finished before the sleep are the output.
    let kept = plexus_io::read(&sb.path().join("kept.npy")).unwrap().to_f64_vec();
    assert_eq!(kept, vec![0.0, 1.0, 2.0]);
}

#[test]
fn without_a_deadline_the_grace_still_ends_the_run_leaving_the_partial_output() {
    let sb = setup();
    chunked(&sb);
    // `--call-timeout off`: the call runs on the stage's own thread and
    // cannot be abandoned; the process ends at the grace all the same.
    let mut child = sb
        .cmd()
        .args(["run", "--quiet", "--threads", "1", "--grace", "1s", "--call-timeout", "off", "p.toml"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_file(&mut child, &sb.path().join("stuck.marker"));
    let (status, took) = signal_and_wait(&mut child, "TERM");
    let out = child.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(2), "{}", show(&out));
    assert!(took < Duration::from_secs(11), "SIGTERM took {took:?} to end the run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("stopped by signal (SIGTERM): the run did not wind down within the grace of 1s; "),
        "{stderr}"
    );
    let s = &sb.events_of("stopped")[0];
    assert_eq!(s["outputs_closed"], false);
    assert_eq!(s["abandoned"].as_array().unwrap().len(), 0, "an inline call cannot be abandoned: {s}");
    assert!(sb.path().join("out.npy.journal").exists(), "the journal stays for --resume");
}

#[test]
fn under_serve_a_stuck_dataset_does_not_hold_the_others_and_sigterm_ends_the_daemon() {
    let sb = setup();
    for d in ["pipelines", "incoming", "results"] {
        std::fs::create_dir_all(sb.path().join(d)).unwrap();
    }
    let marker = sb.path().join("a.stuck");
    sb.write(
        "pipelines/p.toml",
        &format!(
            "[pipeline]\nname = \"p\"\n\n[[stage]]\nid = \"busy\"\nuse = \"stuck.spin\"\nparams = {{ at = 0, dataset = \"a\", marker = \"{}\" }}\n\n[[output]]\nfrom = \"busy\"\npath = \"out.npy\"\n",
            marker.display()
        ),
    );
    let mut daemon = sb
        .cmd()
        .args(["serve", "--pipelines", "pipelines", "--input", "incoming", "--output", "results"])
        .args(["--poll-ms", "100", "--grace", "2s"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let img = Array::from_fn(vec![8, 8], |i| i as f32);
    plexus_io::write(&sb.path().join("incoming/a.npy"), &img).unwrap();
    wait_for_file(&mut daemon, &marker);
    plexus_io::write(&sb.path().join("incoming/b.npy"), &img).unwrap();
    let b = sb.wait_for_event(WATCHDOG, |e| e["kind"] == "dataset.finished" && e["dataset"] == "b");
    if b.is_none() {
        let _ = daemon.kill();
        panic!("dataset b never finished while a was stuck: {:#?}", sb.events());
    }
    assert_eq!(plexus_io::read(&sb.path().join("results/b/p/out.npy")).unwrap().to_f64_vec(), img.to_f64_vec());

    let (status, took) = signal_and_wait(&mut daemon, "TERM");
    assert_eq!(status.code(), Some(0));
    assert!(took < Duration::from_secs(12), "SIGTERM took {took:?} to end the daemon");
    let stopped = sb.events_of("serve.stopped");
    assert_eq!(stopped.len(), 1, "{:#?}", sb.events());
    let abandoned = stopped[0]["abandoned"].as_array().unwrap();
    assert_eq!(abandoned.len(), 1, "{}", stopped[0]);
    assert_eq!(abandoned[0]["stage"], "busy");
    assert_eq!(abandoned[0]["seq"], 0);
    // Dataset a was not finished: no done marker, so it runs after a restart.
    assert!(!sb.path().join("incoming/.a.npy.done").exists());
    assert!(sb.path().join("incoming/.b.npy.done").exists());
    assert!(sb.events_of("dataset.finished").iter().all(|e| e["dataset"] != "a"));
}
