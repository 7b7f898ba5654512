//! Through a real loaded plugin: inputs reach the plugin as views of host
//! memory (the pointer it sees is the host's), outputs come back without a
//! copy, and instances survive panics.
//!
//! Needs the test plugins built (`./plexus.sh test` builds them first).

use std::path::PathBuf;
use std::sync::Arc;

use plexus_plugin_api::{Array, ChunkKey, Frame};
use plexus_registry::Registry;

fn release_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(|p| p.parent()).unwrap().to_path_buf()
}

fn registry_with_faulty() -> (tempfile::TempDir, Arc<Registry>) {
    let dir = tempfile::tempdir().unwrap();
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/plugins/faulty/plugin.toml");
    let artifact = release_dir().join("libtest_faulty.so");
    assert!(artifact.exists(), "`{}` missing: run ./plexus.sh test", artifact.display());
    plexus_registry::pack(&manifest, &artifact, &dir.path().join("plugins/faulty")).unwrap();
    let registry = Arc::new(Registry::new(vec![dir.path().join("plugins")], dir.path().join("loaded")));
    registry.scan();
    assert!(registry.rejected().is_empty(), "{:?}", registry.rejected());
    (dir, registry)
}

#[test]
fn plugin_sees_the_host_pointer_of_a_64_mib_input() {
    let (_dir, registry) = registry_with_faulty();
    let plugin = registry.current("faulty").unwrap();
    let mut op = plugin.instantiate("address", &Default::default(), 1).unwrap();
    let big = Array::zeros::<f32>(vec![16, 1024, 1024]);
    let host_ptr = big.as_bytes().as_ptr() as u64;
    let frame = Frame::new("d", ChunkKey::whole(16)).with_array("volume", big);
    let out = op.process(&frame, 0).unwrap();
    assert_eq!(out.results()["address"], host_ptr);
}

#[test]
fn forwarded_frames_and_panics() {
    let (_dir, registry) = registry_with_faulty();
    let plugin = registry.current("faulty").unwrap();
    let params = serde_json::json!({"every": 2}).as_object().unwrap().clone();
    let mut op = plugin.instantiate("panicky", &params, 1).unwrap();
    let frame = Frame::new("d", ChunkKey::whole(1)).with_array("x", Array::zeros::<u8>(vec![4]));
    assert!(op.process(&frame, 0).unwrap().forwards_input());
    assert_eq!(op.process(&frame, 1).unwrap_err().to_string(), "operator panicked: frame 1 is cursed");
    assert!(op.process(&frame, 2).is_ok(), "the instance keeps working after a caught panic");
    assert_eq!(registry.mapped_versions(), 1);
}
