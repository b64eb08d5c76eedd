//! [`PluginRuntime`]: one engine, one linker, the compiled-component cache and the
//! epoch ticker, shared by every plugin loaded through it. Loading a plugin means:
//! read and hash the file, compile (or load from the cache), check its contract version
//! and imports, instantiate, `describe`, validate the user's parameters against the
//! schema, and only then run `init`.
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tch::Device;
use wasmtime::component::{Component, Linker};
use wasmtime::Engine;

use super::cache::{sha256_hex, CacheOutcome, ComponentCache};
use super::engine::{engine_fingerprint, new_engine, EpochTicker};
use super::error::PluginError;
use super::info::{PluginInfo, PluginKind, CONTRACT_VERSION};
use super::inspect::inspect;
use super::instance::{file_name, Prepared, Sandboxed, World};
use super::options::RuntimeOptions;
use super::sandbox::{build_linker, PluginState};
use super::{bindings, GradProcessorPlugin, LayerSpec, PreprocessorPlugin, RegularizerPlugin};

/// State shared by a runtime and every plugin it loaded (plugins keep it alive).
pub(crate) struct Shared {
    pub engine: Engine,
    pub linker: Linker<PluginState>,
    pub options: RuntimeOptions,
    cache: ComponentCache,
    _ticker: EpochTicker,
}

/// Loads plugins. Cheap to clone (shared state); `Send + Sync`.
#[derive(Clone)]
pub struct PluginRuntime {
    shared: Arc<Shared>,
}

/// A compiled and inspected component, before instantiation.
struct Compiled {
    component: Component,
    kind: PluginKind,
    digest: String,
    cache: CacheOutcome,
    compile_time: Duration,
}

/// Lowercase hex SHA-256 of a plugin file, without compiling it (cache keys, run
/// records).
pub fn wasm_digest(wasm: &Path) -> Result<String, PluginError> {
    Ok(sha256_hex(&read(wasm)?))
}

fn read(wasm: &Path) -> Result<Vec<u8>, PluginError> {
    std::fs::read(wasm).map_err(|e| PluginError::Load {
        path: wasm.to_path_buf(),
        message: format!("cannot read it: {e}"),
    })
}

impl PluginRuntime {
    pub fn new(options: RuntimeOptions) -> Result<Self, PluginError> {
        let engine = new_engine()?;
        let linker = build_linker(&engine)
            .map_err(|e| PluginError::Runtime(format!("cannot set up the linker: {e:#}")))?;
        let cache = ComponentCache::new(options.cache_dir.clone(), engine_fingerprint(&engine));
        let ticker = EpochTicker::start(&engine, options.epoch_tick)?;
        Ok(PluginRuntime {
            shared: Arc::new(Shared {
                engine,
                linker,
                options,
                cache,
                _ticker: ticker,
            }),
        })
    }

    pub fn options(&self) -> &RuntimeOptions {
        &self.shared.options
    }

    /// The plugin's self-description (kind, name, version, parameter schema), checked
    /// for consistency. Runs only `describe`.
    pub fn describe(&self, wasm: &Path) -> Result<PluginInfo, PluginError> {
        let compiled = self.compile(wasm)?;
        Ok(match compiled.kind {
            PluginKind::Regularizer => {
                self.described::<bindings::regularizer_world::RegularizerPlugin>(
                    wasm,
                    compiled,
                    Device::Cpu,
                )?
                .0
            }
            PluginKind::GradProcessor => {
                self.described::<bindings::grad_processor_world::GradProcessorPlugin>(
                    wasm,
                    compiled,
                    Device::Cpu,
                )?
                .0
            }
            PluginKind::Preprocessor => {
                self.described::<bindings::preprocessor_world::PreprocessorPlugin>(
                    wasm,
                    compiled,
                    Device::Cpu,
                )?
                .0
            }
        })
    }

    pub fn load_regularizer(
        &self,
        wasm: &Path,
        params: &toml::Table,
        layers: &[LayerSpec],
        device: Device,
    ) -> Result<RegularizerPlugin, PluginError> {
        self.load(wasm, params, layers, device)
            .map(RegularizerPlugin::from_sandboxed)
    }

