//! Which native code the host trusts, and how it loads it (issue 9, items
//! 1-3): no implicit `plugins/` from the working directory; folders another
//! user could write to are refused with the reason; private copies live in a
//! fresh 0700 folder that is gone when the process ends and never follow a
//! planted symlink; artifacts and inputs that are not regular files (a FIFO,
//! a symlink to `/dev/zero`) are refused at once instead of hanging.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use plexus_e2e::{show, Sandbox};
use serde_json::Value;

/// How long a command that must not hang gets. Generous: the machine is
/// shared; a hang would last forever (a FIFO) or spin at 100% CPU.
const PROMPT: Duration = Duration::from_secs(60);

/// Runs `cmd` to completion, killing it and failing the test if it takes
/// longer than [`PROMPT`].
fn run_promptly(mut cmd: Command) -> Output {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn plexus");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > PROMPT {
            let _ = child.kill();
            let out = child.wait_with_output().expect("reap");
            panic!("plexus still ran after {PROMPT:?} (hung): {}", show(&out));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("collect output")
}

/// `plexus` in the sandbox with no plugin folder but the built-ins: what an
/// operator gets who chose none.
fn bare(sb: &Sandbox) -> Command {
    let mut c = sb.cmd();
    c.env_remove("PLEXUS_PLUGIN_PATH");
    c
}

/// Builds a C shared library whose ELF constructor creates `marker` when the
/// library is mapped: the smallest native code that runs on `dlopen`.
fn evil_library(dir: &Path, marker: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let src = dir.join("evil.c");
    std::fs::write(
        &src,
        "#include <fcntl.h>\n#include <unistd.h>\n\
         __attribute__((constructor)) static void plant(void) {\n\
         int fd = open(MARKER, O_CREAT | O_WRONLY, 0644);\n\
         if (fd >= 0) close(fd);\n}\n",
    )
    .unwrap();
    let lib = dir.join("libevil.so");
    let out = Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&lib)
        .arg(format!("-DMARKER=\"{}\"", marker.display()))
        .arg(&src)
        .output()
        .expect("cc (a C compiler is required, as for ./plexus.sh)");
    assert!(out.status.success(), "cc failed: {}", show(&out));
    std::fs::remove_file(&src).unwrap();
    lib
}

/// A native plugin folder holding the evil library with a manifest whose
/// sha256 matches it: everything a planted folder needs to be loaded.
fn plant_evil_plugin(folder: &Path, marker: &Path) {
    let lib = evil_library(folder, marker);
    let sha = plexus_registry::sha256_file(&lib).unwrap();
    std::fs::write(
        folder.join("plugin.toml"),
        format!(
            "[plugin]\nname = \"evil\"\nversion = \"0.1.0\"\napi = \"2\"\nkind = \"native\"\nartifact = \"libevil.so\"\nsha256 = \"{sha}\"\n\n[[operator]]\nname = \"noop\"\nsummary = \"looks harmless\"\npattern = \"frame\"\n"
        ),
    )
    .unwrap();
}

