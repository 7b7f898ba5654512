//! Helpers for the end-to-end tests: locate the built `plexus` binary and
//! plugin artifacts, make sandboxes, pack plugins, read events.
//!
//! These tests drive the real binary and real plugins, built by
//! `./plexus.sh test` (which builds the workspace in release mode first).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

/// `$CARGO_TARGET_DIR/release`, found from this test binary's location.
pub fn release_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    // .../release/deps/e2e-<hash>
    exe.parent().and_then(|p| p.parent()).expect("target layout").to_path_buf()
}

/// The `plexus` binary; fails loudly if it was not built.
pub fn plexus_bin() -> PathBuf {
    let bin = release_dir().join("plexus");
    assert!(bin.exists(), "`{}` is missing: run `./plexus.sh test`, which builds it first", bin.display());
    bin
}

/// A built artifact (`libtest_scale_v1.so`) in the release folder.
pub fn artifact(name: &str) -> PathBuf {
    let p = release_dir().join(name);
    assert!(p.exists(), "`{}` is missing: run `./plexus.sh test`, which builds it first", p.display());
    p
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("repo root").to_path_buf()
}

/// A scratch folder with its own `plugins/` (chosen through
/// `$PLEXUS_PLUGIN_PATH`: the working directory's `plugins/` is never
/// searched implicitly) and `PLEXUS_HOME`.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::Builder::new().prefix("plexus-e2e-").tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("plugins")).expect("plugins dir");
        Sandbox { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn plugins(&self) -> PathBuf {
        self.path().join("plugins")
    }

    /// `plexus` with this sandbox as working directory and state folder, and
    /// its `plugins/` as the plugin folder the operator chose.
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(plexus_bin());
        c.current_dir(self.path())
            .env("PLEXUS_HOME", self.path().join(".plexus"))
            .env("PLEXUS_PLUGIN_PATH", self.plugins())
            // Hermetic: never the developer's own config file.
            .env("PLEXUS_CONFIG", self.path().join("config.toml"));
        c
    }

    /// Runs `plexus args...` to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("spawn plexus")
    }

    /// Writes a file relative to the sandbox.
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path().join(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Packs test plugin crate `crate_dir` (under `tests/plugins/`) with
    /// artifact `artifact_name` into `dest`.
    pub fn pack(&self, crate_dir: &str, artifact_name: &str, dest: &Path) {
        let manifest = repo().join("tests/plugins").join(crate_dir).join("plugin.toml");
        let out = self
            .cmd()
            .args(["plugins", "pack"])
            .arg(&manifest)
            .arg("--artifact")
            .arg(artifact(artifact_name))
            .arg("--out")
            .arg(dest)
            .output()
            .expect("spawn plexus");
        assert!(out.status.success(), "pack failed: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// The events logged so far.
    pub fn events(&self) -> Vec<Value> {
        read_events(&self.path().join(".plexus/events.jsonl"))
    }

    /// Events of `kind`.
    pub fn events_of(&self, kind: &str) -> Vec<Value> {
        self.events().into_iter().filter(|e| e["kind"] == kind).collect()
    }

    /// Waits up to `timeout` until an event satisfies `pred`.
    pub fn wait_for_event(&self, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Option<Value> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Some(e) = self.events().into_iter().find(|e| pred(e)) {
                return Some(e);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Default for Sandbox {
    fn default() -> Self {
        Sandbox::new()
    }
}

/// Reads a JSON-lines event log (missing file: no events).
pub fn read_events(path: &Path) -> Vec<Value> {
    let Ok(text) = std::fs::read_to_string(path) else { return Vec::new() };
    text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

/// A child whose peak RSS is measured: the last `VmHWM` read from
/// `/proc/<pid>/status` while it runs, polled every 5 ms. (`ru_maxrss` from
/// `wait4` is not used: Linux folds the RSS of the forked image before
/// `exec` into it, which is the whole test process's.) `plexus run --json`
/// also reports its own `VmHWM` at the end of the run (`peak_rss_bytes`),
/// which covers the last moments a poll may miss; tests take the larger.
pub struct Measured {
    pid: libc::pid_t,
    child: Option<std::process::Child>,
    stdout: Option<std::thread::JoinHandle<Vec<u8>>>,
    stderr: Option<std::thread::JoinHandle<Vec<u8>>>,
    hwm: u64,
}

impl Measured {
    /// Starts `cmd` with its output captured.
    pub fn spawn(cmd: &mut Command) -> Measured {
        use std::io::Read;
        use std::process::Stdio;
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
        let drain = |mut pipe: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut v = Vec::new();
                let _ = pipe.read_to_end(&mut v);
                v
            })
        };
        let stdout = Some(drain(Box::new(child.stdout.take().expect("stdout"))));
        let stderr = Some(drain(Box::new(child.stderr.take().expect("stderr"))));
        Measured { pid: child.id() as libc::pid_t, child: Some(child), stdout, stderr, hwm: 0 }
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.pid as u32
    }

    /// Reads `VmHWM` now.
    pub fn sample(&mut self) {
        if let Ok(text) = std::fs::read_to_string(format!("/proc/{}/status", self.pid)) {
            if let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                self.hwm = self.hwm.max(kib * 1024);
            }
        }
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.pid.to_string()).status();
    }

    /// Waits for the exit (sampling meanwhile); the output and the peak RSS
    /// in bytes.
    pub fn finish(mut self) -> (Output, u64) {
        use std::os::unix::process::ExitStatusExt;
        let status = loop {
            self.sample();
            let mut status = 0;
            // SAFETY: `pid` is our child, which nothing else waits for;
            // `status` is a plain int wait4 fills.
            let r = unsafe { libc::wait4(self.pid, &mut status, libc::WNOHANG, std::ptr::null_mut()) };
            if r == self.pid {
                break status;
            }
            assert!(r == 0, "wait4 failed: {}", std::io::Error::last_os_error());
            std::thread::sleep(Duration::from_millis(5));
        };
        // Reaped here; `Child` must not wait for it again.
        std::mem::forget(self.child.take());
        let output = Output {
            status: std::process::ExitStatus::from_raw(status),
            stdout: self.stdout.take().and_then(|h| h.join().ok()).unwrap_or_default(),
            stderr: self.stderr.take().and_then(|h| h.join().ok()).unwrap_or_default(),
        };
        // `plexus run --json` reports its own peak at the end.
        let reported = serde_json::from_slice::<Value>(&output.stdout)
            .ok()
            .and_then(|v| v["peak_rss_bytes"].as_u64())
            .unwrap_or(0);
        (output, self.hwm.max(reported))
    }
}

/// Runs `cmd` to completion: its output and peak RSS in bytes ([`Measured`]).
pub fn run_with_peak_rss(cmd: &mut Command) -> (Output, u64) {
    Measured::spawn(cmd).finish()
}

/// stdout and stderr of a finished command, for assertion messages.
pub fn show(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
