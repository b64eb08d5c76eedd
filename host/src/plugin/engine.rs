//! The shared wasmtime [`Engine`] (component model, epoch interruption) and the ticker
//! thread that advances its epoch, which is what turns a per-call deadline into a trap.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::{Config, Engine};

use super::error::PluginError;

/// The engine configuration every plugin runs under.
pub(crate) fn new_engine() -> Result<Engine, PluginError> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    Engine::new(&config)
        .map_err(|e| PluginError::Runtime(format!("cannot create the wasm engine: {e:#}")))
}

/// A fingerprint of everything that makes a compiled component loadable by `engine`:
/// the wasmtime version, the target and the engine's compilation settings. Part of the
/// compiled-component cache key.
pub(crate) fn engine_fingerprint(engine: &Engine) -> String {
    struct ShaHasher(Sha256);
    impl std::hash::Hasher for ShaHasher {
        fn finish(&self) -> u64 {
            0
        }
        fn write(&mut self, bytes: &[u8]) {
            self.0.update(bytes);
        }
    }
    let mut hasher = ShaHasher(Sha256::new());
    std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut hasher);
    hasher.0.update(env!("CARGO_PKG_VERSION").as_bytes());
    hex::encode(hasher.0.finalize())
}

/// Advances the engine's epoch every `tick` until dropped.
pub(crate) struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    pub fn start(engine: &Engine, tick: Duration) -> Result<Self, PluginError> {
        let stop = Arc::new(AtomicBool::new(false));
        let (engine, flag) = (engine.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("clora-plugin-epoch".to_string())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(tick);
                    engine.increment_epoch();
                }
            })
            .map_err(|e| {
                PluginError::Runtime(format!("cannot start the epoch ticker thread: {e}"))
            })?;
        Ok(EpochTicker {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Deadline in whole ticks (at least one).
pub(crate) fn ticks(deadline: Duration, tick: Duration) -> u64 {
    let tick = tick.as_nanos().max(1);
    (deadline.as_nanos().div_ceil(tick)).clamp(1, u64::MAX as u128) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_round_up_to_ticks() {
        let ms = Duration::from_millis;
        assert_eq!(ticks(ms(100), ms(10)), 10);
        assert_eq!(ticks(ms(101), ms(10)), 11);
        assert_eq!(ticks(ms(0), ms(10)), 1);
    }

    #[test]
    fn fingerprint_is_stable_for_one_engine_config() {
        let a = engine_fingerprint(&new_engine().unwrap());
        let b = engine_fingerprint(&new_engine().unwrap());
        assert_eq!(a, b);
        assert_eq!(a.len(), 64);
    }
}