fn listing(out: &Output) -> Value {
    assert!(out.status.success(), "{}", show(out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", show(out)))
}

fn rejected_at<'a>(list: &'a Value, path: &Path) -> &'a Value {
    let path = path.to_str().unwrap();
    list["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["manifest"] == path)
        .unwrap_or_else(|| panic!("`{path}` is not listed as rejected: {list:#}"))
}

fn loaded_names(list: &Value) -> Vec<String> {
    list["plugins"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_string()).collect()
}

const CHECK_EVIL: &str = "[pipeline]\nname = \"any\"\n\n[[stage]]\nid = \"a\"\nuse = \"evil.noop\"\n";

// Item 1 -------------------------------------------------------------------

#[test]
fn a_plugins_folder_in_the_working_directory_runs_no_code() {
    let sb = Sandbox::new();
    let marker = sb.path().join("constructor-ran");
    plant_evil_plugin(&sb.plugins().join("evil"), &marker);
    sb.write("any.toml", CHECK_EVIL);

    let out = run_promptly({
        let mut c = bare(&sb);
        c.args(["check", "any.toml"]);
        c
    });
    assert!(!marker.exists(), "the constructor of `plugins/evil` in the working directory ran: {}", show(&out));
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("stage `a`, key `use`: no plugin `evil` is loaded"), "{}", show(&out));
    // Said once, so that a user of an older version knows where it went.
    let here = sb.plugins().canonicalize().unwrap();
    assert!(
        stderr.contains(&format!(
            "`{}` is not searched for plugins: native plugins run as you, so they come only from folders you choose; pass `--plugins plugins` to use it (docs/TRUST.md)",
            here.display()
        )),
        "{}",
        show(&out)
    );
    let list = listing(&bare(&sb).args(["plugins", "list", "--json"]).output().unwrap());
    assert!(!marker.exists());
    let cwd_plugins = sb.plugins().canonicalize().unwrap();
    for root in list["search_path"].as_array().unwrap() {
        let root = PathBuf::from(root.as_str().unwrap());
        assert_ne!(root.canonicalize().ok().as_ref(), Some(&cwd_plugins), "`./plugins` is searched: {list:#}");
    }

    // Control: the same folder, chosen by the operator, is loaded (the
    // library is native code, so its constructor runs; it is then refused
    // as not a plexus plugin). This is what the first half rules out.
    let out = run_promptly({
        let mut c = bare(&sb);
        c.args(["check", "any.toml", "--plugins", "plugins"]);
        c
    });
    assert!(marker.exists(), "the control did not load the planted library: {}", show(&out));
}

#[test]
fn a_plugin_folder_other_users_can_write_is_refused_saying_why() {
    let sb = Sandbox::new();
    let marker = sb.path().join("constructor-ran");
    let shared = sb.path().join("shared");
    plant_evil_plugin(&shared.join("evil"), &marker);
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();

    let list = listing(&run_promptly({
        let mut c = bare(&sb);
        c.args(["plugins", "list", "--json", "--plugins"]).arg(&shared);
        c
    }));
    assert!(!marker.exists(), "native code from a world-writable folder was mapped");
    assert!(!loaded_names(&list).contains(&"evil".to_string()));
    let r = rejected_at(&list, &shared);
    assert_eq!(r["reason"], "untrusted");
    let s = shared.display();
    assert_eq!(
        r["message"],
        format!(
            "plugin folder `{s}` is refused: `{s}` is writable by group and others (mode 0777), so another user could plant code in it; fix with `chmod go-w {s}`"
        )
    );

    // Writable by the group only: refused too; the text output says so.
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o775)).unwrap();
    let out = run_promptly({
        let mut c = bare(&sb);
        c.env("PLEXUS_PLUGIN_PATH", &shared).args(["plugins", "list"]);
        c
    });
    assert!(out.status.success(), "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "  {s}: plugin folder `{s}` is refused: `{s}` is writable by group (mode 0775), so another user could plant code in it; fix with `chmod go-w {s}`"
        )),
        "{}",
        show(&out)
    );
    assert!(!marker.exists());

    // A plugin's own folder inside a good root: refused the same way.
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).unwrap();
    let evil = shared.join("evil");
    std::fs::set_permissions(&evil, std::fs::Permissions::from_mode(0o757)).unwrap();
    let list = listing(&run_promptly({
        let mut c = bare(&sb);
        c.args(["plugins", "list", "--json", "--plugins"]).arg(&shared);
        c
    }));
    let r = rejected_at(&list, &evil.join("plugin.toml"));
    let e = evil.display();
    assert_eq!(
        r["message"],
        format!(
            "plugin folder `{e}` is refused: `{e}` is writable by others (mode 0757), so another user could plant code in it; fix with `chmod go-w {e}`"
        )
    );
    assert!(!marker.exists());
}

