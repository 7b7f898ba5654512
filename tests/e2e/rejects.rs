//! Refused plugins: another API major (declared by the manifest or built
//! into the artifact's root module), another ABI layout, a sha256 mismatch,
//! a truncated artifact, a duplicate name. Each is listed with its reason
//! and the host keeps working with the good plugins. A one-shot run
//! verifies and loads only the plugins its pipeline uses.

use std::os::unix::fs::FileExt;

use plexus_e2e::{show, Sandbox};
use serde_json::Value;

fn list(sb: &Sandbox) -> Value {
    let out = sb.run(&["plugins", "list", "--json"]);
    assert!(out.status.success(), "{}", show(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn reason_of<'a>(listing: &'a Value, folder: &str) -> &'a Value {
    listing["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["manifest"].as_str().unwrap().contains(&format!("plugins/{folder}/")))
        .unwrap_or_else(|| panic!("`{folder}` is not listed as rejected: {listing:#}"))
}

#[test]
fn api_1_root_module_is_refused_naming_both_majors() {
    let sb = Sandbox::new();
    // The manifest claims API 2; the root module says 1.0.0, as a plugin
    // built against plexus-plugin-api 1.x does.
    sb.pack("api-v1", "libtest_api_v1.so", &sb.plugins().join("api_v1"));
    let listing = list(&sb);
    let r = reason_of(&listing, "api_v1");
    assert_eq!(r["reason"], "api_mismatch");
    assert_eq!(
        r["message"],
        "plugin `api_v1` was built for plugin API 1, this host serves API 2; rebuild it against plexus-plugin-api 2.x"
    );
    let names: Vec<&str> = listing["plugins"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert!(!names.contains(&"api_v1"), "{names:?}");
}

#[test]
fn manifest_declaring_api_1_is_refused_before_loading() {
    let sb = Sandbox::new();
    // A loadable API-2 artifact whose manifest says `api = "1"`: refused
    // from the manifest alone, so the library is never mapped.
    let dir = sb.plugins().join("old_manifest");
    sb.pack("scale-v1", "libtest_scale_v1.so", &dir);
    let text = std::fs::read_to_string(dir.join("plugin.toml")).unwrap();
    assert!(text.contains("api = \"2\""), "{text}");
    std::fs::write(dir.join("plugin.toml"), text.replace("api = \"2\"", "api = \"1\"")).unwrap();
    let listing = list(&sb);
    let r = reason_of(&listing, "old_manifest");
    assert_eq!(r["reason"], "api_mismatch");
    assert_eq!(
        r["message"],
        "plugin `scale` was built for plugin API 1, this host serves API 2; rebuild it against plexus-plugin-api 2.x"
    );
    assert_eq!(listing["plugins"].as_array().unwrap().iter().filter(|p| p["name"] == "scale").count(), 0);
    let rejected = sb.events_of("plugin.rejected");
    assert!(rejected.iter().any(|e| e["reason"] == "api_mismatch"), "{rejected:?}");
}

#[test]
fn other_abi_layout_is_refused() {
    let sb = Sandbox::new();
    sb.pack("layout-mismatch", "libtest_layout_mismatch.so", &sb.plugins().join("layout"));
    let listing = list(&sb);
    let r = reason_of(&listing, "layout");
    assert_eq!(r["reason"], "layout_mismatch");
    let msg = r["message"].as_str().unwrap();
    assert!(
        msg.starts_with("plugin `layout_mismatch` was built against a plexus-plugin-api whose ABI layout differs"),
        "{msg}"
    );
    assert!(msg.len() < 400, "one short paragraph, not the layout report: {msg}");
}

#[test]
fn sha_mismatch_truncated_and_duplicate_are_refused_while_good_plugins_run() {
    let sb = Sandbox::new();
    // sha256 mismatch: the artifact changed after packing.
    let bad_sha = sb.plugins().join("bad_sha");
    sb.pack("scale-v1", "libtest_scale_v1.so", &bad_sha);
    let mut bytes = std::fs::read(bad_sha.join("libtest_scale_v1.so")).unwrap();
    bytes.extend_from_slice(b"tampered");
    std::fs::write(bad_sha.join("libtest_scale_v1.so"), &bytes).unwrap();

    // Truncated artifact whose manifest vouches for the truncated bytes: the
    // ELF check refuses it before `dlopen` (which could map segments the
    // file does not back, and die of SIGBUS when they run).
    let truncated = sb.path().join("staging-truncated");
    std::fs::create_dir_all(&truncated).unwrap();
    let full = std::fs::read(plexus_e2e::artifact("libtest_scale_v2.so")).unwrap();
    let cut = full.len() / 3;
    std::fs::write(truncated.join("libtest_scale_v2.so"), &full[..cut]).unwrap();
    let out = sb
        .cmd()
        .args(["plugins", "pack"])
        .arg(plexus_e2e::repo().join("tests/plugins/scale-v2/plugin.toml"))
        .arg("--artifact")
        .arg(truncated.join("libtest_scale_v2.so"))
        .arg("--out")
        .arg(sb.plugins().join("truncated"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));

    // A valid `faulty`, and a duplicate of it further down the search path.
    sb.pack("faulty", "libtest_faulty.so", &sb.plugins().join("a_faulty"));
    sb.pack("faulty", "libtest_faulty.so", &sb.plugins().join("b_faulty"));

    let listing = list(&sb);
    let r = reason_of(&listing, "bad_sha");
    assert_eq!(r["reason"], "sha256_mismatch");
    assert!(r["message"].as_str().unwrap().starts_with("sha256 mismatch: the manifest says "), "{r}");
    let r = reason_of(&listing, "truncated");
    assert_eq!(r["reason"], "load_failed");
    // The artifact in the plugin folder is named (not a private copy: none
    // was made), and the reason is the ELF check's own wording, which the
    // dynamic loader never uses.
    let artifact = sb.plugins().join("truncated/libtest_scale_v2.so");
    let msg = r["message"].as_str().unwrap();
    let expected = format!("cannot load `{}`: truncated at byte {cut}: ", artifact.display());
    assert!(msg.starts_with(&expected), "expected `{expected}…`, got `{msg}`");
    assert!(msg.contains("needs bytes up to") || msg.contains("headers end at byte"), "{msg}");
    let r = reason_of(&listing, "b_faulty");
    assert_eq!(r["reason"], "duplicate");
    assert!(r["message"].as_str().unwrap().starts_with("duplicate plugin `faulty`: `"), "{r}");
    let names: Vec<&str> = listing["plugins"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"faulty") && names.contains(&"trend"), "{names:?}");

    // The same host process still runs a pipeline with the good plugins.
    sb.write(
        "ok.toml",
        "[pipeline]\nname = \"ok\"\n\n[[stage]]\nid = \"src\"\nuse = \"generator.uniform\"\nparams = { shape = [8, 8], frames = 4 }\n\n[[stage]]\nid = \"pass\"\nuse = \"faulty.panicky\"\nparams = { every = 1000 }\n\n[[output]]\nfrom = \"pass\"\npath = \"ok.npy\"\n",
    );
    let out = sb.run(&["run", "ok.toml"]);
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(plexus_io::read(&sb.path().join("ok.npy")).unwrap().shape(), &[4, 8, 8]);
    // Every refusal is in the event log.
    let rejected = sb.events_of("plugin.rejected");
    for kind in ["sha256_mismatch", "load_failed", "duplicate"] {
        assert!(rejected.iter().any(|e| e["reason"] == kind), "no `{kind}` event in {rejected:?}");
    }
}

/// Appends bytes to a packed artifact, so that it no longer matches the
/// sha256 its manifest vouches for.
fn tamper(artifact: &std::path::Path) {
    let mut bytes = std::fs::read(artifact).unwrap();
    bytes.extend_from_slice(b"tampered");
    std::fs::write(artifact, &bytes).unwrap();
}

#[test]
fn a_run_verifies_and_loads_only_the_plugins_its_pipeline_uses() {
    let sb = Sandbox::new();
    // `scale` tampered after packing, and never used by the first run.
    sb.pack("scale-v1", "libtest_scale_v1.so", &sb.plugins().join("bad_scale"));
    tamper(&sb.plugins().join("bad_scale/libtest_scale_v1.so"));
    // `faulty` twice: the first copy on the search path is broken, so the
    // second one is used, as a full scan would choose.
    sb.pack("faulty", "libtest_faulty.so", &sb.plugins().join("a_faulty"));
    tamper(&sb.plugins().join("a_faulty/libtest_faulty.so"));
    sb.pack("faulty", "libtest_faulty.so", &sb.plugins().join("b_faulty"));
    sb.write(
        "ok.toml",
        "[pipeline]\nname = \"ok\"\n\n[[stage]]\nid = \"src\"\nuse = \"generator.uniform\"\nparams = { shape = [8, 8], frames = 2 }\n\n[[stage]]\nid = \"pass\"\nuse = \"faulty.panicky\"\nparams = { every = 1000 }\n\n[[output]]\nfrom = \"pass\"\npath = \"ok.npy\"\n",
    );
    let out = sb.run(&["run", "ok.toml"]);
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(plexus_io::read(&sb.path().join("ok.npy")).unwrap().shape(), &[2, 8, 8]);
    let mut loaded: Vec<String> =
        sb.events_of("plugin.loaded").iter().map(|e| e["plugin"].as_str().unwrap().to_string()).collect();
    loaded.sort();
    assert_eq!(loaded, ["faulty", "generator"], "only the plugins the pipeline uses are loaded");
    let faulty = sb.events_of("plugin.loaded").into_iter().find(|e| e["plugin"] == "faulty").unwrap();
    assert!(faulty["folder"].as_str().unwrap().ends_with("plugins/b_faulty"), "{faulty}");
    // The broken first copy of `faulty` was verified (it was a candidate) and
    // refused; the unused `scale` was never read.
    let rejected = sb.events_of("plugin.rejected");
    assert_eq!(rejected.len(), 1, "{rejected:#?}");
    assert_eq!(rejected[0]["reason"], "sha256_mismatch");
    assert!(rejected[0]["manifest"].as_str().unwrap().contains("plugins/a_faulty/"), "{rejected:#?}");

    // A pipeline that uses the tampered plugin: refused when first used,
    // the stage named, the reason in full.
    sb.write("bad.toml", "[pipeline]\nname = \"bad\"\n\n[[stage]]\nid = \"s\"\nuse = \"scale.scale\"\n");
    let out = sb.run(&["check", "bad.toml"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let manifest = sb.plugins().join("bad_scale/plugin.toml");
    let expected = format!(
        "stage `s`, key `use`: plugin `scale` (`{}`) was refused: sha256 mismatch: the manifest says ",
        manifest.display()
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains(&expected), "expected `{expected}…`: {}", show(&out));

    // `plugins list` still verifies everything it lists.
    let listing = list(&sb);
    assert_eq!(reason_of(&listing, "bad_scale")["reason"], "sha256_mismatch");
    assert_eq!(reason_of(&listing, "a_faulty")["reason"], "sha256_mismatch");
    let names: Vec<&str> = listing["plugins"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    for name in ["faulty", "generator", "geometry", "trend"] {
        assert!(names.contains(&name), "{name} not listed: {names:?}");
    }
}

/// `<dev>-<ino>` of a file: its entry in the verified-hash cache.
fn cache_entry(sb: &Sandbox, file: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::MetadataExt;
    let md = std::fs::metadata(file).unwrap();
    sb.path().join(".plexus/verified-sha256").join(format!("{}-{}", md.dev(), md.ino()))
}

#[test]
fn a_verified_hash_is_cached_by_stat_and_a_changed_file_is_hashed_again() {
    use std::os::unix::fs::MetadataExt;
    let sb = Sandbox::new();
    let folder = sb.plugins().join("scale");
    sb.pack("scale-v1", "libtest_scale_v1.so", &folder);
    let artifact = folder.join("libtest_scale_v1.so");
    let sha = std::fs::read_to_string(folder.join("plugin.toml"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("sha256 = \"").map(|s| s.trim_end_matches('"').to_string()))
        .unwrap();
    sb.write(
        "p.toml",
        "[pipeline]\nname = \"p\"\n\n[[stage]]\nid = \"src\"\nuse = \"generator.uniform\"\nparams = { shape = [4, 4], frames = 1 }\n\n[[stage]]\nid = \"s\"\nuse = \"scale.scale\"\n\n[[output]]\nfrom = \"s\"\npath = \"out.npy\"\n",
    );
    // Just written: its times have not settled, so its hash is not cached
    // (a write in the same clock tick could leave them unchanged).
    let out = sb.run(&["run", "p.toml"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(!cache_entry(&sb, &artifact).exists(), "a file changed within 2 s was cached");
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let out = sb.run(&["run", "p.toml"]);
    assert!(out.status.success(), "{}", show(&out));
    let entry = cache_entry(&sb, &artifact);
    let md = std::fs::metadata(&artifact).unwrap();
    let ns = |s: i64, n: i64| s as i128 * 1_000_000_000 + n as i128;
    let line = |size: u64, sha: &str| {
        format!("{size} {} {} {sha}\n", ns(md.mtime(), md.mtime_nsec()), ns(md.ctime(), md.ctime_nsec()))
    };
    assert_eq!(std::fs::read_to_string(&entry).unwrap(), line(md.len(), &sha));
    assert_eq!(std::fs::metadata(entry.parent().unwrap()).unwrap().mode() & 0o777, 0o700);

    // The same bytes changed in place (same size, same inode): its ctime
    // moves, the entry no longer matches, the file is hashed and refused.
    let mut bytes = std::fs::read(&artifact).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&artifact)
        .unwrap()
        .write_all_at(&bytes[mid..=mid], mid as u64)
        .unwrap();
    let out = sb.run(&["run", "p.toml"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("was refused: sha256 mismatch"), "{}", show(&out));

    // The cache is what vouched: an entry for the file as it is now, saying
    // the manifest's sha256, makes the changed file load without a hash
    // (which is why the cache folder is held to the plugin-folder rules).
    let md = std::fs::metadata(&artifact).unwrap();
    let now = format!("{} {} {} {sha}\n", md.len(), ns(md.mtime(), md.mtime_nsec()), ns(md.ctime(), md.ctime_nsec()));
    std::fs::write(&entry, now).unwrap();
    let out = sb.run(&["run", "p.toml"]);
    assert!(out.status.success(), "the cached hash was not used: {}", show(&out));
}