    pub fn load_grad_processor(
        &self,
        wasm: &Path,
        params: &toml::Table,
        layers: &[LayerSpec],
        device: Device,
    ) -> Result<GradProcessorPlugin, PluginError> {
        self.load(wasm, params, layers, device)
            .map(GradProcessorPlugin::from_sandboxed)
    }

    pub fn load_preprocessor(
        &self,
        wasm: &Path,
        params: &toml::Table,
    ) -> Result<PreprocessorPlugin, PluginError> {
        self.load(wasm, params, &[], Device::Cpu)
            .map(PreprocessorPlugin::from_sandboxed)
    }

    fn load<W: World>(
        &self,
        wasm: &Path,
        params: &toml::Table,
        layers: &[LayerSpec],
        device: Device,
    ) -> Result<Sandboxed<W>, PluginError> {
        let compiled = self.compile(wasm)?;
        if compiled.kind != W::KIND {
            return Err(PluginError::Contract {
                path: wasm.to_path_buf(),
                message: format!(
                    "it is a {} plugin, but a {} is needed here",
                    compiled.kind,
                    W::KIND
                ),
            });
        }
        let layers = layers
            .iter()
            .map(|l| l.checked(wasm))
            .collect::<Result<Vec<_>, _>>()?;
        let (info, prepared, store, world, describe_time) =
            self.described::<W>(wasm, compiled, device)?;
        let resolved = super::params::validate_params(&info, params)?;
        prepared.start(info, resolved, layers, device, store, world, describe_time)
    }

    fn compile(&self, wasm: &Path) -> Result<Compiled, PluginError> {
        let started = Instant::now();
        let bytes = read(wasm)?;
        let digest = sha256_hex(&bytes);
        let (component, cache) = self
            .shared
            .cache
            .load(&self.shared.engine, &bytes, &digest)
            .map_err(|e| PluginError::Load {
                path: wasm.to_path_buf(),
                message: format!("it is not a valid WebAssembly component: {e:#}"),
            })?;
        let kind = inspect(&self.shared.engine, &component, wasm)?;
        Ok(Compiled {
            component,
            kind,
            digest,
            cache,
            compile_time: started.elapsed(),
        })
    }

    /// Instantiates a compiled component and runs `describe`, checking what it says.
    #[allow(clippy::type_complexity)]
    fn described<W: World>(
        &self,
        wasm: &Path,
        compiled: Compiled,
        device: Device,
    ) -> Result<
        (
            PluginInfo,
            Prepared<W>,
            wasmtime::Store<PluginState>,
            W,
            Duration,
        ),
        PluginError,
    > {
        let started = Instant::now();
        let load_error = |e: wasmtime::Error| PluginError::Load {
            path: wasm.to_path_buf(),
            message: format!("its imports or exports do not match the contract: {e:#}"),
        };
        let instance_pre = self
            .shared
            .linker
            .instantiate_pre(&compiled.component)
            .map_err(load_error)?;
        let prepared = Prepared::<W> {
            shared: self.shared.clone(),
            pre: W::pre(instance_pre).map_err(load_error)?,
            path: wasm.to_path_buf(),
            digest: compiled.digest,
            cache: compiled.cache,
            compile_time: compiled.compile_time,
        };
        let (info, store, world) = prepared.describe(device)?;
        check_info(wasm, &info, compiled.kind)?;
        Ok((info, prepared, store, world, started.elapsed()))
    }
}

/// `describe` must agree with the exported interface and the contract, and its schema
/// must be consistent.
fn check_info(wasm: &Path, info: &PluginInfo, exported: PluginKind) -> Result<(), PluginError> {
    let contract = |message: String| PluginError::Contract {
        path: wasm.to_path_buf(),
        message,
    };
    if info.kind != exported {
        return Err(contract(format!(
            "`describe` says it is a {} plugin, but it exports the {} interface",
            info.kind, exported
        )));
    }
    if info.contract != CONTRACT_VERSION {
        return Err(contract(format!(
            "`describe` says it was built against contract {}, but this host implements {CONTRACT_VERSION}",
            info.contract
        )));
    }
    if info.name.trim().is_empty() {
        return Err(contract(format!(
            "`describe` of {} returned an empty name",
            file_name(wasm)
        )));
    }
    let problems = info.schema_problems();
    if !problems.is_empty() {
        return Err(contract(format!(
            "its parameter schema is inconsistent: {}",
            problems.join("; ")
        )));
    }
    Ok(())
}
