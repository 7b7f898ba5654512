//! # plexus-host
//!
//! The long-running host: the data bus ([`bus`]) and memory budget
//! ([`budget`]), pipelines ([`pipeline`]), the runtime that runs them as
//! jobs ([`runtime`]), control events and the event log ([`events`]), the
//! daemon ([`daemon`]), errors ([`error`]) and the command line ([`cli`]).
//! Plugins are reached only through `plexus-registry`.

pub mod budget;
pub mod bus;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod error;
pub mod events;
pub mod host;
pub mod paths;
pub mod pipeline;
pub mod runtime;
pub mod service;
pub mod slots;
