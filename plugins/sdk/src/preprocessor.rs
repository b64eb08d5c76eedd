//! Preprocessor plugins: implement [`Preprocessor`] and call
//! [`register_preprocessor!`](crate::register_preprocessor). The SDK parses each record's
//! JSON and turns every error into that record's `err`, so one bad row never stops a
//! batch.
//!
//! ```no_run
//! use clora_plugin_sdk::prelude::*;
//!
//! struct YesNo { template: Template }
//!
//! impl Preprocessor for YesNo {
//!     const NAME: &'static str = "yes-no";
//!     const DESCRIPTION: &'static str = "{statement, true: bool} → (statement, 1/0).";
//!     const PARAMS: &'static [ParamDecl] =
//!         &[ParamDecl::text("template", "Claim: {statement}", "Example text.")];
//!
//!     fn init(params: &Params) -> Result<Self> {
//!         Ok(YesNo { template: Template::parse(params.text("template")?, &["statement"])? })
//!     }
//!
//!     fn convert(&self, _row: u64, record: &Record) -> Result<Vec<Example>> {
//!         let statement = record.get("statement")?.str()?; // "missing field `statement`"
//!         let label = u32::from(record.get("true")?.bool()?);
//!         Ok(vec![Example::new(self.template.render(&[statement]), label)])
//!     }
//! }
//!
//! register_preprocessor!(YesNo);
//! ```

use crate::bindings::regularizer_world::clora::plugin::types::{
    Example, Param, PluginInfo, PluginKind,
};
use crate::data::json::Record;
use crate::error::Result;
use crate::params::{ParamDecl, Params};
use crate::{meta, state};

/// A dataset preprocessor: raw records in, `(text, label)` examples out.
pub trait Preprocessor: Sized + 'static {
    /// The plugin's name (as in `plugins/<name>.wasm`).
    const NAME: &'static str;
    /// One line for `clora-host plugins describe`.
    const DESCRIPTION: &'static str;
    /// The parameter schema.
    const PARAMS: &'static [ParamDecl];

    /// Builds the plugin once from checked parameters.
    fn init(params: &Params) -> Result<Self>;

    /// The examples of one record. `row` is the record's 0-based index in its split:
    /// derive any randomness from it (see [`RowRng`](crate::data::RowRng)) so that the
    /// output does not depend on how the host batches rows.
    fn convert(&self, row: u64, record: &Record) -> Result<Vec<Example>>;
}

impl Example {
    /// An example with this text and label.
    pub fn new(text: impl Into<String>, label: u32) -> Self {
        Example {
            text: text.into(),
            label,
        }
    }
}

#[doc(hidden)]
pub fn describe<T: Preprocessor>(version: &str) -> PluginInfo {
    meta::plugin_info(
        PluginKind::Preprocessor,
        T::NAME,
        version,
        T::DESCRIPTION,
        T::PARAMS,
    )
}

#[doc(hidden)]
pub fn init<T: Preprocessor>(params: Vec<Param>) -> Result<(), String> {
    let params = Params::resolve(T::PARAMS, params)?;
    state::install(T::init(&params)?);
    Ok(())
}

#[doc(hidden)]
pub fn process_batch<T: Preprocessor>(
    first_row: u64,
    records: Vec<String>,
) -> Vec<Result<Vec<Example>, String>> {
    let converted = state::with(|plugin: &mut T| {
        let plugin = &*plugin;
        Ok(records
            .iter()
            .zip(first_row..)
            .map(|(text, row)| {
                let record = Record::parse(text)?;
                plugin.convert(row, &record)
            })
            .map(|r| r.map_err(String::from))
            .collect::<Vec<_>>())
    });
    match converted {
        Ok(results) => results,
        Err(not_initialised) => vec![Err(not_initialised.into()); records.len()],
    }
}

/// Exports a [`Preprocessor`] implementation as the component's `preprocessor` interface.
#[macro_export]
macro_rules! register_preprocessor {
    ($plugin:ty) => {
        const _: () = {
            use $crate::bindings::preprocessor_world as __world;
            use $crate::bindings::regularizer_world::clora::plugin::types as __types;

            struct __CloraPreprocessor;

            impl __world::exports::clora::plugin::preprocessor::Guest for __CloraPreprocessor {
                fn describe() -> __types::PluginInfo {
                    $crate::preprocessor::describe::<$plugin>(env!("CARGO_PKG_VERSION"))
                }

                fn init(
                    params: ::std::vec::Vec<__types::Param>,
                ) -> ::core::result::Result<(), ::std::string::String> {
                    $crate::preprocessor::init::<$plugin>(params)
                }

                fn process_batch(
                    first_row: u64,
                    records: ::std::vec::Vec<::std::string::String>,
                ) -> ::std::vec::Vec<
                    ::core::result::Result<
                        ::std::vec::Vec<__types::Example>,
                        ::std::string::String,
                    >,
                > {
                    $crate::preprocessor::process_batch::<$plugin>(first_row, records)
                }
            }

            $crate::bindings::preprocessor_world::__export_preprocessor_world!(
                __CloraPreprocessor with_types_in $crate::bindings::preprocessor_world
            );
        };
    };
}
