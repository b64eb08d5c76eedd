//! [`PluginError`]: everything that can go wrong loading or calling a plugin, with the
//! plugin, the function and the cause in every message.
use std::path::PathBuf;
use std::time::Duration;

/// A plugin failure. Every variant names the plugin (or its file) and, for calls, the
/// WIT function, so the message alone says what failed where.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// The file could not be read, compiled or instantiated, or it imports something
    /// the sandbox does not grant.
    #[error("cannot load plugin {}: {message}", path.display())]
    Load { path: PathBuf, message: String },

    /// The component was built against another contract version, implements no plugin
    /// interface, or describes itself inconsistently.
    #[error("plugin {} does not fit this host's contract: {message}", path.display())]
    Contract { path: PathBuf, message: String },

    /// User parameters do not match the plugin's schema. Checked before anything runs.
    #[error("invalid parameters for plugin `{plugin}`: {message}")]
    Params { plugin: String, message: String },

    /// The guest trapped (a panic, a bad handle, `exit`, ...). The instance is discarded
    /// and rebuilt on the next call.
    #[error("plugin `{plugin}` trapped in `{function}`: {message}")]
    Trap {
        plugin: String,
        function: String,
        message: String,
    },

    /// The call ran past its epoch deadline (an infinite loop, or simply too slow).
    #[error("plugin `{plugin}` exceeded its deadline of {limit:?} in `{function}` and was stopped{stderr}")]
    Deadline {
        plugin: String,
        function: String,
        limit: Duration,
        stderr: String,
    },

    /// The guest tried to grow its linear memory past the sandbox's cap.
    #[error("plugin `{plugin}` exceeded its memory limit of {limit_bytes} bytes in `{function}` (it asked for {requested_bytes} bytes){stderr}")]
    Memory {
        plugin: String,
        function: String,
        limit_bytes: usize,
        requested_bytes: usize,
        stderr: String,
    },

    /// The guest returned an error value (`result::err`) from a call.
    #[error("plugin `{plugin}` failed in `{function}`: {message}")]
    Guest {
        plugin: String,
        function: String,
        message: String,
    },

    /// A tensor the guest returned (or one the host tried to lend it) is not acceptable:
    /// wrong shape, dtype or element count, not finite, or from a failed host operation.
    #[error("plugin `{plugin}`, `{function}`: {message}")]
    Tensor {
        plugin: String,
        function: String,
        message: String,
    },

    /// A non-tensor result is malformed (e.g. a preprocessor returned the wrong number of
    /// entries or a label other than 0/1).
    #[error("plugin `{plugin}` returned a malformed result from `{function}`: {message}")]
    Output {
        plugin: String,
        function: String,
        message: String,
    },

    /// The runtime itself could not be set up (engine configuration, ticker thread).
    #[error("plugin runtime: {0}")]
    Runtime(String),
}
