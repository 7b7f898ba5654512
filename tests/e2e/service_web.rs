//! The web page at `/`, in a real browser: headless Chromium opens it with
//! the token in the URL fragment after a job has run over HTTP, and the
//! DOM it built must show the plugin, the job done (its state from the
//! job's event stream, which the page reads with `fetch()`), its output,
//! and a slice drawn to a canvas whose pixels are not all alike. A
//! screenshot is kept under `$CARGO_TARGET_DIR/test-artifacts/`.
//!
//! Chromium is Debian's `chromium`: installed here with apt-get when the
//! test runs as root and it is missing (or named by `$PLEXUS_CHROMIUM`);
//! without it the test fails and says how to get it.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use plexus_e2e::Sandbox;
use plexus_plugin_api::Array;
use serde_json::json;

use super::service_client::Server;

const PIPELINE: &str = "[pipeline]\nname = \"trace\"\n\n[input]\npath = \"unused\"\nchunk = 1\n\n[[stage]]\nid = \"trace\"\nuse = \"chunked.trace\"\nparams = { sleep_ms = 5 }\n\n[[output]]\nfrom = \"trace\"\npath = \"copy.npy\"\n";

/// How long one Chromium run may take before it is killed.
const BROWSER_LIMIT: Duration = Duration::from_secs(120);

#[test]
fn the_web_page_shows_the_plugin_the_finished_job_and_a_slice() {
    let chromium = chromium();
    let sb = Sandbox::new();
    sb.pack("chunked", "libtest_chunked.so", &sb.plugins().join("chunked"));
    sb.write("pipelines/trace.toml", PIPELINE);
    let s = Server::start(&sb, &["--threads", "1"]);

    // The page itself needs no token, and forbids remote scripts.
    let page = s.get_open("/");
    assert_eq!(page.status, 200, "{}", page.text());
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    let csp = page.header("content-security-policy").unwrap_or_else(|| panic!("no CSP: {:?}", page.headers));
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'sha256-"), "{csp}");
    assert!(!csp.contains("unsafe-inline") && !csp.contains("http"), "{csp}");

    let vol = Array::from_fn(vec![6, 24, 32], |i| (i * 7 % 1000) as u16);
    let p = sb.path().join("vol.npy");
    plexus_io::write(&p, &vol).unwrap();
    let ds = s.upload("vol.npy", &std::fs::read(&p).unwrap());
    let r = s.post_json("/v1/jobs", &json!({ "pipeline": "trace", "dataset": ds }));
    assert_eq!(r.status, 202, "{}", r.text());
    let job = r.json()["id"].as_str().unwrap().to_string();
    let done = s.wait_job(&job, Duration::from_secs(120));
    assert_eq!(done["state"], "done", "{done:#}");

    let url = format!("http://{}/#token={}", s.addr, s.token);
    let artifacts = plexus_e2e::release_dir().parent().expect("target dir").join("test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();

    // The DOM after the page's calls have been answered. Virtual time
    // stands still while fetches are open, so the budget is not spent
    // waiting on the server; a second, longer try covers a slow machine.
    let mut dom = String::new();
    for budget_ms in [10_000, 40_000] {
        dom = browse(&chromium, &sb, &[&format!("--virtual-time-budget={budget_ms}"), "--dump-dom", &url]);
        if drawn(&dom) && attr(&dom, "id=\"job\"", "data-state").as_deref() == Some("done") {
            break;
        }
    }
    let dom_file = artifacts.join("service_web.html");
    std::fs::write(&dom_file, &dom).unwrap();
    let status = element_text(&dom, "id=\"status\"");
    let why = format!("status line `{status}`; the DOM is in {}", dom_file.display());

    let box_state = attr(&dom, "id=\"job\"", "data-state");
    assert_eq!(box_state.as_deref(), Some("done"), "the job panel: {why}");
    assert_eq!(attr(&dom, "id=\"job\"", "data-id").as_deref(), Some(job.as_str()), "{why}");
    let events: u64 = attr(&dom, "id=\"job\"", "data-events").and_then(|v| v.parse().ok()).unwrap_or(0);
    assert!(events >= 1, "the job's state came from its event stream: {events} events; {why}");
    let row = format!("data-id=\"{job}\"");
    assert_eq!(attr(&dom, &row, "data-state").as_deref(), Some("done"), "the job's row: {why}");
    assert!(dom.contains("data-output=\"copy.npy\""), "the output is listed: {why}");
    assert!(dom.contains(&format!("data-url=\"/v1/jobs/{job}/outputs/copy.npy\"")), "its download: {why}");
    assert!(dom.contains("data-plugin=\"chunked\"") && dom.contains("1.0.0"), "the plugin and its version: {why}");
    assert_eq!(attr(&dom, &format!("data-id=\"{ds}\""), "data-selected").as_deref(), Some(""), "{why}");
    assert!(drawn(&dom), "the slice canvas: {:?}; {why}", element_tag(&dom, "id=\"slice\""));
    let (min, max) = canvas_range(&dom).unwrap();
    assert!(max > min, "the slice drawn is blank: pixels {min}..{max}; {why}");
    assert!(attr(&dom, "id=\"status\"", "data-error").is_none(), "the page reported an error: {why}");

    // What a person would see.
    let shot = sb.path().join("shot.png");
    browse(
        &chromium,
        &sb,
        &["--virtual-time-budget=10000", "--window-size=1280,900", &format!("--screenshot={}", shot.display()), &url],
    );
    assert!(shot.is_file(), "Chromium wrote no screenshot to {}", shot.display());
    let kept = artifacts.join("service_web.png");
    std::fs::copy(&shot, &kept).unwrap();
    println!("screenshot: {}", kept.display());
    let image = plexus_io::read(&shot).unwrap_or_else(|e| panic!("the screenshot {}: {e}", kept.display()));
    assert_eq!(&image.shape()[..2], &[900, 1280], "{}", kept.display());
    let px = image.as_bytes();
    let (lo, hi) = px.iter().fold((255u8, 0u8), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    assert!(hi > lo, "the screenshot {} is one colour", kept.display());
}

/// Whether the page drew the slice.
fn drawn(dom: &str) -> bool {
    attr(dom, "id=\"slice\"", "data-state").as_deref() == Some("drawn") && canvas_range(dom).is_some()
}

fn canvas_range(dom: &str) -> Option<(u32, u32)> {
    let get = |name| attr(dom, "id=\"slice\"", name).and_then(|v| v.parse().ok());
    Some((get("data-min")?, get("data-max")?))
}

/// The start tag holding `needle` (`id="job"`).
fn element_tag<'a>(dom: &'a str, needle: &str) -> Option<&'a str> {
    let at = dom.find(needle)?;
    let start = dom[..at].rfind('<')?;
    let end = at + dom[at..].find('>')?;
    Some(&dom[start..=end])
}

