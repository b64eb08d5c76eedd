//! The one module where `wasmtime::component::bindgen!` runs, once per world of
//! `wit/plugin.wit`. The shared interfaces (`types`, `host`, `tensors`) are generated
//! with the regularizer world and reused by the other two through `with`, so every
//! world sees the same Rust types. Imports are `trappable`: a host function returns
//! `wasmtime::Result<Result<T, String>>`, where the outer error traps the guest (a bad
//! handle) and the inner one is the guest-visible `err`.
#![allow(missing_docs, clippy::all)]

pub(crate) mod regularizer_world {
    wasmtime::component::bindgen!({
        world: "regularizer-plugin",
        path: "../wit",
        imports: { default: trappable },
        with: {
            "clora:plugin/tensors.tensor": crate::plugin::tensor_host::TensorRep,
            "clora:plugin/tensors.generator": crate::plugin::rng::GeneratorRep,
        },
    });
}

pub(crate) mod grad_processor_world {
    wasmtime::component::bindgen!({
        world: "grad-processor-plugin",
        path: "../wit",
        imports: { default: trappable },
        with: {
            "clora:plugin/types": super::regularizer_world::clora::plugin::types,
            "clora:plugin/host": super::regularizer_world::clora::plugin::host,
            "clora:plugin/tensors": super::regularizer_world::clora::plugin::tensors,
        },
    });
}

pub(crate) mod preprocessor_world {
    wasmtime::component::bindgen!({
        world: "preprocessor-plugin",
        path: "../wit",
        imports: { default: trappable },
        with: {
            "clora:plugin/types": super::regularizer_world::clora::plugin::types,
            "clora:plugin/host": super::regularizer_world::clora::plugin::host,
        },
    });
}

pub(crate) use regularizer_world::clora::plugin::{host, tensors, types};
