//! Wasm modules can really be dropped: 1,000 hot reloads through the
//! plugin-folder watcher (the path `plexus serve` takes), alternating two
//! artifacts so that every reload after the first two is a compiled-module
//! cache hit. Every reload must happen — the serving sha256 alternates and
//! the registry reports each one, in order — and resident memory stays
//! where it was.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use plexus_e2e::repo;
use plexus_plugin_api::{Array, ChunkKey, Frame};
use plexus_registry::{Registry, RegistryEvent, WasmPolicy};

/// How long one reload may take before the test gives up on it: a liveness
/// bound, far above the milliseconds a reload takes, so a loaded machine
/// cannot fail the test.
const RELOAD_PATIENCE: Duration = Duration::from_secs(20);

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn every_one_of_1000_watched_wasm_reloads_happens_and_memory_returns_to_its_level() {
    let dir = tempfile::tempdir().unwrap();
    let guests = super::wasm::c_guests();
    let a = std::fs::read(guests.join("example.wasm")).unwrap();
    // Same module plus a custom section: another sha256, another version.
    let mut b = a.clone();
    b.extend_from_slice(&[0, 4, 3, b'p', b'l', b'x']);
    let (wa, wb) = (dir.path().join("a.wasm"), dir.path().join("b.wasm"));
    std::fs::write(&wa, &a).unwrap();
    std::fs::write(&wb, &b).unwrap();
    let (sha_a, sha_b) = (plexus_registry::sha256_file(&wa).unwrap(), plexus_registry::sha256_file(&wb).unwrap());
    let plugins = dir.path().join("plugins");
    let folder = plugins.join("cexample");
    std::fs::create_dir_all(&plugins).unwrap();
    let manifest = repo().join("tests/plugins/wasm-c/example.toml");

    let registry = Arc::new(Registry::new(vec![plugins.clone()], dir.path().join("private")));
    registry.set_wasm_policy(WasmPolicy { cache_dir: Some(dir.path().join("cache")), ..WasmPolicy::default() });
    // Every install, in order: (was it a reload, sha256 now serving).
    let installs: Arc<Mutex<Vec<(bool, String)>>> = Arc::default();
    let removed = Arc::new(Mutex::new(0usize));
    {
        let (installs, removed) = (installs.clone(), removed.clone());
        registry.subscribe(move |e| match e {
            RegistryEvent::Loaded { sha256, .. } => installs.lock().unwrap().push((false, sha256.clone())),
            RegistryEvent::Reloaded { sha256, .. } => installs.lock().unwrap().push((true, sha256.clone())),
            RegistryEvent::Removed { .. } => *removed.lock().unwrap() += 1,
            _ => {}
        });
    }
    let _watcher = plexus_registry::watch(registry.clone(), Duration::from_millis(5)).unwrap();

    let frame = Frame::new("d", ChunkKey::stream(0)).with_array("x", Array::from_fn(vec![64, 64], |i| i as f64));
    let mut params = serde_json::Map::new();
    params.insert("factor".into(), 2.0.into());
    let reload = |i: usize| {
        let (art, sha) = if i.is_multiple_of(2) { (&wa, &sha_a) } else { (&wb, &sha_b) };
        // Packed in place, as a deploy does: artifact renamed in first, then
        // the manifest vouching for it. Only the watcher rescans.
        plexus_registry::pack(&manifest, art, &folder).unwrap();
        let started = Instant::now();
        let serving = loop {
            if let Ok(p) = registry.current("cexample") {
                if &p.sha256 == sha {
                    break p;
                }
            }
            assert!(started.elapsed() < RELOAD_PATIENCE, "reload {i}: the watcher never served sha256 {sha}");
            std::thread::sleep(Duration::from_millis(1));
        };
        let mut inst = serving.instantiate("scale", &params, 1).unwrap();
        let out = inst.process(&frame, 0).unwrap();
        assert_eq!(out.frames()[0].first().unwrap().as_slice::<f64>().unwrap()[3], 6.0);
    };
    for i in 0..100 {
        reload(i);
    }
    let before = rss_kib();
    let started = Instant::now();
    for i in 100..1100 {
        reload(i);
    }
    let per_reload = started.elapsed() / 1000;
    let after = rss_kib();
    eprintln!(
        "1000 watched wasm reloads: {per_reload:?} each (pack + watcher scan + cache-hit load + instantiate + one frame); RSS {before} KiB -> {after} KiB; live modules {}",
        plexus_registry::wasm::live_modules()
    );

    // Each pack was one install, none skipped or doubled: the first a load,
    // then 1,099 reloads whose sha256 alternates.
    let installs = installs.lock().unwrap();
    assert_eq!(installs.len(), 1100, "installs seen: {}", installs.len());
    for (i, (is_reload, sha)) in installs.iter().enumerate() {
        assert_eq!(*is_reload, i > 0, "install {i}");
        assert_eq!(sha, if i % 2 == 0 { &sha_a } else { &sha_b }, "install {i} serves the wrong artifact");
    }
    assert_eq!(*removed.lock().unwrap(), 0, "the plugin was never gone");
    assert!(plexus_registry::wasm::live_modules() <= 2, "old modules are dropped");
    assert!(after < before + 16 * 1024, "RSS grew from {before} KiB to {after} KiB over 1000 reloads");
}