/// Attribute `name` of the element whose start tag holds `needle`.
fn attr(dom: &str, needle: &str, name: &str) -> Option<String> {
    let tag = element_tag(dom, needle)?;
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    let len = tag[at..].find('"')?;
    Some(tag[at..at + len].replace("&amp;", "&").replace("&quot;", "\""))
}

/// The text up to the next tag after the element holding `needle`.
fn element_text(dom: &str, needle: &str) -> String {
    let Some(at) = dom.find(needle) else { return String::new() };
    let rest = &dom[at..];
    let start = rest.find('>').map(|i| i + 1).unwrap_or(0);
    rest[start..].split('<').next().unwrap_or("").to_string()
}

/// Runs headless Chromium with a fresh profile on `args`; its stdout.
/// Killed with its whole process group if it takes longer than
/// [`BROWSER_LIMIT`].
fn browse(chromium: &Path, sb: &Sandbox, args: &[&str]) -> String {
    let profile = tempfile::Builder::new().prefix("chromium-").tempdir_in(sb.path()).unwrap();
    let out = sb.path().join("chromium.out");
    let err = sb.path().join("chromium.err");
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(args)
    .env("HOME", sb.path())
    .stdin(Stdio::null())
    .stdout(std::fs::File::create(&out).unwrap())
    .stderr(std::fs::File::create(&err).unwrap())
    // Its own process group, so a timeout ends its renderers and helpers
    // too, not only the browser process.
    .process_group(0);
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("starting {}: {e}", chromium.display()));
    let pgid = child.id() as i32;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > BROWSER_LIMIT {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // SAFETY: kill(2) on the process group this test made; it only
    // sends a signal.
    unsafe { libc::kill(-pgid, libc::SIGKILL) };
    let _ = child.wait();
    let stderr = std::fs::read_to_string(&err).unwrap_or_default();
    let tail: String =
        stderr.lines().rev().take(20).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
    match status {
        None => panic!("Chromium did not finish within {BROWSER_LIMIT:?} ({args:?}); its stderr ends:\n{tail}"),
        Some(s) if !s.success() => panic!("Chromium failed ({s}, {args:?}); its stderr ends:\n{tail}"),
        Some(_) => std::fs::read_to_string(&out).unwrap_or_default(),
    }
}

/// Chromium: `$PLEXUS_CHROMIUM`, else `/usr/bin/chromium`, installed with
/// apt-get when missing and this runs as root.
fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("PLEXUS_CHROMIUM") {
        let p = PathBuf::from(p);
        assert!(p.is_file(), "$PLEXUS_CHROMIUM names `{}`, which is not a file", p.display());
        return p;
    }
    let bin = PathBuf::from("/usr/bin/chromium");
    if bin.is_file() {
        return bin;
    }
    // SAFETY: geteuid(2) cannot fail and touches no memory.
    let root = unsafe { libc::geteuid() } == 0;
    let mut tried = String::from("not root, so not installed here");
    if root {
        let install = |args: &[&str]| {
            Command::new("apt-get")
                .args(args)
                .env("DEBIAN_FRONTEND", "noninteractive")
                .stdin(Stdio::null())
                .output()
                .map(|o| (o.status.success(), String::from_utf8_lossy(&o.stderr).into_owned()))
                .unwrap_or_else(|e| (false, format!("apt-get: {e}")))
        };
        let (mut ok, mut err) = install(&["install", "-y", "chromium"]);
        if !ok {
            // A fresh container often has no package lists yet.
            let _ = install(&["update"]);
            (ok, err) = install(&["install", "-y", "chromium"]);
        }
        tried = if ok { String::new() } else { format!("`apt-get install -y chromium` failed: {}", err.trim()) };
    }
    assert!(
        bin.is_file(),
        "this test needs headless Chromium at /usr/bin/chromium ({tried}): run `sudo apt-get install -y chromium` \
         (Debian; the package is `chromium`), or set PLEXUS_CHROMIUM=/path/to/chromium"
    );
    bin
}
