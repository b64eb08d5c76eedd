//! Generated bindings for the three plugin worlds of `wit/plugin.wit`.
//!
//! The shared interfaces (`types`, `host`, `tensors`) are generated once, in
//! [`regularizer_world`], and reused by the other two worlds through `with`, so a
//! `Tensor` is the same Rust type everywhere.
//!
//! `compute-penalty` and `process-grads` are skipped here and exported by hand in
//! [`crate::abi`]: wit-bindgen's Rust generator cannot lift an export parameter of type
//! `list<borrow<imported-resource>>` (bytecodealliance/wit-bindgen#811; the generated
//! code does not compile).
#![allow(missing_docs, clippy::all)]

pub mod regularizer_world {
    wit_bindgen::generate!({
        world: "regularizer-plugin",
        path: "../../wit",
        skip: ["compute-penalty"],
        pub_export_macro: true,
        export_macro_name: "__export_regularizer_world",
        default_bindings_module: "clora_plugin_sdk::bindings::regularizer_world",
    });
}

pub mod grad_processor_world {
    wit_bindgen::generate!({
        world: "grad-processor-plugin",
        path: "../../wit",
        skip: ["process-grads"],
        with: {
            "clora:plugin/types@0.1.0": crate::bindings::regularizer_world::clora::plugin::types,
            "clora:plugin/host@0.1.0": crate::bindings::regularizer_world::clora::plugin::host,
            "clora:plugin/tensors@0.1.0": crate::bindings::regularizer_world::clora::plugin::tensors,
        },
        pub_export_macro: true,
        export_macro_name: "__export_grad_processor_world",
        default_bindings_module: "clora_plugin_sdk::bindings::grad_processor_world",
    });
}

pub mod preprocessor_world {
    wit_bindgen::generate!({
        world: "preprocessor-plugin",
        path: "../../wit",
        with: {
            "clora:plugin/types@0.1.0": crate::bindings::regularizer_world::clora::plugin::types,
            "clora:plugin/host@0.1.0": crate::bindings::regularizer_world::clora::plugin::host,
        },
        pub_export_macro: true,
        export_macro_name: "__export_preprocessor_world",
        default_bindings_module: "clora_plugin_sdk::bindings::preprocessor_world",
    });
}
