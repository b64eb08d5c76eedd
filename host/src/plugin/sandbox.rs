//! The sandbox around one plugin instance: its store data ([`PluginState`]: handle table,
//! deny-all WASI context, memory limiter, tensor caps, log sink) and the one [`Linker`]
//! every instance is created from, which grants exactly the `clora:plugin` imports plus
//! `wasi:cli/*` and `wasi:io/*`.
//!
//! What a plugin can reach: no environment variables, no arguments, no preopened
//! directories, no sockets, no clocks and no randomness (those interfaces are not even
//! linked: a component importing them is refused at load, see `inspect`); stdin is
//! empty, stdout is discarded, stderr goes to a bounded [`TailPipe`] that is quoted when a
//! call fails. `wasmtime-wasi` keeps a clock and a random source inside `WasiCtx`, but
//! without the interfaces linked the guest cannot call them.
use tch::Device;
use wasmtime::component::{HasData, HasSelf, Linker, Resource, ResourceTable};
use wasmtime::{Engine, ResourceLimiter, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::cli::{WasiCli, WasiCliView as _};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::regularizer_world::RegularizerPlugin as RegularizerWorld;
use super::options::{LogSink, RuntimeOptions};
use super::rng::GeneratorRep;
use super::stderr_pipe::TailPipe;
use super::tensor_host::TensorRep;
use super::tensor_ops::{Caps, OpResult};

/// Most elements of a guest's wasm tables (function references): far above what a
/// compiled Rust plugin uses, far below what hurts the host.
pub const MAX_TABLE_ELEMENTS: usize = 1 << 20;

/// Caps the guest's linear memory and remembers a refused growth, so the resulting trap
/// is reported as a memory error with the numbers.
pub(crate) struct MemoryLimiter {
    limit_bytes: usize,
    /// The size the guest asked for when it was refused.
    pub refused_request: Option<usize>,
    others: StoreLimits,
}

impl MemoryLimiter {
    fn new(limit_bytes: usize) -> Self {
        let others = StoreLimitsBuilder::new()
            .memory_size(limit_bytes)
            .table_elements(MAX_TABLE_ELEMENTS)
            .build();
        MemoryLimiter {
            limit_bytes,
            refused_request: None,
            others,
        }
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit_bytes {
            self.refused_request = Some(desired);
            wasmtime::bail!(
                "linear memory growth to {desired} bytes refused: the sandbox limit is {} bytes",
                self.limit_bytes
            );
        }
        self.others.memory_growing(current, desired, maximum)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.others.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.others.instances()
    }

    fn tables(&self) -> usize {
        self.others.tables()
    }

    fn memories(&self) -> usize {
        self.others.memories()
    }
}

/// The data of one plugin instance's `Store`.
pub(crate) struct PluginState {
    /// The plugin's name, for log lines (the file name until `describe` has answered).
    pub name: String,
    pub device: Device,
    pub caps: Caps,
    max_live_handles: usize,
    live_handles: usize,
    table: ResourceTable,
    wasi: WasiCtx,
    pub stderr: TailPipe,
    pub limiter: MemoryLimiter,
    pub log_sink: LogSink,
}

impl PluginState {
    pub fn new(name: &str, device: Device, options: &RuntimeOptions) -> Self {
        let stderr = TailPipe::new(options.stderr_capture_bytes);
        let wasi = WasiCtx::builder().stderr(stderr.clone()).build();
        PluginState {
            name: name.to_string(),
            device,
            caps: Caps {
                max_elements: options.max_tensor_elements,
                max_to_list: options.max_to_list_elements,
            },
            max_live_handles: options.max_live_tensors,
            live_handles: 0,
            table: ResourceTable::new(),
            wasi,
            stderr,
            limiter: MemoryLimiter::new(options.memory_limit_bytes),
            log_sink: options.log_sink.clone(),
        }
    }

    /// Live tensor and generator handles.
    pub fn live_handles(&self) -> usize {
        self.live_handles
    }

    /// The tensor behind a handle; a stale handle traps the guest.
    pub fn tensor(&self, handle: &Resource<TensorRep>) -> wasmtime::Result<&tch::Tensor> {
        match self.table.get(handle) {
            Ok(rep) => Ok(&rep.0),
            Err(e) => wasmtime::bail!("tensor handle {} is not live ({e})", handle.rep()),
        }
    }

    pub fn generator(
        &mut self,
        handle: &Resource<GeneratorRep>,
    ) -> wasmtime::Result<&mut GeneratorRep> {
        let rep = handle.rep();
        self.table
            .get_mut(handle)
            .map_err(|e| wasmtime::format_err!("generator handle {rep} is not live ({e})"))
    }

    fn admit(&self, extra: usize) -> Result<(), String> {
        if self.live_handles + extra > self.max_live_handles {
            return Err(format!(
                "too many live handles: the plugin holds {} and the cap is {} per plugin (drop tensors you no longer need)",
                self.live_handles, self.max_live_handles
            ));
        }
        Ok(())
    }

    /// Stores the results of a guest-requested operation, checking the element cap and
    /// the handle cap; the guest sees a refusal as `err`.
    pub fn push_results(
        &mut self,
        results: OpResult<Vec<tch::Tensor>>,
    ) -> wasmtime::Result<Result<Vec<Resource<TensorRep>>, String>> {
        let tensors = match results {
            Ok(tensors) => tensors,
            Err(message) => return Ok(Err(message)),
        };
        for t in &tensors {
            if let Err(message) = self.caps.check(super::shapes::numel(&t.size())) {
                return Ok(Err(message));
            }
        }
        if let Err(message) = self.admit(tensors.len()) {
            return Ok(Err(message));
        }
        tensors
            .into_iter()
            .map(|t| self.lend(t))
            .collect::<wasmtime::Result<_>>()
            .map(Ok)
    }

    /// Stores a tensor the host hands to the guest (inputs, base weights): counted, but
    /// not refused by the caps, which apply to what the guest creates.
    pub fn lend(&mut self, tensor: tch::Tensor) -> wasmtime::Result<Resource<TensorRep>> {
        let handle = self.table.push(TensorRep(tensor))?;
        self.live_handles += 1;
        Ok(handle)
    }

    /// Takes a tensor out of the table (an owned result, or a lent input after a call).
    pub fn take(&mut self, handle: Resource<TensorRep>) -> wasmtime::Result<tch::Tensor> {
        let rep = self.table.delete(handle)?;
        self.live_handles -= 1;
        Ok(rep.0)
    }

    pub fn push_generator(
        &mut self,
        generator: GeneratorRep,
    ) -> wasmtime::Result<Resource<GeneratorRep>> {
        if let Err(message) = self.admit(1) {
            wasmtime::bail!("{message}");
        }
        let handle = self.table.push(generator)?;
        self.live_handles += 1;
        Ok(handle)
    }

    pub fn drop_generator(&mut self, handle: Resource<GeneratorRep>) -> wasmtime::Result<()> {
        self.table.delete(handle)?;
        self.live_handles -= 1;
        Ok(())
    }
}

impl WasiView for PluginState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// `wasi:io` works on the handle table alone.
struct HasIo;

impl HasData for HasIo {
    type Data<'a> = &'a mut ResourceTable;
}

/// The linker every plugin instance comes from: `clora:plugin/{types,host,tensors}`,
/// `wasi:cli/*` and `wasi:io/*`, nothing else.
pub(crate) fn build_linker(engine: &Engine) -> wasmtime::Result<Linker<PluginState>> {
    use wasmtime_wasi::p2::bindings::cli;
    use wasmtime_wasi::p2::bindings::sync::io;

    let mut linker = Linker::new(engine);
    let l = &mut linker;
    cli::exit::add_to_linker::<PluginState, WasiCli>(l, PluginState::cli)?;
    cli::environment::add_to_linker::<PluginState, WasiCli>(l, PluginState::cli)?;
    cli::stdin::add_to_linker::<PluginState, WasiCli>(l, PluginState::cli)?;
    cli::stdout::add_to_linker::<PluginState, WasiCli>(l, PluginState::cli)?;
    cli::stderr::add_to_linker::<PluginState, WasiCli>(l, PluginState::cli)?;
    cli::terminal_input::add_to_linker::<PluginState, WasiCli>(l, PluginState::cli)?;
    cli::terminal_output::add_to_linker::<PluginState, WasiCli>(l, PluginState::cli)?;
    cli::terminal_stdin::add_to_linker::<PluginState, WasiCli>(l, PluginState::cli)?;
    cli::terminal_stdout::add_to_linker::<PluginState, WasiCli>(l, PluginState::cli)?;
    cli::terminal_stderr::add_to_linker::<PluginState, WasiCli>(l, PluginState::cli)?;
    io::error::add_to_linker::<PluginState, HasIo>(l, |s| &mut s.table)?;
    io::poll::add_to_linker::<PluginState, HasIo>(l, |s| &mut s.table)?;
    io::streams::add_to_linker::<PluginState, HasIo>(l, |s| &mut s.table)?;
    // The regularizer world imports every shared interface (types, host, tensors).
    RegularizerWorld::add_to_linker::<PluginState, HasSelf<PluginState>>(l, |s| s)?;
    Ok(linker)
}
