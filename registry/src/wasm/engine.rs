//! The one wasmtime [`Engine`] of the process and its clock: epoch
//! interruption, with a ticker thread that advances the epoch every
//! millisecond, so a call's deadline is a number of ticks.

use std::sync::OnceLock;
use std::time::Duration;

use wasmtime::{Config, Engine};

/// The wasmtime release this host embeds (part of the module cache key).
pub const WASMTIME_VERSION: &str = "48.0.8";

/// Epoch tick period: deadlines are counted in these.
pub(crate) const TICK: Duration = Duration::from_millis(1);

pub(crate) fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = Config::new();
        config.epoch_interruption(true);
        let engine = Engine::new(&config).expect("the wasmtime configuration is valid");
        let ticker = engine.weak();
        std::thread::Builder::new()
            .name("plexus-wasm-epoch".into())
            .spawn(move || loop {
                std::thread::sleep(TICK);
                match ticker.upgrade() {
                    Some(e) => e.increment_epoch(),
                    None => return,
                }
            })
            .expect("spawn the epoch ticker");
        engine
    })
}

pub(crate) fn deadline_ticks(ms: u64) -> u64 {
    (ms.max(1) * 1000 / TICK.as_micros() as u64).max(1) + 1
}
