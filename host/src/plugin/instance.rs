//! One running plugin: its component (as an `InstancePre`), its current instance and
//! `Store`, and the call discipline every kind shares. Each call gets an epoch deadline
//! and a fresh stderr capture; a trap (panic, deadline, memory, bad handle) discards the
//! instance, and the next call rebuilds it from the `InstancePre` and re-runs `init` with
//! the same parameters and layers.
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tch::Device;
use wasmtime::component::InstancePre;
use wasmtime::{Store, Trap};

use super::bindings::types as wit;
use super::cache::CacheOutcome;
use super::error::PluginError;
use super::info::{PluginInfo, PluginKind};
use super::runtime::Shared;
use super::sandbox::PluginState;
use super::LayerSpec;

/// What differs between the three worlds: how to instantiate one and call its
/// `describe` and `init`.
pub(crate) trait World: Sized + Send + 'static {
    const KIND: PluginKind;
    /// The typed, pre-resolved form of the component (`*Pre` from bindgen).
    type Pre: Send + Sync;
    fn pre(instance_pre: InstancePre<PluginState>) -> wasmtime::Result<Self::Pre>;
    fn instantiate(pre: &Self::Pre, store: &mut Store<PluginState>) -> wasmtime::Result<Self>;
    fn describe(&self, store: &mut Store<PluginState>) -> wasmtime::Result<wit::PluginInfo>;
    fn init(
        &self,
        store: &mut Store<PluginState>,
        params: &[wit::Param],
        layers: &[LayerSpec],
    ) -> wasmtime::Result<Result<(), String>>;
}

/// Why a call was made, for deadlines and messages.
pub(crate) struct CallSite {
    pub function: &'static str,
    pub timeout: Duration,
}

/// A plugin's component, identity and current instance.
pub(crate) struct Sandboxed<W: World> {
    shared: Arc<Shared>,
    pre: W::Pre,
    pub path: PathBuf,
    pub digest: String,
    pub info: PluginInfo,
    pub resolved: toml::Table,
    init_params: Vec<wit::Param>,
    layers: Vec<LayerSpec>,
    device: Device,
    live: Option<(Store<PluginState>, W)>,
    pub stats: LoadStats,
}

/// How a plugin was loaded, with timings (for `plugins check` and the benchmarks).
#[derive(Debug, Clone, Copy)]
pub struct LoadStats {
    /// Whether the compiled component came from the cache.
    pub cache: CacheOutcome,
    /// Reading, hashing and compiling (or loading the cached) component.
    pub compile: Duration,
    /// Instantiating plus `describe`.
    pub describe: Duration,
    /// Validating parameters plus `init`.
    pub init: Duration,
}

/// A component ready to instantiate, before `describe` has named it.
pub(crate) struct Prepared<W: World> {
    pub shared: Arc<Shared>,
    pub pre: W::Pre,
    pub path: PathBuf,
    pub digest: String,
    pub cache: CacheOutcome,
    pub compile_time: Duration,
}

fn new_store(shared: &Shared, name: &str, device: Device) -> Store<PluginState> {
    let mut store = Store::new(
        &shared.engine,
        PluginState::new(name, device, &shared.options),
    );
    store.limiter(|state| &mut state.limiter);
    store.epoch_deadline_trap();
    store
}

impl<W: World> Prepared<W> {
    /// Instantiates and asks the plugin to describe itself (no parameters needed).
    pub fn describe(
        &self,
        device: Device,
    ) -> Result<(PluginInfo, Store<PluginState>, W), PluginError> {
        let name = file_name(&self.path);
        let mut store = new_store(&self.shared, &name, device);
        let site = CallSite {
            function: "describe",
            timeout: self.shared.options.describe_timeout,
        };
        let (world, info) = run(&self.shared, &mut store, &site, &name, |store| {
            let world = W::instantiate(&self.pre, store)?;
            let info = world.describe(store)?;
            Ok((world, info))
        })?;
        Ok((PluginInfo::from(info), store, world))
    }

    /// Runs `init` on the described instance and returns the running plugin.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        self,
        info: PluginInfo,
        resolved: toml::Table,
        layers: Vec<LayerSpec>,
        device: Device,
        mut store: Store<PluginState>,
        world: W,
        describe_time: Duration,
    ) -> Result<Sandboxed<W>, PluginError> {
        let started = std::time::Instant::now();
        store.data_mut().name = info.name.clone();
        let init_params = super::params::to_wit_params(&info, &resolved);
        let mut plugin = Sandboxed {
            shared: self.shared,
            pre: self.pre,
            path: self.path,
            digest: self.digest,
            info,
            resolved,
            init_params,
            layers,
            device,
            live: None,
            stats: LoadStats {
                cache: self.cache,
                compile: self.compile_time,
                describe: describe_time,
                init: Duration::ZERO,
            },
        };
        plugin.run_init(&mut store, &world)?;
        plugin.live = Some((store, world));
        plugin.stats.init = started.elapsed();
        Ok(plugin)
    }
}

impl<W: World> Sandboxed<W> {
    fn run_init(&self, store: &mut Store<PluginState>, world: &W) -> Result<(), PluginError> {
        let site = CallSite {
            function: "init",
            timeout: self.shared.options.init_timeout,
        };
        let result = run(&self.shared, store, &site, &self.info.name, |store| {
            world.init(store, &self.init_params, &self.layers)
        })?;
        self.guest_result(&site, result)
    }

    /// A fresh instance with `init` re-run, after a trap discarded the last one.
    fn rebuild(&mut self) -> Result<(), PluginError> {
        let mut store = new_store(&self.shared, &self.info.name, self.device);
        let site = CallSite {
            function: "init",
            timeout: self.shared.options.init_timeout,
        };
        let world = run(&self.shared, &mut store, &site, &self.info.name, |store| {
            W::instantiate(&self.pre, store)
        })?;
        self.run_init(&mut store, &world)?;
        self.live = Some((store, world));
        Ok(())
    }

