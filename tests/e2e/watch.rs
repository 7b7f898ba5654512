//! A plugin written slowly, in pieces, into a watched folder never crashes
//! the watcher, and loads once complete.

use std::io::Write;
use std::process::{Child, Stdio};
use std::time::Duration;

use plexus_e2e::{artifact, Sandbox};

pub fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let _ = std::process::Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    for _ in 0..300 {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("the daemon did not exit within 15 s of SIGTERM");
}

pub fn start_serve(sb: &Sandbox) -> Child {
    for d in ["pipelines", "incoming", "results"] {
        std::fs::create_dir_all(sb.path().join(d)).unwrap();
    }
    sb.cmd()
        .args(["serve", "--pipelines", "pipelines", "--input", "incoming", "--output", "results", "--poll-ms", "100"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn slowly_written_plugin_loads_once_complete() {
    let sb = Sandbox::new();
    let mut daemon = start_serve(&sb);
    sb.wait_for_event(Duration::from_secs(20), |e| e["kind"] == "serve.started").expect("the daemon started");

    // Pack elsewhere to learn the manifest, then write it and the artifact
    // into the watched folder by hand: manifest first, artifact in pieces.
    let staging = sb.path().join("staging");
    sb.pack("scale-v1", "libtest_scale_v1.so", &staging);
    let dest = sb.plugins().join("scale");
    std::fs::create_dir_all(&dest).unwrap();
    // The artifact exists (empty) before the manifest names it: a scan
    // between the two would rightly report it missing, which is not what
    // this test is about.
    let mut f = std::fs::File::create(dest.join("libtest_scale_v1.so")).unwrap();
    std::fs::copy(staging.join("plugin.toml"), dest.join("plugin.toml")).unwrap();
    let bytes = std::fs::read(artifact("libtest_scale_v1.so")).unwrap();
    for piece in bytes.chunks(bytes.len() / 8 + 1) {
        f.write_all(piece).unwrap();
        f.flush().unwrap();
        std::thread::sleep(Duration::from_millis(250));
        assert!(daemon.try_wait().unwrap().is_none(), "the daemon died while the plugin was being written");
    }
    drop(f);

    let loaded = sb.wait_for_event(Duration::from_secs(10), |e| e["kind"] == "plugin.loaded" && e["plugin"] == "scale");
    assert!(loaded.is_some(), "`scale` never loaded: {:#?}", sb.events());
    assert!(daemon.try_wait().unwrap().is_none(), "the daemon is still serving");
    // Partial files were refused quietly: only as sha256 mismatches.
    for e in sb.events_of("plugin.rejected") {
        assert_eq!(e["reason"], "sha256_mismatch", "{e}");
    }
    assert!(terminate(&mut daemon).success());
}
