//! [`RuntimeOptions`]: the sandbox's limits and where plugin output goes. Every limit is
//! a named constant here with its default, and a field of [`RuntimeOptions`] to override.
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Default cap on a plugin's linear memory (per instance): 256 MiB. A preprocessor holds
/// one batch of records and its examples; a tensor plugin holds only handles.
pub const DEFAULT_MEMORY_LIMIT_BYTES: usize = 256 << 20;

/// Default cap on the elements of any tensor a plugin creates: 2^25 (128 MiB of f32).
/// GPT-2's largest LoRA-adapted weight (`mlp.c_fc`, 768×3072) has 2.4 M elements, so even
/// a full ΔW of GPT-2 XL fits; an accidental outer product of two long vectors does not.
pub const DEFAULT_MAX_TENSOR_ELEMENTS: u64 = 1 << 25;

/// Default cap on live tensor handles per plugin instance: enough for per-layer
/// projectors and intermediates of a 48-layer model, far below what exhausts memory.
pub const DEFAULT_MAX_LIVE_TENSORS: usize = 4096;

/// Default cap on the values `tensor.to-list` copies into the guest: 2^20.
pub const DEFAULT_MAX_TO_LIST_ELEMENTS: u64 = 1 << 20;

/// Bytes of a plugin's stderr kept (the tail) to explain a trap: 16 KiB.
pub const DEFAULT_STDERR_CAPTURE_BYTES: usize = 16 << 10;

/// Longest `host.log` message forwarded; longer ones are cut (with a marker).
pub const MAX_LOG_MESSAGE_BYTES: usize = 8 << 10;

/// Deadline for `describe` (no tensors, no data: anything slower is broken).
pub const DEFAULT_DESCRIBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Deadline for `init` (may build projectors with QR/SVD of every layer on the CPU).
pub const DEFAULT_INIT_TIMEOUT: Duration = Duration::from_secs(120);

/// Deadline for one per-step call: `compute-penalty`, `process-grads`, `process-batch`.
///
/// Deadlines are wall-clock, counted by the epoch ticker and enforced when the guest runs
/// wasm code: time spent in host tensor operations counts, but a host operation already
/// running finishes before the guest is stopped (the element cap bounds its cost).
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// How often the epoch ticker advances the engine's epoch; deadlines are rounded up to
/// a whole number of ticks.
pub const DEFAULT_EPOCH_TICK: Duration = Duration::from_millis(10);

/// Severity of a `host.log` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        })
    }
}

/// Where `host.log` lines go: `(plugin name, level, message)`.
pub type LogSink = Arc<dyn Fn(&str, LogLevel, &str) + Send + Sync>;

/// The default sink: `[plugin NAME] LEVEL: message` on the host's stderr.
pub fn stderr_log_sink() -> LogSink {
    Arc::new(|plugin, level, message| eprintln!("[plugin {plugin}] {level}: {message}"))
}

/// Limits and plumbing of a [`super::PluginRuntime`]. `Default` gives the documented
/// constants above, the default cache directory and the stderr log sink.
#[derive(Clone)]
pub struct RuntimeOptions {
    /// Compiled-component cache; `None` disables it. Default: [`default_cache_dir`].
    pub cache_dir: Option<PathBuf>,
    /// Cap on each instance's linear memory, in bytes.
    pub memory_limit_bytes: usize,
    /// Cap on the elements of a tensor created by a plugin.
    pub max_tensor_elements: u64,
    /// Cap on a plugin instance's live tensor handles.
    pub max_live_tensors: usize,
    /// Cap on the values one `to-list` returns.
    pub max_to_list_elements: u64,
    /// Bytes of guest stderr kept for error messages.
    pub stderr_capture_bytes: usize,
    /// Deadline for `describe`.
    pub describe_timeout: Duration,
    /// Deadline for `init` (also when an instance is rebuilt after a trap).
    pub init_timeout: Duration,
    /// Deadline for one `compute-penalty`, `process-grads` or `process-batch` call.
    pub call_timeout: Duration,
    /// Epoch ticker period.
    pub epoch_tick: Duration,
    /// Receives every `host.log` line.
    pub log_sink: LogSink,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        RuntimeOptions {
            cache_dir: default_cache_dir(),
            memory_limit_bytes: DEFAULT_MEMORY_LIMIT_BYTES,
            max_tensor_elements: DEFAULT_MAX_TENSOR_ELEMENTS,
            max_live_tensors: DEFAULT_MAX_LIVE_TENSORS,
            max_to_list_elements: DEFAULT_MAX_TO_LIST_ELEMENTS,
            stderr_capture_bytes: DEFAULT_STDERR_CAPTURE_BYTES,
            describe_timeout: DEFAULT_DESCRIBE_TIMEOUT,
            init_timeout: DEFAULT_INIT_TIMEOUT,
            call_timeout: DEFAULT_CALL_TIMEOUT,
            epoch_tick: DEFAULT_EPOCH_TICK,
            log_sink: stderr_log_sink(),
        }
    }
}

impl fmt::Debug for RuntimeOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeOptions")
            .field("cache_dir", &self.cache_dir)
            .field("memory_limit_bytes", &self.memory_limit_bytes)
            .field("max_tensor_elements", &self.max_tensor_elements)
            .field("max_live_tensors", &self.max_live_tensors)
            .field("max_to_list_elements", &self.max_to_list_elements)
            .field("stderr_capture_bytes", &self.stderr_capture_bytes)
            .field("describe_timeout", &self.describe_timeout)
            .field("init_timeout", &self.init_timeout)
            .field("call_timeout", &self.call_timeout)
            .field("epoch_tick", &self.epoch_tick)
            .finish_non_exhaustive()
    }
}

/// `$XDG_CACHE_HOME/clora-host/components`, else `~/.cache/clora-host/components`;
/// `None` when neither variable is set.
pub fn default_cache_dir() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CACHE_HOME") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(std::env::var_os("HOME")?).join(".cache"),
    };
    Some(base.join("clora-host").join("components"))
}
