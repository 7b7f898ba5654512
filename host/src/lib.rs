//! # plexus-host
//!
//! The long-running host: the data bus ([`bus`]), pipelines ([`pipeline`]),
//! the runtime that schedules stages ([`runtime`]), control events and the
//! event log ([`events`]), the daemon ([`serve`]) and the command line
//! ([`cli`]). Plugins are reached only through `plexus-registry`.

pub mod bus;
pub mod cli;
pub mod config;
pub mod events;
pub mod host;
pub mod paths;
pub mod pipeline;
pub mod runtime;
pub mod serve;
