//! Pipelines: the file as written ([`spec`]), checked against the registry
//! ([`compile`]), and the runnable result ([`plan`]).

pub mod compile;
pub mod output_paths;
pub mod plan;
pub mod preview;
pub mod sections;
pub mod spec;
pub mod sweep;

pub use compile::{compile, CompileError, CompileErrors};
pub use plan::Plan;
pub use spec::PipelineSpec;