    /// Calls into the guest. `call` returns the guest's `result`; its `err` becomes
    /// [`PluginError::Guest`], a trap discards the instance.
    pub fn call<R>(
        &mut self,
        site: &CallSite,
        call: impl FnOnce(&mut Store<PluginState>, &W) -> wasmtime::Result<Result<R, String>>,
    ) -> Result<R, PluginError> {
        if self.live.is_none() {
            self.rebuild()?;
        }
        let (store, world) = self.live.as_mut().expect("instance was just rebuilt");
        let result = match run(&self.shared, store, site, &self.info.name, |store| {
            call(store, world)
        }) {
            Ok(result) => result,
            Err(trapped) => {
                self.live = None;
                return Err(trapped);
            }
        };
        self.guest_result(site, result)
    }

    fn guest_result<R>(
        &self,
        site: &CallSite,
        result: Result<R, String>,
    ) -> Result<R, PluginError> {
        result.map_err(|message| PluginError::Guest {
            plugin: self.info.name.clone(),
            function: site.function.to_string(),
            message,
        })
    }

    /// Number of layers `init` received.
    pub fn layer_count(&self) -> usize {
        self.layers.len()
    }

    /// Live handles of the current instance (0 when none), for tests and diagnostics.
    pub fn live_handles(&self) -> usize {
        self.live
            .as_ref()
            .map_or(0, |(store, _)| store.data().live_handles())
    }

    pub fn shared(&self) -> &Shared {
        &self.shared
    }
}

/// Runs `f` under the call's deadline with a fresh stderr capture. Any error is a trap
/// (guest `err`s are inside `Ok`), classified as a deadline, a memory-limit hit, or a
/// trap quoting the guest's panic message.
fn run<R>(
    shared: &Shared,
    store: &mut Store<PluginState>,
    site: &CallSite,
    plugin: &str,
    f: impl FnOnce(&mut Store<PluginState>) -> wasmtime::Result<R>,
) -> Result<R, PluginError> {
    store.data().stderr.clear();
    store.data_mut().limiter.refused_request = None;
    store.set_epoch_deadline(super::engine::ticks(
        site.timeout,
        shared.options.epoch_tick,
    ));
    let err = match f(store) {
        Ok(value) => return Ok(value),
        Err(err) => err,
    };
    let (plugin, function) = (plugin.to_string(), site.function.to_string());
    let stderr = store.data().stderr.contents();
    if err.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
        return Err(PluginError::Deadline {
            plugin,
            function,
            limit: site.timeout,
            stderr: suffix(&stderr),
        });
    }
    if let Some(requested_bytes) = store.data_mut().limiter.refused_request.take() {
        let limit_bytes = shared.options.memory_limit_bytes;
        return Err(PluginError::Memory {
            plugin,
            function,
            limit_bytes,
            requested_bytes,
            stderr: suffix(&stderr),
        });
    }
    Err(PluginError::Trap {
        plugin,
        function,
        message: trap_message(&err, &stderr),
    })
}

/// The cause of a trap, led by the guest's panic message when there is one.
fn trap_message(err: &wasmtime::Error, stderr: &str) -> String {
    let cause = if let Some(exit) = err.downcast_ref::<wasmtime_wasi::I32Exit>() {
        // WASI p2 `exit` carries only success or failure, not the code.
        match exit.0 {
            0 => "the plugin called exit with a success status".to_string(),
            _ => "the plugin called exit with a failure status".to_string(),
        }
    } else if let Some(trap) = err.downcast_ref::<Trap>() {
        trap.to_string()
    } else {
        err.root_cause().to_string()
    };
    match summarize_stderr(stderr) {
        Some(said) => format!("{said} ({cause})"),
        None => cause,
    }
}

/// The panic message in a guest's stderr (`panicked at file:line:col: message`), else
/// its last lines; `None` when it wrote nothing.
pub(crate) fn summarize_stderr(stderr: &str) -> Option<String> {
    const MAX_CHARS: usize = 2000;
    let text = stderr.trim();
    if text.is_empty() {
        return None;
    }
    let from_panic = match text.rfind("panicked at ") {
        Some(start) => &text[start..],
        None => text,
    };
    let lines: Vec<&str> = from_panic
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("note: run with `RUST_BACKTRACE=1`"))
        .collect();
    let joined = lines.join(" ");
    let start = joined
        .char_indices()
        .rev()
        .nth(MAX_CHARS - 1)
        .map_or(0, |(i, _)| i);
    Some(if start > 0 {
        format!("…{}", &joined[start..])
    } else {
        joined
    })
}

fn suffix(stderr: &str) -> String {
    summarize_stderr(stderr)
        .map(|s| format!("; plugin stderr: {s}"))
        .unwrap_or_default()
}

/// The file name of a plugin path, for messages before `describe` names it.
pub(crate) fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_messages_are_extracted_from_stderr() {
        let stderr = "some log line\n\nthread '<unnamed>' panicked at src/lib.rs:12:9:\nboom: 42\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
        assert_eq!(
            summarize_stderr(stderr).unwrap(),
            "panicked at src/lib.rs:12:9: boom: 42"
        );
        assert_eq!(summarize_stderr("a\nb\n").unwrap(), "a b");
        assert_eq!(summarize_stderr("  \n"), None);
    }

    #[test]
    fn long_stderr_keeps_its_end() {
        let said = summarize_stderr(&"x".repeat(5000)).unwrap();
        assert!(said.starts_with('…'));
        assert_eq!(said.chars().count(), 2001);
    }
}
