//! Checks a compiled component's imports and exports before anything is instantiated:
//! which plugin kind it is, whether it was built against this host's contract version,
//! and whether it imports anything the sandbox does not grant.
use std::path::Path;

use wasmtime::component::Component;
use wasmtime::Engine;

use super::error::PluginError;
use super::info::{PluginKind, CONTRACT_VERSION};

/// The contract package, without version.
const PACKAGE: &str = "clora:plugin";

/// Contract interfaces a plugin may import.
const IMPORTABLE_INTERFACES: [&str; 3] = ["types", "host", "tensors"];

/// WASI packages a plugin may import (what a std Rust guest needs for stdio and panics).
const GRANTED_WASI_PREFIXES: [&str; 2] = ["wasi:cli/", "wasi:io/"];

/// `clora:plugin/<interface>@<version>` split into its parts.
fn contract_interface(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix(PACKAGE)?.strip_prefix('/')?;
    Some(rest.split_once('@').unwrap_or((rest, "")))
}

fn mismatch(path: &Path, name: &str, version: &str) -> PluginError {
    PluginError::Contract {
        path: path.to_path_buf(),
        message: format!(
            "it was built against contract {PACKAGE}@{version} (it uses `{name}`), but this host implements \
             {PACKAGE}@{CONTRACT_VERSION}; rebuild the plugin against wit/plugin.wit ({CONTRACT_VERSION})"
        ),
    }
}

/// The plugin kind `component` implements, after checking its contract version and its
/// imports.
pub(crate) fn inspect(
    engine: &Engine,
    component: &Component,
    path: &Path,
) -> Result<PluginKind, PluginError> {
    let ty = component.component_type();
    let exports: Vec<String> = ty
        .exports(engine)
        .map(|(name, _)| name.to_string())
        .collect();
    let imports: Vec<String> = ty
        .imports(engine)
        .map(|(name, _)| name.to_string())
        .collect();

    for name in exports.iter().chain(&imports) {
        if let Some((_, version)) = contract_interface(name) {
            if version != CONTRACT_VERSION {
                return Err(mismatch(path, name, version));
            }
        }
    }

    let forbidden: Vec<&String> = imports
        .iter()
        .filter(|name| match contract_interface(name) {
            Some((interface, _)) => !IMPORTABLE_INTERFACES.contains(&interface),
            None => !GRANTED_WASI_PREFIXES
                .iter()
                .any(|prefix| name.starts_with(prefix)),
        })
        .collect();
    if !forbidden.is_empty() {
        let list = forbidden
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(PluginError::Load {
            path: path.to_path_buf(),
            message: format!(
                "it imports {list}, which the plugin sandbox does not grant; plugins may import only \
                 {PACKAGE}/{{types,host,tensors}}, wasi:cli/* and wasi:io/* (no files, network, clocks or \
                 randomness: use the host's tensors.generator for random numbers)"
            ),
        });
    }

    let kinds: Vec<PluginKind> = exports
        .iter()
        .filter_map(|name| {
            contract_interface(name)
                .and_then(|(interface, _)| PluginKind::from_interface(interface))
        })
        .collect();
    match kinds.as_slice() {
        [kind] => Ok(*kind),
        [] => Err(PluginError::Contract {
            path: path.to_path_buf(),
            message: format!(
                "it exports no plugin interface (expected one of {PACKAGE}/regularizer, {PACKAGE}/grad-processor, \
                 {PACKAGE}/preprocessor @{CONTRACT_VERSION}); its exports: {}",
                if exports.is_empty() { "none".to_string() } else { exports.join(", ") }
            ),
        }),
        _ => Err(PluginError::Contract {
            path: path.to_path_buf(),
            message: format!("it exports more than one plugin interface: {}", exports.join(", ")),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_names_split_into_interface_and_version() {
        assert_eq!(
            contract_interface("clora:plugin/tensors@0.1.0"),
            Some(("tensors", "0.1.0"))
        );
        assert_eq!(
            contract_interface("clora:plugin/regularizer@0.2.0"),
            Some(("regularizer", "0.2.0"))
        );
        assert_eq!(contract_interface("wasi:cli/stdout@0.2.6"), None);
        assert_eq!(contract_interface("clora:pluginx/a@1"), None);
    }

    #[test]
    fn a_component_without_plugin_exports_is_refused_by_contract() {
        let engine = super::super::engine::new_engine().unwrap();
        let component =
            Component::new(&engine, r#"(component (core module (func (export "f"))))"#).unwrap();
        let err = inspect(&engine, &component, Path::new("x.wasm"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(
                "x.wasm does not fit this host's contract: it exports no plugin interface"
            ),
            "{err}"
        );
    }
}