#[test]
fn a_plugin_folder_owned_by_another_user_is_refused_and_so_is_a_writable_parent() {
    let sb = Sandbox::new();
    let uid = std::fs::metadata(sb.path()).map(|m| std::os::unix::fs::MetadataExt::uid(&m)).unwrap();
    let marker = sb.path().join("constructor-ran");
    let theirs = sb.path().join("theirs");
    plant_evil_plugin(&theirs.join("evil"), &marker);
    // Only root can give a folder away; as another user the test would need
    // a second account, so it checks what it can.
    if uid == 0 {
        std::os::unix::fs::chown(&theirs, Some(4242), None).unwrap();
        let list = listing(&run_promptly({
            let mut c = bare(&sb);
            c.args(["plugins", "list", "--json", "--plugins"]).arg(&theirs);
            c
        }));
        let t = theirs.display();
        assert_eq!(
            rejected_at(&list, &theirs)["message"],
            format!(
                "plugin folder `{t}` is refused: `{t}` is owned by uid 4242, who is neither the current user (uid 0) nor root and could replace the code in it"
            )
        );
        assert!(!marker.exists());
        std::os::unix::fs::chown(&theirs, Some(0), None).unwrap();
    }

    // A parent another user can write to (and that is not sticky like /tmp)
    // lets them rename the folder away and put their own in its place.
    let parent = sb.path().join("open");
    std::fs::create_dir_all(&parent).unwrap();
    let inner = parent.join("plugins");
    std::fs::rename(&theirs, &inner).unwrap();
    std::fs::set_permissions(&parent, std::fs::Permissions::from_mode(0o777)).unwrap();
    let list = listing(&run_promptly({
        let mut c = bare(&sb);
        c.args(["plugins", "list", "--json", "--plugins"]).arg(&inner);
        c
    }));
    let (i, p) = (inner.display(), parent.display());
    assert_eq!(
        rejected_at(&list, &inner)["message"],
        format!(
            "plugin folder `{i}` is refused: `{p}` is writable by group and others (mode 0777), so another user could plant code in it; fix with `chmod go-w {p}`"
        )
    );
    assert!(!marker.exists());
}

#[test]
fn the_config_file_chooses_plugin_folders_unless_others_could_write_it() {
    let sb = Sandbox::new();
    sb.pack("scale-v1", "libtest_scale_v1.so", &sb.path().join("cfg-plugins/scale"));
    // Relative folders are relative to the config file, not the working
    // directory: run from elsewhere.
    let config = sb.write("etc/config.toml", "[plugins]\npath = [\"../cfg-plugins\"]\n");
    let elsewhere = sb.path().join("work");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let list_from = |dir: &Path| {
        let mut c = bare(&sb);
        c.current_dir(dir).env("PLEXUS_CONFIG", &config).args(["plugins", "list", "--json"]);
        run_promptly(c)
    };
    let out = list_from(&elsewhere);
    let list = listing(&out);
    assert!(loaded_names(&list).contains(&"scale".to_string()), "{list:#}");

    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = list_from(&elsewhere);
    let list = listing(&out);
    assert!(!loaded_names(&list).contains(&"scale".to_string()), "a world-writable config was used: {list:#}");
    let c = config.display();
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains(&format!("ignoring the config file `{c}`: `{c}` is writable by group and others (mode 0666)")),
        "{}",
        show(&out)
    );

    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(&config, "[plugins]\npaths = [\"x\"]\n").unwrap();
    let out = list_from(&elsewhere);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!("error: config file `{c}`: unknown field `paths`")),
        "{}",
        show(&out)
    );
}

// Item 2 -------------------------------------------------------------------

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

