//! What `describe()` returns, built from a plugin's constants.

use crate::bindings::regularizer_world::clora::plugin::types::{PluginInfo, PluginKind};
use crate::params::ParamDecl;

/// The contract version (`package clora:plugin@0.1.0`) these bindings were built from.
pub const CONTRACT: &str = "0.1.0";

pub(crate) fn plugin_info(
    kind: PluginKind,
    name: &str,
    version: &str,
    description: &str,
    params: &[ParamDecl],
) -> PluginInfo {
    PluginInfo {
        name: name.to_string(),
        version: version.to_string(),
        kind,
        contract: CONTRACT.to_string(),
        description: description.to_string(),
        params: params.iter().map(ParamDecl::spec).collect(),
    }
}
