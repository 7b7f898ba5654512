//! What a plugin exports: its operators, each a name, a constructor taking
//! the operator's parameter struct, and that struct's schema.
//!
//! [`export_plugin!`](crate::export_plugin) builds the [`Plugin`] static
//! from `"name" => constructor` pairs; the transports (native root module,
//! wasm exports) and the compliance harness all go through it, so an
//! operator is built the same way everywhere.

use serde_json::Value;

use crate::error::PluginError;
use crate::operator::Operator;
use crate::params::schema::ParamSpec;
use crate::params::{decode, schema_of, Params, SchemaError};

/// What the host tells an operator when it builds it, besides its
/// parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Context {
    threads: usize,
}

impl Context {
    /// A context with a budget of `threads` threads (at least 1).
    pub fn new(threads: usize) -> Context {
        Context { threads: threads.max(1) }
    }

    /// How many threads the operator may use for data parallelism inside
    /// one frame: the host has set them aside for this instance, and using
    /// more oversubscribes the cores other stages run on.
    pub fn threads(&self) -> usize {
        self.threads
    }
}

/// Builds an operator from the JSON object of its parameters.
pub type Build = fn(params: &str, ctx: &Context) -> Result<Box<dyn Operator>, PluginError>;

/// Reads the schema of an operator's parameter struct.
pub type Schema = fn() -> Result<Vec<(String, ParamSpec)>, SchemaError>;

/// One operator a plugin offers.
#[derive(Debug, Clone, Copy)]
pub struct OperatorEntry {
    /// The name pipelines use (`plugin.name`).
    pub name: &'static str,
    /// Its constructor, behind JSON decoding.
    pub build: Build,
    /// Its parameter struct's schema.
    pub schema: Schema,
}

/// A plugin's operators and where its crate (and `plugin.toml`) lives.
#[derive(Debug, Clone, Copy)]
pub struct Plugin {
    /// The plugin crate's folder at build time (`CARGO_MANIFEST_DIR`),
    /// where the compliance harness finds `plugin.toml`.
    pub manifest_dir: &'static str,
    /// The operators, in the order `export_plugin!` lists them.
    pub operators: &'static [OperatorEntry],
}

impl Plugin {
    /// The operator called `name`.
    pub fn operator(&self, name: &str) -> Result<&OperatorEntry, PluginError> {
        self.operators
            .iter()
            .find(|o| o.name == name)
            .ok_or_else(|| PluginError::UnknownOperator { name: name.to_string() })
    }

    /// The names of its operators.
    pub fn operator_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.operators.iter().map(|o| o.name)
    }

    /// Builds operator `name` from `params` (a JSON object; the host fills
    /// in every default).
    pub fn build(&self, name: &str, params: &str, ctx: &Context) -> Result<Box<dyn Operator>, PluginError> {
        (self.operator(name)?.build)(params, ctx)
    }

    /// `plugin.toml` beside the crate's `Cargo.toml`.
    pub fn manifest_path(&self) -> std::path::PathBuf {
        std::path::Path::new(self.manifest_dir).join("plugin.toml")
    }

    /// What `describe` reports: each operator's name and its parameter
    /// table (or why the table cannot be read), as JSON.
    pub fn describe(&self) -> Value {
        let operators: Vec<Value> = self
            .operators
            .iter()
            .map(|o| match (o.schema)() {
                Ok(params) => serde_json::json!({ "name": o.name, "params": params }),
                Err(e) => serde_json::json!({ "name": o.name, "params_error": e.to_string() }),
            })
            .collect();
        serde_json::json!({ "api": crate::API_MAJOR, "operators": operators })
    }
}

/// The body of every [`OperatorEntry::build`]: decodes the parameter struct
/// the constructor takes, then calls it. Not API: the expansion of
/// [`export_plugin!`](crate::export_plugin) calls it.
#[doc(hidden)]
pub fn build_with<P, O, F>(params: &str, ctx: &Context, ctor: F) -> Result<Box<dyn Operator>, PluginError>
where
    P: Params,
    O: Operator,
    F: Fn(P, &Context) -> Result<O, PluginError>,
{
    let p: P = decode(params)?;
    Ok(Box::new(ctor(p, ctx)?))
}

/// The body of every [`OperatorEntry::schema`]. Not API.
#[doc(hidden)]
pub fn schema_of_ctor<P, O, F>(_ctor: &F) -> Result<Vec<(String, ParamSpec)>, SchemaError>
where
    P: Params,
    O: Operator,
    F: Fn(P, &Context) -> Result<O, PluginError>,
{
    schema_of::<P>()
}