#[test]
fn private_copies_follow_no_planted_symlink_and_leave_nothing_in_tmpdir() {
    let sb = Sandbox::new();
    sb.pack("scale-v1", "libtest_scale_v1.so", &sb.plugins().join("scale"));
    // A library that maps but is no plexus plugin: loading fails after the
    // copy was made, the error path.
    plant_evil_plugin(&sb.plugins().join("evil"), &sb.path().join("constructor-ran"));
    let tmp = sb.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let victim = sb.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();

    // Plant what an attacker plants for a predictable name: the folders of
    // the next few hundred process ids, each with symlinks where the first
    // copies of `scale` used to be written (older hosts wrote
    // `$TMPDIR/plexus-loaded-<pid>/<name>-<version>-<sha12>-<pid>-<n>.so`).
    let m = std::fs::read_to_string(sb.plugins().join("scale/plugin.toml")).unwrap();
    let sha = m.split("sha256 = \"").nth(1).unwrap().get(..12).unwrap().to_string();
    let mut next = Command::new("true").spawn().unwrap();
    let base = next.id();
    next.wait().unwrap();
    for pid in base + 1..base + 400 {
        let d = tmp.join(format!("plexus-loaded-{pid}"));
        std::fs::create_dir(&d).unwrap();
        for n in 0..4 {
            std::os::unix::fs::symlink(&victim, d.join(format!("scale-1.0.0-{sha}-{pid}-{n}.so"))).unwrap();
        }
    }
    let planted = entries(&tmp);

    let env_cmd = |args: &[&str]| {
        let mut c = sb.cmd();
        c.env("TMPDIR", &tmp).args(args);
        c
    };
    // Normal exit.
    let list = listing(&run_promptly(env_cmd(&["plugins", "list", "--json"])));
    assert!(loaded_names(&list).contains(&"scale".to_string()), "{list:#}");
    let evil = list["rejected"].as_array().unwrap().iter().find(|r| r["name"] == "evil").expect("evil is rejected");
    assert_eq!(evil["reason"], "load_failed", "{evil}");
    // Error exit: a pipeline naming a plugin nobody has.
    sb.write("missing.toml", "[pipeline]\nname = \"m\"\n\n[[stage]]\nid = \"a\"\nuse = \"nosuch.op\"\n");
    let out = run_promptly(env_cmd(&["check", "missing.toml"]));
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));

    assert!(
        std::fs::read(&victim).unwrap() == b"precious",
        "a planted symlink was followed: the victim was overwritten"
    );
    assert_eq!(entries(&tmp), planted, "a private folder was left behind in TMPDIR (or a planted one removed)");
    for pid in base + 1..base + 400 {
        for n in 0..4 {
            let link = tmp.join(format!("plexus-loaded-{pid}/scale-1.0.0-{sha}-{pid}-{n}.so"));
            let target = std::fs::read_link(&link);
            assert_eq!(target.ok().as_ref(), Some(&victim), "planted symlink `{}` was replaced", link.display());
        }
    }
}

// Item 3 -------------------------------------------------------------------

fn mkfifo(path: &Path) {
    let out = Command::new("mkfifo").arg(path).output().expect("mkfifo");
    assert!(out.status.success(), "mkfifo failed: {}", show(&out));
}

/// A plugin folder whose manifest names `libodd.so`, left for the caller to
/// fill in.
fn odd_plugin(sb: &Sandbox, name: &str) -> PathBuf {
    let dir = sb.plugins().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("plugin.toml"),
        format!(
            "[plugin]\nname = \"{name}\"\nversion = \"0.1.0\"\napi = \"2\"\nkind = \"native\"\nartifact = \"libodd.so\"\nsha256 = \"{}\"\n\n[[operator]]\nname = \"op\"\nsummary = \"odd\"\npattern = \"frame\"\n",
            "0".repeat(64)
        ),
    )
    .unwrap();
    dir
}

