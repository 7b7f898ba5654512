//! Wasm modules can really be dropped: 1,000 hot reloads through the
//! registry (alternating two artifacts, so every reload after the first two
//! is a compiled-module cache hit) leave resident memory where it was, and
//! each reload plus a first frame takes milliseconds.

use std::time::Instant;

use plexus_e2e::repo;
use plexus_plugin_api::{Array, ChunkKey, Frame};
use plexus_registry::{Registry, WasmPolicy};

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn memory_returns_to_its_level_after_1000_wasm_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let guests = super::wasm::c_guests();
    let a = std::fs::read(guests.join("example.wasm")).unwrap();
    // Same module plus a custom section: another sha256, another version.
    let mut b = a.clone();
    b.extend_from_slice(&[0, 4, 3, b'p', b'l', b'x']);
    let (wa, wb) = (dir.path().join("a.wasm"), dir.path().join("b.wasm"));
    std::fs::write(&wa, &a).unwrap();
    std::fs::write(&wb, &b).unwrap();
    let plugins = dir.path().join("plugins");
    let manifest = repo().join("tests/plugins/wasm-c/example.toml");
    let registry = Registry::new(vec![plugins.clone()], dir.path().join("private"));
    registry.set_wasm_policy(WasmPolicy { cache_dir: Some(dir.path().join("cache")), ..WasmPolicy::default() });
    let frame = Frame::new("d", ChunkKey::stream(0)).with_array("x", Array::from_fn(vec![64, 64], |i| i as f64));
    let mut params = serde_json::Map::new();
    params.insert("factor".into(), 2.0.into());
    let reload = |i: usize| {
        let art = if i % 2 == 0 { &wa } else { &wb };
        // The packed folder is replaced as a whole, as a deploy would.
        let _ = std::fs::remove_dir_all(plugins.join("cexample"));
        plexus_registry::pack(&manifest, art, &plugins.join("cexample")).unwrap();
        registry.scan();
        let p = registry.current("cexample").unwrap();
        let mut inst = p.instantiate("scale", &params, 1).unwrap();
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
        "1000 wasm reloads: {per_reload:?} each (pack + scan + cache-hit load + instantiate + one frame); RSS {before} KiB -> {after} KiB; live modules {}",
        plexus_registry::wasm::live_modules()
    );
    assert!(plexus_registry::wasm::live_modules() <= 2, "old modules are dropped");
    assert!(after < before + 16 * 1024, "RSS grew from {before} KiB to {after} KiB over 1000 reloads");
    assert!(per_reload.as_millis() < 50, "a cached reload takes {per_reload:?}");
}