#[test]
fn artifacts_that_are_not_regular_files_inside_the_folder_are_refused_promptly() {
    let sb = Sandbox::new();
    let fifo = odd_plugin(&sb, "fifo");
    mkfifo(&fifo.join("libodd.so"));
    let zero = odd_plugin(&sb, "zero");
    std::os::unix::fs::symlink("/dev/zero", zero.join("libodd.so")).unwrap();
    let escape = odd_plugin(&sb, "escape");
    std::os::unix::fs::symlink(plexus_e2e::artifact("libtest_scale_v1.so"), escape.join("libodd.so")).unwrap();
    let big = odd_plugin(&sb, "big");
    // Sparse: 257 MiB of nothing, one MiB over the cap.
    std::fs::File::create(big.join("libodd.so")).unwrap().set_len(257 << 20).unwrap();
    // A symlink that stays inside the plugin's folder is fine.
    let inside = sb.plugins().join("inside");
    sb.pack("scale-v1", "libtest_scale_v1.so", &inside);
    std::fs::create_dir(inside.join("build")).unwrap();
    std::fs::rename(inside.join("libtest_scale_v1.so"), inside.join("build/libtest_scale_v1.so")).unwrap();
    std::os::unix::fs::symlink("build/libtest_scale_v1.so", inside.join("libtest_scale_v1.so")).unwrap();

    let list = listing(&run_promptly({
        let mut c = sb.cmd();
        c.args(["plugins", "list", "--json"]);
        c
    }));
    assert!(loaded_names(&list).contains(&"scale".to_string()), "{list:#}");
    let at = |p: &Path| p.join("plugin.toml");
    let f = fifo.join("libodd.so");
    let r = rejected_at(&list, &at(&fifo));
    assert_eq!(r["reason"], "not_a_file");
    assert_eq!(
        r["message"],
        format!("artifact `{}` is not a regular file (it is a FIFO); plexus loads only regular files", f.display())
    );
    let r = rejected_at(&list, &at(&zero));
    assert_eq!(r["reason"], "outside_folder");
    assert_eq!(
        r["message"],
        format!(
            "artifact `{}` is a symlink to `/dev/zero`, outside its plugin folder `{}`",
            zero.join("libodd.so").display(),
            zero.display()
        )
    );
    let r = rejected_at(&list, &at(&escape));
    assert_eq!(r["reason"], "outside_folder");
    let r = rejected_at(&list, &at(&big));
    assert_eq!(r["reason"], "too_large");
    assert_eq!(
        r["message"],
        format!(
            "artifact `{}` is 257.0 MiB (269484032 bytes), over the 256 MiB cap on plugin artifacts",
            big.join("libodd.so").display()
        )
    );

    // `plexus plugins pack` of a FIFO does not hang either.
    let out = run_promptly({
        let mut c = sb.cmd();
        c.args(["plugins", "pack"]).arg(at(&fifo)).arg("--artifact").arg(&f).arg("--out").arg(sb.path().join("out"));
        c
    });
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a regular file (it is a FIFO)"), "{}", show(&out));
}

#[test]
fn a_fifo_as_input_is_refused_promptly_by_inspect_check_and_run() {
    let sb = Sandbox::new();
    let fifo = sb.path().join("frames.tif");
    mkfifo(&fifo);
    let expected = format!("`{}`: unsupported file type: it is a FIFO; plexus reads regular files", fifo.display());

    let out = run_promptly({
        let mut c = sb.cmd();
        c.arg("inspect").arg(&fifo);
        c
    });
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&expected), "{}", show(&out));

    sb.write(
        "p.toml",
        &format!(
            "[pipeline]\nname = \"f\"\n\n[input]\npath = \"{}\"\n\n[[stage]]\nid = \"s\"\nuse = \"trend.running_stats\"\n",
            fifo.display()
        ),
    );
    for cmd in ["check", "run"] {
        let out = run_promptly({
            let mut c = sb.cmd();
            c.args([cmd, "p.toml"]);
            c
        });
        // `check` still validates the pipeline and says nothing about the
        // input it cannot describe; `run` fails on it.
        if cmd == "run" {
            assert_eq!(out.status.code(), Some(1), "{}", show(&out));
            assert!(String::from_utf8_lossy(&out.stderr).contains(&expected), "{cmd}: {}", show(&out));
        }
    }
    // A symlink to /dev/zero as input: refused the same way, not read forever.
    let zero = sb.path().join("zero.npy");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let out = run_promptly({
        let mut c = sb.cmd();
        c.arg("inspect").arg(&zero);
        c
    });
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!(
            "`{}`: unsupported file type: it is a character device; plexus reads regular files",
            zero.display()
        )),
        "{}",
        show(&out)
    );
}
